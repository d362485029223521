//! Double 11 flash sales through the API: hundreds of members racing for a small pool
//! never oversell it nor pass their limit (on one process and across two), unpaid and
//! cancelled orders give their units back to the pool and to the member's quota, a
//! sale's end gives what is left back to the store, the clock decides when it is on,
//! a bot over its rate is turned away while members get through, and the sales feed
//! folds into live totals. On SQLite and PostgreSQL.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sweep_app::Settings;

use crate::api_test;
use crate::helpers::*;

fn reason(body: &Value) -> &str {
    body["error"]["reason"].as_str().or(body["error"]["code"].as_str()).unwrap_or("")
}

/// RFC 3339 `secs` from now.
fn secs_from_now(secs: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let now = sweep_domain::Timestamp::from_unix_micros(i64::try_from(now.as_micros()).unwrap());
    now.plus_seconds(secs).to_rfc3339()
}

/// `units` received at store A, and a sale of them there (on now, unless `starts_in`).
async fn sale(w: &World, units: i64, limit: i64, extra: Value) -> Value {
    w.owner
        .create(
            "/api/v1/stock/receipts",
            json!({"location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": units}]}),
        )
        .await;
    let campaign = campaign(&w.owner, &format!("Double 11 {}", uuid::Uuid::now_v7())).await;
    let mut body = json!({
        "campaign_id": campaign, "name": "双十一秒杀", "location_id": w.store_a,
        "starts_at": secs_from_now(-60), "ends_at": secs_from_now(3600),
        "per_member_limit": limit, "items": [{"sku_id": w.sku, "price": 990, "units": units}]
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, sale) = w.owner.post("/api/v1/flash-sales", body).await;
    assert_eq!(status, StatusCode::CREATED, "{sale}");
    sale
}

