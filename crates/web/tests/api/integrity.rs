//! `sweep check` holds the books to their rules: a shop's real day passes, and each
//! kind of damage done behind the application's back is named, rule and row, then
//! passes again once repaired. On SQLite and PostgreSQL.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::json;

use crate::api_test;
use crate::helpers::*;

fn only(rule: &'static str, subjects: &[String]) -> BTreeMap<&'static str, Vec<String>> {
    BTreeMap::from([(rule, subjects.to_vec())])
}

api_test! {
    async fn check_names_each_broken_rule_of_orders_payments_and_sold_units(app) {
        let w = shop_world(&app, "books").await;
        let shopper = app.shopper("books", "13900139100").await;
        let clerk = staff(&app, &w.owner, "clerk@books.test", "clerk", &[&w.store_a]).await;

        // One order paid and handed over, one still waiting for its money.
        shopper.post("/s/books/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        let (status, done) = shopper.post("/s/books/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        assert_eq!(status, StatusCode::CREATED, "{done}");
        let done = done["id"].as_str().unwrap().to_string();
        app.pay_in_sandbox(&shopper, "books", &done).await;
        let (_, paid) = shopper.get(&format!("/s/books/api/orders/{done}")).await;
        let code = paid["pickup_code"]["code"].as_str().unwrap().to_string();
        let (status, _) = clerk.post(&format!("/api/v1/orders/{done}/handover"), json!({"code": code})).await;
        assert_eq!(status, StatusCode::OK);
        shopper.post("/s/books/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        let (_, waiting) = shopper.post("/s/books/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        let waiting = waiting["id"].as_str().unwrap().to_string();
        app.assert_balanced().await;
        app.breaks_the_books();
        let order = |id: &str| format!("order {id}");

        // An unpaid order holding money: its status and its payments both disagree.
        app.tamper("UPDATE orders SET paid = total WHERE id = $1", &[&waiting]).await;
        let broken = app.broken_rules().await;
        assert_eq!(
            broken,
            BTreeMap::from([("order_money", vec![order(&waiting)]), ("payments", vec![order(&waiting)])]),
            "{broken:?}"
        );
        app.tamper("UPDATE orders SET paid = 0 WHERE id = $1", &[&waiting]).await;
        app.assert_balanced().await;

        // A step the status machine forbids, written into the history.
        let event = "01a21900-0000-7000-8000-000000000001";
        app.tamper(
            "INSERT INTO order_events (id, merchant_id, order_id, from_status, to_status, actor_kind, actor_id, note, created_at)
             SELECT $1, merchant_id, id, 'completed', 'pending_payment', 'system', NULL, '', created_at FROM orders WHERE id = $2",
            &[event, &done],
        )
        .await;
        assert_eq!(app.broken_rules().await, only("order_history", &[order(&done)]));
        app.tamper("DELETE FROM order_events WHERE id = $1", &[event]).await;
        app.assert_balanced().await;

        // The order paid twice, the second payment kept instead of refunded.
        let second = "01a21900-0000-7000-8000-000000000002";
        app.tamper(
            "INSERT INTO payments (id, merchant_id, order_id, provider, out_trade_no, amount, status, provider_txn_id, captured_at, refunded, created_at)
             SELECT $1, merchant_id, id, 'sandbox', 'SECOND-PAYMENT', total, 'captured', 'txn-2', created_at, 0, created_at
             FROM orders WHERE id = $2",
            &[second, &done],
        )
        .await;
        assert_eq!(app.broken_rules().await, only("payments", &[order(&done)]));
        // Refunded in full it is harmless: a late payment given back.
        app.tamper("UPDATE payments SET refunded = amount WHERE id = $1", &[second]).await;
        app.tamper(
            "INSERT INTO refunds (id, merchant_id, order_id, payment_id, out_refund_no, amount, reason, status, created_at, completed_at)
             SELECT $1, merchant_id, order_id, id, 'LATE-REFUND', amount, 'late payment', 'pending', created_at, NULL
             FROM payments WHERE id = $1",
            &[second],
        )
        .await;
        app.assert_balanced().await;

        // A refund the payment never counted: refunds could pass the capture unseen.
        app.tamper(
            "INSERT INTO refunds (id, merchant_id, order_id, payment_id, out_refund_no, amount, reason, status, created_at, completed_at)
             SELECT '01a21900-0000-7000-8000-000000000003', merchant_id, order_id, id, 'UNCOUNTED', 100, 'x', 'pending', created_at, NULL
             FROM payments WHERE order_id = $1 AND id <> $2",
            &[&done, second],
        )
        .await;
        let broken = app.broken_rules().await;
        assert_eq!(broken.keys().copied().collect::<Vec<_>>(), vec!["refunds"], "{broken:?}");
        assert!(broken["refunds"][0].starts_with("payment "), "{broken:?}");
        app.tamper("DELETE FROM refunds WHERE out_refund_no = 'UNCOUNTED'", &[]).await;
        app.assert_balanced().await;

        // A unit sold twice for one order, and one sold for no order at all; the stock
        // figures follow the ledger, so only the sale rule can see it.
        for (id, reference) in [("01a21900-0000-7000-8000-000000000004", format!("order:{done}")), ("01a21900-0000-7000-8000-000000000005", "order:nothing".into())] {
            app.tamper(
                "INSERT INTO stock_movements (id, merchant_id, sku_id, location_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, note, reference, actor_id, created_at)
                 SELECT $1, merchant_id, sku_id, location_id, 'sell', -1, 0, on_hand - 1, reserved, NULL, '', $2, NULL, 0
                 FROM stock_levels WHERE sku_id = $3 AND location_id = $4",
                &[id, &reference, &w.sku, &w.store_a],
            )
            .await;
            app.tamper("UPDATE stock_levels SET on_hand = on_hand - 1 WHERE sku_id = $1 AND location_id = $2", &[&w.sku, &w.store_a]).await;
        }
        let broken = app.broken_rules().await;
        assert_eq!(
            broken,
            only("sold_units", &["stock movement 01a21900-0000-7000-8000-000000000005".into(), order(&done)]),
            "{broken:?}"
        );
    }
}

api_test! {
    async fn check_names_coupons_and_flash_sales_beyond_their_limits(app) {
        let w = shop_world(&app, "limits").await;
        let member = app.shopper("limits", "13900139200").await;

        // A claimable coupon, one per member, claimed once.
        let campaign = campaign(&w.owner, "Double 11").await;
        let def = coupon_def(&w.owner, &campaign, json!({"type": "fixed", "amount": 500}),
            json!({"claimable": true, "per_member_limit": 1})).await;
        let def = def["id"].as_str().unwrap().to_string();
        let (status, body) = member.post_empty(&format!("/s/limits/api/coupons/{def}/claim")).await;
        assert!(status.is_success(), "{body}");
        app.assert_balanced().await;
        app.breaks_the_books();

        // A second coupon for the member, written past the per-member limit and the count.
        app.tamper(
            "INSERT INTO coupons (id, merchant_id, def_id, shopper_id, status, order_id, issued_at, used_at)
             SELECT '01a21900-0000-7000-8000-000000000010', merchant_id, def_id, shopper_id, 'available', NULL, issued_at, NULL
             FROM coupons WHERE def_id = $1",
            &[&def],
        )
        .await;
        let broken = app.broken_rules().await;
        assert_eq!(broken.keys().copied().collect::<Vec<_>>(), vec!["coupons"], "{broken:?}");
        assert!(broken["coupons"].iter().all(|s| *s == format!("coupon definition {def}")), "{broken:?}");
        app.tamper("DELETE FROM coupons WHERE id = '01a21900-0000-7000-8000-000000000010'", &[]).await;
        app.assert_balanced().await;

        // A coupon marked used by an order that does not hold it.
        app.tamper("UPDATE coupons SET status = 'used' WHERE def_id = $1", &[&def]).await;
        let broken = app.broken_rules().await;
        assert_eq!(broken.keys().copied().collect::<Vec<_>>(), vec!["coupons"], "{broken:?}");
        assert!(broken["coupons"][0].starts_with("coupon "), "{broken:?}");
        app.tamper("UPDATE coupons SET status = 'available' WHERE def_id = $1", &[&def]).await;
        app.assert_balanced().await;

        // A flash sale of 5 received at store A, one per member; the member buys one.
        w.owner.create("/api/v1/stock/receipts", json!({"location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 5}]})).await;
        let (status, sale) = w.owner.post("/api/v1/flash-sales", json!({
            "campaign_id": campaign, "name": "Towels", "location_id": w.store_a,
            "starts_at": days_from_now(-1), "ends_at": days_from_now(1), "per_member_limit": 1,
            "items": [{"sku_id": w.sku, "price": 990, "units": 5}],
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{sale}");
        let sale = sale["id"].as_str().unwrap().to_string();
        let (status, body) = member
            .post(&format!("/s/limits/api/flash/{sale}/orders"), json!({"sku_id": w.sku, "quantity": 1}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        app.assert_balanced().await;

        // The member's quota forgot the purchase: a second would pass the limit.
        app.tamper("UPDATE flash_quota SET bought = 0 WHERE sale_id = $1", &[&sale]).await;
        assert_eq!(app.broken_rules().await, only("flash_sales", &[format!("flash sale {sale}")]));
        app.tamper("UPDATE flash_quota SET bought = 1 WHERE sale_id = $1", &[&sale]).await;
        app.assert_balanced().await;

        // The pool forgot the unit the order holds: 5 left and 1 sold of 5.
        app.tamper("UPDATE flash_items SET pool_left = pool_size WHERE sale_id = $1", &[&sale]).await;
        let broken = app.broken_rules().await;
        assert_eq!(broken.get("flash_sales"), Some(&vec![format!("flash sale {sale}")]), "{broken:?}");
    }
}
