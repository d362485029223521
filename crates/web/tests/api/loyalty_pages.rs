//! The pages of coupons, the member code and the till's back office: a shopper claims a
//! coupon and spends it at checkout; the till finds a member by the code on their phone
//! and spends their coupon; a sale comes back at the till; a shift is closed against
//! the cash the till took. On both databases.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_test;
use crate::helpers::*;
use crate::till_pages::{BARCODE, get, input, post_form, text_of, till_form};

/// The coupon ids offered by the radio buttons named `coupon` (without "none").
fn coupon_choices(html: &str) -> Vec<String> {
    let marker = "name=\"coupon\" value=\"";
    html.match_indices(marker)
        .map(|(at, _)| {
            let start = at + marker.len();
            html[start..start + html[start..].find('"').unwrap()].to_string()
        })
        .filter(|v| !v.is_empty())
        .collect()
}

/// The text inside the element with id `id`, tags and all stripped.
fn all_text_of(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in the page"));
    let open = html[..at].rfind('<').unwrap();
    let tag: String = html[open + 1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    let end = at + html[at..].find(&format!("</{tag}>")).unwrap();
    let mut text = String::new();
    let mut inside = false;
    for ch in html[at..end].chars() {
        match ch {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => text.push(c),
            _ => {}
        }
    }
    text
}

/// The member code the shopper's phone shows now (a fresh one on every load).
async fn member_code(shopper: &Client, slug: &str) -> String {
    let r = shopper.raw(Method::GET, &format!("/s/{slug}/card")).await.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("no-store"), "a code is never cached");
    let page = r.text().await.unwrap();
    let marker = "data-code=\"";
    let at = page.find(marker).expect("the code's digits") + marker.len();
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

/// Rings up `quantity` towels at store A's till and completes the sale with `method`;
/// returns the receipt.
async fn till_sale(clerk: &Client, w: &World, quantity: usize, method: &str) -> String {
    let (_, mut page) = get(clerk, &format!("/clerk/till?store={}", w.store_a)).await;
    for _ in 0..quantity {
        page = post_form(clerk, "/clerk/till", &till_form(&page, &w.store_a, &[("scan", BARCODE)])).await.2;
    }
    let form = till_form(&page, &w.store_a, &[("method", method), ("action", "complete")]);
    let (status, _, receipt) = post_form(clerk, "/clerk/till", &form).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    receipt
}

api_test! {
    async fn a_claimed_coupon_makes_checkout_cheaper_once(app) {
        let w = shop_world(&app, "cpck").await;
        let campaign = campaign(&w.owner, "Welcome").await;
        // ¥5 off orders of ¥40 or more, for members to claim; and one only the shop gives.
        let def = coupon_def(&w.owner, &campaign, json!({"type": "fixed", "amount": 500}),
            json!({"name": {"zh": "满40减5", "en": "5 off 40"}, "min_spend": 4000, "claimable": true})).await;
        coupon_def(&w.owner, &campaign, json!({"type": "fixed", "amount": 900}),
            json!({"name": {"zh": "内部券", "en": "Staff only"}})).await;
        let def_id = def["id"].as_str().unwrap();
        let shopper = app.shopper("cpck", "13900000060").await;

        // The card leads to the coupons; there, the one to claim (not the other).
        let (_, me) = get(&shopper, "/s/cpck/me").await;
        assert!(me.contains("href=\"/s/cpck/coupons\"") && me.contains("id=\"member-code-link\""), "{me}");
        let (status, page) = get(&shopper, "/s/cpck/coupons").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"no-coupons\""), "none held yet");
        assert!(all_text_of(&page, "claimable").contains("满40减5"), "{page}");
        assert!(!page.contains("内部券"), "a coupon the shop issues itself is not offered");
        let claim = format!("/s/cpck/coupons/{def_id}/claim");
        // Without the page's token nothing is claimed.
        let (status, _, _) = post_form(&shopper, &claim, &[("csrf", "forged".into())]).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let csrf = input(&page, "csrf");
        let (status, url, page) = post_form(&shopper, &claim, &[("csrf", csrf.clone())]).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(url.ends_with("/coupons"), "back to the list: {url}");
        let held = all_text_of(&page, "my-coupons");
        assert!(held.contains("满40减5") && held.contains("¥5") && held.contains("满¥40可用") && held.contains("可使用"), "{held}");
        assert!(all_text_of(&page, "claimable").contains("已领取"), "claimed: no button any more");
        // One a member: claiming again is refused, and says why.
        let (status, _, again) = post_form(&shopper, &claim, &[("csrf", csrf)]).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(text_of(&again, "coupon-error").contains("已领取过"), "{again}");

        // Checkout offers it; one towel (¥35) is below its minimum, and the page says so.
        shopper.post("/s/cpck/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        let (_, page) = get(&shopper, "/s/cpck/checkout").await;
        let coupons = coupon_choices(&page);
        assert_eq!(coupons.len(), 1, "{page}");
        let coupon = coupons[0].clone();
        assert!(page.contains("data-rule=\"fixed:500\"") && page.contains("data-min=\"4000\""), "the page's script prices it");
        let form = |page: &str, coupon: &str| {
            vec![
                ("csrf", input(page, "csrf")),
                ("idempotency_key", input(page, "idempotency_key")),
                ("choice", format!("pickup:{}", w.store_a)),
                ("coupon", coupon.to_string()),
            ]
        };
        let (status, _, refused) = post_form(&shopper, "/s/cpck/checkout", &form(&page, &coupon)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert!(text_of(&refused, "checkout-error").contains("最低消费"), "{refused}");
        assert_eq!(coupon_choices(&refused), vec![coupon.clone()], "the coupon stays on offer");
        assert!(refused.contains(&format!("value=\"{coupon}\" data-rule=\"fixed:500\" data-min=\"4000\" data-stores=\"\" checked")), "and chosen");

        // Two towels (¥70): ¥5 off, charged ¥65.
        shopper.post("/s/cpck/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        let (_, page) = get(&shopper, "/s/cpck/checkout").await;
        let (status, url, order_page) = post_form(&shopper, "/s/cpck/checkout", &form(&page, &coupon)).await;
        assert_eq!(status, StatusCode::OK, "{order_page}");
        let order_id = url.rsplit('/').next().unwrap().to_string();
        let (_, order) = shopper.get(&format!("/s/cpck/api/orders/{order_id}")).await;
        assert_eq!(order["total"]["amount"].as_i64(), Some(6500), "{order}");
        assert_eq!(order["coupon_id"].as_str(), Some(coupon.as_str()));
        assert!(all_text_of(&order_page, "coupon-used").contains("-¥5.00"), "the order shows the coupon");

        // Spent: shown as used, not offered again, and refused if sent anyway.
        let (_, page) = get(&shopper, "/s/cpck/coupons").await;
        assert!(all_text_of(&page, "my-coupons").contains("已使用"), "{page}");
        shopper.post("/s/cpck/api/cart/items", json!({"sku_id": w.sku, "quantity": 2})).await;
        let (_, page) = get(&shopper, "/s/cpck/checkout").await;
        assert!(coupon_choices(&page).is_empty() && !page.contains("id=\"coupon-box\""), "nothing to offer");
        let (status, _, refused) = post_form(&shopper, "/s/cpck/checkout", &form(&page, &coupon)).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(text_of(&refused, "checkout-error").contains("已使用"), "{refused}");
        // In English too.
        let (_, page) = get(&shopper, "/s/cpck/coupons?lang=en").await;
        assert!(page.contains("My coupons") && all_text_of(&page, "my-coupons").contains("Used"), "{page}");
    }
}

api_test! {
    async fn the_till_finds_the_member_by_code_and_spends_their_coupon(app) {
        let w = shop_world(&app, "tcode").await;
        w.owner.patch(&format!("/api/v1/skus/{}", w.sku), json!({"barcode": BARCODE})).await;
        let campaign = campaign(&w.owner, "In store").await;
        // ¥10 off at store A's till; and one for online orders only.
        let def = coupon_def(&w.owner, &campaign, json!({"type": "fixed", "amount": 1000}),
            json!({"name": {"zh": "到店减10", "en": "10 off in store"}, "channels": ["pos"], "stores": [w.store_a], "claimable": true})).await;
        let online = coupon_def(&w.owner, &campaign, json!({"type": "percent", "percent": 20, "max_discount": 2000}),
            json!({"name": {"zh": "线上八折", "en": "20% off online"}, "channels": ["mobile", "wechat"], "claimable": true})).await;
        let shopper = app.shopper("tcode", "13900000061").await;
        let (_, page) = get(&shopper, "/s/tcode/coupons").await;
        for d in [&def, &online] {
            let claim = format!("/s/tcode/coupons/{}/claim", d["id"].as_str().unwrap());
            let (status, _, _) = post_form(&shopper, &claim, &[("csrf", input(&page, "csrf"))]).await;
            assert_eq!(status, StatusCode::OK);
        }
        let (_, page) = get(&shopper, "/s/tcode/coupons").await;
        assert!(all_text_of(&page, "my-coupons").contains("仅限门店使用"), "where it can be spent");
        assert!(all_text_of(&page, "my-coupons").contains("8折，最多减¥20"), "{page}");

        // The phone's member code: a QR drawn on the page and its digits, renewed before
        // it runs out; every load a new one.
        let (_, card) = get(&shopper, "/s/tcode/card").await;
        assert!(card.contains("<meta http-equiv=\"refresh\" content=\"60\">"), "reloads itself");
        assert!(card.contains("<svg") && !card.contains("<?xml"), "an inline QR code");
        let code = member_code(&shopper, "tcode").await;
        assert!(code.len() == 18 && code.starts_with("99") && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        assert_ne!(member_code(&shopper, "tcode").await, code, "a fresh code each time");
        let code = member_code(&shopper, "tcode").await;

        // Two towels on the till, then the member's code in the member field.
        let clerk = staff(&app, &w.owner, "clerk@tcode.test", "clerk", &[&w.store_a]).await;
        let (_, mut page) = get(&clerk, &format!("/clerk/till?store={}", w.store_a)).await;
        for _ in 0..2 {
            page = post_form(&clerk, "/clerk/till", &till_form(&page, &w.store_a, &[("scan", BARCODE)])).await.2;
        }
        assert_eq!(text_of(&page, "subtotal"), "¥78.00", "walk-in prices");
        let (status, _, page) = post_form(&clerk, "/clerk/till", &till_form(&page, &w.store_a, &[("phone", &code), ("action", "member")])).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(text_of(&page, "member").contains("139****0061") && page.contains("id=\"by-code\""), "{page}");
        assert_eq!(text_of(&page, "subtotal"), "¥70.00", "member prices");
        assert!(!page.contains(&code), "the code is used up, not carried by the form");
        // Only the coupon good at this till is offered.
        let store_coupons = coupon_choices(&page);
        assert_eq!(store_coupons.len(), 1, "{page}");
        assert!(all_text_of(&page, "till-coupons").contains("到店减10") && !page.contains("线上八折"));
        // The code works once.
        let (_, _, again) = post_form(&clerk, "/clerk/till", &till_form(&page, &w.store_a, &[("phone", &code), ("action", "member")])).await;
        assert!(text_of(&again, "flash").contains("会员码无效"), "{again}");

        // The coupon comes off; the clerk completes the sale in cash.
        let coupon = store_coupons[0].clone();
        let (_, _, page) = post_form(&clerk, "/clerk/till", &till_form(&page, &w.store_a, &[("coupon", &coupon)])).await;
        assert_eq!(text_of(&page, "coupon-off"), "-¥10.00");
        assert_eq!(text_of(&page, "due"), "¥60.00");
        let done = till_form(&page, &w.store_a, &[("coupon", &coupon), ("method", "cash"), ("tendered", "100"), ("action", "complete")]);
        let (status, _, receipt) = post_form(&clerk, "/clerk/till", &done).await;
        assert_eq!(status, StatusCode::OK, "{receipt}");
        assert_eq!(text_of(&receipt, "receipt-total"), "¥60.00", "{receipt}");
        assert!(all_text_of(&receipt, "receipt").contains("优惠券"), "the coupon on the receipt");
        assert_eq!(text_of(&receipt, "receipt-change"), "¥40.00");
        assert_eq!(text_of(&receipt, "receipt-earned"), "60", "points on what was paid");
        // The sale went to the member, with the coupon; the phone shows it used.
        let (_, orders) = w.owner.get("/api/v1/orders?limit=10").await;
        let sale = orders["items"].as_array().unwrap().iter().find(|o| o["channel"] == "pos").unwrap().clone();
        assert_eq!(sale["coupon_id"].as_str(), Some(coupon.as_str()), "{sale}");
        assert_eq!(sale["shopper_id"].as_str(), Some(shopper_id(&shopper, "tcode").await.as_str()));
        let (_, page) = get(&shopper, "/s/tcode/coupons").await;
        assert!(all_text_of(&page, "my-coupons").contains("已使用"), "{page}");
        let (_, me) = get(&shopper, "/s/tcode/me").await;
        assert_eq!(text_of(&me, "points-balance"), "60");
    }
}

api_test! {
    async fn a_return_at_the_till_puts_stock_back_and_refunds(app) {
        let w = shop_world(&app, "tret").await;
        w.owner.patch(&format!("/api/v1/skus/{}", w.sku), json!({"barcode": BARCODE})).await;
        let (clerk, clerk_b) = store_clerks(&app, &w, "tret").await;
        let receipt = till_sale(&clerk, &w, 2, "cash").await;
        let number = text_of(&receipt, "receipt-number");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await.0, 8);
        assert!(receipt.contains("id=\"return-sale\""), "the receipt leads to a return");

        // Found by its receipt number, from the till's returns page.
        let (_, till) = get(&clerk, &format!("/clerk/till?store={}", w.store_a)).await;
        assert!(till.contains("href=\"/clerk/returns?store="), "the till links returns");
        let (_, returns) = get(&clerk, &format!("/clerk/returns?store={}", w.store_a)).await;
        assert!(all_text_of(&returns, "recent-sales").contains(&number), "the store's recent sales");
        let r = clerk.raw(Method::GET, &format!("/clerk/returns?store={}&q={number}", w.store_a)).await.send().await.unwrap();
        let url = r.url().path().to_string();
        let page = r.text().await.unwrap();
        assert!(url.starts_with("/clerk/returns/"), "{url}");
        assert_eq!(text_of(&page, "sale-number"), number);
        let (_, missing) = get(&clerk, &format!("/clerk/returns?store={}&q=20260101-00000000", w.store_a)).await;
        assert!(text_of(&missing, "flash").contains("找不到"), "{missing}");

        // One towel back, without a reason first.
        let qty = page.split("name=\"qty:").nth(1).unwrap().split('"').next().unwrap().to_string();
        let field = format!("qty:{qty}");
        let form = |page: &str, reason: &str| {
            vec![("csrf", input(page, "csrf")), ("seen", input(page, "seen")), (field.as_str(), "1".to_string()), ("reason", reason.to_string())]
        };
        let (status, _, refused) = post_form(&clerk, &url, &form(&page, "")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text_of(&refused, "flash").contains("原因"), "{refused}");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await.0, 8, "nothing moved");
        let (status, _, done) = post_form(&clerk, &url, &form(&page, "尺寸不合适")).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(text_of(&done, "refund-amount"), "¥39.00");
        assert!(all_text_of(&done, "return-done").contains("× 1") && all_text_of(&done, "return-done").contains("现金"), "{done}");
        assert_eq!(text_of(&done, "refunded"), "¥39.00");
        assert_eq!(text_of(&done, "sale-status"), "部分退款");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await.0, 9, "back on the store's shelf");
        // The same form again (a double tap): nothing more comes back.
        let (status, _, twice) = post_form(&clerk, &url, &form(&page, "尺寸不合适")).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(text_of(&twice, "flash").contains("刚办理过退货"), "{twice}");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await.0, 9);
        // More than is left is refused by the use case, and the page says so.
        let mut too_many = form(&done, "太多");
        too_many[2].1 = "2".into();
        let (status, _, refused) = post_form(&clerk, &url, &too_many).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text_of(&refused, "flash").contains("超出"), "{refused}");

        // Another store's clerk sees nothing of it, and takes nothing back.
        let (status, other) = get(&clerk_b, &url).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(text_of(&other, "flash").contains("找不到"));
        let (_, own) = get(&clerk_b, "/clerk/till").await;
        let forged = vec![("csrf", input(&own, "csrf")), ("seen", "1".to_string()), (field.as_str(), "1".to_string()), ("reason", "x".to_string())];
        let (status, _, _) = post_form(&clerk_b, &url, &forged).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await.0, 9);
    }
}

