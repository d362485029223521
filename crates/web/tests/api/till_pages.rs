//! The member card's pages: the till a clerk rings a sale up on (applied once however
//! often its form is sent; a shopper's payment code charged once through the provider),
//! checkout spending points, and the shopper's card, points history and orders showing
//! both. On both databases.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_test;
use crate::helpers::*;

pub(crate) const BARCODE: &str = "6901234567892";

/// The value of the first input named `name` in `html`.
pub(crate) fn input(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no input {name}"));
    let tag = &html[at..at + html[at..].find('>').unwrap()];
    let value = tag.find("value=\"").unwrap_or_else(|| panic!("input {name} has no value")) + "value=\"".len();
    tag[value..].split('"').next().unwrap().to_string()
}

/// The text of the element with id `id` (its first text run).
pub(crate) fn text_of(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in the page"));
    let start = at + html[at..].find('>').unwrap() + 1;
    html[start..start + html[start..].find('<').unwrap()].trim().to_string()
}

pub(crate) async fn get(client: &Client, path: &str) -> (StatusCode, String) {
    let r = client.raw(Method::GET, path).await.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

pub(crate) async fn post_form(client: &Client, path: &str, form: &[(&str, String)]) -> (StatusCode, String, String) {
    let r = client.raw(Method::POST, path).await.form(form).send().await.unwrap();
    let url = r.url().path().to_string();
    (r.status(), url, r.text().await.unwrap())
}

/// The till form as the page has it (sale, lines, the member found by code), with
/// `extra` fields filled in.
pub(crate) fn till_form(html: &str, store: &str, extra: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let mut form = vec![("csrf", input(html, "csrf")), ("store", store.to_string()), ("sale", input(html, "sale"))];
    if html.contains("name=\"member\"") {
        form.push(("member", input(html, "member")));
    }
    let mut rest = html;
    while let Some(at) = rest.find("name=\"line\" value=\"") {
        let start = at + "name=\"line\" value=\"".len();
        form.push(("line", rest[start..start + rest[start..].find('"').unwrap()].to_string()));
        rest = &rest[start..];
    }
    for (k, v) in extra {
        let key: &'static str = match *k {
            "scan" => "scan",
            "phone" => "phone",
            "coupon" => "coupon",
            "points" => "points",
            "method" => "method",
            "tendered" => "tendered",
            "auth_code" => "auth_code",
            "action" => "action",
            other => panic!("unexpected field {other}"),
        };
        form.push((key, v.to_string()));
    }
    form
}

