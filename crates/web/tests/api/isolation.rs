//! Merchant A can neither see nor change anything of merchant B: every such request
//! answers 404 (so nothing leaks its existence) and changes nothing.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_test;
use crate::helpers::*;

api_test! {
    async fn merchants_cannot_see_or_touch_each_other(app) {
        let a = world(&app, "alpha").await;
        let b = world(&app, "beta").await;
        let owner_a = &a.owner;

        let reads = [
            format!("/api/v1/merchants/{}", b.merchant_id),
            format!("/api/v1/locations/{}", b.store_a),
            format!("/api/v1/products/{}", b.product),
            format!("/api/v1/skus/{}", b.sku),
            format!("/api/v1/skus/{}/prices", b.sku),
            format!("/api/v1/prices/quote?sku_id={}&channel=pos", b.sku),
        ];
        for path in &reads {
            let (status, body) = owner_a.get(path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}: {body}");
            assert_eq!(body["error"]["code"], "not_found");
        }

        let writes = [
            ("PATCH", format!("/api/v1/merchants/{}", b.merchant_id), json!({"name": "taken"})),
            ("PATCH", format!("/api/v1/locations/{}", b.store_a), json!({"phone": "1"})),
            ("POST", format!("/api/v1/locations/{}/archive", b.store_a), json!({})),
            ("PATCH", format!("/api/v1/products/{}", b.product), json!({"status": "archived"})),
            ("PATCH", format!("/api/v1/skus/{}", b.sku), json!({"base_price": 1})),
            ("POST", format!("/api/v1/products/{}/skus", b.product), json!({"code": "X", "base_price": 1})),
            ("PUT", format!("/api/v1/skus/{}/prices/channels/pos", b.sku), json!({"price": 1})),
            ("PUT", format!("/api/v1/skus/{}/prices/stores/{}", a.sku, b.store_a), json!({"price": 1})),
            ("POST", "/api/v1/stock/receipts".into(), json!({"location_id": b.warehouse, "lines": [{"sku_id": b.sku, "quantity": 5}]})),
            ("POST", "/api/v1/stock/adjustments".into(), json!({"location_id": b.warehouse, "sku_id": b.sku, "delta": -5, "reason": "lost"})),
            ("POST", "/api/v1/stock/transfers".into(), json!({"from_location_id": b.warehouse, "to_location_id": a.store_a, "lines": [{"sku_id": b.sku, "quantity": 5}]})),
        ];
        for (method, path, body) in &writes {
            let (status, answer) = owner_a.send(method.parse().unwrap(), path, Some(body.clone())).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        }

        // Mixing a foreign SKU into one's own location names the field, and moves nothing.
        let (status, answer) = owner_a
            .post("/api/v1/stock/receipts", json!({"location_id": a.warehouse, "lines": [{"sku_id": b.sku, "quantity": 5}]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer["error"]["fields"][0]["field"], "lines.0.sku_id");
        let (status, _) = owner_a
            .post("/api/v1/stock/transfers", json!({"from_location_id": a.warehouse, "to_location_id": b.store_a, "lines": [{"sku_id": a.sku, "quantity": 5}]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a foreign destination is unknown");

        // Lists never include the other merchant's rows.
        for path in ["/api/v1/locations", "/api/v1/products", "/api/v1/skus", "/api/v1/stock", "/api/v1/stock/movements", "/api/v1/staff", "/api/v1/merchants"] {
            let (_, mine) = owner_a.get(path).await;
            let text = mine.to_string();
            for foreign in [&b.merchant_id, &b.store_a, &b.product, &b.sku, &b.warehouse] {
                assert!(!text.contains(foreign.as_str()), "{path} leaks {foreign}");
            }
        }
        let (_, filtered) = owner_a.get(&format!("/api/v1/stock?sku_id={}", b.sku)).await;
        assert_eq!(filtered["items"], json!([]));

        // B's world is exactly as it was.
        assert_eq!(available(&b.owner, &b.sku, &b.warehouse).await, 100);
        let (_, sku) = b.owner.get(&format!("/api/v1/skus/{}", b.sku)).await;
        assert_eq!(sku["base_price"]["amount"], 3900);
        let (_, merchant) = b.owner.get(&format!("/api/v1/merchants/{}", b.merchant_id)).await;
        assert_eq!(merchant["name"], "Merchant beta");
        let (_, prices) = b.owner.get(&format!("/api/v1/skus/{}/prices", b.sku)).await;
        assert_eq!(prices["overrides"], json!([]));
    }
}

api_test! {
    async fn platform_admins_act_in_a_merchant_they_name(app) {
        let a = world(&app, "gamma").await;
        let admin = app.admin().await;
        let (status, body) = admin.get("/api/v1/locations").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["fields"][0]["code"], "merchant_required");
        let admin_in_a = admin.clone().with_header("x-merchant-id", &a.merchant_id);
        let (status, body) = admin_in_a.get("/api/v1/locations").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["items"].as_array().unwrap().len(), 3);
        let (status, _) = admin.clone().with_header("x-merchant-id", "01a00000-0000-7000-8000-000000000000").get("/api/v1/locations").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The header means nothing for merchant staff: they stay in their own merchant.
        let b = world(&app, "delta").await;
        let sneaky = b.owner.clone().with_header("x-merchant-id", &a.merchant_id);
        let (_, theirs) = sneaky.get("/api/v1/locations").await;
        assert!(!theirs.to_string().contains(&a.store_a));

        // Suspending a merchant locks its staff out at once.
        let (status, _) = admin.patch(&format!("/api/v1/merchants/{}", a.merchant_id), json!({"status": "suspended"})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = a.owner.get("/api/v1/locations").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, body) = app.anonymous().post("/api/v1/auth/login", json!({"login": "owner@gamma.test", "password": PASSWORD})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("merchant_suspended")));
        // Owners cannot lift their own suspension, or suspend themselves.
        let (status, _) = b.owner.patch(&format!("/api/v1/merchants/{}", b.merchant_id), json!({"status": "suspended"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

api_test! {
    async fn every_kind_of_resource_is_walled_off(app) {
        let a = world(&app, "left").await;
        let b = world(&app, "right").await;
        let category = b.owner.create("/api/v1/categories", json!({"name": {"en": "Right only"}})).await;
        let category = category["id"].as_str().unwrap().to_string();
        let token = b.owner.create("/api/v1/api-tokens", json!({"name": "theirs"})).await;
        let token = token["token"]["id"].as_str().unwrap().to_string();
        let (_, me) = b.owner.get("/api/v1/me").await;
        let staff = me["staff"]["id"].as_str().unwrap().to_string();
        let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
        let image = b
            .owner
            .raw(reqwest::Method::POST, &format!("/api/v1/products/{}/images", b.product))
            .await
            .header("content-type", "image/png")
            .body(png.clone())
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        let image = image["id"].as_str().unwrap().to_string();
        b.owner.put(&format!("/api/v1/skus/{}/prices/channels/pos", b.sku), json!({"price": 3000})).await;

        let attempts: Vec<(&str, String, Option<serde_json::Value>)> = vec![
            ("GET", format!("/api/v1/categories/{category}"), None),
            ("PATCH", format!("/api/v1/categories/{category}"), Some(json!({"name": {"en": "mine"}}))),
            ("POST", format!("/api/v1/categories/{category}/archive"), None),
            ("POST", "/api/v1/categories".into(), Some(json!({"name": {"en": "x"}, "parent_id": category}))),
            ("GET", format!("/api/v1/staff/{staff}"), None),
            ("PATCH", format!("/api/v1/staff/{staff}"), Some(json!({"status": "disabled"}))),
            ("POST", format!("/api/v1/api-tokens/{token}/revoke"), None),
            ("POST", format!("/api/v1/products/{}/archive", b.product), None),
            ("POST", format!("/api/v1/skus/{}/archive", b.sku), None),
            ("DELETE", format!("/api/v1/products/{}/images/{image}", b.product), None),
            ("DELETE", format!("/api/v1/skus/{}/prices/channels/pos", b.sku), None),
            ("GET", format!("/api/v1/reports/price-parity?store_id={}", b.store_a), None),
            ("GET", format!("/api/v1/stock?location_id={}", b.store_a), None),
            ("GET", format!("/api/v1/stock/movements?sku_id={}", b.sku), None),
        ];
        for (method, path, body) in attempts {
            let (status, answer) = a.owner.send(method.parse().unwrap(), &path, body).await;
            let allowed = match path.as_str() {
                // Filters on another merchant's ids find nothing rather than fail.
                p if p.starts_with("/api/v1/stock") => status == StatusCode::OK && answer["items"] == json!([]),
                // A foreign parent is an unknown parent.
                "/api/v1/categories" => status == StatusCode::UNPROCESSABLE_ENTITY,
                _ => status == StatusCode::NOT_FOUND,
            };
            assert!(allowed, "{method} {path}: {status} {answer}");
        }
        let upload = a
            .owner
            .raw(reqwest::Method::POST, &format!("/api/v1/products/{}/images", b.product))
            .await
            .header("content-type", "image/png")
            .body(png)
            .send()
            .await
            .unwrap();
        assert_eq!(upload.status(), StatusCode::NOT_FOUND);

        // Nothing of B's changed.
        let (_, c) = b.owner.get(&format!("/api/v1/categories/{category}")).await;
        assert_eq!((c["name"]["en"].as_str(), c["status"].as_str()), (Some("Right only"), Some("active")));
        let (_, tokens) = b.owner.get("/api/v1/api-tokens").await;
        assert!(tokens["items"][0]["revoked_at"].is_null());
        let (_, detail) = b.owner.get(&format!("/api/v1/products/{}", b.product)).await;
        assert_eq!((detail["status"].as_str(), detail["images"].as_array().unwrap().len()), (Some("active"), 1));
        let (_, prices) = b.owner.get(&format!("/api/v1/skus/{}/prices", b.sku)).await;
        assert_eq!(prices["overrides"].as_array().unwrap().len(), 1);
        assert_eq!(b.owner.get("/api/v1/me").await.0, StatusCode::OK, "B's owner is still active");
    }
}
