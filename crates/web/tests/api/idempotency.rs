//! `Idempotency-Key`: a retry gets the first answer and creates nothing new.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_test;
use crate::helpers::*;

api_test! {
    async fn retries_replay_the_first_answer(app) {
        let w = world(&app, "idem").await;
        let keyed = w.owner.clone().with_header("idempotency-key", "receipt-2026-11-11-001");
        let receipt = json!({"location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 7}]});
        let (s1, first) = keyed.post("/api/v1/stock/receipts", receipt.clone()).await;
        let replay = keyed.raw(reqwest::Method::POST, "/api/v1/stock/receipts").await.json(&receipt).send().await.unwrap();
        assert_eq!(replay.headers()["idempotent-replayed"], "true");
        let (s2, second) = (replay.status(), replay.json::<serde_json::Value>().await.unwrap());
        assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
        assert_eq!(first, second, "the same answer, byte for byte");
        assert_eq!(available(&w.owner, &w.sku, &w.store_a).await, 7, "received once");

        let (s, b) = keyed.post("/api/v1/stock/receipts", json!({"location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 8}]})).await;
        assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused")));

        // Racing retries: one runs, the others wait their turn or get the replay.
        let racing = w.owner.clone().with_header("idempotency-key", "race-1");
        let body = json!({"location_id": w.store_b, "lines": [{"sku_id": w.sku, "quantity": 2}]});
        let attempts = (0..8).map(|_| {
            let c = racing.clone();
            let body = body.clone();
            async move { c.post("/api/v1/stock/receipts", body).await.0 }
        });
        let statuses = futures::future::join_all(attempts).await;
        assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT), "{statuses:?}");
        assert_eq!(available(&w.owner, &w.sku, &w.store_b).await, 2, "exactly one receipt");

        // Keys belong to the caller: another member's identical key is theirs alone.
        let other = staff(&app, &w.owner, "m@idem.test", "merchant_manager", &[]).await.with_header("idempotency-key", "receipt-2026-11-11-001");
        let (s, _) = other.post("/api/v1/stock/receipts", receipt).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(available(&w.owner, &w.sku, &w.store_a).await, 14);

        // A refused request is remembered too: the retry gets the same refusal, replayed.
        let bad = w.owner.clone().with_header("idempotency-key", "bad-1");
        let (s1, _) = bad.post("/api/v1/locations", json!({"code": "?"})).await;
        let again = bad.raw(reqwest::Method::POST, "/api/v1/locations").await.json(&json!({"code": "?"})).send().await.unwrap();
        assert_eq!((s1, again.status()), (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        let (s, b) = w.owner.clone().with_header("idempotency-key", &"k".repeat(300)).post("/api/v1/locations", location_body("K", "store")).await;
        assert_eq!((s, b["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("Idempotency-Key")));
    }
}
