//! A `kill -9` of the server in the middle of a flash-sale burst loses no acknowledged
//! order: every order a member was told about is there after the restart, every unit
//! taken from the pool is backed by exactly one order, and `sweep check` is clean. A
//! demo killed with payments open at its in-memory provider simulator starts again.

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{SWEEP, Server, free_port, start};

use serde_json::{Value, json};
use sweep_store::Backend;
use sweep_store::testing::TestDb;

/// `sweep serve --demo` on `port` and the database at `url`, once ready.
async fn serve(dir: &std::path::Path, port: u16, url: &str) -> Server {
    let addr = format!("127.0.0.1:{port}");
    let args = ["serve", "--demo", "--addr", &addr, "--database-url", url];
    start(dir, &args, &format!("http://{addr}/readyz"), &reqwest::Client::new()).await
}

fn rfc3339(secs_from_now: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    sweep_domain::Timestamp::from_unix_micros(i64::try_from(now.as_micros()).unwrap())
        .plus_seconds(secs_from_now)
        .to_rfc3339()
}

/// The owner of the demo merchant, signed in: a client with the session cookie, and
/// the CSRF token its state-changing requests carry.
async fn owner(base: &str) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": "owner@yunmian.demo", "password": "sweep-demo-2026"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = login["csrf_token"].as_str().unwrap().to_string();
    (client, csrf)
}

async fn post(client: &reqwest::Client, csrf: &str, url: String, body: Value) -> Value {
    let r = client.post(url).header("x-csrf-token", csrf).json(&body).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// A temporary directory, and an empty database: a SQLite file in it, or a new schema
/// (kept while the returned `TestDb` lives).
async fn fresh_database(backend: Backend) -> (tempfile::TempDir, String, Option<TestDb>) {
    let dir = tempfile::tempdir().unwrap();
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("sweep.db").display());
            (dir, url, None)
        }
        Backend::Postgres => {
            let db = TestDb::new(Backend::Postgres).await;
            (dir, db.url.clone(), Some(db))
        }
    }
}

