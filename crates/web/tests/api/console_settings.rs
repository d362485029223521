//! The console's settings pages through their forms, checked against the JSON API:
//! display cards, flash sales, members and coupons, stores, payment accounts and staff.
//! On SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::*;

/// `secs` from now as a `datetime-local` value in China Standard Time.
fn cst_local(secs: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let now = sweep_domain::Timestamp::from_unix_micros(i64::try_from(now.as_micros()).unwrap());
    // Shifted by eight hours, UTC's wall clock reads as China's.
    now.plus_seconds(secs + 8 * 3600).to_rfc3339()[..16].to_string()
}

/// The one-time key of the form that follows `marker` on a page.
fn key_after(html: &str, marker: &str) -> String {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker} in {html}"));
    let rest = &html[at..];
    let at = rest.find("name=\"key\" value=\"").unwrap_or_else(|| panic!("no key after {marker}")) + 19;
    rest[at..at + rest[at..].find('"').unwrap()].to_string()
}

fn items(body: &Value) -> Vec<Value> {
    body["items"].as_array().unwrap_or_else(|| panic!("a page: {body}")).clone()
}

api_test! {
    async fn cards_made_on_the_page_are_listed_disabled_and_printed(app) {
        let w = world(&app, "ccards").await;
        let key = key_after(&w.owner.page("/console/cards").await.1, "id=\"new-cards\"");
        let form = [("key", key.as_str()), ("store_id", &w.store_a), ("sku_codes", "TWL-1"), ("copies", "2"), ("campaign_id", "")];
        let (status, path, html) = w.owner.submit("/console/cards", &form).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.starts_with("/console/cards?") && path.contains("done=cards_created"), "{path}");
        // Sent again (a double click): led to the same place, nothing more made.
        let (status, again, _) = w.owner.submit("/console/cards", &form).await;
        assert_eq!((status, again), (StatusCode::OK, path));
        let (_, cards) = w.owner.get(&format!("/api/v1/cards?store_id={}", w.store_a)).await;
        let cards = items(&cards);
        assert_eq!(cards.len(), 2, "{cards:?}");
        assert!(cards.iter().all(|c| c["status"] == "active" && c["sku_id"] == json!(w.sku)));
        let code = cards[0]["code"].as_str().unwrap();
        assert!(html.contains(code), "the page lists the new card");
        assert!(html.contains(&format!("/api/v1/cards/sheet.pdf?store_id={}", w.store_a)), "the sheet keeps the filter");

        // Taken off the shelf through the page.
        let id = cards[0]["id"].as_str().unwrap();
        let (status, path, _) = w.owner.submit(&format!("/console/cards/{id}/disable"), &[("back", &format!("store_id={}", w.store_a))]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(path.contains("done=card_disabled") && path.contains(&w.store_a), "{path}");
        let (_, card) = w.owner.get(&format!("/api/v1/cards/{id}")).await;
        assert_eq!(card["card"]["status"], "disabled", "{card}");
        let (_, other) = w.owner.get(&format!("/api/v1/cards/{}", cards[1]["id"].as_str().unwrap())).await;
        assert_eq!(other["card"]["status"], "active");

        // An unknown SKU code makes nothing at all, even beside a good one.
        let key = key_after(&w.owner.page("/console/cards").await.1, "id=\"new-cards\"");
        let (status, _, html) = w.owner.submit("/console/cards", &[("key", &key), ("store_id", &w.store_b), ("sku_codes", "TWL-1, NOPE-9")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains("NOPE-9"));
        // Too many cards for one form: refused before any code is looked up.
        let pasted = vec!["TWL-1"; 101].join("\n");
        let (status, _, html) = w.owner.submit("/console/cards", &[("key", &key), ("store_id", &w.store_b), ("sku_codes", &pasted), ("copies", "2")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
        assert!(html.contains("200"), "says the limit: {html}");
        let huge = vec!["NOPE-1"; 5_000].join(",");
        let (status, _, _) = w.owner.submit("/console/cards", &[("key", &key), ("store_id", &w.store_b), ("sku_codes", &huge)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "not 422 after looking up every code");
        let (_, cards) = w.owner.get(&format!("/api/v1/cards?store_id={}", w.store_b)).await;
        assert!(items(&cards).is_empty());

        // A clerk sees the cards but may not make them.
        let clerk = staff(&app, &w.owner, "clerk@ccards.test", "clerk", &[&w.store_a]).await;
        let (status, html) = clerk.page("/console/cards").await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("id=\"new-cards\""));
        let (status, _, _) = clerk.submit("/console/cards", &[("key", "ck-clerk"), ("store_id", &w.store_a), ("sku_codes", "TWL-1")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, cards) = w.owner.get(&format!("/api/v1/cards?store_id={}", w.store_a)).await;
        assert_eq!(items(&cards).len(), 2);

        // Two phones scan the active card. The page reads the folded day totals, never
        // the raw scans: nothing shows until the feed is folded.
        let active = items(&cards).into_iter().find(|c| c["status"] == "active").unwrap();
        for address in ["198.51.100.7", "198.51.100.8"] {
            let phone = app.phone(address, true);
            phone.raw(reqwest::Method::GET, &format!("/c/{}", active["code"].as_str().unwrap())).await.send().await.unwrap();
        }
        let scans_of = |html: &str, id: &str| {
            let row = &html[html.find(&format!("data-card=\"{id}\"")).unwrap_or_else(|| panic!("{id} listed: {html}"))..];
            let row = &row[..row.find("</tr>").unwrap()];
            let cell = &row[row.find("<td class=\"num\">").unwrap() + 16..];
            cell[..cell.find('<').unwrap()].to_string()
        };
        let id = active["id"].as_str().unwrap();
        let (_, html) = w.owner.page("/console/cards").await;
        assert_eq!(scans_of(&html, id), "0", "not folded yet");
        app.sweep.fold_sales_feed().await.unwrap();
        let (status, html) = w.owner.page("/console/cards").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(scans_of(&html, id), "2", "{html}");
        let disabled = items(&cards).into_iter().find(|c| c["status"] == "disabled").unwrap();
        assert_eq!(scans_of(&html, disabled["id"].as_str().unwrap()), "0", "the other card: none");
        let funnel = &html[html.find("id=\"funnel\"").expect("the funnel for the owner")..];
        assert!(funnel.contains("SA ") && funnel.contains("<td class=\"num\">2</td>"), "by store and card: {funnel}");
    }
}

api_test! {
    async fn a_flash_sale_set_up_on_the_page_holds_its_pool_and_ends_early(app) {
        let w = world(&app, "cflash").await;
        let campaign = campaign(&w.owner, "Double 11").await;
        let (start, end) = (cst_local(3600), cst_local(7200));
        let key = key_after(&w.owner.page("/console/flash").await.1, "id=\"new-flash\"");
        let form = [
            ("key", key.as_str()), ("name", "双十一毛巾"), ("campaign_id", &campaign), ("location_id", &w.warehouse), ("sku_code", "TWL-1"),
            ("price", "19.90"), ("units", "30"), ("starts_at", &start), ("ends_at", &end),
            ("per_member_limit", "2"), ("pay_within_minutes", "10"), ("members_only", "1"),
        ];
        let (status, path, html) = w.owner.submit("/console/flash", &form).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.starts_with("/console/flash/") && path.ends_with("done=created"), "{path}");
        // Sent twice: one sale, one pool set aside, the repeat led to the same sale.
        let (status, again, _) = w.owner.submit("/console/flash", &form).await;
        assert_eq!((status, again), (StatusCode::OK, path));
        let (_, sales) = w.owner.get("/api/v1/flash-sales").await;
        let sales = items(&sales);
        assert_eq!(sales.len(), 1, "{sales:?}");
        let sale = &sales[0];
        assert_eq!(sale["items"][0]["price"]["amount"], 1990, "yuan on the form, fen in the sale");
        assert_eq!((sale["items"][0]["pool_size"].as_i64(), sale["per_member_limit"].as_i64()), (Some(30), Some(2)));
        assert_eq!((sale["members_only"].as_bool(), sale["pay_within_secs"].as_i64()), (Some(true), Some(600)));
        let starts = sweep_domain::Timestamp::parse_rfc3339(sale["starts_at"].as_str().unwrap()).unwrap();
        assert_eq!(starts, sweep_domain::Timestamp::parse_rfc3339(&format!("{start}:00+08:00")).unwrap(), "China time");
        assert_eq!(available(&w.owner, &w.sku, &w.warehouse).await, 70, "the pool is set aside");
        let (_, list) = w.owner.page("/console/flash").await;
        assert!(list.contains("双十一毛巾") && list.contains("19.90"), "{list}");

        // Ended early through the page: the pool goes back.
        let id = sale["id"].as_str().unwrap();
        let (status, path, html) = w.owner.submit(&format!("/console/flash/{id}/end"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.ends_with("done=ended"), "{path}");
        let (_, ended) = w.owner.get(&format!("/api/v1/flash-sales/{id}")).await;
        assert_eq!(ended["phase"], "ended", "{ended}");
        assert_eq!(available(&w.owner, &w.sku, &w.warehouse).await, 100);

        // A bad price changes nothing.
        let key = key_after(&w.owner.page("/console/flash").await.1, "id=\"new-flash\"");
        let (status, _, _) = w.owner.submit("/console/flash", &[
            ("key", &key), ("name", "x"), ("campaign_id", &campaign), ("location_id", &w.warehouse), ("sku_code", "TWL-1"),
            ("price", "19.999"), ("units", "5"), ("starts_at", &start), ("ends_at", &end),
        ]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // Store roles are turned away, page and form alike.
        let manager = staff(&app, &w.owner, "m@cflash.test", "store_manager", &[&w.store_a]).await;
        let (status, _) = manager.page("/console/flash").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = manager.page(&format!("/console/flash/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = manager.submit("/console/flash", &[
            ("name", "mine"), ("campaign_id", &campaign), ("location_id", &w.store_a), ("sku_code", "TWL-1"),
            ("price", "1"), ("units", "1"), ("starts_at", &start), ("ends_at", &end),
        ]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, sales) = w.owner.get("/api/v1/flash-sales").await;
        assert_eq!(items(&sales).len(), 1);
    }
}

api_test! {
    async fn a_member_found_by_phone_shows_points_and_the_programme_is_set(app) {
        let w = shop_world(&app, "cmember").await;
        let clerk = staff(&app, &w.owner, "clerk@cmember.test", "clerk", &[&w.store_a]).await;
        let phone = "13900139100";
        // Two units at the member price: 70 points.
        let sale = json!({
            "sale_id": "CM-1", "store_id": w.store_a, "till_id": "T1", "member_phone": phone, "points": 0,
            "lines": [{"sku_id": w.sku, "quantity": 2}], "payments": [{"method": "cash", "amount": 7000}]
        });
        let (status, body) = clerk.post("/api/v1/pos/sales", sale).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        let (status, html) = w.owner.page(&format!("/console/members?phone={phone}")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("id=\"points-balance\">70<"), "{html}");
        assert!(html.contains("139****9100"));
        let (status, html) = clerk.page(&format!("/console/members?phone={phone}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"points-balance\">70<"));
        assert!(!html.contains("action=\"/console/members/program\""), "clerks do not set the programme");
        let (status, _) = w.owner.page("/console/members?phone=13900139999").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The programme, in yuan on the form and fen in the API.
        let (status, path, html) = w.owner.submit("/console/members/program", &[
            ("spend_per_point", "2.00"), ("point_value", "0.01"), ("max_redeem_percent", "30"),
            ("points_valid_days", "365"), ("tier_window_days", "365"),
            ("tier0_code", "member"), ("tier0_zh", "会员"), ("tier0_en", "Member"), ("tier0_min_spend", "0"), ("tier0_percent", "100"), ("tier0_member_prices", "1"),
            ("tier1_code", "gold"), ("tier1_zh", "金卡"), ("tier1_en", "Gold"), ("tier1_min_spend", "5000"), ("tier1_percent", "200"),
        ]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.contains("done=program_saved"));
        let (_, program) = w.owner.get("/api/v1/loyalty/program").await;
        assert_eq!((program["spend_per_point"].as_i64(), program["max_redeem_percent"].as_i64()), (Some(200), Some(30)));
        assert_eq!(program["tiers"][1]["min_spend"], 500_000);
        assert_eq!((program["tiers"][0]["member_prices"].as_bool(), program["tiers"][1]["member_prices"].as_bool()), (Some(true), Some(false)));
        let (status, _, _) = clerk.submit("/console/members/program", &[("spend_per_point", "1.00")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "incomplete, and refused before anything");
        let (_, again) = w.owner.get("/api/v1/loyalty/program").await;
        assert_eq!(again, program);
    }
}

api_test! {
    async fn coupons_are_created_issued_and_disabled_on_the_page(app) {
        let w = world(&app, "ccoupon").await;
        let campaign = campaign(&w.owner, "Spring").await;
        let (status, path, html) = w.owner.submit("/console/coupons", &[
            ("campaign_id", &campaign), ("name_zh", "满50减5"), ("name_en", "5 off 50"), ("kind", "fixed"),
            ("amount", "5.00"), ("min_spend", "50"), ("per_member_limit", "1"), ("total_limit", "100"),
            ("channels", "wechat"), ("channels", "pos"), ("stores", &w.store_a), ("claimable", "1"),
        ]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.contains("done=created"), "{path}");
        let (_, defs) = w.owner.get("/api/v1/coupons").await;
        let defs = items(&defs);
        assert_eq!(defs.len(), 1, "{defs:?}");
        let def = &defs[0];
        assert_eq!(def["value"], json!({"type": "fixed", "amount": 500}));
        assert_eq!((def["min_spend"].as_i64(), def["total_limit"].as_i64(), def["claimable"].as_bool()), (Some(5000), Some(100), Some(true)));
        assert_eq!(def["channels"], json!(["wechat", "pos"]));
        assert_eq!(def["stores"], json!([w.store_a]));
        assert!(html.contains("满50减5"));

        // Issued to a member by phone.
        let phone = "13700137000";
        w.owner.create("/api/v1/members", json!({"phone": phone, "store_id": w.store_a})).await;
        let id = def["id"].as_str().unwrap();
        let issue = format!("/console/coupons/{id}/issue");
        let key = key_after(&w.owner.page("/console/coupons").await.1, &format!("action=\"{issue}\""));
        let (status, path, _) = w.owner.submit(&issue, &[("key", &key), ("phone", phone)]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(path.contains("done=issued"));
        // A double click issues once.
        let (status, again, _) = w.owner.submit(&issue, &[("key", &key), ("phone", phone)]).await;
        assert_eq!((status, again), (StatusCode::OK, path));
        let (_, defs) = w.owner.get("/api/v1/coupons").await;
        assert_eq!(items(&defs)[0]["issued"], 1, "issued once");
        let key = key_after(&w.owner.page("/console/coupons").await.1, &format!("action=\"{issue}\""));
        let (status, _, _) = w.owner.submit(&issue, &[("key", &key), ("phone", "13700137999")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "no such member");
        let (_, html) = w.owner.page(&format!("/console/members?phone={phone}")).await;
        assert!(html.contains("满50减5"), "the member holds it");

        // A percentage without its percent is refused; nothing more is created.
        let (status, _, _) = w.owner.submit("/console/coupons", &[("campaign_id", &campaign), ("name_zh", "x"), ("kind", "percent")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        let (status, path, _) = w.owner.submit(&format!("/console/coupons/{id}/disable"), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(path.contains("done=disabled"));
        let (_, defs) = w.owner.get("/api/v1/coupons").await;
        let defs = items(&defs);
        assert_eq!(defs.len(), 1);
        assert_eq!((defs[0]["status"].as_str(), defs[0]["issued"].as_i64()), (Some("disabled"), Some(1)));
    }
}

api_test! {
    async fn stores_are_created_by_head_office_and_edited_in_scope(app) {
        let w = world(&app, "cstores").await;
        let (status, path, html) = w.owner.submit("/console/stores", &[
            ("code", "HZ-02"), ("kind", "store"), ("name_zh", "湖滨店"), ("name_en", "Hubin"), ("city", "杭州"),
            ("address", "湖滨路 1 号"), ("lat", "30.2590"), ("lng", "120.1650"),
            ("hours_mon", "10:00-14:00, 17:00-22:00"), ("hours_sat", "09:00-23:00"), ("pickup_enabled", "1"),
        ]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.contains("done=created"), "{path}");
        let (_, all) = w.owner.get("/api/v1/locations?kind=store").await;
        let made = items(&all).into_iter().find(|l| l["code"] == "HZ-02").expect("the new store");
        assert_eq!((made["name"]["zh"].as_str(), made["pickup_enabled"].as_bool()), (Some("湖滨店"), Some(true)));
        assert_eq!(made["opening_hours"], json!({"mon": ["10:00-14:00", "17:00-22:00"], "sat": ["09:00-23:00"]}));
        assert_eq!(made["point"]["lat"], 30.259);
        assert!(html.contains("HZ-02"));

        // Bad hours: refused, nothing made.
        let (status, _, _) = w.owner.submit("/console/stores", &[
            ("code", "HZ-03"), ("kind", "store"), ("name_zh", "坏"), ("lat", "30"), ("lng", "120"), ("hours_mon", "22:00-10:00"),
        ]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // A store manager sees their store only, edits it, and creates nothing.
        let manager = staff(&app, &w.owner, "m@cstores.test", "store_manager", &[&w.store_a]).await;
        let (status, html) = manager.page("/console/stores").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<code>SA</code>") && !html.contains("<code>SB</code>") && !html.contains("HZ-02"), "{html}");
        assert!(!html.contains("/console/stores/new"));
        let (status, _) = manager.page("/console/stores/new").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = manager.submit("/console/stores", &[
            ("code", "MINE"), ("kind", "store"), ("name_zh", "我的"), ("lat", "30"), ("lng", "120"),
        ]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, all) = w.owner.get("/api/v1/locations").await;
        assert!(!items(&all).iter().any(|l| l["code"] == "MINE"));
        let (status, _) = manager.page(&format!("/console/stores/{}", w.store_b)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = manager.submit(&format!("/console/stores/{}", w.store_a), &[
            ("name_zh", "西湖店"), ("lat", "30.2741"), ("lng", "120.1551"), ("hours_sun", "10:00-20:00"),
        ]).await;
        assert_eq!(status, StatusCode::OK);
        let (_, a) = w.owner.get(&format!("/api/v1/locations/{}", w.store_a)).await;
        assert_eq!((a["name"]["zh"].as_str(), a["pickup_enabled"].as_bool()), (Some("西湖店"), Some(false)));
        assert_eq!(a["opening_hours"], json!({"sun": ["10:00-20:00"]}));
        let (status, _, _) = manager.submit(&format!("/console/stores/{}/archive", w.store_a), &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "opening and closing is head office's");

        // Head office archives.
        let (status, path, _) = w.owner.submit(&format!("/console/stores/{}/archive", made["id"].as_str().unwrap()), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(path.contains("done=archived"));
        let (_, made) = w.owner.get(&format!("/api/v1/locations/{}", made["id"].as_str().unwrap())).await;
        assert_eq!(made["status"], "archived");
    }
}

/// The simulator's WeChat Pay credentials as the page's form fields.
fn wechat_form(creds: &Value) -> Vec<(String, String)> {
    creds
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::Array(list) => list.iter().map(|p| p.as_str().unwrap()).collect::<Vec<_>>().join("\n"),
                other => other.as_str().unwrap().to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

api_test! {
    async fn payment_settings_show_fingerprints_never_secrets(app) {
        let w = shop_world(&app, "cpay").await;
        let creds = app.sim.create_wechat_account();
        let key = creds["merchant_private_key"].as_str().unwrap();
        let key_line = key.lines().nth(1).unwrap().to_string();
        let v3 = creds["api_v3_key"].as_str().unwrap().to_string();
        let app_secret = creds["app_secret"].as_str().unwrap().to_string();
        let form = wechat_form(&creds);

        // Refused (a wrong APIv3 key): the page comes back without the key it was sent.
        let mut bad: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        bad.retain(|(k, _)| *k != "api_v3_key");
        bad.push(("api_v3_key", "too short"));
        let (status, _, html) = w.owner.submit("/console/payments/wechatpay", &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains("api_v3_key"), "says what is wrong");
        assert!(!html.contains(&key_line) && !html.contains("PRIVATE KEY") && !html.contains(&app_secret), "{html}");
        assert!(html.contains(creds["mchid"].as_str().unwrap()), "what is not secret is kept for another try");
        let (_, list) = w.owner.get("/api/v1/payment-accounts").await;
        assert_eq!(list, json!([]));

        let good: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, path, html) = w.owner.submit("/console/payments/wechatpay", &good).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.contains("done=saved"));
        let (_, list) = w.owner.get("/api/v1/payment-accounts").await;
        let fingerprint = list[0]["secrets"]["merchant_private_key"].as_str().unwrap().to_string();
        assert!(fingerprint.starts_with("sha256:"));
        assert_eq!(list[0]["settings"]["platform_certificates"].as_array().map(Vec::len), Some(1));
        let (status, html) = w.owner.page("/console/payments").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&fingerprint), "{html}");
        for secret in [key_line.as_str(), "PRIVATE KEY", v3.as_str(), app_secret.as_str()] {
            assert!(!html.contains(secret), "{secret} shown");
        }

        // Only owners.
        let manager = staff(&app, &w.owner, "m@cpay.test", "merchant_manager", &[]).await;
        let (status, _) = manager.page("/console/payments").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = manager.submit("/console/payments/wechatpay/disconnect", &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // While a payment made with it is open, the account stays, and the page says why.
        let shopper = app.shopper("cpay", "13800138001").await;
        shopper.post("/s/cpay/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        let (status, order) = shopper.post("/s/cpay/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        let order = order["id"].as_str().unwrap().to_string();
        let (status, body) = shopper.post(&format!("/s/cpay/api/orders/{order}/pay"), json!({"provider": "wechatpay", "qr": true})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _, html) = w.owner.submit("/console/payments/wechatpay/disconnect", &[]).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(html.contains("still open") && html.contains(&fingerprint), "{html}");
        let (status, _) = shopper.post(&format!("/s/cpay/api/orders/{order}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, path, _) = w.owner.submit("/console/payments/wechatpay/disconnect", &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(path.contains("done=disconnected"));
        let (_, list) = w.owner.get("/api/v1/payment-accounts").await;
        assert_eq!(list, json!([]));
    }
}

api_test! {
    async fn store_managers_add_clerks_to_their_own_stores_only(app) {
        let w = world(&app, "cstaff").await;
        let manager = staff(&app, &w.owner, "m@cstaff.test", "store_manager", &[&w.store_a]).await;
        let (status, html) = manager.page("/console/staff").await;
        assert_eq!(status, StatusCode::OK);
        let form = &html[html.find("id=\"new-staff\"").expect("a form to add staff")..];
        assert!(form.contains("value=\"clerk\"") && !form.contains("value=\"store_manager\"") && !form.contains("value=\"merchant_owner\""));
        assert!(form.contains(&w.store_a) && !form.contains(&w.store_b), "only their stores are offered");

        let (status, path, html) = manager.submit("/console/staff", &[
            ("login", "new-clerk@cstaff.test"), ("display_name", "小王"), ("password", PASSWORD), ("role", "clerk"), ("stores", &w.store_a),
        ]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.contains("done=created"));
        let (status, _) = app.sign_in("new-clerk@cstaff.test").await.get("/api/v1/me").await;
        assert_eq!(status, StatusCode::OK, "the new clerk signs in");

        let (status, _, _) = manager.submit("/console/staff", &[
            ("login", "other-clerk@cstaff.test"), ("display_name", "小李"), ("password", PASSWORD), ("role", "clerk"), ("stores", &w.store_b),
        ]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not their store");
        let (status, _, _) = manager.submit("/console/staff", &[
            ("login", "boss@cstaff.test"), ("display_name", "老板"), ("password", PASSWORD), ("role", "store_manager"), ("stores", &w.store_a),
        ]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "not a role they may grant");
        let (_, everyone) = w.owner.get("/api/v1/staff?limit=200").await;
        let logins: Vec<&str> = everyone["items"].as_array().unwrap().iter().map(|m| m["login"].as_str().unwrap()).collect();
        assert!(logins.contains(&"new-clerk@cstaff.test"));
        assert!(!logins.contains(&"other-clerk@cstaff.test") && !logins.contains(&"boss@cstaff.test"), "{logins:?}");

        // The manager disables their clerk through the edit form.
        let clerk = everyone["items"].as_array().unwrap().iter().find(|m| m["login"] == "new-clerk@cstaff.test").unwrap();
        let id = clerk["id"].as_str().unwrap();
        let (status, html) = manager.page(&format!("/console/staff/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("name=\"access\""));
        let (status, path, _) = manager.submit(&format!("/console/staff/{id}"), &[
            ("display_name", "小王"), ("access", "1"), ("role", "clerk"), ("stores", &w.store_a),
        ]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(path.contains("done=saved"));
        let (_, changed) = w.owner.get(&format!("/api/v1/staff/{id}")).await;
        assert_eq!(changed["status"], "disabled", "{changed}");
    }
}

api_test! {
    async fn ones_own_password_is_not_set_on_the_staff_page(app) {
        let (_, owner) = app.merchant("cself").await;
        let (_, me) = owner.get("/api/v1/me").await;
        let page = format!("/console/staff/{}", me["staff"]["id"].as_str().unwrap());
        let (status, html) = owner.page(&page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(!html.contains("name=\"password\"") && html.contains("id=\"own-password\""), "{html}");

        // Sent anyway (an old page, a crafted form): refused, nothing changed.
        let (status, _, html) = owner.submit(&page, &[("display_name", "Boss"), ("password", "an-entirely-new-one-42")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains("change password"), "says where to go: {html}");
        let (status, _) = owner.get("/api/v1/me").await;
        assert_eq!(status, StatusCode::OK, "still signed in");
        let (status, _) = app.sign_in("owner@cself.test").await.get("/api/v1/me").await;
        assert_eq!(status, StatusCode::OK, "the old password still works");
        let (_, me) = owner.get("/api/v1/me").await;
        assert_eq!(me["staff"]["display_name"], "Owner", "not even the name");

        // The name alone saves; a colleague's password is still set from this page.
        let (status, path, _) = owner.submit(&page, &[("display_name", "Boss")]).await;
        assert_eq!((status, path.contains("done=saved")), (StatusCode::OK, true));
        let (_, clerk_id) = staff_with_id(&app, &owner, "clerk@cself.test", "merchant_manager", &[]).await;
        let (_, html) = owner.page(&format!("/console/staff/{clerk_id}")).await;
        assert!(html.contains("name=\"password\""), "{html}");
    }
}

api_test! {
    async fn ones_own_password_is_changed_with_the_current_one_and_signs_out_everywhere(app) {
        let (_, owner) = app.merchant("cpw").await;
        let other_session = app.sign_in("owner@cpw.test").await;
        let (status, html) = owner.page("/console/password").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"password-form\"") && html.contains("href=\"/console/password\""), "{html}");
        assert!(html.contains("value=\"owner@cpw.test\" autocomplete=\"username\""), "filed under the login: {html}");

        let new = "a-brand-new-secret-77";
        let refused = [
            (vec![("current_password", "wrong password!"), ("new_password", new), ("repeat_password", new)], "当前密码不对"),
            (vec![("current_password", PASSWORD), ("new_password", new), ("repeat_password", "something else")], "不一致"),
            (vec![("current_password", PASSWORD), ("new_password", "short"), ("repeat_password", "short")], "新密码不符合要求"),
        ];
        for (form, says) in refused {
            let (status, _, html) = owner.submit("/console/password", &form).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
            assert!(html.contains(says) && html.contains("notice error"), "{says}: {html}");
            assert!(!html.contains(new), "passwords are never echoed");
        }
        assert_eq!(other_session.get("/api/v1/me").await.0, StatusCode::OK, "nothing changed yet");

        let form = [("current_password", PASSWORD), ("new_password", new), ("repeat_password", new)];
        let (status, _, html) = owner.submit("/console/password", &form).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("密码已修改") && html.contains("/login"), "{html}");
        assert_eq!(owner.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "this session ended");
        assert_eq!(other_session.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "and every other");
        let fresh = app.anonymous();
        let (status, _) = fresh.post("/api/v1/auth/login", json!({"login": "owner@cpw.test", "password": PASSWORD})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password is gone");
        let (status, _) = fresh.post("/api/v1/auth/login", json!({"login": "owner@cpw.test", "password": new})).await;
        assert_eq!(status, StatusCode::OK, "the new one works");
    }
}