/// A shopper of `slug` who has paid one towel online (and so holds 35 points).
pub(crate) async fn member_with_points(app: &TestApp, w: &World, slug: &str, phone: &str) -> Client {
    let shopper = app.shopper(slug, phone).await;
    let (status, order) = shopper
        .post(
            &format!("/s/{slug}/api/orders"),
            json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    app.pay_in_sandbox(&shopper, slug, order["id"].as_str().unwrap()).await;
    let (_, me) = get(&shopper, &format!("/s/{slug}/me")).await;
    assert_eq!(text_of(&me, "points-balance"), "35", "a point a yuan on the member price of 35.00");
    shopper
}

api_test! {
    async fn the_till_sells_once_however_often_the_form_is_sent(app) {
        let w = shop_world(&app, "till").await;
        let (status, body) = w.owner.patch(&format!("/api/v1/skus/{}", w.sku), json!({"barcode": BARCODE})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let shopper = member_with_points(&app, &w, "till", "13900000050").await;
        let clerk = staff(&app, &w.owner, "clerk@till.test", "clerk", &[&w.store_a]).await;

        // The counter leads to the till; the till opens with a sale id made for it.
        let (_, counter) = get(&clerk, &format!("/clerk?store={}", w.store_a)).await;
        assert!(counter.contains("href=\"/clerk/till?store="), "the counter links the till");
        let (status, page) = get(&clerk, &format!("/clerk/till?store={}", w.store_a)).await;
        assert_eq!(status, StatusCode::OK);
        let sale = input(&page, "sale");
        assert!(sale.len() > 20, "a sale id nobody can guess: {sale}");

        // The scanner types the barcode and Enter; scanning it again adds one.
        let path = "/clerk/till";
        let (status, _, page) = post_form(&clerk, path, &till_form(&page, &w.store_a, &[("scan", BARCODE), ("action", "scan")])).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(input(&page, "line"), format!("{}:1", w.sku));
        let (_, _, page) = post_form(&clerk, path, &till_form(&page, &w.store_a, &[("scan", BARCODE), ("action", "scan")])).await;
        assert_eq!(input(&page, "line"), format!("{}:2", w.sku));
        assert_eq!(input(&page, "sale"), sale, "the same sale all along");
        assert_eq!(text_of(&page, "subtotal"), "¥78.00", "two at the till's price");
        // An unknown barcode says so and changes nothing.
        let (_, _, page) = post_form(&clerk, path, &till_form(&page, &w.store_a, &[("scan", "0000"), ("action", "scan")])).await;
        assert!(text_of(&page, "flash").contains("找不到条码"), "the clerk is told");
        assert_eq!(input(&page, "line"), format!("{}:2", w.sku));

        // The member's phone: their card, member prices, and points to spend.
        let (_, _, page) = post_form(&clerk, path, &till_form(&page, &w.store_a, &[("phone", "13900000050"), ("action", "member")])).await;
        assert!(text_of(&page, "member").contains("139****0050"), "{page}");
        assert_eq!(text_of(&page, "member-points"), "35");
        assert_eq!(text_of(&page, "subtotal"), "¥70.00", "member prices");

        // Completing the sale, twice with the same form (a double tap, a reload).
        let done = till_form(&page, &w.store_a, &[
            ("phone", "13900000050"), ("points", "10"), ("method", "cash"), ("tendered", "100"), ("action", "complete"),
        ]);
        let (status, _, first) = post_form(&clerk, path, &done).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        let number = text_of(&first, "receipt-number");
        assert_eq!(text_of(&first, "receipt-total"), "¥69.90", "10 points took 0.10 off");
        assert_eq!(text_of(&first, "receipt-change"), "¥30.10");
        assert_eq!(text_of(&first, "receipt-earned"), "69");
        assert_eq!(text_of(&first, "receipt-balance"), "94", "35 - 10 + 69");
        assert!(first.contains("data-print"), "a print button (print styles are in shop.css)");
        let (status, _, second) = post_form(&clerk, path, &done).await;
        assert_eq!(status, StatusCode::OK, "{second}");
        assert_eq!(text_of(&second, "receipt-number"), number, "the same sale");
        assert!(second.contains("id=\"replayed\""), "and the clerk is told it was recorded already");
        assert_eq!(text_of(&second, "receipt-balance"), "94", "points moved once");
        // Stock moved once: 10 in store A, 1 picked up online (reserved), 2 sold here.
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await.0, 8);
        let (_, orders) = w.owner.get("/api/v1/orders?limit=50").await;
        let till_sales = orders["items"].as_array().unwrap().iter().filter(|o| o["channel"] == "pos").count();
        assert_eq!(till_sales, 1, "{orders}");

        // The shopper's phone: both orders, the till sale as bought in store, and the
        // points earned and spent.
        let (_, list) = get(&shopper, "/s/till/orders").await;
        assert!(list.contains("在店购买") && list.contains("SA店"), "the till sale, at store A");
        let (_, me) = get(&shopper, "/s/till/me").await;
        assert_eq!(text_of(&me, "points-balance"), "94");
        let (_, points) = get(&shopper, "/s/till/points").await;
        assert!(points.contains("获得") && points.contains("+69") && points.contains("+35"), "earned online and in store");
        assert!(points.contains("使用") && points.contains("-10") && points.contains(&number), "spent at the till, with the sale's number");
        let till_order = orders["items"].as_array().unwrap().iter().find(|o| o["channel"] == "pos").unwrap()["id"].as_str().unwrap().to_string();
        let (status, detail) = get(&shopper, &format!("/s/till/orders/{till_order}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(detail.contains("id=\"in-store\"") && detail.contains("SA店"), "where it was bought");
        assert!(!detail.contains("id=\"pay\"") && !detail.contains("pickup-code") && !detail.contains("id=\"cancel\""), "nothing to pay, collect or cancel");
        assert!(detail.contains("id=\"points-used\""), "the points it took");
        // In English too.
        let (_, points_en) = get(&shopper, "/s/till/points?lang=en").await;
        assert!(points_en.contains("Earned") && points_en.contains("Spent"), "{points_en}");
        let (_, list_en) = get(&shopper, "/s/till/orders").await;
        assert!(list_en.contains("In store") && list_en.contains("SA store"), "the language chosen sticks");
    }
}

api_test! {
    async fn the_till_refuses_what_it_cannot_sell_and_keeps_the_sale(app) {
        let w = shop_world(&app, "tillno").await;
        w.owner.patch(&format!("/api/v1/skus/{}", w.sku), json!({"barcode": BARCODE})).await;
        let clerk = staff(&app, &w.owner, "clerk@tillno.test", "clerk", &[&w.store_a]).await;
        let (_, page) = get(&clerk, "/clerk/till").await;
        // Without the page's token, nothing.
        let mut forged = till_form(&page, &w.store_a, &[("scan", BARCODE)]);
        forged[0].1 = "forged".into();
        let (status, _, _) = post_form(&clerk, "/clerk/till", &forged).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Points without a member, and a card payment, are refused; the sale stays.
        let (_, _, page) = post_form(&clerk, "/clerk/till", &till_form(&page, &w.store_a, &[("scan", BARCODE)])).await;
        let form = till_form(&page, &w.store_a, &[("points", "5"), ("method", "bank_card"), ("action", "complete")]);
        let (status, _, page) = post_form(&clerk, "/clerk/till", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text_of(&page, "flash").contains("会员"), "asks for the member's phone");
        assert_eq!(input(&page, "line"), format!("{}:1", w.sku));
        // Walk-in, by card: sold, no member on the receipt.
        let form = till_form(&page, &w.store_a, &[("method", "bank_card"), ("action", "complete")]);
        let (status, _, receipt) = post_form(&clerk, "/clerk/till", &form).await;
        assert_eq!(status, StatusCode::OK, "{receipt}");
        assert_eq!(text_of(&receipt, "receipt-total"), "¥39.00", "the list price for a walk-in");
        assert!(receipt.contains("银行卡") && !receipt.contains("receipt-member"));
        // A store the clerk does not work at is not theirs to sell from.
        let (_, page) = get(&clerk, &format!("/clerk/till?store={}", w.store_b)).await;
        assert!(page.contains(&format!("name=\"store\" value=\"{}\"", w.store_a)), "the till falls back to the clerk's own store");
        // Signed out: to the sign-in page.
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = browser.get(format!("{}/clerk/till", app.url)).send().await.unwrap();
        assert_eq!((r.status(), r.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/login?next=clerk"));
    }
}

/// The opening tag of the element with id `id`.
fn tag_of<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in the page"));
    let open = html[..at].rfind('<').unwrap();
    &html[open..at + html[at..].find('>').unwrap()]
}

/// The till's sales at the world's stores (orders on channel POS), as the owner sees them.
async fn till_orders(w: &World) -> Vec<serde_json::Value> {
    let (_, orders) = w.owner.get("/api/v1/orders?limit=50").await;
    orders["items"].as_array().unwrap().iter().filter(|o| o["channel"] == "pos").cloned().collect()
}

api_test! {
    async fn a_payment_code_at_the_till_is_charged_once_through_the_provider(app) {
        let w = shop_world(&app, "tillcode").await;
        w.owner.patch(&format!("/api/v1/skus/{}", w.sku), json!({"barcode": BARCODE})).await;
        let clerk = staff(&app, &w.owner, "clerk@tillcode.test", "clerk", &[&w.store_a]).await;
        let path = "/clerk/till";
        let (_, page) = get(&clerk, &format!("/clerk/till?store={}", w.store_a)).await;
        let (_, _, page) = post_form(&clerk, path, &till_form(&page, &w.store_a, &[("scan", BARCODE), ("action", "scan")])).await;
        // The payment code field, and what leaving it empty means.
        let field = tag_of(&page, "auth-code");
        assert!(field.contains("name=\"auth_code\"") && field.contains("inputmode=\"numeric\""), "{field}");
        assert!(text_of(&page, "code-hint").contains("留空"), "empty: the till's own terminal took it");

        // The scanner types the shopper's WeChat code in the field and presses Enter (the
        // form's first button): the sale completes, charged through the provider.
        let code = "134567890123456789";
        let done = till_form(&page, &w.store_a, &[("method", "wechat_code"), ("auth_code", code), ("action", "scan")]);
        let (status, _, receipt) = post_form(&clerk, path, &done).await;
        assert_eq!(status, StatusCode::OK, "{receipt}");
        assert!(receipt.contains("id=\"sold\""), "{receipt}");
        assert!(receipt.contains("<dt>微信付款码 WeChat Pay code<br>"), "{receipt}");
        assert!(text_of(&receipt, "receipt-charged").starts_with("已扣款 Charged"), "by the code, not the terminal");
        let txn_tail = text_of(&receipt, "receipt-txn");
        assert_eq!(txn_tail.len(), 6, "the end of the transaction id: {txn_tail}");
        assert!(!receipt.contains(code), "the code is not printed");
        let number = text_of(&receipt, "receipt-number");

        // Sent again (a double tap, a reload): the same sale, charged once.
        let (status, _, again) = post_form(&clerk, path, &done).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert!(again.contains("id=\"replayed\""), "{again}");
        assert_eq!(text_of(&again, "receipt-number"), number);
        assert_eq!(text_of(&again, "receipt-txn"), txn_tail);
        let sales = till_orders(&w).await;
        assert_eq!(sales.len(), 1, "{sales:?}");
        let (_, order) = w.owner.get(&format!("/api/v1/orders/{}", sales[0]["id"].as_str().unwrap())).await;
        let payments = order["payments"].as_array().unwrap();
        assert_eq!(payments.len(), 1, "{order}");
        assert_eq!(payments[0]["provider"], "sandbox", "charged through the provider: {order}");
        assert!(payments[0]["provider_txn_id"].as_str().unwrap().ends_with(&txn_tail), "{order}");
        let txn = app.sandbox.transaction(payments[0]["out_trade_no"].as_str().unwrap()).await.unwrap().expect("charged");
        assert_eq!((txn.status.as_str(), txn.amount.minor()), ("SUCCESS", 3900), "the walk-in price, once");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (9, 0), "sold once");

        // An Alipay code scanned into the barcode field, with cash ticked: the shopper pays
        // with it, and the receipt names the wallet it belongs to.
        let (_, page) = get(&clerk, &format!("/clerk/till?store={}", w.store_a)).await;
        let (_, _, page) = post_form(&clerk, path, &till_form(&page, &w.store_a, &[("scan", BARCODE), ("action", "scan")])).await;
        let (status, _, receipt) = post_form(
            &clerk,
            path,
            &till_form(&page, &w.store_a, &[("scan", "284567890123456789"), ("method", "cash"), ("action", "scan")]),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{receipt}");
        assert!(receipt.contains("<dt>支付宝付款码 Alipay code<br>"), "{receipt}");
        assert!(receipt.contains("id=\"receipt-charged\""), "{receipt}");
        assert_eq!(till_orders(&w).await.len(), 2);
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (8, 0));
    }
}

api_test! {
    async fn a_declined_payment_code_says_why_and_records_nothing(app) {
        let w = shop_world(&app, "tilldecl").await;
        w.owner.patch(&format!("/api/v1/skus/{}", w.sku), json!({"barcode": BARCODE})).await;
        let clerk = staff(&app, &w.owner, "clerk@tilldecl.test", "clerk", &[&w.store_a]).await;
        let path = "/clerk/till";
        let (_, page) = get(&clerk, &format!("/clerk/till?store={}", w.store_a)).await;
        let (_, _, page) = post_form(&clerk, path, &till_form(&page, &w.store_a, &[("scan", BARCODE), ("action", "scan")])).await;
        let sale = input(&page, "sale");

        // The sandbox declines codes ending 0000 (an empty wallet): the wallet's reason,
        // the sale kept in the form, the code field ready for another code.
        let declined = till_form(&page, &w.store_a, &[
            ("method", "wechat_code"), ("auth_code", "134567890123450000"), ("action", "complete"),
        ]);
        let (status, _, page) = post_form(&clerk, path, &declined).await;
        assert_eq!(status, StatusCode::CONFLICT, "{page}");
        let flash = text_of(&page, "flash");
        assert!(flash.contains("付款未成功") && flash.contains("insufficient balance"), "{flash}");
        assert_eq!(input(&page, "line"), format!("{}:1", w.sku), "the sale stays");
        assert_eq!(input(&page, "sale"), sale, "the same sale");
        assert!(page.contains("value=\"wechat_code\" checked"), "still WeChat");
        let field = tag_of(&page, "auth-code");
        assert!(field.contains("autofocus") && !field.contains("value="), "focused, empty: {field}");
        assert!(!page.contains("134567890123450000"), "the code is not put back");
        assert!(till_orders(&w).await.is_empty(), "nothing recorded");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 0), "stock unchanged");

        // The shopper paid on the till's own terminal instead: no code, recorded as such.
        let form = till_form(&page, &w.store_a, &[("method", "wechat_code"), ("action", "complete")]);
        let (status, _, receipt) = post_form(&clerk, path, &form).await;
        assert_eq!(status, StatusCode::OK, "{receipt}");
        assert!(receipt.contains("微信付款码 WeChat Pay code") && !receipt.contains("已扣款"), "{receipt}");
        assert!(!receipt.contains("receipt-charged") && !receipt.contains("receipt-txn"), "not charged by Sweep");
        let sales = till_orders(&w).await;
        assert_eq!(sales.len(), 1);
        let (_, order) = w.owner.get(&format!("/api/v1/orders/{}", sales[0]["id"].as_str().unwrap())).await;
        assert_eq!(order["payments"][0]["provider"], "wechat_code", "{order}");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (9, 0));
    }
}

