//! Payment codes at the till, charged through the payment provider (the sandbox): one
//! charge however often the sale is sent, a declined wallet records nothing, and a sale
//! that cannot be recorded gives its charge back. On SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::*;

/// A member's sale of one unit (member price 35.00) paid with a WeChat payment code.
fn coded_sale(w: &World, sale_id: &str, quantity: i64, code: &str) -> Value {
    json!({
        "sale_id": sale_id, "store_id": w.store_a, "till_id": "T1",
        "member_phone": "13900000077",
        "lines": [{"sku_id": w.sku, "quantity": quantity}],
        "payments": [{"method": "wechat_code", "amount": 3500 * quantity, "auth_code": code}]
    })
}

api_test! {
    async fn a_payment_code_is_charged_once_through_the_provider(app) {
        let w = shop_world(&app, "code").await;
        let clerk = staff(&app, &w.owner, "a@code.test", "clerk", &[&w.store_a]).await;
        let body = coded_sale(&w, "CODE-1", 1, "134567890123456789");
        let (status, first) = clerk.post("/api/v1/pos/sales", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        let order = first["order"]["id"].as_str().unwrap().to_string();
        let (_, view) = w.owner.get(&format!("/api/v1/orders/{order}")).await;
        let payments = view["payments"].as_array().unwrap();
        assert_eq!(payments.len(), 1, "{view}");
        assert_eq!(payments[0]["provider"], "sandbox", "charged through the provider: {view}");
        let trade_no = payments[0]["out_trade_no"].as_str().unwrap().to_string();
        assert!(trade_no.len() <= 32, "providers take 32 characters at most: {trade_no}");
        let txn = app.sandbox.transaction(&trade_no).await.unwrap().expect("the provider knows the charge");
        assert_eq!((txn.status.as_str(), txn.amount.minor()), ("SUCCESS", 3500));

        // Sent again (the till did not hear back): the same sale, no second charge.
        let (status, again) = clerk.post("/api/v1/pos/sales", body).await;
        assert_eq!((status, again["replayed"].as_bool()), (StatusCode::OK, Some(true)), "{again}");
        let (_, view) = w.owner.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(view["payments"].as_array().unwrap().len(), 1);
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (9, 0));
    }
}

api_test! {
    async fn a_declined_wallet_records_nothing_and_a_failed_sale_gives_the_charge_back(app) {
        let w = shop_world(&app, "decl").await;
        let clerk = staff(&app, &w.owner, "a@decl.test", "clerk", &[&w.store_a]).await;
        // The sandbox declines codes ending 0000 (an empty wallet).
        let (status, body) = clerk.post("/api/v1/pos/sales", coded_sale(&w, "DECL-1", 1, "134567890123450000")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("payment_declined")), "{body}");
        assert_eq!(body["error"]["fields"][0]["field"], "payments.0.auth_code", "{body}");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 0), "nothing sold");
        // The shopper pays with another code: the same sale goes through.
        let (status, body) = clerk.post("/api/v1/pos/sales", coded_sale(&w, "DECL-1", 1, "284567890123456789")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        // Eleven units, ten on the shelf: the code is charged, the sale is refused, and
        // the charge is given back, so the same sale id is not charged again.
        let (status, body) = clerk.post("/api/v1/pos/sales", coded_sale(&w, "SHORT-1", 11, "134567890123456789")).await;
        assert_eq!(body["error"]["code"], "insufficient_stock", "{status} {body}");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (9, 0));
        let (status, body) = clerk.post("/api/v1/pos/sales", coded_sale(&w, "SHORT-1", 1, "134567890123456789")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("payment_declined")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("reversed"), "{body}");

        // Codes only for WeChat and Alipay, and only online.
        let mut cash = coded_sale(&w, "CASH-1", 1, "134567890123456789");
        cash["payments"][0]["method"] = json!("cash");
        let (status, body) = clerk.post("/api/v1/pos/sales", cash).await;
        assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_code_payment")), "{body}");
    }
}