/// `count` signed-in members of `slug`, each a client of `app` with its session.
async fn members(app: &TestApp, w: &World, first_phone: &str, count: i64) -> Vec<Client> {
    let (status, made) =
        w.owner.post("/api/v1/dev/rehearsal-members", json!({"first_phone": first_phone, "count": count})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made.as_array()
        .unwrap()
        .iter()
        .map(|m| {
            app.anonymous()
                .with_header("cookie", &format!("sweep_shop={}", m["session"].as_str().unwrap()))
                .with_header("x-csrf-token", m["csrf_token"].as_str().unwrap())
        })
        .collect()
}

async fn buy(member: &Client, slug: &str, sale: &str, sku: &str, quantity: i64) -> (StatusCode, Value) {
    member.post(&format!("/s/{slug}/api/flash/{sale}/orders"), json!({"sku_id": sku, "quantity": quantity})).await
}

async fn view(owner: &Client, sale: &str) -> Value {
    let (status, body) = owner.get(&format!("/api/v1/flash-sales/{sale}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn left_and_taken(view: &Value) -> (i64, i64) {
    let p = &view["products"][0];
    (p["left"].as_i64().unwrap(), p["taken"].as_i64().unwrap())
}

api_test! {
    /// 300 members race for 40 units, each sending three requests at once with a limit
    /// of two: exactly 40 units are sold, every one backed by one order, nobody holds
    /// more than two, and the stock ledger balances.
    async fn a_burst_never_oversells_nor_passes_a_limit(app) {
        let w = shop_world(&app, "burst").await;
        let sale = sale(&w, 40, 2, json!({})).await;
        let id = sale["id"].as_str().unwrap().to_string();
        let buyers = members(&app, &w, "17000000000", 300).await;
        let tasks = buyers.iter().enumerate().flat_map(|(i, m)| {
            let (id, sku) = (id.clone(), w.sku.clone());
            (0..3).map(move |_| {
                let (m, id, sku) = (m.clone(), id.clone(), sku.clone());
                async move { (i, buy(&m, "burst", &id, &sku, 1).await) }
            })
        });
        let answers = futures::future::join_all(tasks).await;
        let mut per_member: HashMap<usize, i64> = HashMap::new();
        let mut orders = std::collections::HashSet::new();
        for (i, (status, body)) in &answers {
            match *status {
                StatusCode::CREATED => {
                    *per_member.entry(*i).or_default() += 1;
                    assert!(orders.insert(body["order_id"].as_str().unwrap().to_string()), "one order per answer");
                    assert_eq!(body["total"]["amount"], 990, "{body}");
                }
                StatusCode::CONFLICT => assert!(matches!(reason(body), "sold_out" | "limit_reached"), "{body}"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(orders.len(), 40, "exactly the pool is sold");
        assert!(per_member.values().all(|&n| n <= 2), "nobody passes the limit: {per_member:?}");
        assert_eq!(left_and_taken(&view(&w.owner, &id).await), (0, 40));
        // Every sold unit is one pending order of the sale, reserved at the store.
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (50, 40));
        let (_, listed) = w.owner.get("/api/v1/orders?status=pending_payment&limit=100").await;
        let listed: Vec<&Value> = listed["items"].as_array().unwrap().iter().collect();
        assert_eq!(listed.len(), 40);
        assert!(listed.iter().all(|o| orders.contains(o["id"].as_str().unwrap())));
        app.assert_balanced().await;
    }
}

api_test! {
    /// With plenty of units, members sending five requests at once each get exactly their
    /// limit of two; a quantity beyond the limit is refused outright.
    async fn the_limit_holds_across_all_of_a_members_orders(app) {
        let w = shop_world(&app, "limit").await;
        let sale = sale(&w, 500, 2, json!({})).await;
        let id = sale["id"].as_str().unwrap();
        let buyers = members(&app, &w, "17100000000", 40).await;
        let sku = &w.sku;
        let tasks = buyers.iter().enumerate().flat_map(|(i, m)| {
            (0..5).map(move |_| {
                let m = m.clone();
                let (id, sku) = (id.to_string(), sku.clone());
                async move { (i, buy(&m, "limit", &id, &sku, 1).await.0) }
            })
        });
        let mut per_member: HashMap<usize, i64> = HashMap::new();
        for (i, status) in futures::future::join_all(tasks).await {
            if status == StatusCode::CREATED {
                *per_member.entry(i).or_default() += 1;
            } else {
                assert_eq!(status, StatusCode::CONFLICT);
            }
        }
        assert_eq!(per_member.len(), 40);
        assert!(per_member.values().all(|&n| n == 2), "{per_member:?}");
        let (status, body) = buy(&buyers[0], "limit", id, &w.sku, 3).await;
        assert_eq!((status, reason(&body)), (StatusCode::CONFLICT, "limit_reached"), "{body}");
        let (status, body) = buy(&buyers[0], "limit", id, &w.sku, 0).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(left_and_taken(&view(&w.owner, id).await), (420, 80));
        app.assert_balanced().await;
    }
}

api_test! {
    /// Two server processes on one database: 200 members each try once on both; the 50
    /// units go to 50 members, one each.
    async fn two_processes_share_the_pool_and_the_limits(app) {
        let w = shop_world(&app, "twins").await;
        let other = app.second_process().await;
        let sale = sale(&w, 50, 1, json!({})).await;
        let id = sale["id"].as_str().unwrap();
        let buyers = members(&app, &w, "17200000000", 200).await;
        let (sku, other_url) = (&w.sku, &other.url);
        let tasks = buyers.iter().enumerate().flat_map(|(i, m)| {
            let mut there = m.clone();
            there.base = other_url.clone();
            [m.clone(), there].into_iter().map(move |c| {
                let (id, sku) = (id.to_string(), sku.clone());
                async move { (i, buy(&c, "twins", &id, &sku, 1).await.0) }
            })
        });
        let mut per_member: HashMap<usize, i64> = HashMap::new();
        for (i, status) in futures::future::join_all(tasks).await {
            match status {
                StatusCode::CREATED => *per_member.entry(i).or_default() += 1,
                StatusCode::CONFLICT => {}
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(per_member.values().sum::<i64>(), 50);
        assert!(per_member.values().all(|&n| n == 1), "{per_member:?}");
        assert_eq!(left_and_taken(&view(&w.owner, id).await), (0, 50));
        app.assert_balanced().await;
    }
}

mod unpaid_orders_give_their_units_back {
    use super::*;

    /// Sold out; an unpaid order expires and a cancelled one is withdrawn: both units go
    /// back to the pool and both members may buy again; a paid order keeps its unit.
    async fn body(app: TestApp) {
        let w = shop_world(&app, "lapse").await;
        let sale = sale(&w, 3, 1, json!({"pay_within_secs": 2})).await;
        let id = sale["id"].as_str().unwrap();
        let buyers = members(&app, &w, "17300000000", 4).await;
        let mut orders = vec![];
        for m in &buyers[..3] {
            let (status, body) = buy(m, "lapse", id, &w.sku, 1).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            orders.push(body["order_id"].as_str().unwrap().to_string());
        }
        let (status, body) = buy(&buyers[3], "lapse", id, &w.sku, 1).await;
        assert_eq!((status, reason(&body)), (StatusCode::CONFLICT, "sold_out"));
        // The first member pays, the second cancels, the third lets it lapse.
        app.pay_in_sandbox(&buyers[0], "lapse", &orders[0]).await;
        let (status, body) = buyers[1].post_empty(&format!("/s/lapse/api/orders/{}/cancel", orders[1])).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        app.run_jobs().await;
        let (_, lapsed) = buyers[2].get(&format!("/s/lapse/api/orders/{}", orders[2])).await;
        assert_eq!(lapsed["status"], "expired", "{lapsed}");
        assert_eq!(left_and_taken(&view(&w.owner, id).await), (2, 1));
        // The sold-out answer is remembered for a second only.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let (status, body) = buy(&buyers[0], "lapse", id, &w.sku, 1).await;
        assert_eq!((status, reason(&body)), (StatusCode::CONFLICT, "limit_reached"), "the payer holds one");
        assert_eq!(left_and_taken(&view(&w.owner, id).await), (2, 1), "the refused unit went back");
        let (status, body) = buy(&buyers[3], "lapse", id, &w.sku, 1).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = buy(&buyers[1], "lapse", id, &w.sku, 1).await;
        assert_eq!(status, StatusCode::CREATED, "the cancelled member's quota came back: {body}");
        assert_eq!(left_and_taken(&view(&w.owner, id).await), (0, 3));
        app.assert_balanced().await;
    }

    fn quick() -> Settings {
        Settings { flash_min_pay_secs: 1, ..Settings::default() }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        body(TestApp::spawn_with(sweep_store::Backend::Sqlite, quick()).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
    async fn postgres() {
        body(TestApp::spawn_with(sweep_store::Backend::Postgres, quick()).await).await
    }
}

api_test! {
    /// The merchant ends a sale early: nobody can buy, the units left go back to the
    /// store's stock, and a unit of an order cancelled after the end goes there too.
    async fn ending_a_sale_gives_what_is_left_back_to_the_store(app) {
        let w = shop_world(&app, "ending").await;
        let sale = sale(&w, 10, 1, json!({})).await;
        let id = sale["id"].as_str().unwrap();
        assert_eq!(available(&w.owner, &w.sku, &w.store_a).await, 10, "the 10 units moved earlier stay on sale");
        let buyers = members(&app, &w, "17400000000", 3).await;
        let mut orders = vec![];
        for m in &buyers {
            let (status, body) = buy(m, "ending", id, &w.sku, 1).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            orders.push(body["order_id"].as_str().unwrap().to_string());
        }
        let (status, ended) = w.owner.post_empty(&format!("/api/v1/flash-sales/{id}/end")).await;
        assert_eq!(status, StatusCode::OK, "{ended}");
        assert_eq!(ended["phase"], "ended");
        assert_eq!(available(&w.owner, &w.sku, &w.store_a).await, 17, "7 unsold units are back on sale");
        let (status, again) = w.owner.post_empty(&format!("/api/v1/flash-sales/{id}/end")).await;
        assert_eq!((status, reason(&again)), (StatusCode::CONFLICT, "sale_ended"));
        let extra = members(&app, &w, "17400000100", 1).await;
        let (status, body) = buy(&extra[0], "ending", id, &w.sku, 1).await;
        assert_eq!((status, reason(&body)), (StatusCode::CONFLICT, "sale_ended"), "{body}");
        let (status, _) = buyers[0].post_empty(&format!("/s/ending/api/orders/{}/cancel", orders[0])).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(available(&w.owner, &w.sku, &w.store_a).await, 18);
        assert_eq!(left_and_taken(&view(&w.owner, id).await), (0, 2));
        app.assert_balanced().await;
    }
}

api_test! {
    /// The server's clock decides: before the start a member is told to wait; a sale
    /// for earlier members turns away a member who joined during it; bad requests get
    /// clear 4xx answers and change nothing; a pool larger than the stock is refused.
    async fn the_clock_membership_and_bad_input(app) {
        let w = shop_world(&app, "clock").await;
        let later = sale(&w, 5, 1, json!({"starts_at": secs_from_now(3600), "ends_at": secs_from_now(7200)})).await;
        let later = later["id"].as_str().unwrap();
        assert_eq!(view(&w.owner, later).await["phase"], "upcoming");
        let buyers = members(&app, &w, "17500000000", 2).await;
        let (status, body) = buy(&buyers[0], "clock", later, &w.sku, 1).await;
        assert_eq!((status, reason(&body)), (StatusCode::CONFLICT, "sale_not_started"), "{body}");

        let vip = sale(&w, 5, 1, json!({"members_only": true})).await;
        let vip = vip["id"].as_str().unwrap();
        let (status, body) = buy(&buyers[0], "clock", vip, &w.sku, 1).await;
        assert_eq!((status, reason(&body)), (StatusCode::CONFLICT, "members_only"), "{body}");

        let (status, body) = buy(&buyers[1], "clock", vip, &w.store_a, 1).await;
        assert_eq!((status, reason(&body)), (StatusCode::CONFLICT, "not_in_sale"), "{body}");
        let (status, _) = buy(&buyers[1], "clock", "not-an-id", &w.sku, 1).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = buy(&app.anonymous(), "clock", vip, &w.sku, 1).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = buyers[1].clone().without_header("x-csrf-token").post(&format!("/s/clock/api/flash/{vip}/orders"), json!({"sku_id": w.sku})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = buyers[1].post(&format!("/s/clock/api/flash/{vip}/orders"), json!({"sku_id": w.sku, "price": 1})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the client never sets a price");

        let campaign = campaign(&w.owner, "Too big").await;
        let (status, body) = w.owner.post("/api/v1/flash-sales", json!({
            "campaign_id": campaign, "name": "Too big", "location_id": w.store_a,
            "starts_at": secs_from_now(60), "ends_at": secs_from_now(3600),
            "per_member_limit": 1, "items": [{"sku_id": w.sku, "price": 990, "units": 1000}]
        })).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        let (status, body) = w.owner.post("/api/v1/flash-sales", json!({
            "campaign_id": campaign, "name": "", "location_id": w.store_a,
            "starts_at": "tomorrow", "ends_at": secs_from_now(3600),
            "per_member_limit": 0, "items": []
        })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (_, listed) = w.owner.get("/api/v1/flash-sales").await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 2, "nothing written by refused requests");
        app.assert_balanced().await;
    }
}

api_test! {
    /// A bot hammering the sale with one member's session gets 429 beyond its rate while
    /// 30 members buying alongside all get their unit.
    async fn a_bot_over_its_rate_does_not_crowd_out_members(app) {
        let w = shop_world(&app, "bots").await;
        let sale = sale(&w, 100, 99, json!({})).await;
        let id = sale["id"].as_str().unwrap();
        let bot = members(&app, &w, "17600000000", 1).await.remove(0);
        let buyers = members(&app, &w, "17600000100", 30).await;
        let bot_tasks = (0..200).map(|_| {
            let (bot, id, sku) = (bot.clone(), id.to_string(), w.sku.clone());
            async move { buy(&bot, "bots", &id, &sku, 1).await.0 }
        });
        let member_tasks = buyers.iter().map(|m| {
            let (m, id, sku) = (m.clone(), id.to_string(), w.sku.clone());
            async move { buy(&m, "bots", &id, &sku, 1).await.0 }
        });
        let (bot_answers, member_answers) =
            tokio::join!(futures::future::join_all(bot_tasks), futures::future::join_all(member_tasks));
        assert!(member_answers.iter().all(|s| *s == StatusCode::CREATED), "{member_answers:?}");
        let limited = bot_answers.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        let bought = bot_answers.iter().filter(|s| **s == StatusCode::CREATED).count();
        assert!(limited >= 150, "the bot is held to its burst: {limited} limited, {bought} bought");
        assert!(bought <= 20, "{bought}");
        let (_, taken) = left_and_taken(&view(&w.owner, id).await);
        assert_eq!(taken as usize, 30 + bought);
    }
}

api_test! {
    /// Orders and payments reach the live totals through the sales feed, folded in
    /// batches by the worker, never counted inside the order's transaction.
    async fn live_totals_follow_the_sales_feed(app) {
        let w = shop_world(&app, "live").await;
        let sale = sale(&w, 10, 1, json!({})).await;
        let id = sale["id"].as_str().unwrap();
        let buyers = members(&app, &w, "17700000000", 3).await;
        let mut orders = vec![];
        for m in &buyers {
            let (status, body) = buy(m, "live", id, &w.sku, 1).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            orders.push(body["order_id"].as_str().unwrap().to_string());
        }
        app.pay_in_sandbox(&buyers[0], "live", &orders[0]).await;
        let (_, before) = w.owner.get("/api/v1/live?minutes=5").await;
        assert_eq!(before["placed"], 0, "nothing folded yet: {before}");
        app.sweep.fold_sales_feed().await.unwrap();
        let (status, live) = w.owner.get("/api/v1/live?minutes=5").await;
        assert_eq!(status, StatusCode::OK, "{live}");
        assert_eq!((live["placed"].as_i64(), live["paid"].as_i64(), live["gmv"].as_i64()), (Some(3), Some(1), Some(990)), "{live}");
        assert_eq!(app.sweep.fold_sales_feed().await.unwrap(), 0, "each feed row is folded once");
        assert_eq!(live["mobile_share_bp"], 0, "API clients are not phones: {live}");

        // An ordinary order from a phone's browser joins the same totals, as a phone's.
        let phone = buyers[1].clone().with_header("user-agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148");
        let body = json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 1}]});
        let (status, placed) = phone.post("/s/live/api/orders", body).await;
        assert_eq!(status, StatusCode::CREATED, "{placed}");
        app.sweep.fold_sales_feed().await.unwrap();
        let (_, live) = w.owner.get("/api/v1/live?minutes=5").await;
        assert_eq!((live["placed"].as_i64(), live["mobile_share_bp"].as_i64()), (Some(4), Some(2500)), "{live}");
        let (status, _) = app.anonymous().get("/api/v1/live").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
