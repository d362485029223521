//! The console's orders: filters that really narrow the list, search by number and
//! phone, store managers kept to their stores, refunds and cancels from the order's page
//! (a form sent twice refunds once), the CSV export and the pickup queue. On SQLite and
//! PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sweep_domain::day::CstDay;

use crate::api_test;
use crate::helpers::*;
use crate::till_pages::input;

/// A pickup order of one towel at `store`, by `shopper`; returns (id, number).
async fn pickup_order(shopper: &Client, slug: &str, w: &World, store: &str) -> (String, String) {
    let body = json!({"fulfilment": "pickup", "store_id": store, "lines": [{"sku_id": w.sku, "quantity": 1}]});
    let (status, order) = shopper.post(&format!("/s/{slug}/api/orders"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    (order["id"].as_str().unwrap().to_string(), order["number"].as_str().unwrap().to_string())
}

/// Two orders: A paid, through the API, picked up at store A; B unpaid, from WeChat,
/// picked up at store B. Returns ((id, number) of A, of B).
async fn two_orders(app: &TestApp, w: &World, slug: &str) -> ((String, String), (String, String)) {
    w.owner
        .create("/api/v1/stock/transfers", json!({"from_location_id": w.warehouse, "to_location_id": w.store_b, "lines": [{"sku_id": w.sku, "quantity": 10}]}))
        .await;
    let api = app.shopper(slug, "13800138001").await;
    let a = pickup_order(&api, slug, w, &w.store_a).await;
    app.pay_in_sandbox(&api, slug, &a.0).await;
    let mut wechat = app.phone("10.1.1.1", true);
    app.sign_in_shopper(&mut wechat, slug, "13800138002").await;
    let b = pickup_order(&wechat, slug, w, &w.store_b).await;
    (a, b)
}

/// The console's list for `query`: (status, page).
async fn listed(client: &Client, query: &str) -> (StatusCode, String) {
    client.page(&format!("/console/orders?{query}")).await
}

async fn order(client: &Client, id: &str) -> Value {
    let (status, body) = client.get(&format!("/api/v1/orders/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The export for `query`: its rows, the BOM checked and dropped.
async fn export(client: &Client, query: &str) -> Vec<Vec<String>> {
    let response =
        client.raw(reqwest::Method::GET, &format!("/console/orders.csv?{query}")).await.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = response.text().await.unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel");
    text.lines().map(|l| l.split(',').map(|c| c.trim_matches('"').to_string()).collect()).collect()
}

api_test! {
    async fn filters_and_search_narrow_the_list(app) {
        let w = shop_world(&app, "col").await;
        let ((a_id, a), (b_id, b)) = two_orders(&app, &w, "col").await;
        let shows = |html: &str, number: &str| html.contains(&format!(">{number}</a>"));

        let (status, html) = listed(&w.owner, "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(shows(&html, &a) && shows(&html, &b), "{html}");
        assert!(html.contains("138****8001") && html.contains("138****8002"), "masked phones");
        assert!(!html.contains("13800138001"), "never the whole phone");

        // Each filter keeps the one order and drops the other.
        let cases = [
            ("channel=api".to_string(), &a, &b),
            ("channel=wechat".to_string(), &b, &a),
            (format!("store={}", w.store_a), &a, &b),
            (format!("store={}", w.store_b), &b, &a),
            ("status=paid".to_string(), &a, &b),
            ("status=pending_payment".to_string(), &b, &a),
            (format!("q={a}"), &a, &b),
            (format!("q={}", &b[..12]), &b, &a),
            ("q=13800138002".to_string(), &b, &a),
            ("q=138+0013+8001".to_string(), &a, &b),
            (format!("cursor={b_id}"), &a, &b),
        ];
        for (query, kept, dropped) in cases {
            let (status, html) = listed(&w.owner, &query).await;
            assert_eq!(status, StatusCode::OK, "{query}: {html}");
            assert!(shows(&html, kept) && !shows(&html, dropped), "{query} keeps {kept}, drops {dropped}");
        }
        let today = CstDay::of(app.sweep.now());
        // A date alone is too short to search by: it would be a whole day's orders.
        let (status, _) = listed(&w.owner, &format!("q={}", &a[..6])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        for (query, both) in [
            (format!("from={today}&to={today}"), true),
            (format!("from={}", today.plus(1)), false),
            (format!("to={}", today.plus(-1)), false),
            ("fulfilment=delivery".to_string(), false),
            ("q=13900000000".to_string(), false),
        ] {
            let (status, html) = listed(&w.owner, &query).await;
            assert_eq!(status, StatusCode::OK, "{query}");
            assert_eq!((shows(&html, &a), shows(&html, &b)), (both, both), "{query}");
        }

        // Wrong filters say what is wrong, with a 400.
        for (query, says) in [
            ("status=lost", "lost"),
            ("channel=fax", "fax"),
            ("from=2026-13-01", "2026-13-01"),
            ("from=2026-02-02&to=2026-02-01", "2026-02-02"),
            ("q=abc", "abc"),
            ("store=nowhere", "nowhere"),
            ("cursor=nope", "cursor"),
        ] {
            let (status, html) = listed(&w.owner, query).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert!(html.contains("notice error") && html.contains(says), "{query}: {html}");
            assert!(!shows(&html, &a), "{query}: nothing listed");
        }

        // The order's page: lines, money, history.
        let (status, html) = w.owner.page(&format!("/console/orders/{a_id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("纯棉毛巾") && html.contains("¥35.00") && html.contains("接口"), "{html}");
        assert!(html.contains("id=\"order-timeline\"") && html.contains("待支付") && html.contains("已支付"));
        assert!(html.contains("sandbox"), "the payment");
        let (status, _) = w.owner.page("/console/orders/not-an-id").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

api_test! {
    async fn store_managers_see_their_stores_orders_only(app) {
        let w = shop_world(&app, "com").await;
        let ((a_id, a), (b_id, b)) = two_orders(&app, &w, "com").await;
        let manager = staff(&app, &w.owner, "manager@com.test", "store_manager", &[&w.store_a]).await;

        let (status, html) = manager.page("/console/orders").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&a) && !html.contains(&b), "{html}");
        assert!(html.contains(&w.store_a) && !html.contains(&w.store_b), "only their store to choose");
        let (status, _) = manager.page(&format!("/console/orders?store={}", w.store_b)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "not their store");
        let (status, _) = manager.page(&format!("/console/orders/{a_id}")).await;
        assert_eq!(status, StatusCode::OK);
        let (status, html) = manager.page(&format!("/console/orders/{b_id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
        let (status, _, _) = manager.submit(&format!("/console/orders/{b_id}/cancel"), &[("key", "k1"), ("reason", "x")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(order(&w.owner, &b_id).await["status"], "pending_payment", "untouched");

        let rows = export(&manager, "").await;
        assert_eq!(rows.len(), 2, "a header and their one order: {rows:?}");
        assert_eq!(rows[1][0], a);
    }
}

api_test! {
    async fn refunds_from_the_console_happen_once_and_never_exceed_what_was_paid(app) {
        let w = shop_world(&app, "cor").await;
        let shopper = app.shopper("cor", "13800138003").await;
        let (id, _) = pickup_order(&shopper, "cor", &w, &w.store_a).await;
        app.pay_in_sandbox(&shopper, "cor", &id).await;
        let (_, mine) = shopper.get(&format!("/s/cor/api/orders/{id}")).await;
        let code = mine["pickup_code"]["code"].as_str().unwrap().to_string();
        let (status, done) = w.owner.post(&format!("/api/v1/orders/{id}/handover"), json!({"code": code})).await;
        assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("completed")), "{done}");

        let path = format!("/console/orders/{id}");
        let (_, html) = w.owner.page(&path).await;
        assert!(html.contains("id=\"refund-form\"") && html.contains("value=\"35.00\""), "full by default");
        let key = input(&html, "key");
        let form = [("key", key.as_str()), ("amount", "10.00"), ("reason", "包装破损")];
        let (s1, at1, html) = w.owner.submit(&format!("{path}/refund"), &form).await;
        let (s2, at2, _) = w.owner.submit(&format!("{path}/refund"), &form).await;
        assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
        assert_eq!((at1.as_str(), at2.as_str()), (format!("{path}?done=refund").as_str(), format!("{path}?done=refund").as_str()));
        assert!(html.contains("已退款") && html.contains("包装破损"), "{html}");
        let view = order(&w.owner, &id).await;
        assert_eq!(view["refunded"]["amount"], 1000, "refunded once: {view}");
        assert_eq!(view["refunds"].as_array().unwrap().len(), 1);
        assert_eq!(view["status"], "partially_refunded");

        // More than is left: said so, nothing changes.
        let (_, html) = w.owner.page(&path).await;
        assert!(html.contains("value=\"25.00\""), "what is left");
        let key = input(&html, "key");
        let (status, _, html) =
            w.owner.submit(&format!("{path}/refund"), &[("key", &key), ("amount", "25.01"), ("reason", "x")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("notice error") && html.contains("2500"), "{html}");
        let (status, _, _) = w.owner.submit(&format!("{path}/refund"), &[("key", &key), ("amount", "-1"), ("reason", "x")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let view = order(&w.owner, &id).await;
        assert_eq!((view["refunded"]["amount"].as_i64(), view["refunds"].as_array().unwrap().len()), (Some(1000), 1));

        // A clerk may not refund: no form, and the step is refused.
        let clerk = staff(&app, &w.owner, "clerk@cor.test", "clerk", &[&w.store_a]).await;
        let (_, html) = clerk.page(&path).await;
        assert!(!html.contains("refund-form"));
        let (status, _, _) = clerk.submit(&format!("{path}/refund"), &[("key", "k9"), ("amount", "1.00"), ("reason", "x")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(order(&w.owner, &id).await["refunded"]["amount"], 1000);
    }
}

api_test! {
    async fn cancel_export_and_the_pickup_queue(app) {
        let w = shop_world(&app, "coq").await;
        let ((a_id, a), (b_id, b)) = two_orders(&app, &w, "coq").await;

        // The export: a header, the rows, the filters honoured.
        let rows = export(&w.owner, "").await;
        assert_eq!(rows[0][..3], ["订单号", "下单时间（北京时间）", "渠道"]);
        assert_eq!(rows.len(), 3, "{rows:?}");
        let rows = export(&w.owner, "channel=wechat").await;
        assert_eq!((rows.len(), rows[1][0].as_str(), rows[1][2].as_str()), (2, b.as_str(), "微信"));
        let english = export(&w.owner.clone(), "status=paid&lang=en").await;
        assert_eq!((english.len(), english[1][0].as_str()), (2, a.as_str()));
        let (status, _) = w.owner.page("/console/orders.csv?from=yesterday").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // The queue of store A: the paid order, to prepare.
        let (status, html) = w.owner.page(&format!("/console/pickup?store={}", w.store_a)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&a) && !html.contains(&b), "{html}");
        assert!(html.contains(&format!("/console/pickup/{a_id}/ready")) && html.contains("/clerk?store="));
        let key = input(&html, "key");
        let (status, at, html) =
            w.owner.submit(&format!("/console/pickup/{a_id}/ready"), &[("key", &key), ("store", &w.store_a)]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert_eq!(at, format!("/console/pickup?store={}&done=ready", w.store_a));
        assert_eq!(order(&w.owner, &a_id).await["status"], "ready_for_pickup");
        assert!(html.contains(&a) && !html.contains(&format!("/console/pickup/{a_id}/ready")), "waiting, prepared");
        let (_, html) = w.owner.page(&format!("/console/pickup?store={}", w.store_b)).await;
        assert!(!html.contains(&b), "unpaid orders do not wait for pickup");

        // Cancel: the unpaid order closes; the ready one is refunded in full.
        let (_, html) = w.owner.page(&format!("/console/orders/{b_id}")).await;
        let key = input(&html, "key");
        let (status, at, _) = w.owner.submit(&format!("/console/orders/{b_id}/cancel"), &[("key", &key), ("reason", "顾客要求")]).await;
        assert_eq!((status, at), (StatusCode::OK, format!("/console/orders/{b_id}?done=cancel")));
        assert_eq!(order(&w.owner, &b_id).await["status"], "cancelled");
        let (_, html) = w.owner.page(&format!("/console/orders/{a_id}")).await;
        let key = input(&html, "key");
        w.owner.submit(&format!("/console/orders/{a_id}/cancel"), &[("key", &key), ("reason", "缺货")]).await;
        let view = order(&w.owner, &a_id).await;
        assert_eq!((view["status"].as_str(), view["refunded"]["amount"].as_i64()), (Some("refunded"), Some(3500)));
        // Cancelling again is refused and says why.
        let (_, html) = w.owner.page(&format!("/console/orders/{a_id}")).await;
        assert!(!html.contains("cancel-form"));
        let (status, _, html) = w.owner.submit(&format!("/console/orders/{a_id}/cancel"), &[("key", "fresh"), ("reason", "")]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{html}");
        assert!(html.contains("notice error"));
        app.assert_balanced().await;
    }
}

api_test! {
    async fn return_requests_are_approved_or_rejected_once_from_the_order_page(app) {
        let w = shop_world(&app, "crt").await;
        let shopper = app.shopper("crt", "13800138004").await;
        let mut collected = Vec::new();
        for _ in 0..2 {
            let (id, _) = pickup_order(&shopper, "crt", &w, &w.store_a).await;
            app.pay_in_sandbox(&shopper, "crt", &id).await;
            let (_, mine) = shopper.get(&format!("/s/crt/api/orders/{id}")).await;
            let code = mine["pickup_code"]["code"].as_str().unwrap().to_string();
            let (status, done) = w.owner.post(&format!("/api/v1/orders/{id}/handover"), json!({"code": code})).await;
            assert_eq!(status, StatusCode::OK, "{done}");
            let line = done["lines"][0]["id"].as_str().unwrap().to_string();
            let (status, asked) = shopper
                .post(&format!("/s/crt/api/orders/{id}/returns"), json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "颜色不合适"}))
                .await;
            assert_eq!(status, StatusCode::OK, "{asked}");
            collected.push((id, asked["returns"][0]["id"].as_str().unwrap().to_string()));
        }
        let before = available(&w.owner, &w.sku, &w.store_a).await;

        // Approved: sent twice, refunded once, the towel back on the shelf.
        let (id, ret) = &collected[0];
        let path = format!("/console/orders/{id}");
        let (_, html) = w.owner.page(&path).await;
        assert!(html.contains("颜色不合适") && html.contains(&format!("{path}/approve-return")), "{html}");
        let key = input(&html, "key");
        let form = [("key", key.as_str()), ("return", ret.as_str())];
        let (s1, at1, html) = w.owner.submit(&format!("{path}/approve-return"), &form).await;
        let (s2, at2, _) = w.owner.submit(&format!("{path}/approve-return"), &form).await;
        assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
        assert_eq!((at1, at2), (format!("{path}?done=approve-return"), format!("{path}?done=approve-return")));
        assert!(html.contains("已同意") && !html.contains(&format!("{path}/approve-return")), "decided, no more buttons");
        let view = order(&w.owner, id).await;
        assert_eq!((view["status"].as_str(), view["refunded"]["amount"].as_i64()), (Some("refunded"), Some(3500)), "{view}");
        assert_eq!(view["refunds"].as_array().unwrap().len(), 1);
        let after = available(&w.owner, &w.sku, &w.store_a).await;
        assert_eq!(after, before + 1, "the returned towel is back on the shelf");

        // A new form cannot decide it again.
        let (status, _, html) = w.owner.submit(&format!("{path}/reject-return"), &[("key", "k-fresh"), ("return", ret)]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{html}");
        assert_eq!(order(&w.owner, id).await["returns"][0]["status"], "approved");

        // Rejected: nothing refunded, nothing back on hand. A clerk may not decide; a
        // made-up return is refused.
        let (id, ret) = &collected[1];
        let path = format!("/console/orders/{id}");
        let clerk = staff(&app, &w.owner, "clerk@crt.test", "clerk", &[&w.store_a]).await;
        let (_, html) = clerk.page(&path).await;
        assert!(!html.contains("approve-return"));
        let (status, _, _) = clerk.submit(&format!("{path}/reject-return"), &[("key", "k1"), ("return", ret)]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = w.owner.submit(&format!("{path}/reject-return"), &[("key", "k2"), ("return", "nonsense")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (_, html) = w.owner.page(&path).await;
        let key = input(&html, "key");
        let (status, _, html) = w.owner.submit(&format!("{path}/reject-return"), &[("key", &key), ("return", ret)]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("已拒绝"), "{html}");
        let view = order(&w.owner, id).await;
        assert_eq!((view["status"].as_str(), view["refunded"]["amount"].as_i64()), (Some("completed"), Some(0)), "{view}");
        assert_eq!(available(&w.owner, &w.sku, &w.store_a).await, after);
    }
}
