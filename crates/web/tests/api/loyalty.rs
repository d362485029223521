//! The member card across channels and sales at the till, through the JSON API: points
//! earned online and spent in store in one history, balances that hold under parallel
//! spending, till sales applied once however often they are sent, offline sales, and
//! points given back on cancellation and refunds. On SQLite and PostgreSQL.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::*;

const BARCODE: &str = "6901234567892";

/// A shop with 10 units at store A, the SKU's barcode set, and a clerk at each store.
async fn till_world(app: &TestApp, slug: &str) -> (World, Client, Client) {
    let w = shop_world(app, slug).await;
    let (status, body) = w.owner.patch(&format!("/api/v1/skus/{}", w.sku), json!({"barcode": BARCODE})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let clerk_a = staff(app, &w.owner, &format!("a@{slug}.test"), "clerk", &[&w.store_a]).await;
    let clerk_b = staff(app, &w.owner, &format!("b@{slug}.test"), "clerk", &[&w.store_b]).await;
    (w, clerk_a, clerk_b)
}

/// A till sale of `quantity` units of the world's SKU, paid in cash.
fn sale(w: &World, sale_id: &str, store: &str, quantity: i64, cash: i64) -> Value {
    json!({
        "sale_id": sale_id, "store_id": store, "till_id": "T1",
        "lines": [{"sku_id": w.sku, "quantity": quantity}],
        "payments": [{"method": "cash", "amount": cash}]
    })
}

fn member_sale(w: &World, sale_id: &str, phone: &str, quantity: i64, points: i64, cash: i64) -> Value {
    let mut body = sale(w, sale_id, &w.store_a, quantity, cash);
    body["member_phone"] = json!(phone);
    body["points"] = json!(points);
    body
}

fn error_code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

fn field_error(body: &Value) -> (Option<&str>, Option<&str>) {
    (body["error"]["fields"][0]["field"].as_str(), body["error"]["fields"][0]["code"].as_str())
}

/// The member's whole points history, newest first, as the phone sees it.
async fn history(shopper: &Client, slug: &str) -> Vec<Value> {
    let (status, page) = shopper.get(&format!("/s/{slug}/api/points?limit=200")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.get("next_cursor").is_none_or(Value::is_null), "one page");
    page["items"].as_array().unwrap().clone()
}

/// The card's balance, checked against the sum of the ledger.
async fn balance(shopper: &Client, slug: &str) -> i64 {
    let (status, card) = shopper.get(&format!("/s/{slug}/api/member")).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    let points = card["points"].as_i64().unwrap();
    let ledger: i64 = history(shopper, slug).await.iter().map(|e| e["delta"].as_i64().unwrap()).sum();
    assert_eq!(points, ledger, "the balance is the sum of the ledger");
    assert!(points >= 0);
    points
}

fn sum_of(entries: &[Value], order: &str, kind: &str) -> i64 {
    entries
        .iter()
        .filter(|e| e["order_id"] == json!(order) && e["kind"] == kind)
        .map(|e| e["delta"].as_i64().unwrap())
        .sum()
}

/// Places a pickup order at store A (spending `points` when given) and returns it.
async fn pickup_order(
    shopper: &Client,
    slug: &str,
    w: &World,
    quantity: i64,
    points: Option<i64>,
) -> (StatusCode, Value) {
    let mut body =
        json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": quantity}]});
    if let Some(points) = points {
        body["points"] = json!(points);
    }
    shopper.post(&format!("/s/{slug}/api/orders"), body).await
}

async fn paid_order(
    app: &TestApp,
    shopper: &Client,
    slug: &str,
    w: &World,
    quantity: i64,
    points: Option<i64>,
) -> String {
    let (status, order) = pickup_order(shopper, slug, w, quantity, points).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let id = order["id"].as_str().unwrap().to_string();
    app.pay_in_sandbox(shopper, slug, &id).await;
    id
}

async fn orders_of_store(owner: &Client, store: &str) -> Vec<Value> {
    let (_, list) = owner.get(&format!("/api/v1/orders?store_id={store}")).await;
    list["items"].as_array().unwrap().clone()
}

async fn movements(owner: &Client, w: &World, store: &str, kind: &str) -> Vec<Value> {
    let (status, page) =
        owner.get(&format!("/api/v1/stock/movements?sku_id={}&location_id={store}&kind={kind}", w.sku)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

api_test! {
    async fn a_member_earns_online_and_spends_at_the_till_in_one_history(app) {
        let (w, clerk, _) = till_world(&app, "card").await;
        let shopper = app.shopper("card", "13800138000").await;
        let (_, session) = shopper.get("/s/card/api/session").await;
        let shopper_id = session["shopper"]["id"].as_str().unwrap().to_string();
        let (status, card) = shopper.get("/s/card/api/member").await;
        assert_eq!(status, StatusCode::OK, "{card}");
        assert_eq!((card["points"].as_i64(), card["tier"]["code"].as_str(), card["phone"].as_str()), (Some(0), Some("member"), Some("138****8000")));

        // Online: 35.00 paid earns 35 points (a point a yuan), only once the money is in.
        let (status, order) = pickup_order(&shopper, "card", &w, 1, None).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        let online = order["id"].as_str().unwrap().to_string();
        assert_eq!(balance(&shopper, "card").await, 0, "nothing before payment");
        app.pay_in_sandbox(&shopper, "card", &online).await;
        assert_eq!(balance(&shopper, "card").await, 35);

        // The till finds the same member by phone and spends the points on a sale.
        let (status, found) = clerk.get("/api/v1/members?phone=13800138000").await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!((found["shopper_id"].as_str(), found["points"].as_i64()), (Some(shopper_id.as_str()), Some(35)));
        let mut body = member_sale(&w, "HB-T1-000001", "13800138000", 1, 35, 3465);
        body["lines"] = json!([{"barcode": BARCODE, "quantity": 1}]);
        let (status, sold) = clerk.post("/api/v1/pos/sales", body).await;
        assert_eq!(status, StatusCode::CREATED, "{sold}");
        assert_eq!(sold["replayed"], false);
        let till = sold["order"]["id"].as_str().unwrap().to_string();
        assert_eq!((sold["order"]["channel"].as_str(), sold["order"]["status"].as_str()), (Some("pos"), Some("completed")));
        assert_eq!(sold["order"]["shopper_id"], json!(shopper_id), "the member's own order");
        assert_eq!((sold["order"]["subtotal"]["amount"].as_i64(), sold["order"]["discount"]["amount"].as_i64(), sold["order"]["total"]["amount"].as_i64()),
            (Some(3500), Some(35), Some(3465)), "member price, 35 points off");
        assert_eq!(sold["order"]["points_used"], 35);
        // 35 spent, then 34 earned on the 34.65 paid.
        assert_eq!(sold["member_points"], 34);
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (9, 1), "one unit sold at the till, one promised online");

        // One history on the phone: both orders, and every point in and out.
        let (_, orders) = shopper.get("/s/card/api/orders").await;
        let mut listed: Vec<(String, String)> = orders["items"].as_array().unwrap().iter()
            .map(|o| (o["id"].as_str().unwrap().to_string(), o["channel"].as_str().unwrap().to_string())).collect();
        listed.sort();
        let mut expected = vec![(online.clone(), "api".to_string()), (till.clone(), "pos".to_string())];
        expected.sort();
        assert_eq!(listed, expected);
        let entries = history(&shopper, "card").await;
        let lines: Vec<(&str, i64, &str)> = entries.iter()
            .map(|e| (e["kind"].as_str().unwrap(), e["delta"].as_i64().unwrap(), e["order_id"].as_str().unwrap())).collect();
        assert_eq!(lines, vec![("earn", 34, till.as_str()), ("redeem", -35, till.as_str()), ("earn", 35, online.as_str())], "newest first");
        assert_eq!(entries[0]["store_id"], json!(w.store_a), "till points name the store");
        assert_eq!(balance(&shopper, "card").await, 34);

        // Staff see the same ledger.
        let (status, staff_view) = clerk.get(&format!("/api/v1/members/{shopper_id}/points")).await;
        assert_eq!(status, StatusCode::OK, "{staff_view}");
        assert_eq!(staff_view["items"].as_array().unwrap().len(), 3);
        let (_, card) = shopper.get("/s/card/api/member").await;
        assert_eq!((card["points"].as_i64(), card["points_value"].as_i64()), (Some(34), Some(34)));
        assert_eq!(card["rolling_spend"], 3500 + 3465, "both channels count towards the tier");
        app.assert_balanced().await;
    }
}

api_test! {
    async fn one_balance_spent_in_parallel_is_spent_once(app) {
        let (w, clerk, _) = till_world(&app, "spend").await;
        let phone = "13800138001";
        let shopper = app.shopper("spend", phone).await;
        paid_order(&app, &shopper, "spend", &w, 3, None).await;
        assert_eq!(balance(&shopper, "spend").await, 105);

        // Round one: ten checkouts on the phone, each spending all 105 points.
        let checkouts = (0..10).map(|_| {
            let s = shopper.clone();
            let w = &w;
            async move { pickup_order(&s, "spend", w, 1, Some(105)).await }
        });
        let results = futures::future::join_all(checkouts).await;
        let won: Vec<&Value> = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).map(|(_, b)| b).collect();
        assert_eq!(won.len(), 1, "{results:?}");
        assert!(results.iter().filter(|(s, _)| *s != StatusCode::CREATED)
            .all(|(s, b)| *s == StatusCode::CONFLICT && error_code(b) == Some("insufficient_points")), "{results:?}");
        assert_eq!(won[0]["points_used"], 105);
        assert_eq!(balance(&shopper, "spend").await, 0);
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 4), "only the winner reserved stock");

        // The winner is cancelled (the points come back); round two mixes phones and tills.
        let winner = won[0]["id"].as_str().unwrap();
        let (status, _) = shopper.post_empty(&format!("/s/spend/api/orders/{winner}/cancel")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(balance(&shopper, "spend").await, 105);
        let attempts = (0..10).map(|i| {
            let (s, c) = (shopper.clone(), clerk.clone());
            let w = &w;
            async move {
                if i % 2 == 0 {
                    let (status, body) = pickup_order(&s, "spend", w, 1, Some(105)).await;
                    (status, body, false)
                } else {
                    let (status, body) = c.post("/api/v1/pos/sales", member_sale(w, &format!("race-{i}"), phone, 1, 105, 3395)).await;
                    (status, body, true)
                }
            }
        });
        let results = futures::future::join_all(attempts).await;
        let won: Vec<&(StatusCode, Value, bool)> = results.iter().filter(|(s, _, _)| *s == StatusCode::CREATED).collect();
        assert_eq!(won.len(), 1, "{results:?}");
        assert!(results.iter().filter(|(s, _, _)| *s != StatusCode::CREATED)
            .all(|(s, b, _)| *s == StatusCode::CONFLICT && error_code(b) == Some("insufficient_points")), "{results:?}");
        let at_till = won[0].2;
        // A sale at the till is paid there and then: it earns on the 33.95 paid.
        assert_eq!(balance(&shopper, "spend").await, if at_till { 33 } else { 0 });
        let entries = history(&shopper, "spend").await;
        let redeemed: i64 = entries.iter().filter(|e| e["kind"] == "redeem").map(|e| e["delta"].as_i64().unwrap()).sum();
        assert_eq!(redeemed, -210, "105 spent in each round, once");

        // The till sales that lost wrote nothing: sent again, they are refused again, not replayed.
        let sales: Vec<Value> = orders_of_store(&w.owner, &w.store_a).await.into_iter().filter(|o| o["channel"] == "pos").collect();
        assert_eq!(sales.len(), usize::from(at_till));
        let loser = (1..10).step_by(2).map(|i| format!("race-{i}")).find(|id| sales.iter().all(|o| o["sale_id"] != json!(id))).unwrap();
        let (status, body) = clerk.post("/api/v1/pos/sales", member_sale(&w, &loser, phone, 1, 105, 3395)).await;
        assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("insufficient_points")), "{body}");
        let (on_hand, reserved) = level(&w.owner, &w.sku, &w.store_a).await;
        assert_eq!((on_hand, reserved), if at_till { (9, 3) } else { (10, 4) });
        app.assert_balanced().await;
    }
}

