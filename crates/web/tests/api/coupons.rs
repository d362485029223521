//! Coupons, the member code, returns at the till and shift closes, through the JSON API:
//! a coupon spent once however many checkouts and tills race for it, claims that stay
//! within their limits, the rules of where and when a coupon applies, coupons coming
//! back with cancellations and full refunds, the card's code scanned once at the till,
//! till returns settling stock, money and points, and the cash drawer counted against
//! the till's takings. On SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sweep_app::Settings;

use crate::api_test;
use crate::helpers::*;

fn error_code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

fn field_error(body: &Value) -> (Option<&str>, Option<&str>) {
    (body["error"]["fields"][0]["field"].as_str(), body["error"]["fields"][0]["code"].as_str())
}

fn amount(money: &Value) -> i64 {
    money["amount"].as_i64().unwrap_or_else(|| panic!("no amount in {money}"))
}

/// A till sale at store A on till T1 of `quantity` units of the world's SKU, paid with
/// one payment of `paid` by `method`.
fn sale(w: &World, sale_id: &str, quantity: i64, method: &str, paid: i64) -> Value {
    json!({
        "sale_id": sale_id, "store_id": w.store_a, "till_id": "T1",
        "lines": [{"sku_id": w.sku, "quantity": quantity}],
        "payments": [{"method": method, "amount": paid}]
    })
}

/// As [`sale`], to the member `member` (by id, as found by their card's code), spending
/// `points` and the coupon when given, paid in cash.
fn member_sale(
    w: &World,
    sale_id: &str,
    member: &str,
    quantity: i64,
    points: i64,
    coupon: Option<&str>,
    cash: i64,
) -> Value {
    let mut body = sale(w, sale_id, quantity, "cash", cash);
    body["member_id"] = json!(member);
    body["points"] = json!(points);
    if let Some(coupon) = coupon {
        body["coupon_id"] = json!(coupon);
    }
    body
}

/// A pickup order at store A of `quantity` units, spending the coupon (and points).
async fn order(
    shopper: &Client,
    slug: &str,
    w: &World,
    quantity: i64,
    coupon: Option<&str>,
    points: i64,
) -> (StatusCode, Value) {
    let mut body =
        json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": quantity}]});
    if let Some(coupon) = coupon {
        body["coupon_id"] = json!(coupon);
    }
    if points > 0 {
        body["points"] = json!(points);
    }
    shopper.post(&format!("/s/{slug}/api/orders"), body).await
}

