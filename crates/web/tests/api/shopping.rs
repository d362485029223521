//! The shopper's journey through the JSON storefront, with payments by the sandbox
//! provider and the counter: on SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sweep_app::Settings;

use crate::api_test;
use crate::helpers::*;

fn pickup(store: &str) -> Value {
    json!({"fulfilment": "pickup", "store_id": store})
}

async fn order_for_pickup(shopper: &Client, slug: &str, w: &World, quantity: i64) -> Value {
    let (status, body) =
        shopper.post(&format!("/s/{slug}/api/cart/items"), json!({"sku_id": w.sku, "quantity": quantity})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, order) = shopper.post(&format!("/s/{slug}/api/orders"), pickup(&w.store_a)).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    order
}

api_test! {
    async fn shopper_orders_for_pickup_pays_and_the_clerk_hands_over(app) {
        let w = shop_world(&app, "pk").await;
        let shopper = app.shopper("pk", "13800138000").await;

        // The cart and the stores that can serve it.
        let (_, cart) = shopper.post("/s/pk/api/cart/items", json!({"sku_id": w.sku, "quantity": 2})).await;
        assert_eq!(cart["subtotal"]["amount"], 7000, "members pay the member price: 2 x 35.00");
        let (_, stores) = shopper.get("/s/pk/api/pickup-stores").await;
        assert_eq!(stores.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect::<Vec<_>>(), vec![w.store_a.as_str()]);

        // The order, placed twice with one key: one order, one reservation.
        let keyed = shopper.clone().with_header("idempotency-key", "checkout-1");
        let (s1, order) = keyed.post("/s/pk/api/orders", pickup(&w.store_a)).await;
        let (s2, again) = keyed.post("/s/pk/api/orders", pickup(&w.store_a)).await;
        assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED), "{order}");
        assert_eq!(order["id"], again["id"]);
        assert_eq!((order["status"].as_str(), order["total"]["amount"].as_i64()), (Some("pending_payment"), Some(7000)));
        assert_eq!(order["channel"], "api");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 2));
        let (_, cart) = shopper.get("/s/pk/api/cart").await;
        assert_eq!(cart["lines"], json!([]), "ordered items leave the cart");
        let id = order["id"].as_str().unwrap();

        // Paid only when the provider's notification arrives.
        app.pay_in_sandbox(&shopper, "pk", id).await;
        let (_, paid) = shopper.get(&format!("/s/pk/api/orders/{id}")).await;
        assert_eq!(paid["status"], "paid", "{paid}");
        let code = paid["pickup_code"]["code"].as_str().unwrap().to_string();
        assert_eq!(code.len(), 10);
        let (_, staff_view) = w.owner.get(&format!("/api/v1/orders/{id}")).await;
        assert!(staff_view.get("pickup_code").is_none(), "staff never see the code: the shopper brings it");

        // The counter: a wrong code finds nothing; the right one finds the order.
        let clerk = staff(&app, &w.owner, "clerk@pk.test", "clerk", &[&w.store_a]).await;
        let (status, _) = clerk.post("/api/v1/pickup/lookup", json!({"store_id": w.store_a, "code": "1234567890"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, found) = clerk.post("/api/v1/pickup/lookup", json!({"store_id": w.store_a, "code": code})).await;
        assert_eq!((status, found["id"].as_str()), (StatusCode::OK, Some(id)));
        assert_eq!(found["shopper_phone"], "138****8000", "enough to ask the shopper, no more");
        let (status, ready) = clerk.post_empty(&format!("/api/v1/orders/{id}/ready")).await;
        assert_eq!((status, ready["status"].as_str()), (StatusCode::OK, Some("ready_for_pickup")));
        let told = app.sweep.sms_outbox(10).await.unwrap();
        assert!(told.iter().any(|m| m.phone == "13800138000" && m.body.contains("已备好")), "the shopper was told");
        let (status, done) = clerk.post(&format!("/api/v1/orders/{id}/handover"), json!({"code": code})).await;
        assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("completed")), "{done}");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (8, 0), "the units left the store");

        // The code is spent.
        let (status, _) = clerk.post("/api/v1/pickup/lookup", json!({"store_id": w.store_a, "code": code})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, history) = shopper.get(&format!("/s/pk/api/orders/{id}")).await;
        let steps: Vec<&str> = history["events"].as_array().unwrap().iter().map(|e| e["to"].as_str().unwrap()).collect();
        assert_eq!(steps, vec!["pending_payment", "paid", "ready_for_pickup", "completed"]);
        assert!(history.get("pickup_code").is_none(), "a completed order has no live code");
        app.assert_balanced().await;
    }
}

