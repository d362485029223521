//! Several `sweep serve` processes on one database share everything that matters:
//! sessions, sign-in counters, idempotency keys and stock.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_test;
use crate::helpers::*;

api_test! {
    async fn two_processes_share_sessions_counters_keys_and_stock(app) {
        let w = world(&app, "twin").await;
        let other = app.second_process().await;

        // A session made on one process works on the other.
        let mut on_other = w.owner.clone();
        on_other.base = other.url.clone();
        let (status, _) = on_other.get("/api/v1/me").await;
        assert_eq!(status, StatusCode::OK);

        // Sign-in attempts count across both processes.
        let first = app.anonymous();
        let mut second = other.anonymous();
        second.base = other.url.clone();
        for i in 0..5 {
            let client = if i % 2 == 0 { &first } else { &second };
            let (status, _) = client.post("/api/v1/auth/login", json!({"login": "owner@twin.test", "password": "guess guess"})).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (status, _) = second.post("/api/v1/auth/login", json!({"login": "owner@twin.test", "password": PASSWORD})).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the sixth attempt is refused whichever process gets it");

        // An idempotency key used on one process replays on the other.
        let body = json!({"location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 4}]});
        let (s1, a) = w.owner.clone().with_header("idempotency-key", "twin-1").post("/api/v1/stock/receipts", body.clone()).await;
        let (s2, b) = on_other.clone().with_header("idempotency-key", "twin-1").post("/api/v1/stock/receipts", body).await;
        assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
        assert_eq!(a, b);
        assert_eq!(available(&w.owner, &w.sku, &w.store_a).await, 4);

        // Racing transfers through both processes never oversell the warehouse's 100 units.
        let transfer = json!({"from_location_id": w.warehouse, "to_location_id": w.store_b, "lines": [{"sku_id": w.sku, "quantity": 7}]});
        let tasks = (0..20).map(|i| {
            let client = if i % 2 == 0 { w.owner.clone() } else { on_other.clone() };
            let transfer = transfer.clone();
            async move { client.post("/api/v1/stock/transfers", transfer).await.0 }
        });
        let statuses = futures::future::join_all(tasks).await;
        let moved = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
        assert_eq!(moved, 14, "100 units make 14 transfers of 7: {statuses:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT), "{statuses:?}");
        assert_eq!(available(&w.owner, &w.sku, &w.warehouse).await, 2);
        app.assert_balanced().await;
    }
}