/// The member's coupon `id` as the phone lists it.
async fn my_coupon(shopper: &Client, slug: &str, id: &str) -> Value {
    let (status, page) = shopper.get(&format!("/s/{slug}/api/coupons?limit=200")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().iter().find(|c| c["coupon"]["id"] == json!(id)).cloned().expect("the coupon")
}

/// The card's balance, checked against the sum of the ledger.
async fn balance(shopper: &Client, slug: &str) -> i64 {
    let (status, card) = shopper.get(&format!("/s/{slug}/api/member")).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    let points = card["points"].as_i64().unwrap();
    let ledger: i64 = history(shopper, slug).await.iter().map(|e| e["delta"].as_i64().unwrap()).sum();
    assert_eq!(points, ledger, "the balance is the sum of the ledger");
    points
}

async fn history(shopper: &Client, slug: &str) -> Vec<Value> {
    let (status, page) = shopper.get(&format!("/s/{slug}/api/points?limit=200")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// The points one order moved, of one kind.
fn moved(entries: &[Value], order: &str, kind: &str) -> i64 {
    entries
        .iter()
        .filter(|e| e["order_id"] == json!(order) && e["kind"] == kind)
        .map(|e| e["delta"].as_i64().unwrap())
        .sum()
}

api_test! {
    /// Ten checkouts and till sales spend one coupon at the same moment: one wins, the
    /// others are refused and write nothing (no stock taken, no points spent).
    async fn one_coupon_spent_in_parallel_is_spent_once(app) {
        let w = shop_world(&app, "once").await;
        let (clerk, _) = store_clerks(&app, &w, "once").await;
        let phone = "13800138100";
        let shopper = app.shopper("once", phone).await;
        let member = shopper_id(&shopper, "once").await;
        let (status, topped) = clerk.post("/api/v1/pos/sales", member_sale(&w, "top", &member, 1, 0, None, 3500)).await;
        assert_eq!(status, StatusCode::CREATED, "{topped}");
        assert_eq!(balance(&shopper, "once").await, 35);
        let campaign = campaign(&w.owner, "Double 11").await;
        let def = coupon_def(&w.owner, &campaign, json!({"type": "fixed", "amount": 500}), json!({})).await;
        let coupon = issue_coupon(&w.owner, def["id"].as_str().unwrap(), phone).await;
        assert_eq!(my_coupon(&shopper, "once", &coupon).await["usable"], true);

        // Each attempt: one unit at member price (35.00), the coupon (5.00) and 10 points.
        let attempts = (0..10).map(|i| {
            let (s, c, w, member, coupon) = (shopper.clone(), clerk.clone(), &w, member.clone(), coupon.clone());
            async move {
                if i % 2 == 0 {
                    let (status, body) = order(&s, "once", w, 1, Some(&coupon), 10).await;
                    (status, body, false)
                } else {
                    let body = member_sale(w, &format!("race-{i}"), &member, 1, 10, Some(&coupon), 2990);
                    let (status, body) = c.post("/api/v1/pos/sales", body).await;
                    (status, body, true)
                }
            }
        });
        let results = futures::future::join_all(attempts).await;
        let won: Vec<&(StatusCode, Value, bool)> = results.iter().filter(|(s, _, _)| *s == StatusCode::CREATED).collect();
        assert_eq!(won.len(), 1, "{results:?}");
        for (status, body, _) in results.iter().filter(|(s, _, _)| *s != StatusCode::CREATED) {
            assert_eq!((*status, error_code(body), field_error(body).0), (StatusCode::CONFLICT, Some("coupon_unavailable"), Some("coupon_id")), "{body}");
        }
        let (_, body, at_till) = won[0];
        let winner = if *at_till { &body["order"] } else { body };
        assert_eq!(winner["coupon_id"], json!(coupon));
        assert_eq!((amount(&winner["coupon_discount"]), amount(&winner["discount"]), amount(&winner["total"])), (500, 510, 2990));
        assert_eq!(winner["points_used"], 10);
        let winner_id = winner["id"].as_str().unwrap();

        // Only the winner took stock and points.
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, if *at_till { (8, 0) } else { (9, 1) });
        let entries = history(&shopper, "once").await;
        let redeemed: i64 = entries.iter().filter(|e| e["kind"] == "redeem").map(|e| e["delta"].as_i64().unwrap()).sum();
        assert_eq!(redeemed, -10, "points spent once");
        // A till sale is paid there and then: it earns on the 29.90 paid.
        assert_eq!(balance(&shopper, "once").await, if *at_till { 25 + 29 } else { 25 });
        let (_, mine) = shopper.get("/s/once/api/orders").await;
        assert_eq!(mine["items"].as_array().unwrap().len(), 2, "the top-up and the winner: {mine}");

        // The coupon is spent on the winner, and staff see it so.
        let held = my_coupon(&shopper, "once", &coupon).await;
        assert_eq!((held["coupon"]["status"].as_str(), held["coupon"]["order_id"].as_str(), held["usable"].as_bool()), (Some("used"), Some(winner_id), Some(false)));
        let (status, listed) = clerk.get(&format!("/api/v1/members/{member}/coupons")).await;
        assert_eq!(status, StatusCode::OK, "{listed}");
        assert_eq!(listed["items"][0]["coupon"]["status"], "used");
        for nobody in [w.sku.as_str(), "not-an-id"] {
            let (status, _) = clerk.get(&format!("/api/v1/members/{nobody}/coupons")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{nobody} is no member");
        }

        // A till sale that lost was not recorded: sent again it is refused again, not replayed.
        if let Some(loser) = (1..10).step_by(2).map(|i| format!("race-{i}")).find(|id| winner["sale_id"] != json!(id)) {
            let (status, body) = clerk.post("/api/v1/pos/sales", member_sale(&w, &loser, &member, 1, 10, Some(&coupon), 2990)).await;
            assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("coupon_unavailable")), "{body}");
        }
        // Someone else's coupon is no better than a used one.
        let other = app.shopper("once", "13800138101").await;
        let (status, body) = order(&other, "once", &w, 1, Some(&coupon), 0).await;
        assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("coupon_unavailable")), "{body}");
        app.assert_balanced().await;
    }
}

