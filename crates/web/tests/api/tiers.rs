//! Tiers by rolling spend and their benefits: member prices and the points rate follow
//! the tier a member has reached. On SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_test;
use crate::helpers::*;

api_test! {
    async fn member_prices_and_the_points_rate_follow_the_tier(app) {
        let w = shop_world(&app, "tier").await;
        let clerk = staff(&app, &w.owner, "a@tier.test", "clerk", &[&w.store_a]).await;
        // Newcomers pay list prices; from 50 yuan spent, member prices and 1.5x points.
        let program = json!({
            "spend_per_point": 100, "point_value": 1, "max_redeem_percent": 50,
            "points_valid_days": 365, "tier_window_days": 365,
            "tiers": [
                {"code": "member", "name": {"zh": "会员", "en": "Member"}, "min_spend": 0, "points_percent": 100, "member_prices": false},
                {"code": "silver", "name": {"zh": "银卡", "en": "Silver"}, "min_spend": 5000, "points_percent": 150}
            ]
        });
        let (status, body) = w.owner.put("/api/v1/loyalty/program", program).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let sale = |id: &str, cash: i64| json!({
            "sale_id": id, "store_id": w.store_a, "till_id": "T1", "member_phone": "13900000088",
            "lines": [{"sku_id": w.sku, "quantity": 1}],
            "payments": [{"method": "cash", "amount": cash}]
        });
        // A new member: the member price (35.00) is not theirs yet; the list price is 39.00.
        let (status, body) = clerk.post("/api/v1/pos/sales", sale("T-1", 3500)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("payment_mismatch")), "{body}");
        let (status, body) = clerk.post("/api/v1/pos/sales", sale("T-1", 3900)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["member_points"], 39, "the first tier's rate: {body}");
        let (status, body) = clerk.post("/api/v1/pos/sales", sale("T-2", 3900)).await;
        assert_eq!((status, body["member_points"].as_i64()), (StatusCode::CREATED, Some(78)), "{body}");
        // 78 yuan spent: silver. Member prices, and half as many points again.
        let (_, card) = w.owner.get("/api/v1/members?phone=13900000088").await;
        assert_eq!(card["tier"]["code"], "silver", "{card}");
        let (status, body) = clerk.post("/api/v1/pos/sales", sale("T-3", 3500)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["member_points"], 78 + 52, "35 yuan at 1.5x: {body}");
    }
}
