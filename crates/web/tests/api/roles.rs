//! Store roles act only in their stores; clerks cannot adjust, transfer or edit.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_test;
use crate::helpers::*;

api_test! {
    async fn clerk_cannot_touch_another_stores_stock(app) {
        let w = world(&app, "shop").await;
        let clerk = staff(&app, &w.owner, "clerk@shop.test", "clerk", &[&w.store_a]).await;

        // Receiving at the clerk's own store works.
        let (status, body) = clerk
            .post("/api/v1/stock/receipts", json!({"location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 3}]}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(available(&clerk, &w.sku, &w.store_a).await, 3);

        // Another store, or the warehouse, does not exist as far as the clerk can tell.
        for location in [&w.store_b, &w.warehouse] {
            let (status, body) = clerk
                .post("/api/v1/stock/receipts", json!({"location_id": location, "lines": [{"sku_id": w.sku, "quantity": 3}]}))
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
            let (status, _) = clerk.get(&format!("/api/v1/locations/{location}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            let (status, _) = clerk.get(&format!("/api/v1/stock?location_id={location}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            let (status, _) = clerk.get(&format!("/api/v1/stock/movements?location_id={location}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
        // Counts and transfers are for managers, even in the clerk's own store.
        let (status, _) = clerk
            .post("/api/v1/stock/adjustments", json!({"location_id": w.store_a, "sku_id": w.sku, "delta": -1, "reason": "damaged"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = clerk
            .post("/api/v1/stock/transfers", json!({"from_location_id": w.store_a, "to_location_id": w.store_b, "lines": [{"sku_id": w.sku, "quantity": 1}]}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = clerk.patch(&format!("/api/v1/skus/{}", w.sku), json!({"base_price": 1})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Lists show the clerk's store only.
        let (_, stock) = clerk.get("/api/v1/stock").await;
        let locations: Vec<&str> = stock["items"].as_array().unwrap().iter().map(|r| r["location_id"].as_str().unwrap()).collect();
        assert_eq!(locations, vec![w.store_a.as_str()]);
        let (_, places) = clerk.get("/api/v1/locations").await;
        assert_eq!(places["items"].as_array().unwrap().len(), 1);

        // Nothing happened anywhere else.
        assert_eq!(available(&w.owner, &w.sku, &w.store_b).await, 0);
        assert_eq!(available(&w.owner, &w.sku, &w.warehouse).await, 100);
    }
}

api_test! {
    async fn store_managers_run_their_stores_only(app) {
        let w = world(&app, "mgr").await;
        let manager = staff(&app, &w.owner, "manager@mgr.test", "store_manager", &[&w.store_a]).await;

        // Stock sent to the store can be counted and sent on to a sister store.
        w.owner
            .create("/api/v1/stock/transfers", json!({"from_location_id": w.warehouse, "to_location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 10}]}))
            .await;
        manager
            .create("/api/v1/stock/adjustments", json!({"location_id": w.store_a, "sku_id": w.sku, "delta": -1, "reason": "count_correction"}))
            .await;
        manager
            .create("/api/v1/stock/transfers", json!({"from_location_id": w.store_a, "to_location_id": w.store_b, "lines": [{"sku_id": w.sku, "quantity": 4}]}))
            .await;
        assert_eq!(available(&w.owner, &w.sku, &w.store_a).await, 5);
        assert_eq!(available(&w.owner, &w.sku, &w.store_b).await, 4);
        let (status, _) = manager
            .post("/api/v1/stock/transfers", json!({"from_location_id": w.store_b, "to_location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 1}]}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "cannot pull stock out of someone else's store");

        // Store managers hire clerks for their own store, not for others or above themselves.
        let (status, body) = manager
            .post("/api/v1/staff", json!({"login": "c1@mgr.test", "display_name": "C1", "password": PASSWORD, "role": "clerk", "stores": [w.store_a]}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = manager
            .post("/api/v1/staff", json!({"login": "c2@mgr.test", "display_name": "C2", "password": PASSWORD, "role": "clerk", "stores": [w.store_b]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["fields"][0]["field"], "stores.0");
        let (status, _) = manager
            .post("/api/v1/staff", json!({"login": "m2@mgr.test", "display_name": "M2", "password": PASSWORD, "role": "merchant_manager"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // A clerk who also works in another store is head office's to change: the store
        // manager could otherwise take them off (or disable them at) that other store.
        let shared = w
            .owner
            .create("/api/v1/staff", json!({"login": "both@mgr.test", "display_name": "Both", "password": PASSWORD, "role": "clerk", "stores": [w.store_a, w.store_b]}))
            .await;
        let shared_id = shared["id"].as_str().unwrap();
        for change in [json!({"stores": [w.store_a]}), json!({"status": "disabled"}), json!({"display_name": "X"})] {
            let (status, body) = manager.patch(&format!("/api/v1/staff/{shared_id}"), change).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        }
        let (_, unchanged) = w.owner.get(&format!("/api/v1/staff/{shared_id}")).await;
        assert_eq!((unchanged["stores"].as_array().unwrap().len(), unchanged["status"].as_str()), (2, Some("active")));
        let own_clerk = team_member(&w.owner, "c1@mgr.test").await;
        let (status, body) = manager.patch(&format!("/api/v1/staff/{own_clerk}"), json!({"display_name": "Clerk One"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // They see their store's staff, not head office's accounts.
        let (_, team) = manager.get("/api/v1/staff").await;
        let logins: Vec<&str> = team["items"].as_array().unwrap().iter().map(|s| s["login"].as_str().unwrap()).collect();
        assert!(logins.contains(&"c1@mgr.test") && !logins.contains(&"owner@mgr.test"), "{logins:?}");

        // Price reports cover their store only; prices themselves are head office's.
        let (status, _) = manager.get(&format!("/api/v1/reports/price-parity?store_id={}", w.store_b)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = manager.put(&format!("/api/v1/skus/{}/prices/stores/{}", w.sku, w.store_a), json!({"price": 1})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

api_test! {
    async fn staff_changes_follow_the_hierarchy(app) {
        let w = world(&app, "hr").await;
        let (_, body) = w.owner.get("/api/v1/me").await;
        let owner_id = body["staff"]["id"].as_str().unwrap().to_string();
        let manager = staff(&app, &w.owner, "m@hr.test", "merchant_manager", &[]).await;
        let clerk_body = manager
            .create("/api/v1/staff", json!({"login": "c@hr.test", "display_name": "C", "password": PASSWORD, "role": "clerk", "stores": [w.store_a]}))
            .await;
        let clerk_id = clerk_body["id"].as_str().unwrap();
        let clerk = app.sign_in("c@hr.test").await;

        // A merchant manager cannot touch the owner; nobody changes their own role.
        let (status, _) = manager.patch(&format!("/api/v1/staff/{owner_id}"), json!({"status": "disabled"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = w.owner.patch(&format!("/api/v1/staff/{owner_id}"), json!({"role": "clerk"})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("cannot_change_self")));

        // Disabling a clerk signs them out at once.
        let (status, _) = clerk.get("/api/v1/me").await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = manager.patch(&format!("/api/v1/staff/{clerk_id}"), json!({"status": "disabled"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _) = clerk.get("/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app.anonymous().post("/api/v1/auth/login", json!({"login": "c@hr.test", "password": PASSWORD})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Promoting a clerk to head office drops their store ties.
        let (status, body) = w.owner.patch(&format!("/api/v1/staff/{clerk_id}"), json!({"role": "merchant_manager", "status": "active", "stores": []})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["stores"], json!([]));
    }
}

async fn team_member(owner: &Client, login: &str) -> String {
    let (_, team) = owner.get("/api/v1/staff?limit=200").await;
    team["items"].as_array().unwrap().iter().find(|s| s["login"] == login).unwrap()["id"].as_str().unwrap().to_string()
}