api_test! {
    async fn many_shoppers_racing_for_the_last_units_never_oversell(app) {
        let w = world(&app, "race").await;
        w.owner
            .create("/api/v1/stock/transfers", json!({"from_location_id": w.warehouse, "to_location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 5}]}))
            .await;
        let mut shoppers = Vec::new();
        for i in 0..12 {
            shoppers.push(app.shopper("race", &format!("1390000{i:04}")).await);
        }
        let attempts = shoppers.iter().map(|s| {
            let s = s.clone();
            let body = json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 1}]});
            async move { s.post("/s/race/api/orders", body).await }
        });
        let results = futures::future::join_all(attempts).await;
        let placed = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        let refused: Vec<_> = results.iter().filter(|(s, _)| *s != StatusCode::CREATED).collect();
        assert_eq!(placed, 5, "exactly the five units were sold");
        assert!(refused.iter().all(|(s, b)| *s == StatusCode::CONFLICT && b["error"]["code"] == "insufficient_stock"), "{refused:?}");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (5, 5));
        app.assert_balanced().await;
    }
}

fn signed(app_key: &str, notice: &Value, ts: i64) -> (Vec<u8>, Vec<(&'static str, String)>) {
    let body = serde_json::to_vec(notice).unwrap();
    let sig = sweep_pay::sandbox::protocol::sign(app_key.as_bytes(), &ts.to_string(), "nonce-1", &body);
    (body, vec![("sandbox-timestamp", ts.to_string()), ("sandbox-nonce", "nonce-1".into()), ("sandbox-signature", sig)])
}

async fn notify(app: &TestApp, body: Vec<u8>, headers: Vec<(&'static str, String)>) -> StatusCode {
    let mut req = reqwest::Client::new().post(format!("{}/api/v1/payments/sandbox/notify", app.url)).body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    req.send().await.unwrap().status()
}

api_test! {
    async fn duplicate_forged_and_late_notifications_pay_at_most_once(app) {
        let w = shop_world(&app, "pay").await;
        let merchant = &w.merchant_id;
        let shopper = app.shopper("pay", "13700137000").await;
        let order = order_for_pickup(&shopper, "pay", &w, 1).await;
        let id = order["id"].as_str().unwrap();
        let (_, pay) = shopper.post(&format!("/s/pay/api/orders/{id}/pay"), json!({})).await;
        let out_trade_no = pay["pay_url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
        let now = app.sweep.now().unix_seconds();
        let notice = json!({"out_trade_no": out_trade_no, "transaction_id": "SBX-1", "merchant_id": merchant, "amount": 3500, "trade_state": "SUCCESS"});

        // Forged, stale and mismatched notices change nothing.
        let (body, mut headers) = signed("not the key", &notice, now);
        assert_eq!(notify(&app, body, headers.clone()).await, StatusCode::UNAUTHORIZED);
        let (body, _) = signed(SANDBOX_KEY, &notice, now);
        headers[2].1 = "WECHATPAY/SIGNTEST/dGVzdA==".into();
        assert_eq!(notify(&app, body, headers).await, StatusCode::UNAUTHORIZED);
        let (body, headers) = signed(SANDBOX_KEY, &notice, now - 600);
        assert_eq!(notify(&app, body, headers).await, StatusCode::UNAUTHORIZED, "too old");
        let cheap = json!({"out_trade_no": out_trade_no, "transaction_id": "SBX-1", "merchant_id": merchant, "amount": 1, "trade_state": "SUCCESS"});
        let (body, headers) = signed(SANDBOX_KEY, &cheap, now);
        assert_eq!(notify(&app, body, headers).await, StatusCode::BAD_REQUEST, "the amount must match");
        let (_, still) = shopper.get(&format!("/s/pay/api/orders/{id}")).await;
        assert_eq!(still["status"], "pending_payment");

        // Eight copies of the real notice at once: all acknowledged, applied once.
        let copies = (0..8).map(|_| {
            let (body, headers) = signed(SANDBOX_KEY, &notice, now);
            notify(&app, body, headers)
        });
        let statuses = futures::future::join_all(copies).await;
        assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
        let (_, paid) = shopper.get(&format!("/s/pay/api/orders/{id}")).await;
        assert_eq!(paid["status"], "paid");
        let paid_steps = paid["events"].as_array().unwrap().iter().filter(|e| e["to"] == "paid").count();
        assert_eq!(paid_steps, 1);
        assert_eq!(paid["payments"].as_array().unwrap().iter().filter(|p| p["status"] == "captured").count(), 1);
        assert_eq!(paid["refunds"], json!([]));

        // Paying twice (two cashier pages opened, both paid): the order takes one, the
        // other is given back in full.
        let twice = order_for_pickup(&shopper, "pay", &w, 1).await;
        let twice_id = twice["id"].as_str().unwrap();
        let mut urls = Vec::new();
        for _ in 0..2 {
            let (_, pay) = shopper.post(&format!("/s/pay/api/orders/{twice_id}/pay"), json!({})).await;
            urls.push(pay["pay_url"].as_str().unwrap().to_string());
        }
        let cashier = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        for url in &urls {
            assert_eq!(cashier.post(url).send().await.unwrap().status(), StatusCode::SEE_OTHER);
        }
        app.run_jobs().await;
        let (_, both) = shopper.get(&format!("/s/pay/api/orders/{twice_id}")).await;
        assert_eq!(both["status"], "paid");
        assert_eq!(both["paid"]["amount"], 3500, "paid once");
        assert_eq!(both["refunds"].as_array().unwrap().len(), 1, "{both}");
        assert_eq!((both["refunds"][0]["amount"]["amount"].as_i64(), both["refunds"][0]["status"].as_str()), (Some(3500), Some("succeeded")));
        let (status, again) = shopper.post(&format!("/s/pay/api/orders/{twice_id}/pay"), json!({})).await;
        assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_payable")), "a paid order takes no new payment");

        // Money that arrives after the order was cancelled is refunded, not accepted.
        let late = order_for_pickup(&shopper, "pay", &w, 1).await;
        let late_id = late["id"].as_str().unwrap();
        let (_, pay) = shopper.post(&format!("/s/pay/api/orders/{late_id}/pay"), json!({})).await;
        let pay_url = pay["pay_url"].as_str().unwrap().to_string();
        let (status, cancelled) = shopper.post_empty(&format!("/s/pay/api/orders/{late_id}/cancel")).await;
        assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")));
        assert_eq!(cashier.post(&pay_url).send().await.unwrap().status(), StatusCode::SEE_OTHER, "the shopper pays anyway");
        app.run_jobs().await;
        let (_, after) = shopper.get(&format!("/s/pay/api/orders/{late_id}")).await;
        assert_eq!(after["status"], "cancelled", "never revived");
        assert_eq!(after["refunds"][0]["amount"]["amount"], 3500);
        assert_eq!(after["refunds"][0]["status"], "succeeded", "the provider gave the money back");
        let trade = pay_url.rsplit('/').next().unwrap();
        let books = app.sandbox.transaction(trade).await.unwrap().unwrap();
        assert_eq!(books.refunded.minor(), 3500);
        app.assert_balanced().await;
    }
}

api_test! {
    async fn shoppers_never_see_or_touch_each_others_orders(app) {
        let w = shop_world(&app, "mine").await;
        let alice = app.shopper("mine", "13600136000").await;
        let bob = app.shopper("mine", "13600136001").await;
        let order = order_for_pickup(&alice, "mine", &w, 1).await;
        let id = order["id"].as_str().unwrap();
        for (method, path) in [
            ("GET", format!("/s/mine/api/orders/{id}")),
            ("POST", format!("/s/mine/api/orders/{id}/pay")),
            ("POST", format!("/s/mine/api/orders/{id}/cancel")),
            ("POST", format!("/s/mine/api/orders/{id}/received")),
        ] {
            let body = if path.ends_with("/pay") { Some(json!({})) } else { None };
            let (status, answer) = bob.send(method.parse().unwrap(), &path, body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        }
        let (status, _) = bob.post(&format!("/s/mine/api/orders/{id}/returns"), json!({"lines": [], "reason": "x"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, list) = bob.get("/s/mine/api/orders").await;
        assert_eq!(list["items"], json!([]));
        let qr = bob.raw(reqwest::Method::GET, &format!("/s/mine/orders/{id}/qr.svg")).await.send().await.unwrap();
        assert_eq!(qr.status(), StatusCode::NOT_FOUND);

        // A session of one shop means nothing in another.
        let other = shop_world(&app, "other").await;
        let _ = other;
        let mut wanderer = alice.clone();
        wanderer.headers.remove("x-csrf-token");
        let (_, session) = wanderer.get("/s/other/api/session").await;
        assert!(session["shopper"].is_null(), "not signed in to the other shop");
        let (status, _) = wanderer.get(&format!("/s/other/api/orders/{id}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        let (_, mine) = alice.get(&format!("/s/mine/api/orders/{id}")).await;
        assert_eq!(mine["status"], "pending_payment", "untouched");
        // Staff of another merchant cannot see it either.
        let (status, _) = other.owner.get(&format!("/api/v1/orders/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

api_test! {
    async fn the_client_never_sets_prices_and_quantities_are_bounded(app) {
        let w = shop_world(&app, "strict").await;
        let shopper = app.shopper("strict", "13500135000").await;
        let line = |q: i64| json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": q}]});
        let mut priced = line(1);
        priced["lines"][0]["unit_price"] = json!(1);
        let (status, body) = shopper.post("/s/strict/api/orders", priced).await;
        assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field")));
        let mut totalled = line(1);
        totalled["total"] = json!(1);
        assert_eq!(shopper.post("/s/strict/api/orders", totalled).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        for q in [0, -1, 1000] {
            let (status, body) = shopper.post("/s/strict/api/orders", line(q)).await;
            assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("lines.0.quantity")), "{q}");
        }
        let unknown = json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": [{"sku_id": "01a00000-0000-7000-8000-000000000000", "quantity": 1}]});
        let (status, body) = shopper.post("/s/strict/api/orders", unknown).await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("lines.0.sku_id")));
        let (status, _) = shopper.post("/s/strict/api/orders", json!({"fulfilment": "pickup", "store_id": w.warehouse, "lines": [{"sku_id": w.sku, "quantity": 1}]})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a warehouse is not a pickup store");
        let anonymous = app.anonymous();
        let (status, _) = anonymous.post("/s/strict/api/orders", line(1)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guests sign in before ordering");
        let (_, list) = w.owner.get("/api/v1/orders").await;
        assert_eq!(list["items"], json!([]), "nothing was ordered");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 0));
    }
}

mod expiry {
    use super::*;

    async fn body(app: TestApp) {
        let w = shop_world(&app, "late").await;
        let shopper = app.shopper("late", "13400134000").await;
        let order = order_for_pickup(&shopper, "late", &w, 3).await;
        let id = order["id"].as_str().unwrap();
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 3));
        app.run_jobs().await;
        let (_, early) = shopper.get(&format!("/s/late/api/orders/{id}")).await;
        assert_eq!(early["status"], "pending_payment", "not before its time");
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        app.run_jobs().await;
        let (_, expired) = shopper.get(&format!("/s/late/api/orders/{id}")).await;
        assert_eq!(expired["status"], "expired");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 0), "the stock came back");
        let (status, body) = shopper.post(&format!("/s/late/api/orders/{id}/pay"), json!({})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_payable")));
        app.assert_balanced().await;
    }

    /// Payment and expiry arrive at the same moment, ten times over: each order ends
    /// either paid (stock still promised) or expired with the money going back.
    async fn race(app: TestApp) {
        let w = shop_world(&app, "photo").await;
        let merchant = &w.merchant_id;
        let shopper = app.shopper("photo", "13400134001").await;
        let mut orders = Vec::new();
        for _ in 0..10 {
            let order = order_for_pickup(&shopper, "photo", &w, 1).await;
            let id = order["id"].as_str().unwrap().to_string();
            let (_, pay) = shopper.post(&format!("/s/photo/api/orders/{id}/pay"), json!({})).await;
            let trade = pay["pay_url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            orders.push((id, trade));
        }
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let now = app.sweep.now().unix_seconds();
        let notices = orders.iter().map(|(_, trade)| {
            let notice = json!({"out_trade_no": trade, "transaction_id": format!("T{trade}"), "merchant_id": merchant, "amount": 3500, "trade_state": "SUCCESS"});
            let (body, headers) = signed(SANDBOX_KEY, &notice, now);
            notify(&app, body, headers)
        });
        let (statuses, ()) = tokio::join!(futures::future::join_all(notices), app.run_jobs());
        assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
        app.run_jobs().await;
        let mut reserved = 0;
        for (id, _) in &orders {
            let (_, o) = shopper.get(&format!("/s/photo/api/orders/{id}")).await;
            match o["status"].as_str().unwrap() {
                "paid" => {
                    assert_eq!(o["refunds"], json!([]), "{o}");
                    reserved += 1;
                }
                "expired" => assert_eq!(o["refunds"][0]["amount"]["amount"], 3500, "late money goes back: {o}"),
                other => panic!("order ended {other}"),
            }
        }
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, reserved));
        app.assert_balanced().await;
    }

    fn quick() -> Settings {
        Settings { unpaid_order_secs: 1, ..Settings::default() }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn payment_racing_expiry_ends_one_way_or_the_other_sqlite() {
        race(TestApp::spawn_with(sweep_store::Backend::Sqlite, quick()).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
    async fn payment_racing_expiry_ends_one_way_or_the_other_postgres() {
        race(TestApp::spawn_with(sweep_store::Backend::Postgres, quick()).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unpaid_orders_expire_and_their_stock_returns_sqlite() {
        body(TestApp::spawn_with(sweep_store::Backend::Sqlite, quick()).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
    async fn unpaid_orders_expire_and_their_stock_returns_postgres() {
        body(TestApp::spawn_with(sweep_store::Backend::Postgres, quick()).await).await
    }
}

mod pickup_deadline {
    use super::*;

    async fn body(app: TestApp) {
        let w = shop_world(&app, "slow").await;
        let shopper = app.shopper("slow", "13300133000").await;
        let order = order_for_pickup(&shopper, "slow", &w, 2).await;
        let id = order["id"].as_str().unwrap();
        app.pay_in_sandbox(&shopper, "slow", id).await;
        let (_, paid) = shopper.get(&format!("/s/slow/api/orders/{id}")).await;
        let code = paid["pickup_code"]["code"].as_str().unwrap().to_string();
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        app.run_jobs().await;
        let (_, lapsed) = shopper.get(&format!("/s/slow/api/orders/{id}")).await;
        assert_eq!(lapsed["status"], "refunded", "{lapsed}");
        assert_eq!(lapsed["refunds"][0]["amount"]["amount"], 7000);
        assert_eq!(lapsed["refunds"][0]["status"], "succeeded");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 0), "the stock was released");
        let clerk = staff(&app, &w.owner, "c@slow.test", "clerk", &[&w.store_a]).await;
        let (status, _) = clerk.post("/api/v1/pickup/lookup", json!({"store_id": w.store_a, "code": code})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "the code died with the order");
    }

    fn quick() -> Settings {
        Settings { pickup_secs: 1, ..Settings::default() }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn uncollected_orders_are_refunded_at_the_deadline_sqlite() {
        body(TestApp::spawn_with(sweep_store::Backend::Sqlite, quick()).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
    async fn uncollected_orders_are_refunded_at_the_deadline_postgres() {
        body(TestApp::spawn_with(sweep_store::Backend::Postgres, quick()).await).await
    }
}

api_test! {
    async fn cancelling_paid_orders_refunds_and_returns_refund_pro_rata(app) {
        let w = shop_world(&app, "back").await;
        let shopper = app.shopper("back", "13200132000").await;

        // Paid but not prepared: the shopper may cancel; the money goes back.
        let first = order_for_pickup(&shopper, "back", &w, 1).await;
        let first_id = first["id"].as_str().unwrap();
        app.pay_in_sandbox(&shopper, "back", first_id).await;
        let (status, cancelled) = shopper.post_empty(&format!("/s/back/api/orders/{first_id}/cancel")).await;
        assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("refunded")), "{cancelled}");
        app.run_jobs().await;
        let (_, refunded) = shopper.get(&format!("/s/back/api/orders/{first_id}")).await;
        assert_eq!(refunded["refunds"][0]["status"], "succeeded");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 0));

        // Three units collected; one comes back: a third of the money, to the fen.
        let (_, _) = shopper.post("/s/back/api/cart/items", json!({"sku_id": w.sku, "quantity": 3})).await;
        let (_, second) = shopper.post("/s/back/api/orders", pickup(&w.store_a)).await;
        let id = second["id"].as_str().unwrap();
        assert_eq!(second["total"]["amount"], 10500);
        app.pay_in_sandbox(&shopper, "back", id).await;
        let (_, paid) = shopper.get(&format!("/s/back/api/orders/{id}")).await;
        let code = paid["pickup_code"]["code"].as_str().unwrap();
        let clerk = staff(&app, &w.owner, "c@back.test", "clerk", &[&w.store_a]).await;
        let (status, _) = clerk.post(&format!("/api/v1/orders/{id}/handover"), json!({"code": code})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (7, 0));
        let line = paid["lines"][0]["id"].as_str().unwrap();
        let (status, requested) = shopper.post(&format!("/s/back/api/orders/{id}/returns"), json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "颜色不合适"})).await;
        assert_eq!(status, StatusCode::OK, "{requested}");
        assert_eq!(requested["returns"][0]["amount"]["amount"], 3500);
        let return_id = requested["returns"][0]["id"].as_str().unwrap();
        let (status, _) = clerk.post_empty(&format!("/api/v1/orders/{id}/returns/{return_id}/approve")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "clerks do not decide refunds");
        let (status, approved) = w.owner.post_empty(&format!("/api/v1/orders/{id}/returns/{return_id}/approve")).await;
        assert_eq!((status, approved["status"].as_str()), (StatusCode::OK, Some("partially_refunded")), "{approved}");
        assert_eq!(approved["refunded"]["amount"], 3500);
        assert_eq!(approved["lines"][0]["returned_quantity"], 1);
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (8, 0), "the unit is back on hand at the store");

        // Refunds never exceed what was paid.
        let (status, body) = w.owner.post(&format!("/api/v1/orders/{id}/refunds"), json!({"amount": 7001, "reason": "goodwill"})).await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("amount")));
        let (status, rest) = w.owner.post(&format!("/api/v1/orders/{id}/refunds"), json!({"amount": 7000, "reason": "goodwill"})).await;
        assert_eq!((status, rest["status"].as_str()), (StatusCode::OK, Some("refunded")));
        app.run_jobs().await;
        let (_, done) = shopper.get(&format!("/s/back/api/orders/{id}")).await;
        let refunded: i64 = done["refunds"].as_array().unwrap().iter().map(|r| r["amount"]["amount"].as_i64().unwrap()).sum();
        assert_eq!(refunded, 10500);
        assert!(done["refunds"].as_array().unwrap().iter().all(|r| r["status"] == "succeeded"));
        app.assert_balanced().await;
    }
}

api_test! {
    async fn delivery_orders_split_ship_and_arrive(app) {
        let w = world(&app, "ship").await;
        // A second SKU only store B has: no single location can fill the order.
        let other = w.owner.create(&format!("/api/v1/products/{}/skus", w.product), json!({"code": "TWL-2", "base_price": 4900})).await;
        let other = other["id"].as_str().unwrap().to_string();
        w.owner.create("/api/v1/stock/receipts", json!({"location_id": w.store_b, "lines": [{"sku_id": other, "quantity": 4}]})).await;
        let shopper = app.shopper("ship", "13100131000").await;
        let (status, address) = shopper
            .post("/s/ship/api/addresses", address_body("13100131000"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{address}");
        assert!((address["point"]["lat"].as_f64().unwrap() - 30.26).abs() < 0.05, "the district's centre from the bundled table");
        let lines = json!([{"sku_id": w.sku, "quantity": 2}, {"sku_id": other, "quantity": 1}]);
        let (status, order) = shopper.post("/s/ship/api/orders", json!({"fulfilment": "delivery", "address_id": address["id"], "lines": lines})).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        let shipments = order["shipments"].as_array().unwrap();
        assert_eq!(shipments.len(), 2, "two shipments under one payment");
        let id = order["id"].as_str().unwrap();
        assert_eq!(order["total"]["amount"], 2 * 3500 + 4900);
        app.pay_in_sandbox(&shopper, "ship", id).await;
        assert_eq!(level(&w.owner, &w.sku, &w.warehouse).await, (100, 2));

        let first = shipments[0]["id"].as_str().unwrap();
        let second = shipments[1]["id"].as_str().unwrap();
        let (status, partly) = w.owner.post(&format!("/api/v1/orders/{id}/ship"), json!({"shipment_id": first, "carrier": "顺丰速运", "tracking_number": "SF1234567890"})).await;
        assert_eq!((status, partly["status"].as_str()), (StatusCode::OK, Some("paid")), "{partly}");
        let (status, body) = shopper.post_empty(&format!("/s/ship/api/orders/{id}/cancel")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("cannot_cancel")), "part of it is on its way");
        let (status, shipped) = w.owner.post(&format!("/api/v1/orders/{id}/ship"), json!({"shipment_id": second, "carrier": "中通快递", "tracking_number": "ZT9876543210"})).await;
        assert_eq!((status, shipped["status"].as_str()), (StatusCode::OK, Some("shipped")));
        assert_eq!(level(&w.owner, &other, &w.store_b).await, (3, 0), "shipped units left the store");
        let (_, seen) = shopper.get(&format!("/s/ship/api/orders/{id}")).await;
        let trackings: Vec<&str> = seen["shipments"].as_array().unwrap().iter().filter_map(|s| s["tracking_number"].as_str()).collect();
        assert_eq!(trackings.len(), 2);
        let (status, received) = shopper.post_empty(&format!("/s/ship/api/orders/{id}/received")).await;
        assert_eq!((status, received["status"].as_str()), (StatusCode::OK, Some("completed")));
        app.assert_balanced().await;
    }
}

api_test! {
    async fn pickup_codes_resist_guessing_and_stay_in_their_store(app) {
        let w = shop_world(&app, "guess").await;
        let shopper = app.shopper("guess", "13000130000").await;
        let order = order_for_pickup(&shopper, "guess", &w, 1).await;
        let id = order["id"].as_str().unwrap();
        app.pay_in_sandbox(&shopper, "guess", id).await;
        let (_, paid) = shopper.get(&format!("/s/guess/api/orders/{id}")).await;
        let code = paid["pickup_code"]["code"].as_str().unwrap().to_string();

        // Another store's clerk sees neither the order nor the code's order.
        let elsewhere = staff(&app, &w.owner, "b@guess.test", "clerk", &[&w.store_b]).await;
        let (status, _) = elsewhere.get(&format!("/api/v1/orders/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = elsewhere.post("/api/v1/pickup/lookup", json!({"store_id": w.store_b, "code": code})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = elsewhere.post("/api/v1/pickup/lookup", json!({"store_id": w.store_a, "code": code})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not their store");
        let (status, _) = elsewhere.post(&format!("/api/v1/orders/{id}/handover"), json!({"code": code})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Handing over with the wrong code changes nothing, and counts as a miss.
        let (status, _) = w.owner.post(&format!("/api/v1/orders/{id}/handover"), json!({"code": "0000000001"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // A right code takes nothing off the allowance.
        let clerk = staff(&app, &w.owner, "a@guess.test", "clerk", &[&w.store_a]).await;
        let (status, _) = clerk.post("/api/v1/pickup/lookup", json!({"store_id": w.store_a, "code": code})).await;
        assert_eq!(status, StatusCode::OK);
        // Guessing at store A: after twenty misses the store must wait, right code or not.
        for i in 0..19 {
            let (status, _) = clerk.post("/api/v1/pickup/lookup", json!({"store_id": w.store_a, "code": format!("{:010}", i)})).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
        let (status, _) = clerk.post("/api/v1/pickup/lookup", json!({"store_id": w.store_a, "code": code})).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let (status, _) = clerk.post(&format!("/api/v1/orders/{id}/handover"), json!({"code": code})).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let (_, still) = shopper.get(&format!("/s/guess/api/orders/{id}")).await;
        assert_eq!(still["status"], "paid");
    }
}

api_test! {
    async fn a_guest_cart_carries_over_on_sign_in(app) {
        let w = shop_world(&app, "guest").await;
        let mut guest = app.anonymous();
        let (_, session) = guest.get("/s/guest/api/session").await;
        guest.headers.insert("x-csrf-token", session["csrf_token"].as_str().unwrap().parse().unwrap());
        let (status, cart) = guest.post("/s/guest/api/cart/items", json!({"sku_id": w.sku, "quantity": 2})).await;
        assert_eq!((status, cart["units"].as_i64()), (StatusCode::OK, Some(2)));
        assert_eq!(cart["subtotal"]["amount"], 7800, "guests pay the list price");
        // Without the session's CSRF token, nothing changes.
        let (status, _) = guest.clone().without_header("x-csrf-token").post("/s/guest/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let (status, _) = guest.post("/s/guest/api/login/code", json!({"phone": "15900159000"})).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = guest.post("/s/guest/api/login", json!({"phone": "15900159000", "code": "000000"})).await;
        assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_code")));
        let code = app.last_code("15900159000").await;
        let (status, member) = guest.post("/s/guest/api/login", json!({"phone": "15900159000", "code": code})).await;
        assert_eq!(status, StatusCode::OK, "{member}");
        guest.headers.insert("x-csrf-token", member["csrf_token"].as_str().unwrap().parse().unwrap());
        let (_, cart) = guest.get("/s/guest/api/cart").await;
        assert_eq!((cart["units"].as_i64(), cart["subtotal"]["amount"].as_i64()), (Some(2), Some(7000)), "the cart came along, now at member prices");
        // The code was single-use.
        let (status, _) = app.anonymous().post("/s/guest/api/login", json!({"phone": "15900159000", "code": code})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

api_test! {
    async fn sign_in_codes_resist_guessing(app) {
        shop_world(&app, "otp").await;
        let client = app.anonymous();
        let (status, _) = client.post("/s/otp/api/login/code", json!({"phone": "15800158000"})).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = client.post("/s/otp/api/login/code", json!({"phone": "15800158000"})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")), "one code a minute");
        let code = app.last_code("15800158000").await;
        // Five wrong guesses, in parallel, use up the code: the right one then fails too.
        let guesses = (0..8).map(|i| {
            let c = client.clone();
            let guess = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000);
            async move { c.post("/s/otp/api/login", json!({"phone": "15800158000", "code": guess})).await.0 }
        });
        let statuses = futures::future::join_all(guesses).await;
        assert!(statuses.iter().all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY));
        let (status, body) = client.post("/s/otp/api/login", json!({"phone": "15800158000", "code": code})).await;
        assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("too_many_attempts")));
        let (status, _) = client.post("/s/otp/api/login/code", json!({"phone": "not a phone"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

api_test! {
    async fn storefront_pages_render_in_both_languages(app) {
        let w = shop_world(&app, "pages").await;
        let browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let get = |path: String, lang: &'static str| {
            let b = browser.clone();
            let url = format!("{}{path}", app.url);
            async move {
                let r = b.get(url).header("accept-language", lang).send().await.unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };
        let (status, home) = get("/s/pages".into(), "zh-CN").await;
        assert_eq!(status, StatusCode::OK);
        assert!(home.contains("热卖") && home.contains("纯棉毛巾") && home.contains("lang=\"zh-CN\""));
        let (_, home_en) = get("/s/pages".into(), "en-GB,en;q=0.8").await;
        assert!(home_en.contains("Best sellers") && home_en.contains("Cotton towel"), "English names in English");
        let (status, product) = get(format!("/s/pages/p/{}", w.product), "zh-CN").await;
        assert_eq!(status, StatusCode::OK);
        assert!(product.contains("加入购物车") && product.contains("¥39.00"), "list price for guests");
        assert!(product.contains("登录享会员价 ¥35.00"), "the member price is offered to guests who sign in");
        let (status, search) = get("/s/pages/search?q=%E6%AF%9B%E5%B7%BE".into(), "zh-CN").await;
        assert_eq!(status, StatusCode::OK);
        assert!(search.contains("纯棉毛巾"));
        let (status, missing) = get("/s/pages/p/01a00000-0000-7000-8000-000000000000".into(), "zh-CN").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(missing.contains("找不到这个页面"));
        let (status, _) = get("/s/no-such-shop".into(), "zh-CN").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = get("/s/pages/checkout".into(), "zh-CN").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "checkout asks guests to sign in");

        // Forms are refused without the session's token once there is a session.
        let add = browser.post(format!("{}/s/pages/cart/add", app.url)).form(&[("csrf", ""), ("sku_id", w.sku.as_str()), ("quantity", "1")]).send().await.unwrap();
        assert_eq!(add.status(), StatusCode::SEE_OTHER, "the first add makes the session");
        let forged = browser.post(format!("{}/s/pages/cart/add", app.url)).form(&[("csrf", "forged"), ("sku_id", w.sku.as_str()), ("quantity", "5")]).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::CONFLICT);
        // Another site's form cannot act for the shopper (nor sign them in as someone else).
        let (_, cart_page) = get("/s/pages/cart".into(), "zh-CN").await;
        let csrf = cart_page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let cross_site = browser.post(format!("{}/s/pages/cart/add", app.url)).header("origin", "https://evil.example")
            .form(&[("csrf", csrf.as_str()), ("sku_id", w.sku.as_str()), ("quantity", "5")]).send().await.unwrap();
        assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
        let stranger = reqwest::Client::new().post(format!("{}/s/pages/login", app.url)).header("origin", "null")
            .form(&[("phone", "13800000000"), ("code", "123456")]).send().await.unwrap();
        assert_eq!(stranger.status(), StatusCode::FORBIDDEN, "sign-in forms from elsewhere are refused before any check");
        let own = browser.post(format!("{}/s/pages/cart", app.url)).header("origin", app.url.as_str())
            .form(&[("csrf", csrf.as_str()), ("sku_id", w.sku.as_str()), ("quantity", "1")]).send().await.unwrap();
        assert_eq!(own.status(), StatusCode::SEE_OTHER, "our own pages' forms work");
        let code = browser.post(format!("{}/s/pages/login/code", app.url))
            .form(&[("csrf", csrf.as_str()), ("phone", "13800000000"), ("next", "x\r\nSet-Cookie: a=b")]).send().await.unwrap();
        assert_eq!(code.status(), StatusCode::SEE_OTHER);
        let location = code.headers()["location"].to_str().unwrap();
        assert!(location.ends_with("&next="), "an unknown next is dropped: {location}");
        let (_, cart) = get("/s/pages/cart".into(), "zh-CN").await;
        assert!(cart.contains("value=\"1\""), "still one unit");
    }
}
