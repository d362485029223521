//! A merchant owner signs in and runs the catalog, prices, locations and stock.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_test;
use crate::helpers::*;

api_test! {
    async fn owner_runs_catalog_prices_locations_and_stock(app) {
        let (_, owner) = app.merchant("yunmian").await;

        // Locations.
        let warehouse = owner.create("/api/v1/locations", location_body("HZ-WH", "warehouse")).await;
        let store = owner.create("/api/v1/locations", location_body("HZ-HB", "store")).await;
        let (warehouse, store) = (warehouse["id"].as_str().unwrap().to_string(), store["id"].as_str().unwrap().to_string());
        let (status, body) = owner
            .patch(&format!("/api/v1/locations/{store}"), json!({"opening_hours": {"sat": ["09:30-22:30"]}, "phone": "0571-1234"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["opening_hours"], json!({"sat": ["09:30-22:30"]}));
        assert_eq!(body["phone"], "0571-1234");

        // Catalog.
        let bedding = owner.create("/api/v1/categories", json!({"name": {"zh": "床品", "en": "Bedding"}})).await;
        let sets = owner
            .create("/api/v1/categories", json!({"name": {"zh": "四件套"}, "parent_id": bedding["id"]}))
            .await;
        let product = owner
            .create(
                "/api/v1/products",
                json!({"name": {"zh": "60支长绒棉四件套", "en": "60s cotton bedding set"},
                       "description": {"zh": "亲肤透气"}, "category_id": sets["id"]}),
            )
            .await;
        assert_eq!(product["status"], "draft");
        let pid = product["id"].as_str().unwrap();
        let sku = owner
            .create(
                &format!("/api/v1/products/{pid}/skus"),
                json!({"code": "BED-60-18", "barcode": "6901234567892",
                       "attributes": {"size": "1.8m", "colour": "雾霾蓝"}, "base_price": 89900, "member_price": 80900}),
            )
            .await;
        let sku_id = sku["id"].as_str().unwrap().to_string();
        assert_eq!(sku["base_price"], json!({"amount": 89900, "currency": "CNY"}));
        let (status, _) = owner.patch(&format!("/api/v1/products/{pid}"), json!({"status": "active"})).await;
        assert_eq!(status, StatusCode::OK);

        // An image, stored by Sweep and served back.
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde".to_vec();
        let uploaded = owner
            .raw(reqwest::Method::POST, &format!("/api/v1/products/{pid}/images"))
            .await
            .header("content-type", "image/png")
            .body(png.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), StatusCode::CREATED);
        let image: serde_json::Value = uploaded.json().await.unwrap();
        let served = reqwest::get(image["url"].as_str().unwrap()).await.unwrap();
        assert_eq!(served.headers()["content-type"], "image/png");
        assert_eq!(served.bytes().await.unwrap().to_vec(), png);

        let (_, detail) = owner.get(&format!("/api/v1/products/{pid}")).await;
        assert_eq!(detail["skus"][0]["code"], "BED-60-18");
        assert_eq!(detail["images"].as_array().unwrap().len(), 1);
        let (_, found) = owner.get("/api/v1/products?q=%E5%9B%9B%E4%BB%B6%E5%A5%97").await; // 四件套
        assert_eq!(found["items"][0]["id"], pid);
        let (_, by_barcode) = owner.get("/api/v1/skus?barcode=6901234567892").await;
        assert_eq!(by_barcode["items"][0]["id"], sku_id.as_str());

        // Prices: store beats channel beats base; members pay the member price when lower.
        let quote = |channel: &str, store: Option<&str>, member: bool| {
            let store = store.map(|s| format!("&store_id={s}")).unwrap_or_default();
            format!("/api/v1/prices/quote?sku_id={sku_id}&channel={channel}{store}&member={member}")
        };
        let (_, q) = owner.get(&quote("mobile", None, false)).await;
        assert_eq!((q["unit_price"]["amount"].as_i64(), q["source"].as_str()), (Some(89900), Some("base")));
        let (status, _) = owner.put(&format!("/api/v1/skus/{sku_id}/prices/channels/mobile"), json!({"price": 85900})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = owner.put(&format!("/api/v1/skus/{sku_id}/prices/stores/{store}"), json!({"price": 87900})).await;
        assert_eq!(status, StatusCode::OK);
        let (_, q) = owner.get(&quote("mobile", None, false)).await;
        assert_eq!(q["unit_price"]["amount"], 85900);
        let (_, q) = owner.get(&quote("mobile", Some(&store), false)).await;
        assert_eq!((q["unit_price"]["amount"].as_i64(), q["source"].as_str()), (Some(87900), Some("store_override")));
        let (_, q) = owner.get(&quote("pos", Some(&store), true)).await;
        assert_eq!((q["unit_price"]["amount"].as_i64(), q["source"].as_str()), (Some(80900), Some("member_price")));
        let (_, prices) = owner.get(&format!("/api/v1/skus/{sku_id}/prices")).await;
        assert_eq!(prices["overrides"].as_array().unwrap().len(), 2);

        // Parity: in the store's context phone and till agree (the store price wins on
        // both); a POS-only price breaks that and the report names it.
        let (_, parity) = owner.get("/api/v1/reports/price-parity").await;
        assert_eq!(parity["items"], json!([]));
        owner.delete(&format!("/api/v1/skus/{sku_id}/prices/stores/{store}")).await;
        let (_, parity) = owner.get("/api/v1/reports/price-parity").await;
        assert_eq!(parity["items"].as_array().unwrap().len(), 1, "{parity}");
        assert_eq!(parity["items"][0]["till_price"]["amount"], 89900);
        assert_eq!(parity["items"][0]["phone_prices"][0], json!({"channel": "mobile", "price": {"amount": 85900, "currency": "CNY"}}));

        // Stock: receive, transfer, adjust; the ledger explains every figure.
        owner.create("/api/v1/stock/receipts", json!({"location_id": warehouse, "lines": [{"sku_id": sku_id, "quantity": 50}], "note": "PO-1"})).await;
        let moved = owner
            .create("/api/v1/stock/transfers", json!({"from_location_id": warehouse, "to_location_id": store, "lines": [{"sku_id": sku_id, "quantity": 12}]}))
            .await;
        assert!(moved["reference"].as_str().unwrap().starts_with("transfer:"));
        let adjusted = owner
            .create("/api/v1/stock/adjustments", json!({"location_id": store, "sku_id": sku_id, "delta": -2, "reason": "damaged"}))
            .await;
        assert_eq!(adjusted["movements"][0]["after"], json!({"on_hand": 10, "reserved": 0}));
        assert_eq!(available(&owner, &sku_id, &warehouse).await, 38);
        assert_eq!(available(&owner, &sku_id, &store).await, 10);
        let (_, history) = owner.get(&format!("/api/v1/stock/movements?sku_id={sku_id}&location_id={store}")).await;
        let kinds: Vec<&str> = history["items"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, vec!["adjust", "transfer_in"]);
        let (status, body) = owner
            .post("/api/v1/stock/transfers", json!({"from_location_id": store, "to_location_id": warehouse, "lines": [{"sku_id": sku_id, "quantity": 11}]}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!((body["error"]["code"].as_str(), body["error"]["available"].as_i64()), (Some("insufficient_stock"), Some(10)));
        assert_eq!(body["error"]["fields"][0]["field"], "lines.0");
        app.assert_balanced().await;

        // Archiving keeps history and takes things out of the active lists.
        let (_, archived) = owner.post_empty(&format!("/api/v1/skus/{sku_id}/archive")).await;
        assert_eq!(archived["status"], "archived");
        let (_, active) = owner.get("/api/v1/skus?status=active").await;
        assert_eq!(active["items"], json!([]));
    }
}

api_test! {
    async fn lists_page_with_cursors(app) {
        let (_, owner) = app.merchant("pages").await;
        for i in 0..5 {
            owner.create("/api/v1/categories", json!({"name": {"en": format!("C{i}")}})).await;
        }
        let mut seen = Vec::new();
        let mut path = "/api/v1/categories?limit=2".to_string();
        loop {
            let (status, page) = owner.get(&path).await;
            assert_eq!(status, StatusCode::OK);
            seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["name"]["en"].as_str().unwrap().to_string()));
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/categories?limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen, vec!["C0", "C1", "C2", "C3", "C4"]);
    }
}
