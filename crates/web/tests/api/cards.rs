//! Scan to buy: campaigns and display cards, their printed sheets (decoded and
//! followed), scans crediting orders to the card's store and clerk, the funnel, and
//! nearby stores against hand-computed distances. On both databases.

use reqwest::StatusCode;
use serde_json::{Value, json};

use sweep_cards::testing::{decode_luma_in_cells, decode_png, render_pdf};

use crate::api_test;
use crate::helpers::*;

/// A campaign and one card for the world's SKU at store A, credited to a clerk there
/// (whose id comes last).
async fn card_world(app: &TestApp, slug: &str) -> (World, Value, Value, String) {
    let w = shop_world(app, slug).await;
    let (_, clerk_id) = staff_with_id(app, &w.owner, &format!("clerk@{slug}.test"), "clerk", &[&w.store_a]).await;
    let campaign = w
        .owner
        .create("/api/v1/campaigns", json!({"name": "双十一 2026", "starts_at": "2026-11-01T00:00:00+08:00", "ends_at": "2026-11-12T00:00:00+08:00"}))
        .await;
    let cards = w
        .owner
        .create(
            "/api/v1/cards",
            json!({"store_id": w.store_a, "sku_ids": [w.sku], "campaign_id": campaign["id"], "clerk_id": clerk_id}),
        )
        .await;
    (w, campaign, cards[0].clone(), clerk_id)
}

/// `from=..&to=..` around now: the funnel's period.
fn today(app: &TestApp) -> String {
    let now = app.sweep.now();
    let enc = |t: sweep_domain::Timestamp| t.to_rfc3339().replace('+', "%2B");
    format!("from={}&to={}", enc(now.minus_seconds(86_400)), enc(now.plus_seconds(86_400)))
}

/// Opens a card's printed URL the way a phone does (following the redirects); answers
/// the final status, URL and page.
async fn scan(client: &Client, code: &str) -> (StatusCode, String, String) {
    let response = client.raw(reqwest::Method::GET, &format!("/c/{code}")).await.send().await.unwrap();
    let (status, url) = (response.status(), response.url().path().to_string());
    (status, url, response.text().await.unwrap())
}