async fn kill_mid_burst(backend: Backend) {
    let (dir, url, _keep) = fresh_database(backend).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(dir.path(), port, &url).await;

    // The demo owner sets a sale of 3,000 units up at a store, with 4,000 members.
    let (client, csrf) = owner(&base).await;
    let stores: Value =
        client.get(format!("{base}/api/v1/locations?kind=store")).send().await.unwrap().json().await.unwrap();
    let store = stores["items"][0]["id"].as_str().unwrap().to_string();
    let skus: Value = client.get(format!("{base}/api/v1/skus?limit=1")).send().await.unwrap().json().await.unwrap();
    let sku = skus["items"][0]["id"].as_str().unwrap().to_string();
    let units = 3000;
    post(
        &client,
        &csrf,
        format!("{base}/api/v1/stock/receipts"),
        json!({"location_id": store, "lines": [{"sku_id": sku, "quantity": units}]}),
    )
    .await;
    let campaign = post(
        &client,
        &csrf,
        format!("{base}/api/v1/campaigns"),
        json!({"name": "Crash test", "starts_at": rfc3339(-60), "ends_at": rfc3339(86_400)}),
    )
    .await;
    let sale = post(
        &client,
        &csrf,
        format!("{base}/api/v1/flash-sales"),
        json!({"campaign_id": campaign["id"], "name": "Crash test", "location_id": store,
               "starts_at": rfc3339(-60), "ends_at": rfc3339(86_400), "per_member_limit": 1,
               "items": [{"sku_id": sku, "price": 990, "units": units}]}),
    )
    .await;
    let sale_id = sale["id"].as_str().unwrap().to_string();
    let members = post(
        &client,
        &csrf,
        format!("{base}/api/v1/dev/rehearsal-members"),
        json!({"first_phone": "17900000000", "count": 4000}),
    )
    .await;
    let members: Vec<(String, String)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["session"].as_str().unwrap().to_string(), m["csrf_token"].as_str().unwrap().to_string()))
        .collect();

    // 100 buyers at a time; the server is killed once 300 orders are acknowledged.
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let queue = Arc::new(Mutex::new(members));
    let mut buyers = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (acked, queue, base, sale_id, sku) =
            (acked.clone(), queue.clone(), base.clone(), sale_id.clone(), sku.clone());
        buyers.spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let Some((session, csrf)) = queue.lock().unwrap().pop() else { return };
                let answer = http
                    .post(format!("{base}/s/yunmian/api/flash/{sale_id}/orders"))
                    .header("cookie", format!("sweep_shop={session}"))
                    .header("x-csrf-token", csrf)
                    .json(&json!({"sku_id": sku}))
                    .send()
                    .await;
                let Ok(r) = answer else { return };
                if r.status() == reqwest::StatusCode::CREATED {
                    let Ok(body) = r.json::<Value>().await else { return };
                    acked.lock().unwrap().insert(body["order_id"].as_str().unwrap().to_string());
                }
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 300 {
        assert!(Instant::now() < deadline, "the burst did not get going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.0.kill().unwrap(); // SIGKILL
    server.0.wait().unwrap();
    while buyers.join_next().await.is_some() {}
    let acked: HashSet<String> = acked.lock().unwrap().clone();
    assert!(acked.len() >= 300);

    // After the restart every acknowledged order is there, and the pool's taken units
    // are exactly the sale's orders.
    let _server = serve(dir.path(), port, &url).await;
    let (client, _) = owner(&base).await;
    let mut found = HashSet::new();
    let mut path = format!("{base}/api/v1/orders?status=pending_payment&limit=200");
    loop {
        let page: Value = client.get(&path).send().await.unwrap().json().await.unwrap();
        for o in page["items"].as_array().unwrap() {
            if o["flash_sale_id"].as_str() == Some(sale_id.as_str()) {
                found.insert(o["id"].as_str().unwrap().to_string());
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("{base}/api/v1/orders?status=pending_payment&limit=200&cursor={c}"),
            None => break,
        }
    }
    let lost: Vec<&String> = acked.difference(&found).collect();
    assert!(lost.is_empty(), "{} acknowledged orders lost: {lost:?}", lost.len());
    let view: Value =
        client.get(format!("{base}/api/v1/flash-sales/{sale_id}")).send().await.unwrap().json().await.unwrap();
    let taken = view["products"][0]["taken"].as_i64().unwrap();
    assert_eq!(taken as usize, found.len(), "every taken unit is one order: {view}");
    drop(_server);
    let check = Command::new(SWEEP).args(["check", "--database-url", &url]).current_dir(dir.path()).output().unwrap();
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_burst_loses_no_acknowledged_order_sqlite() {
    kill_mid_burst(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
async fn kill_9_mid_burst_loses_no_acknowledged_order_postgres() {
    kill_mid_burst(Backend::Postgres).await
}

/// The demo's provider simulator keeps its books in memory: a demo killed while WeChat
/// Pay payments were open at it must still start again (with fresh simulator accounts).
async fn demo_restarts_with_open_simulator_payments(backend: Backend) {
    let (dir, url, _keep) = fresh_database(backend).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(dir.path(), port, &url).await;
    let (client, csrf) = owner(&base).await;
    let skus: Value = client.get(format!("{base}/api/v1/skus?limit=1")).send().await.unwrap().json().await.unwrap();
    let sku = skus["items"][0]["id"].as_str().unwrap().to_string();
    let stores: Value =
        client.get(format!("{base}/api/v1/locations?kind=store")).send().await.unwrap().json().await.unwrap();
    let store = stores["items"][0]["id"].as_str().unwrap().to_string();
    post(
        &client,
        &csrf,
        format!("{base}/api/v1/stock/receipts"),
        json!({"location_id": store, "lines": [{"sku_id": sku, "quantity": 5}]}),
    )
    .await;
    let members = post(
        &client,
        &csrf,
        format!("{base}/api/v1/dev/rehearsal-members"),
        json!({"first_phone": "17800000000", "count": 1}),
    )
    .await;
    let member = reqwest::Client::new();
    let shop = |path: &str| {
        member
            .post(format!("{base}/s/yunmian/api{path}"))
            .header("cookie", format!("sweep_shop={}", members[0]["session"].as_str().unwrap()))
            .header("x-csrf-token", members[0]["csrf_token"].as_str().unwrap())
    };
    let r = shop("/cart/items").json(&json!({"sku_id": sku, "quantity": 1})).send().await.unwrap();
    assert!(r.status().is_success());
    let order: Value = shop("/orders")
        .json(&json!({"fulfilment": "pickup", "store_id": store}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let order = order["id"].as_str().unwrap().to_string();
    let r = shop(&format!("/orders/{order}/pay")).json(&json!({"provider": "wechatpay"})).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    server.0.kill().unwrap(); // SIGKILL, the WeChat Pay payment still open
    server.0.wait().unwrap();
    let _server = serve(dir.path(), port, &url).await;
    let (client, _) = owner(&base).await;
    let view: Value = client.get(format!("{base}/api/v1/orders/{order}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(view["status"], "pending_payment", "{view}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_killed_with_open_simulator_payments_starts_again_sqlite() {
    demo_restarts_with_open_simulator_payments(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
async fn a_demo_killed_with_open_simulator_payments_starts_again_postgres() {
    demo_restarts_with_open_simulator_payments(Backend::Postgres).await
}
