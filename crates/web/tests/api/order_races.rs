//! Staff and shoppers racing on the same orders: each step applies once or not at all,
//! stock and money stay consistent, guess limits hold under bursts. On both databases.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::*;

/// A paid delivery order from the warehouse and store B (one line each): two shipments.
async fn split_delivery(app: &TestApp, w: &World, slug: &str, phone: &str) -> (Client, Value) {
    let other = w
        .owner
        .create(
            &format!("/api/v1/products/{}/skus", w.product),
            json!({"code": format!("X-{phone}"), "base_price": 4900}),
        )
        .await;
    let other = other["id"].as_str().unwrap().to_string();
    w.owner
        .create(
            "/api/v1/stock/receipts",
            json!({"location_id": w.store_b, "lines": [{"sku_id": other, "quantity": 4}]}),
        )
        .await;
    let shopper = app.shopper(slug, phone).await;
    let (_, address) = shopper.post(&format!("/s/{slug}/api/addresses"), address_body(phone)).await;
    let lines = json!([{"sku_id": w.sku, "quantity": 2}, {"sku_id": other, "quantity": 1}]);
    let (status, order) = shopper
        .post(
            &format!("/s/{slug}/api/orders"),
            json!({"fulfilment": "delivery", "address_id": address["id"], "lines": lines}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    app.pay_in_sandbox(&shopper, slug, order["id"].as_str().unwrap()).await;
    (shopper, order)
}

/// A paid delivery order of `quantity` units from the warehouse alone: one shipment.
async fn warehouse_delivery(app: &TestApp, w: &World, shopper: &Client, slug: &str, quantity: i64) -> (String, String) {
    let (_, addresses) = shopper.get(&format!("/s/{slug}/api/addresses")).await;
    let address = match addresses.as_array().and_then(|a| a.first()).cloned() {
        Some(a) => a,
        None => shopper.post(&format!("/s/{slug}/api/addresses"), address_body("13900000000")).await.1,
    };
    let lines = json!([{"sku_id": w.sku, "quantity": quantity}]);
    let (status, order) = shopper
        .post(
            &format!("/s/{slug}/api/orders"),
            json!({"fulfilment": "delivery", "address_id": address["id"], "lines": lines}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let id = order["id"].as_str().unwrap().to_string();
    app.pay_in_sandbox(shopper, slug, &id).await;
    (id, order["shipments"][0]["id"].as_str().unwrap().to_string())
}

fn ship_body(shipment: &str, n: usize) -> Value {
    json!({"shipment_id": shipment, "carrier": "顺丰速运", "tracking_number": format!("SF{n:010}")})
}

api_test! {
    async fn one_shipment_ships_once_however_many_press_the_button(app) {
        let w = world(&app, "twice").await;
        let shopper = app.shopper("twice", "13900139000").await;
        let (id, shipment) = warehouse_delivery(&app, &w, &shopper, "twice", 3).await;
        let presses = (0..8).map(|n| {
            let owner = w.owner.clone();
            let path = format!("/api/v1/orders/{id}/ship");
            let body = ship_body(&shipment, n);
            async move { owner.post(&path, body).await }
        });
        let results = futures::future::join_all(presses).await;
        let shipped = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(shipped, 1, "{results:?}");
        assert!(results.iter().all(|(s, b)| *s == StatusCode::OK || (*s == StatusCode::CONFLICT && b["error"]["code"].is_string())), "{results:?}");
        assert_eq!(level(&w.owner, &w.sku, &w.warehouse).await, (97, 0), "the units left once");
        let (_, order) = w.owner.get(&format!("/api/v1/orders/{id}")).await;
        assert_eq!(order["status"], "shipped");
        let steps = order["events"].as_array().unwrap().iter().filter(|e| e["to"] == "shipped").count();
        assert_eq!(steps, 1, "one shipped step in the history");
        app.assert_balanced().await;
    }
}

api_test! {
    async fn shipping_racing_cancel_ends_one_way_or_the_other(app) {
        let w = world(&app, "either").await;
        let shopper = app.shopper("either", "13900139001").await;
        let mut shipped_units = 0;
        for n in 0..4 {
            let (id, shipment) = warehouse_delivery(&app, &w, &shopper, "either", 1).await;
            let (ship_path, cancel_path) = (format!("/api/v1/orders/{id}/ship"), format!("/api/v1/orders/{id}/cancel"));
            let ship = w.owner.post(&ship_path, ship_body(&shipment, n));
            let cancel = w.owner.post(&cancel_path, json!({"reason": "缺货"}));
            let ((s1, b1), (s2, b2)) = tokio::join!(ship, cancel);
            assert!((s1 == StatusCode::OK) != (s2 == StatusCode::OK), "exactly one wins: {b1} {b2}");
            let (_, order) = w.owner.get(&format!("/api/v1/orders/{id}")).await;
            match order["status"].as_str().unwrap() {
                "shipped" => {
                    assert_eq!(order["refunds"], json!([]), "{order}");
                    assert_eq!(order["shipments"][0]["status"], "shipped");
                    shipped_units += 1;
                }
                "refunded" => {
                    assert_eq!(order["shipments"][0]["status"], "cancelled", "{order}");
                    assert_eq!(order["refunds"][0]["amount"]["amount"], 3500, "the member price, all of it");
                }
                other => panic!("order ended {other}: {order}"),
            }
        }
        assert_eq!(level(&w.owner, &w.sku, &w.warehouse).await, (100 - shipped_units, 0));
        app.assert_balanced().await;
    }
}

api_test! {
    async fn two_shipments_shipped_at_once_make_the_order_shipped(app) {
        let w = world(&app, "both").await;
        let (_, order) = split_delivery(&app, &w, "both", "13900139002").await;
        let id = order["id"].as_str().unwrap();
        let shipments: Vec<String> = order["shipments"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(shipments.len(), 2);
        let path = format!("/api/v1/orders/{id}/ship");
        let (a, b) = tokio::join!(w.owner.post(&path, ship_body(&shipments[0], 1)), w.owner.post(&path, ship_body(&shipments[1], 2)));
        let statuses = [a.0, b.0];
        // On SQLite the writes queue; on PostgreSQL the second waits for the first's row.
        assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{a:?} {b:?}");
        let (_, order) = w.owner.get(&format!("/api/v1/orders/{id}")).await;
        assert_eq!(order["status"], "shipped", "judged on what was committed: {order}");
        app.assert_balanced().await;
    }
}

api_test! {
    async fn store_staff_see_and_act_on_their_part_only(app) {
        let w = world(&app, "part").await;
        let (shopper, order) = split_delivery(&app, &w, "part", "13900139003").await;
        let id = order["id"].as_str().unwrap();
        let store_b = staff(&app, &w.owner, "mgr@part.test", "store_manager", &[&w.store_b]).await;
        let (status, seen) = store_b.get(&format!("/api/v1/orders/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{seen}");
        let locations: Vec<&str> = seen["shipments"].as_array().unwrap().iter().map(|s| s["location_id"].as_str().unwrap()).collect();
        assert_eq!(locations, vec![w.store_b.as_str()], "their shipment only");
        assert_eq!(seen["lines"].as_array().unwrap().len(), 1, "their line only");
        assert_ne!(seen["lines"][0]["sku_id"], json!(w.sku), "not the warehouse's line");

        // The whole order is not theirs to cancel; their shipment is theirs to ship.
        let (status, _) = store_b.post(&format!("/api/v1/orders/{id}/cancel"), json!({"reason": "x"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let warehouse_shipment = order["shipments"].as_array().unwrap().iter().find(|s| s["location_id"] == json!(w.warehouse)).unwrap()["id"].as_str().unwrap().to_string();
        let (status, _) = store_b.post(&format!("/api/v1/orders/{id}/ship"), ship_body(&warehouse_shipment, 1)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not their shipment");
        let mine = seen["shipments"][0]["id"].as_str().unwrap();
        let (status, after) = store_b.post(&format!("/api/v1/orders/{id}/ship"), ship_body(mine, 2)).await;
        assert_eq!((status, after["status"].as_str()), (StatusCode::OK, Some("paid")), "{after}");
        let (_, whole) = shopper.get(&format!("/s/part/api/orders/{id}")).await;
        assert_eq!(whole["status"], "paid");
        assert_eq!(whole["shipments"].as_array().unwrap().len(), 2, "the shopper sees it all");
    }
}

api_test! {
    async fn bursts_of_wrong_pickup_codes_stop_at_the_limit(app) {
        let w = shop_world(&app, "burst").await;
        let clerk = staff(&app, &w.owner, "c@burst.test", "clerk", &[&w.store_a]).await;
        let guesses = (0..60).map(|i| {
            let clerk = clerk.clone();
            let store = w.store_a.clone();
            async move { clerk.post("/api/v1/pickup/lookup", json!({"store_id": store, "code": format!("{:010}", 7_000_000 + i)})).await.0 }
        });
        let statuses = futures::future::join_all(guesses).await;
        let checked = statuses.iter().filter(|s| **s == StatusCode::NOT_FOUND).count();
        let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!(checked + refused, 60, "{statuses:?}");
        assert!(checked <= 20, "at most twenty codes were ever checked, not {checked}");
        assert!(refused >= 40);

        // Wrong codes at hand-over count against the same store.
        let other = shop_world(&app, "burst2").await;
        let shopper = app.shopper("burst2", "13900139004").await;
        let (_, _) = shopper.post("/s/burst2/api/cart/items", json!({"sku_id": other.sku, "quantity": 1})).await;
        let (_, order) = shopper.post("/s/burst2/api/orders", json!({"fulfilment": "pickup", "store_id": other.store_a})).await;
        let id = order["id"].as_str().unwrap();
        app.pay_in_sandbox(&shopper, "burst2", id).await;
        let mut wrong = 0;
        for i in 0..25 {
            let (status, _) = other.owner.post(&format!("/api/v1/orders/{id}/handover"), json!({"code": format!("{:010}", 100 + i)})).await;
            match status {
                StatusCode::UNPROCESSABLE_ENTITY => wrong += 1,
                StatusCode::TOO_MANY_REQUESTS => {}
                s => panic!("unexpected {s}"),
            }
        }
        assert_eq!(wrong, 20);
        let (_, still) = shopper.get(&format!("/s/burst2/api/orders/{id}")).await;
        assert_eq!(still["status"], "paid");
    }
}

api_test! {
    async fn one_key_placed_many_times_at_once_makes_one_order(app) {
        let w = shop_world(&app, "once").await;
        let shopper = app.shopper("once", "13900139005").await.with_header("idempotency-key", "tap-tap-tap");
        let body = json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 2}]});
        let taps = (0..8).map(|_| {
            let s = shopper.clone();
            let body = body.clone();
            async move { s.post("/s/once/api/orders", body).await }
        });
        let results = futures::future::join_all(taps).await;
        let ids: std::collections::HashSet<&str> = results.iter().filter_map(|(_, b)| b["id"].as_str()).collect();
        assert_eq!(ids.len(), 1, "one order: {results:?}");
        assert!(results.iter().all(|(s, _)| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT), "{results:?}");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 2), "reserved once");
        let (_, list) = shopper.get("/s/once/api/orders").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    }
}

api_test! {
    async fn a_withdrawn_item_stays_in_the_cart_and_the_rest_is_bought(app) {
        let w = shop_world(&app, "gone").await;
        let gone = w.owner.create(&format!("/api/v1/products/{}/skus", w.product), json!({"code": "TWL-GONE", "base_price": 1900})).await;
        let gone = gone["id"].as_str().unwrap().to_string();
        w.owner.create("/api/v1/stock/receipts", json!({"location_id": w.store_a, "lines": [{"sku_id": gone, "quantity": 5}]})).await;
        let shopper = app.shopper("gone", "13900139006").await;
        shopper.post("/s/gone/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        shopper.post("/s/gone/api/cart/items", json!({"sku_id": gone, "quantity": 1})).await;
        let (status, _) = w.owner.post_empty(&format!("/api/v1/skus/{gone}/archive")).await;
        assert_eq!(status, StatusCode::OK);

        let (status, order) = shopper.post("/s/gone/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        let skus: Vec<&str> = order["lines"].as_array().unwrap().iter().map(|l| l["sku_id"].as_str().unwrap()).collect();
        assert_eq!(skus, vec![w.sku.as_str()]);
        let (_, cart) = shopper.get("/s/gone/api/cart").await;
        let left: Vec<(&str, bool)> = cart["lines"].as_array().unwrap().iter().map(|l| (l["sku_id"].as_str().unwrap(), l["buyable"].as_bool().unwrap())).collect();
        assert_eq!(left, vec![(gone.as_str(), false)], "the withdrawn item waits in the cart, marked");

        // A cart of nothing buyable is refused with a reason, and nothing is reserved.
        let (status, body) = shopper.post("/s/gone/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("nothing_buyable")), "{body}");
        assert_eq!(level(&w.owner, &gone, &w.store_a).await, (5, 0));
    }
}

api_test! {
    async fn check_finds_reservations_no_order_explains(app) {
        let w = shop_world(&app, "audit").await;
        let shopper = app.shopper("audit", "13900139007").await;
        shopper.post("/s/audit/api/cart/items", json!({"sku_id": w.sku, "quantity": 2})).await;
        let (_, order) = shopper.post("/s/audit/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        let report = app.sweep.check().await.unwrap();
        assert!(report.is_clean(), "{report:?}");

        // The order's line changed behind the ledger's back: reserved 2, promised 3.
        app.breaks_the_books();
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&app.db.url).await.unwrap();
        sqlx::query("UPDATE order_lines SET quantity = quantity + 1 WHERE order_id = $1")
            .bind(order["id"].as_str().unwrap())
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let report = app.sweep.check().await.unwrap();
        assert!(report.stock_ledger.is_empty(), "the ledger itself adds up");
        assert_eq!(report.reservations.len(), 1, "{report:?}");
        let found = &report.reservations[0];
        assert_eq!((found.location_id.as_str(), found.reserved, found.promised), (w.store_a.as_str(), 2, 3));
    }
}

api_test! {
    async fn a_session_cookie_of_one_shop_opens_nothing_in_another(app) {
        shop_world(&app, "shopa").await;
        let b = shop_world(&app, "shopb").await;
        let http = reqwest::Client::new();
        let first = http.get(format!("{}/s/shopa/api/session", app.url)).send().await.unwrap();
        let cookie = first.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        let csrf_a = first.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();

        // Shop B does not know A's session: it starts its own, with its own token.
        let there = http.get(format!("{}/s/shopb/api/session", app.url)).header("cookie", &cookie).send().await.unwrap();
        assert!(there.headers().get("set-cookie").is_some(), "a session of B's own");
        let csrf_b = there.json::<Value>().await.unwrap()["csrf_token"].as_str().map(str::to_string);
        assert_ne!(csrf_b.as_deref(), Some(csrf_a.as_str()));
        let added = http
            .post(format!("{}/s/shopb/api/cart/items", app.url))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf_a)
            .json(&json!({"sku_id": b.sku, "quantity": 1}))
            .send()
            .await
            .unwrap();
        assert!(added.headers().get("set-cookie").is_some(), "the item went into a new B session, not A's");
        let a_cart = http.get(format!("{}/s/shopa/api/cart", app.url)).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(a_cart.json::<Value>().await.unwrap()["lines"], json!([]), "A's cart untouched");
    }
}

api_test! {
    async fn a_cashier_page_left_open_cannot_pay_a_cancelled_order(app) {
        let w = shop_world(&app, "closed").await;
        let shopper = app.shopper("closed", "13900139008").await;
        shopper.post("/s/closed/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        let (_, order) = shopper.post("/s/closed/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        let id = order["id"].as_str().unwrap();
        let (_, pay) = shopper.post(&format!("/s/closed/api/orders/{id}/pay"), json!({})).await;
        let pay_url = pay["pay_url"].as_str().unwrap().to_string();
        let (status, cancelled) = shopper.post_empty(&format!("/s/closed/api/orders/{id}/cancel")).await;
        assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")));
        app.run_jobs().await;

        let trade = pay_url.rsplit('/').next().unwrap();
        let txn = app.sandbox.transaction(trade).await.unwrap().unwrap();
        assert_eq!(txn.status, "CLOSED", "the provider was told");
        let cashier = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let page = cashier.get(&pay_url).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("交易已关闭") && !page.contains("id=\"pay\""), "no pay button on a closed payment");
        let pressed = cashier.post(&pay_url).send().await.unwrap();
        assert_eq!(pressed.status(), StatusCode::CONFLICT);
        app.run_jobs().await;
        let (_, after) = shopper.get(&format!("/s/closed/api/orders/{id}")).await;
        assert_eq!((after["status"].as_str(), after["refunds"].clone()), (Some("cancelled"), json!([])), "no money moved");
    }
}