api_test! {
    /// Members claim a coupon of which three exist, one each, all at once: three get one,
    /// nobody gets two. Per-member limits hold under the same race.
    async fn claims_race_within_the_limits(app) {
        let w = world(&app, "claim").await;
        let campaign = campaign(&w.owner, "Spring").await;
        let def = coupon_def(&w.owner, &campaign, json!({"type": "fixed", "amount": 300}),
            json!({"claimable": true, "total_limit": 3, "per_member_limit": 1})).await;
        let def_id = def["id"].as_str().unwrap().to_string();
        assert_eq!((def["issued"].as_i64(), def["status"].as_str(), def["per_member_limit"].as_i64()), (Some(0), Some("active"), Some(1)));
        let mut members = Vec::new();
        for i in 0..6 {
            members.push(app.shopper("claim", &format!("1380013820{i}")).await);
        }
        let (status, claimable) = members[0].get("/s/claim/api/coupons/claimable").await;
        assert_eq!(status, StatusCode::OK, "{claimable}");
        assert_eq!(claimable.as_array().unwrap().iter().filter(|d| d["id"] == json!(def_id)).count(), 1);

        // Six members, each claiming twice, all at once.
        let claims = members.iter().flat_map(|m| [m.clone(), m.clone()]).map(|m| {
            let def_id = def_id.clone();
            async move { m.post_empty(&format!("/s/claim/api/coupons/{def_id}/claim")).await }
        });
        let results = futures::future::join_all(claims).await;
        assert_eq!(results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(), 3, "{results:?}");
        assert!(results.iter().filter(|(s, _)| *s != StatusCode::CREATED)
            .all(|(s, b)| *s == StatusCode::CONFLICT && matches!(error_code(b), Some("coupons_gone" | "coupon_limit"))), "{results:?}");
        let mut held = Vec::new();
        for m in &members {
            let (_, page) = m.get("/s/claim/api/coupons").await;
            held.push(page["items"].as_array().unwrap().iter().filter(|c| c["def"]["id"] == json!(def_id)).count());
        }
        assert!(held.iter().all(|n| *n <= 1), "nobody holds two: {held:?}");
        assert_eq!(held.iter().sum::<usize>(), 3);

        // The definition counts three; it is claimable no more, and none can be issued either.
        let (status, defs) = w.owner.get(&format!("/api/v1/coupons?campaign_id={campaign}")).await;
        assert_eq!(status, StatusCode::OK, "{defs}");
        assert_eq!(defs["items"][0]["issued"], 3);
        let (_, claimable) = members[0].get("/s/claim/api/coupons/claimable").await;
        assert!(claimable.as_array().unwrap().iter().all(|d| d["id"] != json!(def_id)), "{claimable}");
        let late = held.iter().position(|n| *n == 0).unwrap();
        let (status, body) = members[late].post_empty(&format!("/s/claim/api/coupons/{def_id}/claim")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("coupons_gone")), "{body}");
        let (status, body) = w.owner.post(&format!("/api/v1/coupons/{def_id}/issue"), json!({"phone": "13800138205"})).await;
        assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("coupons_gone")), "{body}");

        // Two per member, no total: one member claiming six times at once gets two.
        let two = coupon_def(&w.owner, &campaign, json!({"type": "percent", "percent": 10, "max_discount": null}),
            json!({"claimable": true, "per_member_limit": 2})).await;
        let two_id = two["id"].as_str().unwrap().to_string();
        let claims = (0..6).map(|_| {
            let (m, id) = (members[0].clone(), two_id.clone());
            async move { m.post_empty(&format!("/s/claim/api/coupons/{id}/claim")).await }
        });
        let results = futures::future::join_all(claims).await;
        assert_eq!(results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(), 2, "{results:?}");
        assert!(results.iter().filter(|(s, _)| *s != StatusCode::CREATED)
            .all(|(s, b)| *s == StatusCode::CONFLICT && error_code(b) == Some("coupon_limit")), "{results:?}");
        // The merchant issuing to the same member meets the same limit.
        let (status, body) = w.owner.post(&format!("/api/v1/coupons/{two_id}/issue"), json!({"phone": "13800138200"})).await;
        assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("coupon_limit")), "{body}");

        // Disabled: no more claims; coupons held stay usable.
        let (status, disabled) = w.owner.post_empty(&format!("/api/v1/coupons/{two_id}/disable")).await;
        assert_eq!((status, disabled["status"].as_str()), (StatusCode::OK, Some("disabled")), "{disabled}");
        let (status, body) = members[1].post_empty(&format!("/s/claim/api/coupons/{two_id}/claim")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("coupons_gone")), "{body}");
        let (_, page) = members[0].get("/s/claim/api/coupons").await;
        assert!(page["items"].as_array().unwrap().iter().filter(|c| c["def"]["id"] == json!(two_id)).all(|c| c["usable"] == true));

        // Only claimable coupons can be claimed; only head office defines and issues them.
        let issued_only = coupon_def(&w.owner, &campaign, json!({"type": "fixed", "amount": 100}), json!({})).await;
        let (status, _) = members[1].post_empty(&format!("/s/claim/api/coupons/{}/claim", issued_only["id"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let clerk = staff(&app, &w.owner, "clerk@claim.test", "clerk", &[&w.store_a]).await;
        let (status, _) = clerk.post(&format!("/api/v1/coupons/{}/issue", issued_only["id"].as_str().unwrap()), json!({"phone": "13800138201"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = clerk.post("/api/v1/coupons", json!({"campaign_id": campaign, "name": {"zh": "x", "en": "x"}, "value": {"type": "fixed", "amount": 1}})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let guest = app.anonymous();
        let (status, _) = guest.post_empty(&format!("/s/claim/api/coupons/{def_id}/claim")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // A session's claim needs its CSRF token.
        let (status, body) = members[1].clone().without_header("x-csrf-token").post_empty(&format!("/s/claim/api/coupons/{two_id}/claim")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, Some("csrf_failed")));
    }
}

api_test! {
    /// Where, when and on what a coupon applies, each refusal with its code and nothing
    /// written; what it takes off, and that it comes off before points are capped.
    async fn coupon_rules_and_discounts(app) {
        let w = shop_world(&app, "rules").await;
        let (clerk_a, _) = store_clerks(&app, &w, "rules").await;
        // A point is worth a yuan here, so the cap on points shows.
        let (_, mut program) = w.owner.get("/api/v1/loyalty/program").await;
        program["point_value"] = json!(100);
        let (status, body) = w.owner.put("/api/v1/loyalty/program", program).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let phone = "13800138300";
        let shopper = app.shopper("rules", phone).await;
        let member = shopper_id(&shopper, "rules").await;
        let (status, topped) = clerk_a.post("/api/v1/pos/sales", member_sale(&w, "top", &member, 2, 0, None, 7000)).await;
        assert_eq!((status, topped["member_points"].as_i64()), (StatusCode::CREATED, Some(70)), "{topped}");

        let campaign = campaign(&w.owner, "Rules").await;
        let fixed = json!({"type": "fixed", "amount": 1000});
        let mut ids = std::collections::HashMap::new();
        for (name, value, extra) in [
            ("minimum", fixed.clone(), json!({"min_spend": 7000})),
            ("till_only", json!({"type": "percent", "percent": 10}), json!({"channels": ["pos"]})),
            ("store_b", fixed.clone(), json!({"stores": [w.store_b]})),
            ("later", fixed.clone(), json!({"starts_at": days_from_now(1), "ends_at": days_from_now(2)})),
            ("over", fixed.clone(), json!({"starts_at": days_from_now(-3), "ends_at": days_from_now(-1)})),
            ("percent", json!({"type": "percent", "percent": 20, "max_discount": 1500}), json!({})),
        ] {
            let def = coupon_def(&w.owner, &campaign, value, extra).await;
            ids.insert(name, issue_coupon(&w.owner, def["id"].as_str().unwrap(), phone).await);
        }
        assert_eq!(my_coupon(&shopper, "rules", &ids["later"]).await["usable"], false, "not yet");
        assert_eq!(my_coupon(&shopper, "rules", &ids["over"]).await["usable"], false, "no more");

        // Refused online, each for its reason, and nothing written.
        for (name, quantity, code) in [
            ("minimum", 1, "coupon_below_minimum"),
            ("till_only", 1, "coupon_wrong_channel"),
            ("store_b", 1, "coupon_wrong_store"),
            ("later", 1, "coupon_not_started"),
            ("over", 1, "coupon_ended"),
        ] {
            let (status, body) = order(&shopper, "rules", &w, quantity, Some(&ids[name]), 0).await;
            assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("coupon_id"), Some(code))), "{name}: {body}");
            assert_eq!(my_coupon(&shopper, "rules", &ids[name]).await["coupon"]["status"], "available", "{name}");
        }
        // And at the till: another store's coupon, and one below its minimum.
        for (name, code) in [("store_b", "coupon_wrong_store"), ("minimum", "coupon_below_minimum"), ("over", "coupon_ended")] {
            let (status, body) = clerk_a.post("/api/v1/pos/sales", member_sale(&w, &format!("no-{name}"), &member, 1, 0, Some(&ids[name]), 2500)).await;
            assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("coupon_id"), Some(code))), "{name}: {body}");
        }
        let mut walk_in = sale(&w, "walk-in", 1, "cash", 2900);
        walk_in["coupon_id"] = json!(ids["minimum"]);
        let (status, body) = clerk_a.post("/api/v1/pos/sales", walk_in).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("coupon_id"), Some("member_required"))), "{body}");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (8, 0), "only the top-up took stock");
        assert_eq!(balance(&shopper, "rules").await, 70);

        // Fixed, at exactly the minimum: 10.00 off 70.00, spread over the line.
        let (status, fixed_order) = order(&shopper, "rules", &w, 2, Some(&ids["minimum"]), 0).await;
        assert_eq!(status, StatusCode::CREATED, "{fixed_order}");
        assert_eq!((amount(&fixed_order["subtotal"]), amount(&fixed_order["coupon_discount"]), amount(&fixed_order["discount"]), amount(&fixed_order["total"])),
            (7000, 1000, 1000, 6000));
        assert_eq!((amount(&fixed_order["lines"][0]["discount"]), amount(&fixed_order["lines"][0]["total"])), (1000, 6000));

        // Percent with a cap: 20% of 105.00 is 21.00, capped at 15.00. Points are capped at
        // half of what is left after the coupon (90.00), so 46 points are too many, 45 fit.
        let (status, body) = order(&shopper, "rules", &w, 3, Some(&ids["percent"]), 46).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("points"), Some("above_cap"))), "{body}");
        let (status, pct) = order(&shopper, "rules", &w, 3, Some(&ids["percent"]), 45).await;
        assert_eq!(status, StatusCode::CREATED, "{pct}");
        assert_eq!((amount(&pct["subtotal"]), amount(&pct["coupon_discount"]), amount(&pct["discount"]), amount(&pct["total"])),
            (10_500, 1500, 1500 + 4500, 4500));
        assert_eq!(pct["points_used"], 45);

        // Percent without a cap, at the till (a till-only coupon): 10% of 35.00.
        let (status, body) = clerk_a.post("/api/v1/pos/sales", member_sale(&w, "pct", &member, 1, 0, Some(&ids["till_only"]), 3500)).await;
        assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("payment_mismatch")), "the till must charge 31.50: {body}");
        let (status, sold) = clerk_a.post("/api/v1/pos/sales", member_sale(&w, "pct", &member, 1, 0, Some(&ids["till_only"]), 3150)).await;
        assert_eq!(status, StatusCode::CREATED, "{sold}");
        assert_eq!((amount(&sold["order"]["coupon_discount"]), amount(&sold["order"]["total"])), (350, 3150));
        // 70 - 45 spent + 31 earned on 31.50.
        assert_eq!(sold["member_points"], 70 - 45 + 31);
        for name in ["minimum", "percent", "till_only"] {
            assert_eq!(my_coupon(&shopper, "rules", &ids[name]).await["coupon"]["status"], "used", "{name}");
        }
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (7, 5));

        // Definitions are checked.
        let (status, body) = w.owner.post("/api/v1/coupons", json!({"campaign_id": campaign, "name": {"zh": "x", "en": "x"},
            "value": {"type": "percent", "percent": 100}, "per_member_limit": 0})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["value.percent", "per_member_limit"]);
        let (status, body) = w.owner.post("/api/v1/coupons", json!({"campaign_id": campaign, "name": {"zh": "x", "en": "x"},
            "value": {"type": "fixed", "amount": 100}, "stores": [w.warehouse]})).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("stores.0"), Some("unknown_store"))));
        app.assert_balanced().await;
    }
}