api_test! {
    /// Round after round, a member's whole balance is spent from the phone and at the
    /// till at the same moment: one wins each time, the rest are told why, and nothing
    /// deadlocks (a checkout and a till sale take the same stock and points rows).
    async fn phones_and_tills_spending_one_balance_round_after_round(app) {
        let (w, clerk, _) = till_world(&app, "rounds").await;
        w.owner.create("/api/v1/stock/transfers", json!({"from_location_id": w.warehouse, "to_location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 90}]})).await;
        let phone = "13800138003";
        let shopper = app.shopper("rounds", phone).await;
        let mut spent = 0;
        for round in 0..20 {
            // A till sale tops the card up: 35 points on 35.00.
            let (status, topped) = clerk.post("/api/v1/pos/sales", member_sale(&w, &format!("top-{round}"), phone, 1, 0, 3500)).await;
            assert_eq!(status, StatusCode::CREATED, "{topped}");
            let all = topped["member_points"].as_i64().unwrap();
            let attempts = (0..8).map(|i| {
                let (s, c) = (shopper.clone(), clerk.clone());
                let w = &w;
                async move {
                    if i % 2 == 0 {
                        pickup_order(&s, "rounds", w, 1, Some(all)).await
                    } else {
                        c.post("/api/v1/pos/sales", member_sale(w, &format!("r{round}-{i}"), phone, 1, all, 3500 - all)).await
                    }
                }
            });
            let results = futures::future::join_all(attempts).await;
            assert_eq!(results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(), 1, "round {round}: {results:?}");
            assert!(results.iter().filter(|(s, _)| *s != StatusCode::CREATED)
                .all(|(s, b)| *s == StatusCode::CONFLICT && error_code(b) == Some("insufficient_points")), "round {round}: {results:?}");
            spent += all;
        }
        let entries = history(&shopper, "rounds").await;
        let redeemed: i64 = entries.iter().filter(|e| e["kind"] == "redeem").map(|e| e["delta"].as_i64().unwrap()).sum();
        assert_eq!(redeemed, -spent, "each round's balance spent once");
        balance(&shopper, "rounds").await;
        app.assert_balanced().await;
    }
}

api_test! {
    async fn a_till_sale_sent_over_and_over_is_applied_once(app) {
        let (w, clerk, _) = till_world(&app, "resend").await;
        let phone = "13900139100";
        let body = member_sale(&w, "HB-T2-000042", phone, 2, 0, 7000);

        let sends = (0..10).map(|_| {
            let c = clerk.clone();
            let body = body.clone();
            async move { c.post("/api/v1/pos/sales", body).await }
        });
        let mut results = futures::future::join_all(sends).await;
        for _ in 0..3 {
            results.push(clerk.post("/api/v1/pos/sales", body.clone()).await);
        }
        let created = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        assert_eq!(created, 1, "{results:?}");
        for (status, answer) in &results {
            assert!(*status == StatusCode::CREATED || (*status == StatusCode::OK && answer["replayed"] == true), "{status} {answer}");
        }
        let ids: HashSet<&str> = results.iter().map(|(_, b)| b["order"]["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 1, "every answer names the one order");
        assert!(results.iter().all(|(_, b)| b["member_points"] == 70), "{results:?}");

        // One order, one stock movement, points earned once.
        let orders = orders_of_store(&w.owner, &w.store_a).await;
        assert_eq!(orders.len(), 1);
        assert_eq!((orders[0]["sale_id"].as_str(), orders[0]["till_id"].as_str()), (Some("HB-T2-000042"), Some("T1")));
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (8, 0));
        let sold = movements(&w.owner, &w, &w.store_a, "sell").await;
        assert_eq!(sold.len(), 1, "{sold:?}");
        assert_eq!(sold[0]["on_hand_delta"], -2);
        let (status, member) = clerk.get(&format!("/api/v1/members?phone={phone}")).await;
        assert_eq!(status, StatusCode::OK, "the sale enrolled the phone: {member}");
        assert_eq!((member["points"].as_i64(), member["joined_channel"].as_str()), (Some(70), Some("pos")));
        assert_eq!(member["joined_store_id"], json!(w.store_a));
        let (_, points) = clerk.get(&format!("/api/v1/members/{}/points", member["shopper_id"].as_str().unwrap())).await;
        assert_eq!(points["items"].as_array().unwrap().len(), 1, "{points}");

        // The member signs in on the phone later: the till sale is in their history.
        let shopper = app.shopper("resend", phone).await;
        assert_eq!(balance(&shopper, "resend").await, 70);
        let (_, mine) = shopper.get("/s/resend/api/orders").await;
        assert_eq!(mine["items"][0]["id"].as_str(), ids.iter().next().copied());
        app.assert_balanced().await;
    }
}

api_test! {
    async fn offline_sales_beyond_stock_are_kept_and_flagged(app) {
        let (w, _, clerk_b) = till_world(&app, "offline").await;
        w.owner.create("/api/v1/stock/transfers", json!({"from_location_id": w.warehouse, "to_location_id": w.store_b, "lines": [{"sku_id": w.sku, "quantity": 2}]})).await;
        let phone = "13900139200";
        let an_hour_ago = app.sweep.now().minus_seconds(3600);
        let mut body = sale(&w, "SB-T1-offline-1", &w.store_b, 5, 17500);
        body["offline"] = json!(true);
        body["member_phone"] = json!(phone);
        body["occurred_at"] = json!(an_hour_ago.to_rfc3339());
        let (status, sold) = clerk_b.post("/api/v1/pos/sales", body).await;
        assert_eq!(status, StatusCode::CREATED, "an offline sale is always accepted: {sold}");
        assert_eq!((sold["order"]["offline"].as_bool(), sold["order"]["total"]["amount"].as_i64()), (Some(true), Some(17500)));
        assert_eq!(sold["member_points"], 175, "points are earned when the sale arrives");

        // Two units came off the shelf's record; three more are flagged, and nothing went below zero.
        assert_eq!(level(&w.owner, &w.sku, &w.store_b).await, (0, 0));
        let sold_moves = movements(&w.owner, &w, &w.store_b, "sell").await;
        assert_eq!(sold_moves.len(), 1);
        assert_eq!((sold_moves[0]["on_hand_delta"].as_i64(), sold_moves[0]["after"]["on_hand"].as_i64()), (Some(-2), Some(0)));
        let flagged = movements(&w.owner, &w, &w.store_b, "offline_oversell").await;
        assert_eq!(flagged.len(), 1, "{flagged:?}");
        assert_eq!((flagged[0]["on_hand_delta"].as_i64(), flagged[0]["after"]["on_hand"].as_i64()), (Some(0), Some(0)));
        assert!(flagged[0]["note"].as_str().unwrap().starts_with("3 "), "{}", flagged[0]);
        let (_, levels) = w.owner.get("/api/v1/stock?limit=200").await;
        assert!(levels["items"].as_array().unwrap().iter().all(|l| l["level"]["on_hand"].as_i64().unwrap() >= 0 && l["available"].as_i64().unwrap() >= 0));
        let report = app.sweep.check().await.unwrap();
        assert!(report.is_clean(), "{report:?}");
        assert_eq!(report.offline_oversells.len(), 1, "sweep check reports it for a count");

        // Points cannot be spent offline: the balance could not be checked.
        let mut spend = member_sale(&w, "SB-T1-offline-2", phone, 1, 100, 3400);
        spend["store_id"] = json!(w.store_b);
        spend["offline"] = json!(true);
        let (status, refused) = clerk_b.post("/api/v1/pos/sales", spend).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(field_error(&refused), (Some("points"), Some("offline")));
        assert_eq!(orders_of_store(&w.owner, &w.store_b).await.len(), 1, "nothing written");
        let (_, member) = clerk_b.get(&format!("/api/v1/members?phone={phone}")).await;
        assert_eq!(member["points"], 175);
    }
}

api_test! {
    async fn points_come_back_on_cancellation_and_pro_rata_on_refunds(app) {
        let (w, _, _) = till_world(&app, "back").await;
        let shopper = app.shopper("back", "13800138002").await;
        paid_order(&app, &shopper, "back", &w, 3, None).await;
        assert_eq!(balance(&shopper, "back").await, 105);

        // An unpaid order that spent points is cancelled: they come back, all of them.
        let (status, unpaid) = pickup_order(&shopper, "back", &w, 1, Some(100)).await;
        assert_eq!(status, StatusCode::CREATED, "{unpaid}");
        assert_eq!(unpaid["total"]["amount"], 3400);
        assert_eq!(balance(&shopper, "back").await, 5);
        let unpaid_id = unpaid["id"].as_str().unwrap();
        let (status, cancelled) = shopper.post_empty(&format!("/s/back/api/orders/{unpaid_id}/cancel")).await;
        assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")));
        assert_eq!(balance(&shopper, "back").await, 105);
        let entries = history(&shopper, "back").await;
        assert_eq!((sum_of(&entries, unpaid_id, "redeem"), sum_of(&entries, unpaid_id, "restore")), (-100, 100));
        let (status, again) = shopper.post_empty(&format!("/s/back/api/orders/{unpaid_id}/cancel")).await;
        assert_ne!(status, StatusCode::OK, "{again}");
        assert_eq!(balance(&shopper, "back").await, 105, "given back once");

        // A paid order spends all 105 and earns 103 on the 103.95 paid; it is collected.
        let id = paid_order(&app, &shopper, "back", &w, 3, Some(105)).await;
        assert_eq!(balance(&shopper, "back").await, 103);
        let (_, paid) = shopper.get(&format!("/s/back/api/orders/{id}")).await;
        assert_eq!(paid["paid"]["amount"], 10395);
        let code = paid["pickup_code"]["code"].as_str().unwrap();
        let (status, done) = w.owner.post(&format!("/api/v1/orders/{id}/handover"), json!({"code": code})).await;
        assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("completed")), "{done}");

        // A third of the money back: a third of the earned points taken back (34 of 103,
        // rounded down) and a third of the spent points given back (35 of 105).
        let (status, partly) = w.owner.post(&format!("/api/v1/orders/{id}/refunds"), json!({"amount": 3465, "reason": "goodwill"})).await;
        assert_eq!((status, partly["status"].as_str()), (StatusCode::OK, Some("partially_refunded")), "{partly}");
        app.run_jobs().await;
        let entries = history(&shopper, "back").await;
        assert_eq!((sum_of(&entries, &id, "reverse"), sum_of(&entries, &id, "restore")), (-34, 35));
        assert_eq!(balance(&shopper, "back").await, 103 - 34 + 35);

        // The rest: every point the order moved is settled exactly.
        let (status, all) = w.owner.post(&format!("/api/v1/orders/{id}/refunds"), json!({"amount": 6930, "reason": "goodwill"})).await;
        assert_eq!((status, all["status"].as_str()), (StatusCode::OK, Some("refunded")), "{all}");
        app.run_jobs().await;
        let entries = history(&shopper, "back").await;
        assert_eq!((sum_of(&entries, &id, "earn"), sum_of(&entries, &id, "reverse")), (103, -103));
        assert_eq!((sum_of(&entries, &id, "redeem"), sum_of(&entries, &id, "restore")), (-105, 105));
        assert_eq!(balance(&shopper, "back").await, 105, "as before the order");
        app.assert_balanced().await;
    }
}

api_test! {
    async fn till_sales_refuse_bad_input_and_other_stores(app) {
        let (w, clerk_a, clerk_b) = till_world(&app, "strict").await;
        let phone = "13900139300";

        // Payments that do not add up to the total: refused, and nothing is written (not
        // even the member the sale would have enrolled).
        let mut short = sale(&w, "SA-1", &w.store_a, 1, 3400);
        short["member_phone"] = json!(phone);
        let (status, body) = clerk_a.post("/api/v1/pos/sales", short).await;
        assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("payment_mismatch")), "{body}");
        assert_eq!(body["error"]["fields"][0]["field"], "payments");
        assert!(orders_of_store(&w.owner, &w.store_a).await.is_empty());
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 0));
        let (status, _) = clerk_a.get(&format!("/api/v1/members?phone={phone}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "no member from a refused sale");

        // A phone new to the shop has no points to spend: refused, and not enrolled either.
        let (status, body) = clerk_a.post("/api/v1/pos/sales", member_sale(&w, "SA-1b", phone, 1, 100, 3400)).await;
        assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("insufficient_points")), "{body}");
        let (status, _) = clerk_a.get(&format!("/api/v1/members?phone={phone}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A clerk sells at their own store only.
        let (status, body) = clerk_b.post("/api/v1/pos/sales", sale(&w, "SA-2", &w.store_a, 1, 3900)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(field_error(&body), (Some("store_id"), Some("unknown_store")));
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (10, 0));
        let (status, body) = clerk_b.post("/api/v1/pos/sales", sale(&w, "SB-1", &w.warehouse, 1, 3900)).await;
        assert_eq!((status, field_error(&body).1), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_store")), "a warehouse has no till");

        // A sale id of store A's cannot be replayed from store B to read A's sale.
        let (status, first) = clerk_a.post("/api/v1/pos/sales", sale(&w, "SA-3", &w.store_a, 1, 3900)).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!(first["member_points"], Value::Null, "a walk-in has no card");
        for store in [&w.store_a, &w.store_b] {
            let (status, body) = clerk_b.post("/api/v1/pos/sales", sale(&w, "SA-3", store, 1, 3900)).await;
            assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("sale_id_taken")), "{body}");
            assert!(body.get("order").is_none());
        }

        // Input the till gets wrong.
        let cases: Vec<(Value, &str, &str)> = vec![
            (json!([{"barcode": "0000000000000", "quantity": 1}]), "lines.0", "unknown_sku"),
            (json!([{"sku_id": w.sku, "quantity": 0}]), "lines.0.quantity", "not_positive"),
            (json!([{"sku_id": w.sku, "barcode": BARCODE, "quantity": 1}]), "lines.0", "sku_required"),
            (json!([{"sku_id": w.sku, "quantity": 1, "unit_price": 1}]), "lines.0", "unknown_field"),
            (json!([]), "lines", "invalid_length"),
        ];
        for (lines, field, code) in cases {
            let mut body = sale(&w, "SA-4", &w.store_a, 1, 3900);
            body["lines"] = lines;
            let (status, answer) = clerk_a.post("/api/v1/pos/sales", body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            let found = answer["error"]["fields"].as_array().unwrap().iter()
                .any(|f| f["field"].as_str().unwrap().starts_with(field) && f["code"] == code);
            assert!(found, "{field} {code}: {answer}");
        }
        let mut no_card = sale(&w, "SA-5", &w.store_a, 1, 3800);
        no_card["points"] = json!(100);
        let (status, body) = clerk_a.post("/api/v1/pos/sales", no_card).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("points"), Some("member_required"))));
        let (status, body) = clerk_a.post("/api/v1/pos/sales", member_sale(&w, "SA-6", phone, 1, 1751, 1749)).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("points"), Some("above_cap"))), "half the goods at most");
        let mut bad_id = sale(&w, "SA 7", &w.store_a, 1, 3900);
        bad_id["till_id"] = json!("");
        let (status, body) = clerk_a.post("/api/v1/pos/sales", bad_id).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["sale_id", "till_id"]);
        let (status, _) = app.anonymous().post("/api/v1/pos/sales", sale(&w, "SA-8", &w.store_a, 1, 3900)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        assert_eq!(orders_of_store(&w.owner, &w.store_a).await.len(), 1, "only the good sale");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (9, 0));
        app.assert_balanced().await;
    }
}