api_test! {
    async fn cards_are_made_for_stores_by_those_who_run_them(app) {
        let w = shop_world(&app, "cardz").await;
        let (status, body) = w.owner.post("/api/v1/campaigns", json!({"name": "x", "starts_at": "2026-11-12T00:00:00+08:00", "ends_at": "2026-11-01T00:00:00+08:00"})).await;
        assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("before_start")));
        let (status, body) = w.owner.post("/api/v1/campaigns", json!({"name": "x", "starts_at": "11/1", "ends_at": "2026-11-01T00:00:00Z"})).await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("starts_at")));
        let body = json!({"name": "Double 11", "starts_at": "2026-11-01T00:00:00+08:00", "ends_at": "2026-11-12T00:00:00+08:00"});
        let campaign = w.owner.create("/api/v1/campaigns", body.clone()).await;
        let (status, _) = w.owner.post("/api/v1/campaigns", body).await;
        assert_eq!(status, StatusCode::CONFLICT, "one name per merchant");

        let manager_b = staff(&app, &w.owner, "mgr@cardz.test", "store_manager", &[&w.store_b]).await;
        let (clerk_a, clerk_id) = staff_with_id(&app, &w.owner, "clerk@cardz.test", "clerk", &[&w.store_a]).await;

        let (status, cards) = w.owner.post("/api/v1/cards", json!({"store_id": w.store_a, "sku_ids": [w.sku], "campaign_id": campaign["id"], "clerk_id": clerk_id})).await;
        assert_eq!(status, StatusCode::CREATED, "{cards}");
        let card = &cards[0];
        assert_eq!(card["code"].as_str().unwrap().len(), 8);
        assert_eq!((card["clerk_id"].as_str(), card["status"].as_str()), (Some(clerk_id.as_str()), Some("active")));
        let (status, shown) = w.owner.get(&format!("/api/v1/cards/{}", card["id"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(shown["url"], json!(format!("{}/c/{}", app.url, card["code"].as_str().unwrap())), "Sweep's own stable URL");
        assert_eq!((shown["price"]["amount"].as_i64(), shown["member_price"]["amount"].as_i64()), (Some(3900), Some(3500)));
        assert_eq!(shown["campaign_name"], "Double 11");

        // Store managers make cards for their own stores only; clerks make none.
        let (status, body) = manager_b.post("/api/v1/cards", json!({"store_id": w.store_a, "sku_ids": [w.sku]})).await;
        assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_store")));
        let (status, _) = manager_b.post("/api/v1/cards", json!({"store_id": w.store_b, "sku_ids": [w.sku]})).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _) = clerk_a.post("/api/v1/cards", json!({"store_id": w.store_a, "sku_ids": [w.sku]})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = w.owner.post("/api/v1/cards", json!({"store_id": w.store_b, "sku_ids": [w.sku], "clerk_id": clerk_id})).await;
        assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_clerk")), "the clerk works elsewhere");
        let (status, body) = w.owner.post("/api/v1/cards", json!({"store_id": w.warehouse, "sku_ids": [w.sku]})).await;
        assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_store")));
        let (status, _) = w.owner.post("/api/v1/cards", json!({"store_id": w.store_a, "sku_ids": []})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (_, listed) = manager_b.get("/api/v1/cards").await;
        let stores: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|c| c["store_id"].as_str().unwrap()).collect();
        assert_eq!(stores, vec![w.store_b.as_str()], "a store manager sees their own store's cards");
        let (status, _) = manager_b.get(&format!("/api/v1/cards/{}", card["id"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

api_test! {
    async fn a_scan_credits_the_cards_store_and_clerk_whatever_the_fulfilment(app) {
        let (w, campaign, card, clerk_id) = card_world(&app, "credit").await;
        let code = card["code"].as_str().unwrap();

        // A guest scans: the product opens in store A's context.
        let mut guest = app.phone("203.0.113.10", true);
        let (status, landed, page) = scan(&guest, code).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(landed, format!("/s/credit/p/{}", w.product));
        assert!(page.contains("您在") && page.contains("SA店") && page.contains("pick-up-here"), "store A first, with a pickup button");
        // Signing in keeps the scan; a delivery order is credited just the same.
        app.sign_in_shopper(&mut guest, "credit", "13900000001").await;
        let (status, address) = guest.post("/s/credit/api/addresses", address_body("13900000001")).await;
        assert_eq!(status, StatusCode::CREATED, "{address}");
        let lines = json!([{"sku_id": w.sku, "quantity": 1}]);
        let (status, order) = guest.post("/s/credit/api/orders", json!({"fulfilment": "delivery", "address_id": address["id"], "lines": lines})).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        assert_eq!(order["channel"], "wechat");
        assert_eq!(order["influencer_store_id"], json!(w.store_a));
        assert_eq!(order["influencer_clerk_id"], json!(clerk_id));
        assert_eq!((order["card_id"].clone(), order["campaign_id"].clone()), (card["id"].clone(), campaign["id"].clone()));

        // The last card scanned wins.
        let other = w.owner.create("/api/v1/cards", json!({"store_id": w.store_b, "sku_ids": [w.sku]})).await;
        let (status, _, _) = scan(&guest, other[0]["code"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let pickup = json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": lines});
        let (status, second) = guest.post("/s/credit/api/orders", pickup.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{second}");
        assert_eq!(second["influencer_store_id"], json!(w.store_b));
        assert!(second["influencer_clerk_id"].is_null() && second["campaign_id"].is_null());

        // A shopper who scanned nothing is credited to nobody.
        let walk_in = app.shopper("credit", "13900000002").await;
        let (status, plain) = walk_in.post("/s/credit/api/orders", pickup).await;
        assert_eq!(status, StatusCode::CREATED, "{plain}");
        assert!(plain["influencer_store_id"].is_null() && plain["card_id"].is_null(), "{plain}");
    }
}

mod attribution_window {
    use super::*;
    use sweep_app::Settings;

    async fn body(app: TestApp) {
        let (w, _, card, _) = card_world(&app, "late").await;
        let mut shopper = app.phone("203.0.113.20", true);
        scan(&shopper, card["code"].as_str().unwrap()).await;
        app.sign_in_shopper(&mut shopper, "late", "13900000003").await;
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let lines = json!([{"sku_id": w.sku, "quantity": 1}]);
        let (status, order) = shopper
            .post("/s/late/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": lines}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        assert!(order["influencer_store_id"].is_null(), "past the window, nobody is credited: {order}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scans_credit_only_within_the_window_sqlite() {
        body(
            TestApp::spawn_with(
                sweep_store::Backend::Sqlite,
                Settings { scan_attribution_secs: 1, ..Settings::default() },
            )
            .await,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
    async fn scans_credit_only_within_the_window_postgres() {
        body(
            TestApp::spawn_with(
                sweep_store::Backend::Postgres,
                Settings { scan_attribution_secs: 1, ..Settings::default() },
            )
            .await,
        )
        .await
    }
}

api_test! {
    async fn the_funnel_counts_scans_by_the_documented_rule(app) {
        let (w, campaign, card, _) = card_world(&app, "funnel").await;
        let code = card["code"].as_str().unwrap();
        let period = today(&app);
        let funnel = |by: &'static str| {
            let owner = w.owner.clone();
            let period = period.clone();
            async move {
                let (status, rows) = owner.get(&format!("/api/v1/reports/scan-funnel?{period}&by={by}")).await;
                assert_eq!(status, StatusCode::OK, "{rows}");
                rows
            }
        };

        // Three phones on three addresses; the first scans twice (one scan), buys and pays.
        let mut buyer = app.phone("198.51.100.1", true);
        scan(&buyer, code).await;
        scan(&buyer, code).await;
        scan(&app.phone("198.51.100.2", true), code).await;
        let third = app.phone("198.51.100.3", true);
        scan(&third, code).await;
        let (_, session) = third.get("/s/funnel/api/session").await;
        let third = third.with_header("x-csrf-token", session["csrf_token"].as_str().unwrap());
        let (status, _) = third.post("/s/funnel/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        assert_eq!(status, StatusCode::OK);
        app.sign_in_shopper(&mut buyer, "funnel", "13900000004").await;
        buyer.post("/s/funnel/api/cart/items", json!({"sku_id": w.sku, "quantity": 2})).await;
        let (_, order) = buyer.post("/s/funnel/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        app.pay_in_sandbox(&buyer, "funnel", order["id"].as_str().unwrap()).await;

        let rows = funnel("card").await;
        assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
        let row = &rows[0];
        assert_eq!(row["key"], card["id"]);
        assert!(row["label"].as_str().unwrap().starts_with(code));
        let figures: Vec<i64> = ["scans", "views", "carts", "orders", "paid_orders", "paid_amount"].iter().map(|k| row[k].as_i64().unwrap()).collect();
        assert_eq!(figures, vec![3, 3, 2, 1, 1, 7000], "{row}");
        // The console's analytics read the same funnel from the day totals the feed folds.
        app.sweep.fold_sales_feed().await.unwrap();
        let (status, folded) = w.owner.page("/console/analytics/funnel-cards.csv").await;
        assert_eq!(status, StatusCode::OK);
        let folded_row: Vec<&str> = folded.lines().nth(1).expect("the card's row").split(',').collect();
        assert!(folded_row[0].starts_with(code), "{folded}");
        assert_eq!(folded_row[1..], ["3", "3", "2", "1", "1", "70.00"], "{folded}");
        // A credited order paid and then cancelled counts as paid, and brings in nothing.
        let mut third = third;
        app.sign_in_shopper(&mut third, "funnel", "13900000005").await;
        let (_, order) = third.post("/s/funnel/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        let id = order["id"].as_str().unwrap();
        app.pay_in_sandbox(&third, "funnel", id).await;
        let (status, _) = third.post_empty(&format!("/s/funnel/api/orders/{id}/cancel")).await;
        assert_eq!(status, StatusCode::OK);
        let row = &funnel("card").await[0];
        let figures: Vec<i64> = ["orders", "paid_orders", "paid_amount"].iter().map(|k| row[k].as_i64().unwrap()).collect();
        assert_eq!(figures, vec![2, 2, 7000], "net of the refund: {row}");
        let by_store = funnel("store").await;
        assert_eq!((by_store[0]["key"].clone(), by_store[0]["scans"].as_i64()), (json!(w.store_a), Some(3)));
        let by_campaign = funnel("campaign").await;
        assert_eq!((by_campaign[0]["label"].as_str(), by_campaign[0]["paid_orders"].as_i64()), (Some("双十一 2026"), Some(2)));
        assert_eq!(by_campaign[0]["key"], campaign["id"]);

        // One shop's Wi-Fi (one address): ten scans of the card an hour count, more do not.
        for _ in 0..12 {
            let (status, _, _) = scan(&app.phone("198.51.100.50", true), code).await;
            assert_eq!(status, StatusCode::OK, "the shopper still lands on the product");
        }
        let row = funnel("card").await[0].clone();
        assert_eq!((row["scans"].as_i64(), row["views"].as_i64()), (Some(13), Some(13)), "uncounted scans bring no views: {row}");
        // A flood from one address is turned away after sixty scans a minute.
        let mut statuses = Vec::new();
        for _ in 0..62 {
            let client = app.phone("198.51.100.99", true);
            let r = client.raw(reqwest::Method::GET, &format!("/s/funnel/scan/{code}")).await.send().await.unwrap();
            statuses.push(r.status());
        }
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 2, "{statuses:?}");
        assert_eq!(funnel("card").await[0]["scans"], 23, "ten more from the flood's address, no more");
        app.sweep.fold_sales_feed().await.unwrap();
        let folded = w.owner.page("/console/analytics/funnel-stores.csv").await.1;
        assert_eq!(folded.lines().nth(1).unwrap().split(',').nth(1), Some("23"), "folded by store: {folded}");

        // A store manager of another store sees nothing of store A's card.
        let manager_b = staff(&app, &w.owner, "mgr@funnel.test", "store_manager", &[&w.store_b]).await;
        let (_, theirs) = manager_b.get(&format!("/api/v1/reports/scan-funnel?{period}")).await;
        assert_eq!(theirs, json!([]));
        for bad in ["from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", "from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z", "from=yesterday&to=today"] {
            let (status, _) = w.owner.get(&format!("/api/v1/reports/scan-funnel?{bad}")).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
    }
}

api_test! {
    async fn retired_and_unknown_cards_answer_kindly(app) {
        let (w, _, card, _) = card_world(&app, "gone").await;
        let code = card["code"].as_str().unwrap();
        let (status, _) = w.owner.post_empty(&format!("/api/v1/cards/{}/disable", card["id"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::OK);
        let browser = app.phone("192.0.2.1", true);
        let (status, url, page) = scan(&browser, code).await;
        assert_eq!((status, url.as_str()), (StatusCode::GONE, format!("/s/gone/scan/{code}").as_str()));
        assert!(page.contains("这张展示卡已下架") && page.contains(&format!("/s/gone/p/{}", w.product)), "leads into the shop");
        let (status, _, page) = scan(&browser, "ZZZZZZZZ").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(page.contains("二维码无效"));
        let (status, _, _) = scan(&browser, "not-a-code!").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, rows) = w.owner.get(&format!("/api/v1/reports/scan-funnel?{}", today(&app))).await;
        assert_eq!(rows, json!([]), "scans of a retired card count for nothing");
        let (status, _) = w.owner.post_empty(&format!("/api/v1/cards/{}/enable", card["id"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(scan(&browser, code).await.0, StatusCode::OK);
    }
}

api_test! {
    async fn nearby_stores_come_nearest_first_at_hand_computed_distances(app) {
        let w = world(&app, "near").await;
        let at = |code: &str, lat: f64, lng: f64| {
            let mut body = location_body(code, "store");
            body["point"] = json!({"lat": lat, "lng": lng});
            body
        };
        // From (30, 120): 0.01 degrees north is R * 0.01 * pi / 180 = 1111.95 m; 0.02
        // degrees east is 2R * asin(cos 30 * sin 0.01 degrees) = 1925.96 m.
        let north = w.owner.create("/api/v1/locations", at("N1", 30.01, 120.0)).await;
        let east = w.owner.create("/api/v1/locations", at("E2", 30.0, 120.02)).await;
        let empty = w.owner.create("/api/v1/locations", at("Z0", 30.0, 120.0001)).await;
        for (store, n) in [(&east, 3), (&north, 2)] {
            w.owner.create("/api/v1/stock/receipts", json!({"location_id": store["id"], "lines": [{"sku_id": w.sku, "quantity": n}]})).await;
        }
        let anyone = app.anonymous();
        let (status, list) = anyone.get(&format!("/api/v1/stores/nearby?shop=near&sku={}&lat=30&lng=120", w.sku)).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let got: Vec<(String, i64, i64)> = list.as_array().unwrap().iter().map(|n| (n["store"]["code"].as_str().unwrap().to_string(), n["distance_m"].as_i64().unwrap(), n["available"].as_i64().unwrap())).collect();
        assert_eq!(got[0], ("N1".into(), 1112, 2));
        assert_eq!(got[1], ("E2".into(), 1926, 3));
        assert!(!got.iter().any(|(c, _, _)| c == "Z0"), "a store without the SKU is not offered (the nearest, {})", empty["id"]);
        assert!(list[0]["hours_today"].is_array() && list[0]["open_now"].is_boolean());

        // The same place as a Chinese map gives it (GCJ-02): converted, the same answer.
        let (_, gcj) = anyone.get(&format!("/api/v1/stores/nearby?shop=near&sku={}&lat=29.997534331696095&lng=120.00466044559735&coord=gcj02", w.sku)).await;
        let distances: Vec<i64> = gcj.as_array().unwrap().iter().map(|n| n["distance_m"].as_i64().unwrap()).collect();
        assert_eq!(&distances[..2], &[1112, 1926]);
        let (_, raw) = anyone.get(&format!("/api/v1/stores/nearby?shop=near&sku={}&lat=29.997534331696095&lng=120.00466044559735", w.sku)).await;
        assert_ne!(raw[0]["distance_m"], 1112, "taken as WGS-84 it is hundreds of metres off");

        // A city instead of a position; bad input is named; another shop knows nothing.
        let (status, _) = anyone.get(&format!("/api/v1/stores/nearby?shop=near&sku={}&city=Hangzhou", w.sku)).await;
        assert_eq!(status, StatusCode::OK);
        for query in ["lat=91&lng=120", "lat=30", "city=Atlantis", "lat=30&lng=120&limit=0", "lat=30&lng=120&coord=bd09"] {
            let (status, body) = anyone.get(&format!("/api/v1/stores/nearby?shop=near&sku={}&{query}", w.sku)).await;
            assert!(status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST, "{query}: {status} {body}");
        }
        let (status, _) = anyone.get(&format!("/api/v1/stores/nearby?shop=nobody&sku={}&lat=30&lng=120", w.sku)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, same) = anyone.get(&format!("/s/near/api/stores/nearby?sku={}&lat=30&lng=120&limit=1", w.sku)).await;
        assert_eq!((status, same.as_array().unwrap().len()), (StatusCode::OK, 1), "the storefront's own endpoint");
    }
}

api_test! {
    async fn a_printed_sheet_scans_and_leads_to_the_products(app) {
        let (w, _, first, _) = card_world(&app, "sheet").await;
        let more = w.owner.create("/api/v1/cards", json!({"store_id": w.store_b, "sku_ids": [w.sku, w.sku, w.sku, w.sku, w.sku]})).await;
        let ids: Vec<String> = std::iter::once(&first).chain(more.as_array().unwrap()).map(|c| c["id"].as_str().unwrap().to_string()).collect();
        let mut urls = Vec::new();
        for id in &ids {
            urls.push(w.owner.get(&format!("/api/v1/cards/{id}")).await.1["url"].as_str().unwrap().to_string());
        }

        let sheet = w.owner.raw(reqwest::Method::GET, &format!("/api/v1/cards/sheet.pdf?ids={}", ids.join(","))).await.send().await.unwrap();
        assert_eq!(sheet.status(), StatusCode::OK);
        assert_eq!(sheet.headers()["content-type"], "application/pdf");
        let pdf = sheet.bytes().await.unwrap();
        let pages = render_pdf(&pdf, 150.0);
        assert_eq!(pages.len(), 2, "six cards, four to a page");
        let mut decoded = Vec::new();
        for (width, height, luma) in &pages {
            decoded.extend(decode_luma_in_cells(*width, *height, luma, 2, 2));
        }
        decoded.sort();
        let mut expected = urls.clone();
        expected.sort();
        assert_eq!(decoded, expected, "every card's QR code, read back off the printed pages");

        // Following a decoded code lands on the product, in the card's store.
        let browser = app.phone("192.0.2.77", true);
        let path = decoded[0].strip_prefix(&app.url).expect("the server's own URL");
        let landed = browser.raw(reqwest::Method::GET, path).await.send().await.unwrap();
        assert_eq!((landed.status(), landed.url().path()), (StatusCode::OK, format!("/s/sheet/p/{}", w.product).as_str()));

        // One card alone, as a 300 dpi PNG and as SVG.
        let png = w.owner.raw(reqwest::Method::GET, &format!("/api/v1/cards/{}/card.png", ids[0])).await.send().await.unwrap();
        assert_eq!(png.headers()["content-type"], "image/png");
        assert_eq!(decode_png(&png.bytes().await.unwrap()), vec![urls[0].clone()]);
        let (status, _) = w.owner.get(&format!("/api/v1/cards/{}/card.svg", ids[0])).await;
        assert_eq!(status, StatusCode::OK);
        let svg = w.owner.raw(reqwest::Method::GET, &format!("/api/v1/cards/{}/qr.svg", ids[0])).await.send().await.unwrap();
        assert_eq!(svg.headers()["content-type"], "image/svg+xml");
        let (status, body) = w.owner.get("/api/v1/cards/sheet.pdf?ids=nope").await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("ids")));
    }
}