api_test! {
    /// A coupon comes back when its unpaid order is cancelled and when its order is
    /// refunded in full (online or at the till), not on a partial refund.
    async fn coupons_come_back_with_cancellations_and_full_refunds(app) {
        let w = shop_world(&app, "back").await;
        let (clerk, _) = store_clerks(&app, &w, "back").await;
        let phone = "13800138400";
        let shopper = app.shopper("back", phone).await;
        let member = shopper_id(&shopper, "back").await;
        let campaign = campaign(&w.owner, "Back").await;
        let def = coupon_def(&w.owner, &campaign, json!({"type": "fixed", "amount": 500}), json!({})).await;
        let coupon = issue_coupon(&w.owner, def["id"].as_str().unwrap(), phone).await;

        // Unpaid and cancelled: the coupon is the member's again.
        let (status, unpaid) = order(&shopper, "back", &w, 1, Some(&coupon), 0).await;
        assert_eq!(status, StatusCode::CREATED, "{unpaid}");
        let unpaid_id = unpaid["id"].as_str().unwrap();
        assert_eq!(my_coupon(&shopper, "back", &coupon).await["coupon"]["order_id"], json!(unpaid_id));
        let (status, body) = order(&shopper, "back", &w, 1, Some(&coupon), 0).await;
        assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("coupon_unavailable")), "{body}");
        let (status, _) = shopper.post_empty(&format!("/s/back/api/orders/{unpaid_id}/cancel")).await;
        assert_eq!(status, StatusCode::OK);
        let again = my_coupon(&shopper, "back", &coupon).await;
        assert_eq!((again["coupon"]["status"].as_str(), again["coupon"]["order_id"].as_str(), again["usable"].as_bool()), (Some("available"), None, Some(true)));

        // Spent on a paid, collected order: a partial refund keeps it spent.
        let (status, paid) = order(&shopper, "back", &w, 2, Some(&coupon), 0).await;
        assert_eq!((status, amount(&paid["total"])), (StatusCode::CREATED, 6500), "{paid}");
        let id = paid["id"].as_str().unwrap().to_string();
        app.pay_in_sandbox(&shopper, "back", &id).await;
        let (_, view) = shopper.get(&format!("/s/back/api/orders/{id}")).await;
        let code = view["pickup_code"]["code"].as_str().unwrap();
        let (status, done) = w.owner.post(&format!("/api/v1/orders/{id}/handover"), json!({"code": code})).await;
        assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("completed")), "{done}");
        let (status, partly) = w.owner.post(&format!("/api/v1/orders/{id}/refunds"), json!({"amount": 3250, "reason": "goodwill"})).await;
        assert_eq!((status, partly["status"].as_str()), (StatusCode::OK, Some("partially_refunded")), "{partly}");
        app.run_jobs().await;
        assert_eq!(my_coupon(&shopper, "back", &coupon).await["coupon"]["status"], "used", "not on a partial refund");

        // The rest refunded, while the coupon is still valid: it comes back.
        let (status, all) = w.owner.post(&format!("/api/v1/orders/{id}/refunds"), json!({"amount": 3250, "reason": "goodwill"})).await;
        assert_eq!((status, all["status"].as_str()), (StatusCode::OK, Some("refunded")), "{all}");
        app.run_jobs().await;
        assert_eq!(my_coupon(&shopper, "back", &coupon).await["usable"], true);

        // At the till: a partial return keeps it spent, returning the rest brings it back.
        let (status, sold) = clerk.post("/api/v1/pos/sales", member_sale(&w, "till", &member, 2, 0, Some(&coupon), 6500)).await;
        assert_eq!(status, StatusCode::CREATED, "{sold}");
        let sale_id = sold["order"]["id"].as_str().unwrap();
        let line = sold["order"]["lines"][0]["id"].as_str().unwrap();
        let (status, body) = clerk.post(&format!("/api/v1/pos/sales/{sale_id}/returns"), json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "wrong size"})).await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("partially_refunded")), "{body}");
        assert_eq!(my_coupon(&shopper, "back", &coupon).await["coupon"]["status"], "used");
        let (status, body) = clerk.post(&format!("/api/v1/pos/sales/{sale_id}/returns"), json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "wrong size"})).await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("refunded")), "{body}");
        assert_eq!(my_coupon(&shopper, "back", &coupon).await["usable"], true);

        // And it can be spent again.
        let (status, last) = order(&shopper, "back", &w, 1, Some(&coupon), 0).await;
        assert_eq!((status, amount(&last["coupon_discount"])), (StatusCode::CREATED, 500), "{last}");
        app.assert_balanced().await;
    }
}