api_test! {
    async fn the_programme_and_member_lookups(app) {
        let (w, clerk, _) = till_world(&app, "prog").await;
        let (status, program) = clerk.get("/api/v1/loyalty/program").await;
        assert_eq!(status, StatusCode::OK, "{program}");
        assert_eq!((program["spend_per_point"].as_i64(), program["tiers"].as_array().unwrap().len()), (Some(100), 3), "the default");

        // Only head office sets it, and only a sound one.
        let mut doubled = program.clone();
        doubled["spend_per_point"] = json!(50);
        let (status, _) = clerk.put("/api/v1/loyalty/program", doubled.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let mut broken = program.clone();
        broken["tiers"][0]["min_spend"] = json!(5);
        let (status, body) = w.owner.put("/api/v1/loyalty/program", broken).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("tiers.0.min_spend"), Some("out_of_order"))));
        let mut extra = program.clone();
        extra["bonus"] = json!(1);
        let (status, body) = w.owner.put("/api/v1/loyalty/program", extra).await;
        assert_eq!((status, field_error(&body).1), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field")));
        let (status, saved) = w.owner.put("/api/v1/loyalty/program", doubled.clone()).await;
        assert_eq!((status, &saved), (StatusCode::OK, &doubled));
        let (_, read) = clerk.get("/api/v1/loyalty/program").await;
        assert_eq!(read, doubled);

        // Enrolling at the till: 201 the first time, 200 with the same card after.
        let phone = "13900139400";
        let (status, _) = clerk.get(&format!("/api/v1/members?phone={phone}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, created) = clerk.post("/api/v1/members", json!({"phone": phone, "store_id": w.store_a})).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!((created["points"].as_i64(), created["joined_channel"].as_str()), (Some(0), Some("pos")));
        let (status, again) = clerk.post("/api/v1/members", json!({"phone": phone, "store_id": w.store_a})).await;
        assert_eq!((status, again["shopper_id"].clone()), (StatusCode::OK, created["shopper_id"].clone()));
        let (status, body) = clerk.post("/api/v1/members", json!({"phone": "12345", "store_id": w.store_a})).await;
        assert_eq!((status, field_error(&body).0), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")));
        let (status, body) = clerk.get("/api/v1/members?phone=12345").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        // The new programme is what the till applies: two points a yuan.
        let (status, sold) = clerk.post("/api/v1/pos/sales", member_sale(&w, "P-1", phone, 1, 0, 3500)).await;
        assert_eq!(status, StatusCode::CREATED, "{sold}");
        assert_eq!(sold["member_points"], 70);
        let (status, found) = clerk.get(&format!("/api/v1/members?phone={phone}")).await;
        assert_eq!((status, found["points"].as_i64()), (StatusCode::OK, Some(70)));
        let member = created["shopper_id"].as_str().unwrap();
        let (status, points) = clerk.get(&format!("/api/v1/members/{member}/points")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(points["items"][0]["delta"], 70);

        // Another merchant sees none of it; an unknown id is no member.
        let other = world(&app, "prog2").await;
        let (status, _) = other.owner.get(&format!("/api/v1/members?phone={phone}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = other.owner.get(&format!("/api/v1/members/{member}/points")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = clerk.get("/api/v1/members/not-an-id/points").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, theirs) = other.owner.get("/api/v1/loyalty/program").await;
        assert_eq!(theirs["spend_per_point"], 100, "programmes are per merchant");

        // A guest on the phone has no card to show.
        let guest = app.anonymous();
        let (status, _) = guest.get("/s/prog/api/member").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = guest.get("/s/prog/api/points").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