api_test! {
    async fn closing_a_shift_sets_the_count_against_cash_sales(app) {
        let w = shop_world(&app, "shift").await;
        w.owner.patch(&format!("/api/v1/skus/{}", w.sku), json!({"barcode": BARCODE})).await;
        let clerk = staff(&app, &w.owner, "clerk@shift.test", "clerk", &[&w.store_a]).await;
        // Cash ¥78 in, ¥39 by card, then ¥39 of the cash sale handed back.
        let receipt = till_sale(&clerk, &w, 2, "cash").await;
        till_sale(&clerk, &w, 1, "bank_card").await;
        let order = receipt.split("href=\"/clerk/returns/").nth(1).unwrap().split('"').next().unwrap().to_string();
        let url = format!("/clerk/returns/{order}");
        let (_, page) = get(&clerk, &url).await;
        let qty = page.split("name=\"qty:").nth(1).unwrap().split('"').next().unwrap().to_string();
        let field = format!("qty:{qty}");
        let back = vec![("csrf", input(&page, "csrf")), ("seen", "0".to_string()), (field.as_str(), "1".to_string()), ("reason", "破损 Damaged".to_string())];
        let (status, _, _) = post_form(&clerk, &url, &back).await;
        assert_eq!(status, StatusCode::OK);

        // The till leads to the close; the form is filled in blind (nothing expected shown).
        let (_, till) = get(&clerk, &format!("/clerk/till?store={}", w.store_a)).await;
        assert!(till.contains("href=\"/clerk/shift?store="));
        let (status, page) = get(&clerk, &format!("/clerk/shift?store={}", w.store_a)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!page.contains("id=\"shift-expected\"") && page.contains("id=\"shifts\""));
        let close = |page: &str, float: &str, counted: &str| {
            vec![
                ("csrf", input(page, "csrf")),
                ("store", w.store_a.clone()),
                ("since", input(page, "since")),
                ("opening_float", float.to_string()),
                ("counted_cash", counted.to_string()),
                ("note", String::new()),
            ]
        };
        let (status, _, refused) = post_form(&clerk, "/clerk/shift", &close(&page, "五百", "530")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text_of(&refused, "flash").contains("备用金"), "{refused}");
        // A ¥500 float and ¥530 counted: ¥539 expected (500 + 78 - 39), ¥9 short.
        let (status, _, closed) = post_form(&clerk, "/clerk/shift", &close(&page, "500", "530.00")).await;
        assert_eq!(status, StatusCode::OK, "{closed}");
        assert_eq!(text_of(&closed, "shift-cash-sales"), "¥78.00", "cash only: the card sale is not in the drawer");
        assert_eq!(text_of(&closed, "shift-cash-refunds"), "-¥39.00");
        assert_eq!(text_of(&closed, "shift-expected"), "¥539.00");
        assert_eq!(text_of(&closed, "shift-counted"), "¥530.00");
        assert_eq!(text_of(&closed, "shift-difference"), "-9.00");
        assert_eq!(text_of(&closed, "shift-sales"), "2");
        assert!(closed.contains("class=\"big diff short\"") && closed.contains("id=\"shortage\""), "a shortage stands out");
        assert!(all_text_of(&closed, "shifts").contains("539.00"), "listed with the store's closes");
        // Sent again (a double tap): the close already made, not a second empty one.
        let (status, _, again) = post_form(&clerk, "/clerk/shift", &close(&page, "500", "530.00")).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(text_of(&again, "flash").contains("已交班"), "{again}");
        assert_eq!(text_of(&again, "shift-expected"), "¥539.00");
        assert_eq!(all_text_of(&again, "shifts").matches("539.00").count(), 1, "one close");
        // The next shift starts from that close, with nothing taken yet.
        let (_, page) = get(&clerk, &format!("/clerk/shift?store={}", w.store_a)).await;
        assert!(!input(&page, "since").is_empty());
        let (status, _, next) = post_form(&clerk, "/clerk/shift", &close(&page, "500", "500")).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        assert_eq!(text_of(&next, "shift-expected"), "¥500.00");
        assert_eq!(text_of(&next, "shift-difference"), "0.00");
        assert_eq!(text_of(&next, "shift-sales"), "0");
    }
}