/// An unpaid order that expires gives its coupon back.
mod expiry {
    use super::*;

    async fn body(app: TestApp) {
        let w = shop_world(&app, "lapse").await;
        let phone = "13800138500";
        let shopper = app.shopper("lapse", phone).await;
        let campaign = campaign(&w.owner, "Lapse").await;
        let def = coupon_def(&w.owner, &campaign, json!({"type": "fixed", "amount": 500}), json!({})).await;
        let coupon = issue_coupon(&w.owner, def["id"].as_str().unwrap(), phone).await;
        let (status, unpaid) = order(&shopper, "lapse", &w, 1, Some(&coupon), 0).await;
        assert_eq!(status, StatusCode::CREATED, "{unpaid}");
        assert_eq!(my_coupon(&shopper, "lapse", &coupon).await["coupon"]["status"], "used");
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        app.run_jobs().await;
        let (_, lapsed) = shopper.get(&format!("/s/lapse/api/orders/{}", unpaid["id"].as_str().unwrap())).await;
        assert_eq!(lapsed["status"], "expired", "{lapsed}");
        assert_eq!(my_coupon(&shopper, "lapse", &coupon).await["usable"], true);
        app.assert_balanced().await;
    }

    fn quick() -> Settings {
        Settings { unpaid_order_secs: 1, ..Settings::default() }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_expired_order_gives_its_coupon_back_sqlite() {
        body(TestApp::spawn_with(sweep_store::Backend::Sqlite, quick()).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
    async fn an_expired_order_gives_its_coupon_back_postgres() {
        body(TestApp::spawn_with(sweep_store::Backend::Postgres, quick()).await).await
    }
}

api_test! {
    /// The card's code: the phone asks for one, the till scans it once, then sells to the
    /// member by id and the member's points move.
    async fn the_member_code_is_scanned_once_and_sells_to_the_member(app) {
        let w = shop_world(&app, "code").await;
        let (clerk_a, clerk_b) = store_clerks(&app, &w, "code").await;
        let shopper = app.shopper("code", "13800138600").await;
        let member = shopper_id(&shopper, "code").await;

        let (status, code) = shopper.post_empty("/s/code/api/member/code").await;
        assert_eq!(status, StatusCode::CREATED, "{code}");
        let digits = code["code"].as_str().unwrap().to_string();
        assert!(digits.len() == 18 && digits.starts_with("99") && digits.bytes().all(|b| b.is_ascii_digit()), "{digits}");
        assert_eq!(code["refresh_in_secs"], 60);
        let (status, found) = clerk_a.post("/api/v1/members/by-code", json!({"code": digits})).await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!((found["shopper_id"].as_str(), found["phone"].as_str(), found["points"].as_i64()), (Some(member.as_str()), Some("138****8600"), Some(0)));
        let (status, body) = clerk_b.post("/api/v1/members/by-code", json!({"code": digits})).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("code"), Some("invalid_member_code"))), "used once: {body}");

        // Two tills scanning one code at the same moment: one finds the member.
        let (_, code) = shopper.post_empty("/s/code/api/member/code").await;
        let digits = code["code"].as_str().unwrap().to_string();
        let scans = [clerk_a.clone(), clerk_b.clone(), clerk_a.clone(), clerk_b.clone()].into_iter().map(|c| {
            let digits = digits.clone();
            async move { c.post("/api/v1/members/by-code", json!({"code": digits})).await }
        });
        let results = futures::future::join_all(scans).await;
        assert_eq!(results.iter().filter(|(s, _)| *s == StatusCode::OK).count(), 1, "{results:?}");
        assert!(results.iter().filter(|(s, _)| *s != StatusCode::OK)
            .all(|(s, b)| *s == StatusCode::UNPROCESSABLE_ENTITY && field_error(b).1 == Some("invalid_member_code")));

        // Another merchant cannot read the code (and does not use it up).
        let other = world(&app, "code2").await;
        let (_, code) = shopper.post_empty("/s/code/api/member/code").await;
        let digits = code["code"].as_str().unwrap().to_string();
        let (status, _) = other.owner.post("/api/v1/members/by-code", json!({"code": digits})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        for bad in ["12345", "990000000000000000", "abcdefghijklmnopqr"] {
            let (status, body) = clerk_a.post("/api/v1/members/by-code", json!({"code": bad})).await;
            assert_eq!((status, field_error(&body).1), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_member_code")), "{bad}");
        }
        let (status, found) = clerk_a.post("/api/v1/members/by-code", json!({"code": digits})).await;
        assert_eq!((status, found["shopper_id"].as_str()), (StatusCode::OK, Some(member.as_str())));

        // The till sells to the member it found: member price, points on the card.
        let (status, sold) = clerk_a.post("/api/v1/pos/sales", member_sale(&w, "by-code-1", &member, 1, 0, None, 3500)).await;
        assert_eq!(status, StatusCode::CREATED, "{sold}");
        assert_eq!((sold["order"]["shopper_id"].as_str(), sold["member_points"].as_i64()), (Some(member.as_str()), Some(35)));
        let (status, spent) = clerk_a.post("/api/v1/pos/sales", member_sale(&w, "by-code-2", &member, 1, 20, None, 3480)).await;
        assert_eq!(status, StatusCode::CREATED, "{spent}");
        assert_eq!(spent["member_points"], 35 - 20 + 34);
        assert_eq!(balance(&shopper, "code").await, 49);
        let entries = history(&shopper, "code").await;
        assert_eq!((entries[0]["kind"].as_str(), entries[0]["store_id"].as_str()), (Some("earn"), Some(w.store_a.as_str())));
        let (status, body) = clerk_a.post("/api/v1/pos/sales", member_sale(&w, "by-code-3", &w.sku, 1, 0, None, 3500)).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("member_id"), Some("unknown_member"))), "{body}");

