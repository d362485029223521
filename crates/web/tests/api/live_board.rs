//! The big screen's board: today's figures and the store leaderboard, folded from the
//! sales feed, as JSON and as server-sent events. On SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::*;

api_test! {
    async fn the_board_follows_paid_orders_and_streams_them(app) {
        let w = shop_world(&app, "big").await;
        let (_, before) = w.owner.get("/api/v1/live/board").await;
        assert_eq!((before["today"]["gmv"].as_i64(), before["top_stores"].as_array().map(Vec::len), before["top_products"].as_array().map(Vec::len)), (Some(0), Some(0), Some(0)), "{before}");

        // A pickup order at store A, paid.
        let shopper = app.shopper("big", "13800138070").await;
        let (_, _) = shopper.post("/s/big/api/cart/items", json!({"sku_id": w.sku, "quantity": 2})).await;
        let (status, order) = shopper.post("/s/big/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        app.pay_in_sandbox(&shopper, "big", order["id"].as_str().unwrap()).await;
        app.sweep.fold_sales_feed().await.unwrap();

        let (status, board) = w.owner.get("/api/v1/live/board").await;
        assert_eq!(status, StatusCode::OK, "{board}");
        assert_eq!((board["today"]["gmv"].as_i64(), board["today"]["placed"].as_i64(), board["today"]["paid"].as_i64()), (Some(7000), Some(1), Some(1)), "{board}");
        assert_eq!(board["orders_last_minute"], 1);
        let top = &board["top_stores"][0];
        assert_eq!((top["store_id"].as_str(), top["gmv"].as_i64()), (Some(w.store_a.as_str()), Some(7000)), "{board}");
        assert!(top["name"]["zh"].is_string());
        let product = &board["top_products"][0];
        assert_eq!((product["product_id"].as_str(), product["units"].as_i64(), product["gmv"].as_i64()), (Some(w.product.as_str()), Some(2), Some(7000)), "{board}");
        assert_eq!(board["top_products"].as_array().unwrap().len(), 1);

        // The stream: an `event: board` with the same figures, at once.
        let mut response = w.owner.raw(reqwest::Method::GET, "/api/v1/live/stream").await.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        let mut text = String::new();
        while !text.contains("\n\n") {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), response.chunk()).await.unwrap().unwrap().unwrap();
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
        assert!(text.starts_with("event: board\n"), "{text}");
        let data: Value = serde_json::from_str(text.split("data: ").nth(1).unwrap().trim()).unwrap();
        assert_eq!(data["today"]["gmv"], 7000);

        // Head office only; another merchant sees its own (empty) board.
        let manager = staff(&app, &w.owner, "m@big.test", "store_manager", &[&w.store_a]).await;
        let (status, _) = manager.get("/api/v1/live/board").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = manager.get("/api/v1/live/stream").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, other) = app.merchant("big2").await;
        let (_, theirs) = other.get("/api/v1/live/board").await;
        assert_eq!(theirs["today"]["gmv"], 0);
    }
}
