//! Bad input gets a 4xx with a stable code naming the field, and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::*;

async fn raw_post(client: &Client, path: &str, content_type: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
    // The server may answer an oversized body before reading it and then close the
    // connection; not pooling it keeps the next request off a dying connection.
    let mut req = client.raw(reqwest::Method::POST, path).await.header("connection", "close").body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let response = req.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

api_test! {
    async fn malformed_requests_get_clear_4xx_and_change_nothing(app) {
        let w = world(&app, "bad").await;
        let o = &w.owner;
        let code = |v: &Value| v["error"]["code"].as_str().unwrap_or_default().to_string();
        let field = |v: &Value| v["error"]["fields"][0]["field"].as_str().unwrap_or_default().to_string();

        let (s, b) = raw_post(o, "/api/v1/locations", Some("application/json"), b"{\"code\": ".to_vec()).await;
        assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "invalid_json".into()));
        let trailing = o
            .raw(reqwest::Method::PATCH, &format!("/api/v1/locations/{}", w.store_a))
            .await
            .header("content-type", "application/json")
            .body("{} trailing")
            .send()
            .await
            .unwrap();
        assert_eq!(trailing.status(), StatusCode::BAD_REQUEST);
        let (s, b) = raw_post(o, "/api/v1/locations", Some("text/plain"), b"{}".to_vec()).await;
        assert_eq!((s, code(&b)), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type".into()));
        let (s, b) = raw_post(o, "/api/v1/locations", None, b"{}".to_vec()).await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{b}");
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let (s, b) = raw_post(o, "/api/v1/locations", Some("application/json"), deep.into_bytes()).await;
        assert!(s.is_client_error(), "deep nesting is refused, not a crash: {s} {b}");
        let deep_value = format!("{{\"lines\": [{{\"sku_id\": {}1{}}}]}}", "[".repeat(5_000), "]".repeat(5_000));
        let (s, b) = raw_post(o, "/api/v1/stock/receipts", Some("application/json"), deep_value.into_bytes()).await;
        assert!(s.is_client_error(), "{s} {b}");
        let huge = format!("{{\"code\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
        let (s, b) = raw_post(o, "/api/v1/locations", Some("application/json"), huge.into_bytes()).await;
        assert_eq!((s, code(&b)), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into()));

        // Wrong types, unknown and missing fields are named.
        let mut wrong_type = location_body("B1", "store");
        wrong_type["point"]["lat"] = json!("north");
        let (s, b) = o.post("/api/v1/locations", wrong_type).await;
        assert_eq!((s, code(&b), field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed".into(), "point.lat".into()));
        let mut unknown = location_body("B1", "store");
        unknown["colour"] = json!("red");
        let (s, b) = o.post("/api/v1/locations", unknown).await;
        assert_eq!((s, field(&b), b["error"]["fields"][0]["code"].as_str().unwrap().to_string()), (StatusCode::UNPROCESSABLE_ENTITY, "colour".into(), "unknown_field".into()));
        let (s, b) = o.post("/api/v1/locations", json!({"code": "B1", "kind": "store", "name": {"zh": "x"}})).await;
        assert_eq!((s, field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "point".into()));
        let (s, b) = o.post("/api/v1/locations", json!({"code": "B1", "kind": "spaceship", "name": {"zh": "x"}, "point": {"lat": 0, "lng": 0}})).await;
        assert_eq!((s, field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "kind".into()));

        // Rules: every bad field at once.
        let mut bad = location_body("has space", "warehouse");
        bad["name"] = json!({"zh": "长".repeat(121)});
        bad["point"] = json!({"lat": 91, "lng": 0});
        bad["opening_hours"] = json!({"mon": ["22:00-09:00"]});
        let (s, b) = o.post("/api/v1/locations", bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = b["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["code", "name.zh", "point.lat", "opening_hours.mon.0"]);

        // Quantities: positive and bounded; prices: not negative, not absurd.
        for (quantity, expected) in [(0, "not_positive"), (-5, "not_positive"), (1_000_001, "too_large")] {
            let (s, b) = o.post("/api/v1/stock/receipts", json!({"location_id": w.warehouse, "lines": [{"sku_id": w.sku, "quantity": quantity}]})).await;
            assert_eq!((s, field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "lines.0.quantity".into()));
            assert_eq!(b["error"]["fields"][0]["code"], expected);
        }
        let (s, b) = o.post("/api/v1/stock/receipts", json!({"location_id": w.warehouse, "lines": [{"sku_id": w.sku, "quantity": 1e30}]})).await;
        assert_eq!((s, field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "lines.0.quantity".into()), "{b}");
        let (s, b) = o.post("/api/v1/stock/receipts", json!({"location_id": w.warehouse, "lines": []})).await;
        assert_eq!((s, field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "lines".into()));
        let (s, b) = o.post(&format!("/api/v1/products/{}/skus", w.product), json!({"code": "N-1", "base_price": -1})).await;
        assert_eq!((s, field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "base_price".into()));
        let (s, b) = o.post(&format!("/api/v1/products/{}/skus", w.product), json!({"code": "N-1", "base_price": 9_000_000_000_000_000_000u64})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let (s, b) = o.post("/api/v1/stock/adjustments", json!({"location_id": w.warehouse, "sku_id": w.sku, "delta": -101, "reason": "lost"})).await;
        assert_eq!((s, code(&b), field(&b)), (StatusCode::CONFLICT, "insufficient_stock".into(), "delta".into()));
        let (s, b) = o.post("/api/v1/stock/adjustments", json!({"location_id": w.warehouse, "sku_id": w.sku, "delta": 1, "reason": "other"})).await;
        assert_eq!((s, field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "note".into()));

        // Queries and paths.
        let (s, b) = o.get("/api/v1/locations?limit=0").await;
        assert_eq!((s, field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "limit".into()));
        let (s, b) = o.get("/api/v1/locations?limit=ten").await;
        assert_eq!((s, field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "limit".into()));
        let (s, b) = o.get("/api/v1/locations?colour=red").await;
        assert_eq!((s, field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "colour".into()));
        let (s, b) = o.get("/api/v1/locations?cursor=zzz").await;
        assert_eq!((s, field(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "cursor".into()));
        let (s, _) = o.get("/api/v1/locations/not-an-id").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, b) = o.get("/api/v1/no-such-thing").await;
        assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "not_found".into()));
        let (s, b) = o.send(reqwest::Method::DELETE, "/api/v1/locations", None).await;
        assert_eq!((s, code(&b)), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed".into()));
        let (s, _) = o.put(&format!("/api/v1/skus/{}/prices/channels/teleport", w.sku), json!({"price": 1})).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, b) = raw_post(o, &format!("/api/v1/products/{}/images", w.product), Some("image/png"), b"<svg onload=alert(1)>".to_vec()).await;
        assert_eq!((s, b["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unsupported_image")));

        // Control characters in filters and undecodable paths: named 4xx, never a 5xx.
        for path in ["/api/v1/products?q=%00", "/api/v1/skus?code=a%00b", "/api/v1/locations?city=%07"] {
            let (s, b) = o.get(path).await;
            assert_eq!((s, b["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_characters")), "{path}");
        }
        let odd = o.raw(reqwest::Method::GET, "/api/v1/locations/%FF%FE").await.send().await.unwrap();
        assert_eq!(odd.status(), StatusCode::NOT_FOUND);
        assert_eq!(odd.headers()["content-type"], "application/json");

        // After all that, the merchant is as it was.
        let (_, locations) = o.get("/api/v1/locations").await;
        assert_eq!(locations["items"].as_array().unwrap().len(), 3);
        assert_eq!(available(o, &w.sku, &w.warehouse).await, 100);
        let (_, skus) = o.get("/api/v1/skus").await;
        assert_eq!(skus["items"].as_array().unwrap().len(), 1);
    }
}

api_test! {
    async fn duplicates_name_the_field(app) {
        let w = world(&app, "dup").await;
        let (s, b) = w.owner.post("/api/v1/locations", location_body("WH", "warehouse")).await;
        assert_eq!((s, b["error"]["code"].as_str(), b["error"]["fields"][0]["field"].as_str()), (StatusCode::CONFLICT, Some("duplicate"), Some("code")));
        let (s, b) = w.owner.post(&format!("/api/v1/products/{}/skus", w.product), json!({"code": "TWL-1", "base_price": 1})).await;
        assert_eq!((s, b["error"]["fields"][0]["field"].as_str()), (StatusCode::CONFLICT, Some("code")));
        let admin = app.admin().await;
        let (s, b) = admin.post("/api/v1/merchants", json!({"name": "x", "slug": "dup", "owner": {"login": "new@dup.test", "display_name": "x", "password": PASSWORD}})).await;
        assert_eq!((s, b["error"]["fields"][0]["field"].as_str()), (StatusCode::CONFLICT, Some("slug")));
    }
}

api_test! {
    async fn every_answer_carries_security_headers_and_errors_are_json(app) {
        let (_, owner) = app.merchant("hdr").await;
        for path in ["/api/v1/locations", "/api/v1/no-such-route", "/api/v1/locations/not-an-id", "/healthz"] {
            let response = owner.raw(reqwest::Method::GET, path).await.send().await.unwrap();
            for header in ["content-security-policy", "x-frame-options", "x-content-type-options", "x-request-id"] {
                assert!(response.headers().contains_key(header), "{path} lacks {header}");
            }
            if !response.status().is_success() {
                assert_eq!(response.headers()["content-type"], "application/json", "{path}");
            }
        }
    }
}

api_test! {
    async fn concurrent_edits_of_different_fields_both_stick(app) {
        let w = world(&app, "race").await;
        for round in 0..10 {
            let name = json!({"name": {"zh": format!("毛巾{round}"), "en": format!("Towel {round}")}});
            let status = json!({"status": if round % 2 == 0 { "draft" } else { "active" }});
            let path = format!("/api/v1/products/{}", w.product);
            let (a, b) = tokio::join!(w.owner.patch(&path, name), w.owner.patch(&path, status));
            assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
            let (_, product) = w.owner.get(&path).await;
            assert_eq!(product["name"]["en"], format!("Towel {round}"), "the name edit was kept");
            assert_eq!(product["status"], if round % 2 == 0 { "draft" } else { "active" }, "the status edit was kept");
        }
    }
}