        // Only a signed-in member has a code, and the phone's request needs its CSRF token.
        let guest = app.anonymous();
        let (status, _) = guest.post_empty("/s/code/api/member/code").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, body) = shopper.clone().without_header("x-csrf-token").post_empty("/s/code/api/member/code").await;
        assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, Some("csrf_failed")));
        let (status, _) = app.anonymous().post("/api/v1/members/by-code", json!({"code": digits})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

api_test! {
    /// Part of a till sale comes back: the units go back on the store's shelf, the cash
    /// goes back at once, the points settle in proportion; the rest follows exactly.
    async fn returns_at_the_till(app) {
        let w = shop_world(&app, "ret").await;
        let (clerk_a, clerk_b) = store_clerks(&app, &w, "ret").await;
        let phone = "13800138700";
        let shopper = app.shopper("ret", phone).await;
        let member = shopper_id(&shopper, "ret").await;
        let (status, _) = clerk_a.post("/api/v1/pos/sales", member_sale(&w, "top", &member, 1, 0, None, 3500)).await;
        assert_eq!(status, StatusCode::CREATED);
        let campaign = campaign(&w.owner, "Ret").await;
        let def = coupon_def(&w.owner, &campaign, json!({"type": "fixed", "amount": 300}), json!({})).await;
        let coupon = issue_coupon(&w.owner, def["id"].as_str().unwrap(), phone).await;

        // 3 units: 105.00, less 3.00 coupon and 30 points: 101.70 paid, 101 points earned.
        let (status, sold) = clerk_a.post("/api/v1/pos/sales", member_sale(&w, "S-1", &member, 3, 30, Some(&coupon), 10_170)).await;
        assert_eq!(status, StatusCode::CREATED, "{sold}");
        assert_eq!(sold["member_points"], 35 - 30 + 101);
        let id = sold["order"]["id"].as_str().unwrap().to_string();
        let line = sold["order"]["lines"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (6, 0));
        let path = format!("/api/v1/pos/sales/{id}/returns");
        let one = |quantity: i64| json!({"lines": [{"line_id": line, "quantity": quantity}], "reason": "does not fit"});

        // Staff of another store do not see the sale; input is checked.
        let (status, _) = clerk_b.post(&path, one(1)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, body) = clerk_a.post(&path, json!({"lines": [{"line_id": w.sku, "quantity": 1}], "reason": "x"})).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("lines.0.line_id"), Some("unknown_line"))));
        let (status, body) = clerk_a.post(&path, json!({"lines": [{"line_id": line, "quantity": 1}], "reason": ""})).await;
        assert_eq!((status, field_error(&body).0), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{body}");
        let (status, _) = clerk_a.post(&format!("/api/v1/pos/sales/{}/returns", w.sku), one(1)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // One unit back: a third of the money (33.90), in cash at once.
        let (status, back) = clerk_a.post(&path, one(1)).await;
        assert_eq!(status, StatusCode::OK, "{back}");
        assert_eq!((back["status"].as_str(), amount(&back["refunded"])), (Some("partially_refunded"), 3390));
        assert_eq!(back["refunds"].as_array().unwrap().len(), 1);
        assert_eq!((back["refunds"][0]["status"].as_str(), amount(&back["refunds"][0]["amount"])), (Some("succeeded"), 3390));
        assert!(back["refunds"][0]["completed_at"].is_string());
        assert_eq!(back["lines"][0]["returned_quantity"], 1);
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (7, 0), "back on the shelf");
        // A third of the points earned (33 of 101, rounded down) taken back, a third of
        // those spent (10 of 30) given back.
        let entries = history(&shopper, "ret").await;
        assert_eq!((moved(&entries, &id, "reverse"), moved(&entries, &id, "restore")), (-33, 10));
        assert_eq!(balance(&shopper, "ret").await, 106 - 33 + 10);
        app.run_jobs().await;
        let (_, view) = w.owner.get(&format!("/api/v1/orders/{id}")).await;
        assert_eq!(view["refunds"][0]["status"], "succeeded", "no provider involved: {view}");

        // More than is left cannot come back; the rest can, and settles exactly.
        let (status, body) = clerk_a.post(&path, one(3)).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("lines.0.quantity"), Some("out_of_range"))), "{body}");
        let (status, rest) = clerk_a.post(&path, one(2)).await;
        assert_eq!(status, StatusCode::OK, "{rest}");
        assert_eq!((rest["status"].as_str(), amount(&rest["refunded"])), (Some("refunded"), 10_170));
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (9, 0));
        let entries = history(&shopper, "ret").await;
        assert_eq!((moved(&entries, &id, "earn"), moved(&entries, &id, "reverse")), (101, -101));
        assert_eq!((moved(&entries, &id, "redeem"), moved(&entries, &id, "restore")), (-30, 30));
        assert_eq!(balance(&shopper, "ret").await, 35, "as before the sale");
        let (status, body) = clerk_a.post(&path, one(1)).await;
        assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("not_returnable")), "{body}");

        // Online orders are returned through the shop, not the till.
        let (status, online) = order(&shopper, "ret", &w, 1, None, 0).await;
        assert_eq!(status, StatusCode::CREATED, "{online}");
        let (status, _) = clerk_a.post(&format!("/api/v1/pos/sales/{}/returns", online["id"].as_str().unwrap()),
            json!({"lines": [{"line_id": online["lines"][0]["id"], "quantity": 1}], "reason": "x"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        app.assert_balanced().await;
    }
}

/// Closes the shift of till `till` at store A that began at `since` (the till's first
/// shift when `None`).
fn close(w: &World, till: &str, since: Option<&Value>, float: i64, counted: i64) -> Value {
    let mut body = json!({"store_id": w.store_a, "till_id": till, "opening_float": float, "counted_cash": counted, "note": "end of day"});
    if let Some(since) = since {
        body["since"] = since.clone();
    }
    body
}

api_test! {
    /// The drawer is counted against the float plus the till's cash sales less its cash
    /// refunds; two closes of one shift at once record one; the next shift starts at zero.
    async fn closing_a_shift_counts_the_cash(app) {
        let w = shop_world(&app, "shift").await;
        let (clerk_a, clerk_b) = store_clerks(&app, &w, "shift").await;
        let on = |sale_id: &str, quantity: i64, method: &str, paid: i64, till: &str| {
            let mut body = sale(&w, sale_id, quantity, method, paid);
            body["till_id"] = json!(till);
            body
        };
        for (id, quantity, method, paid) in [("C-1", 1, "cash", 3900), ("C-2", 2, "cash", 7800), ("K-1", 1, "bank_card", 3900)] {
            let (status, body) = clerk_a.post("/api/v1/pos/sales", on(id, quantity, method, paid, "T7")).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            if id == "C-2" {
                // One unit of it comes back: 39.00 in cash out of the drawer.
                let order = &body["order"];
                let (status, back) = clerk_a.post(&format!("/api/v1/pos/sales/{}/returns", order["id"].as_str().unwrap()),
                    json!({"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}], "reason": "changed mind"})).await;
                assert_eq!((status, back["status"].as_str()), (StatusCode::OK, Some("partially_refunded")), "{back}");
            }
        }
        // Another till's sale is its own drawer's.
        let (status, _) = clerk_a.post("/api/v1/pos/sales", on("T8-1", 1, "cash", 3900, "T8")).await;
        assert_eq!(status, StatusCode::CREATED);

        // Float 200.00; 117.00 in cash sales, 39.00 handed back: 278.00 expected; 277.00 counted.
        let closes = (0..2).map(|_| {
            let (c, body) = (clerk_a.clone(), close(&w, "T7", None, 20_000, 27_700));
            async move { c.post("/api/v1/pos/shifts", body).await }
        });
        let results = futures::future::join_all(closes).await;
        let closed: Vec<&Value> = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).map(|(_, b)| b).collect();
        assert_eq!(closed.len(), 1, "{results:?}");
        let (status, lost) = results.iter().find(|(s, _)| *s != StatusCode::CREATED).unwrap();
        assert_eq!((*status, error_code(lost)), (StatusCode::CONFLICT, Some("shift_closed")), "{lost}");
        let shift = closed[0];
        assert_eq!(shift["since"], Value::Null, "the till's first shift");
        assert_eq!((amount(&shift["opening_float"]), amount(&shift["cash_sales"]), amount(&shift["cash_refunds"])), (20_000, 11_700, 3900));
        assert_eq!((amount(&shift["expected_cash"]), amount(&shift["counted_cash"]), amount(&shift["difference"])), (27_800, 27_700, -100));
        assert_eq!((shift["sales"].as_i64(), shift["till_id"].as_str(), shift["note"].as_str()), (Some(3), Some("T7"), Some("end of day")));

        // The next shift starts from this close: only what the till did since counts.
        let (status, _) = clerk_a.post("/api/v1/pos/sales", on("C-3", 1, "cash", 3900, "T7")).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, next) = clerk_a.post("/api/v1/pos/shifts", close(&w, "T7", Some(&shift["closed_at"]), 20_000, 23_900)).await;
        assert_eq!(status, StatusCode::CREATED, "{next}");
        assert_eq!(next["since"], shift["closed_at"]);
        assert_eq!((amount(&next["cash_sales"]), amount(&next["cash_refunds"]), next["sales"].as_i64()), (3900, 0, Some(1)));
        assert_eq!((amount(&next["expected_cash"]), amount(&next["difference"])), (23_900, 0));
        let (status, empty) = clerk_a.post("/api/v1/pos/shifts", close(&w, "T7", Some(&next["closed_at"]), 20_000, 20_000)).await;
        assert_eq!(status, StatusCode::CREATED, "{empty}");
        assert_eq!((amount(&empty["cash_sales"]), amount(&empty["cash_refunds"]), empty["sales"].as_i64(), amount(&empty["difference"])), (0, 0, Some(0), 0));
        // A close of a shift closed already, sent again or from a till that missed the
        // last close, is refused however late it comes; so is a till's first close twice.
        for stale in [Some(&shift["closed_at"]), Some(&next["closed_at"]), None] {
            let (status, body) = clerk_a.post("/api/v1/pos/shifts", close(&w, "T7", stale, 20_000, 20_000)).await;
            assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, Some("shift_closed")), "{stale:?}: {body}");
        }
        let (status, body) = clerk_a.post("/api/v1/pos/shifts", close(&w, "T9", Some(&shift["closed_at"]), 0, 0)).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("since"), Some("unknown_shift"))), "{body}");
        let (status, body) = clerk_a.post("/api/v1/pos/shifts", close(&w, "T7", Some(&json!("yesterday")), 0, 0)).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("since"), Some("invalid"))), "{body}");
        // Till T8 was never closed: its first shift holds its one sale.
        let (status, t8) = clerk_a.post("/api/v1/pos/shifts", close(&w, "T8", None, 0, 3900)).await;
        assert_eq!((status, amount(&t8["cash_sales"]), t8["sales"].as_i64()), (StatusCode::CREATED, 3900, Some(1)), "{t8}");

        // The store's shifts, newest first.
        let (status, list) = clerk_a.get(&format!("/api/v1/pos/shifts?store_id={}", w.store_a)).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let ids: Vec<&Value> = list["items"].as_array().unwrap().iter().map(|s| &s["id"]).collect();
        assert_eq!(ids, vec![&t8["id"], &empty["id"], &next["id"], &shift["id"]]);
        let (_, first) = clerk_a.get(&format!("/api/v1/pos/shifts?store_id={}&limit=1", w.store_a)).await;
        assert!(first["next_cursor"].is_string());

        // Staff close their own stores' tills only; the figures are checked.
        let (status, body) = clerk_b.post("/api/v1/pos/shifts", close(&w, "T7", None, 0, 0)).await;
        assert_eq!((status, field_error(&body)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("store_id"), Some("unknown_store"))), "{body}");
        let (status, _) = clerk_b.get(&format!("/api/v1/pos/shifts?store_id={}", w.store_a)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, body) = clerk_a.post("/api/v1/pos/shifts", close(&w, "", None, -1, 0)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["till_id", "opening_float"]);
        let (status, _) = clerk_a.get("/api/v1/pos/shifts").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the store is required");
    }
}