api_test! {
    async fn checkout_with_points_charges_less_and_says_when_there_are_too_few(app) {
        let w = shop_world(&app, "ptck").await;
        let shopper = member_with_points(&app, &w, "ptck", "13900000051").await;
        shopper.post("/s/ptck/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;

        // Checkout offers the 35 points, worth 0.35.
        let (status, page) = get(&shopper, "/s/ptck/checkout").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"points-box\""), "the points box");
        assert!(page.contains("max=\"35\""), "up to the balance");
        let choice = format!("pickup:{}", w.store_a);
        let form = |page: &str, points: &str| {
            vec![
                ("csrf", input(page, "csrf")),
                ("idempotency_key", input(page, "idempotency_key")),
                ("choice", choice.clone()),
                ("use_points", "1".to_string()),
                ("points", points.to_string()),
            ]
        };
        // Not a number, then more points than the card holds: the page again, saying so.
        let (status, _, refused) = post_form(&shopper, "/s/ptck/checkout", &form(&page, "lots")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text_of(&refused, "checkout-error").contains("正整数"), "{refused}");
        let (status, _, refused) = post_form(&shopper, "/s/ptck/checkout", &form(&page, "36")).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(text_of(&refused, "checkout-error").contains("积分不足"), "{refused}");
        // Within the balance: the order costs 0.30 less.
        let (status, url, order_page) = post_form(&shopper, "/s/ptck/checkout", &form(&page, "30")).await;
        assert_eq!(status, StatusCode::OK, "{order_page}");
        assert!(url.contains("/orders/"), "{url}");
        let order_id = url.rsplit('/').next().unwrap();
        let (_, order) = shopper.get(&format!("/s/ptck/api/orders/{order_id}")).await;
        assert_eq!(order["total"]["amount"].as_i64(), Some(3470), "{order}");
        assert!(order_page.contains("id=\"points-used\""));

        // 5 left: asking for 10 again is refused as too few points (409), on the page.
        shopper.post("/s/ptck/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        let (_, page) = get(&shopper, "/s/ptck/checkout").await;
        assert!(page.contains("max=\"5\""), "the balance left");
        let (status, _, refused) = post_form(&shopper, "/s/ptck/checkout", &form(&page, "10")).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(text_of(&refused, "checkout-error").contains("积分不足"), "{refused}");
        // The box stays ticked with what was asked, to correct.
        assert!(refused.contains("value=\"10\""));

        // A big delivered order later the card holds more than an order may take (half
        // its goods): the box offers the cap, and more is refused as above it (422).
        let (status, address) = shopper.post("/s/ptck/api/addresses", address_body("13900000051")).await;
        assert_eq!(status, StatusCode::CREATED, "{address}");
        let (status, big) = shopper
            .post("/s/ptck/api/orders", json!({"fulfilment": "delivery", "address_id": address["id"], "lines": [{"sku_id": w.sku, "quantity": 60}]}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{big}");
        app.pay_in_sandbox(&shopper, "ptck", big["id"].as_str().unwrap()).await;
        let (_, page) = get(&shopper, "/s/ptck/checkout").await;
        assert!(page.contains("max=\"1750\""), "half of 35.00 in points, though the card holds 2105");
        let (status, _, refused) = post_form(&shopper, "/s/ptck/checkout", &form(&page, "1751")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text_of(&refused, "checkout-error").contains("上限"), "{refused}");
    }
}
