//! `console`: the merchant console at scale. A real server in this process on a fresh
//! database (SQLite, or PostgreSQL from `SWEEP_TEST_DATABASE_URL`), a merchant with
//! stores, products and display cards set up through the API, a sales history written
//! by the generator (`sweep history` uses the same), then every console page and
//! analytics query timed one request at a time, as the merchant's browser would ask.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use reqwest::StatusCode;
use serde_json::json;
use sweep_domain::day::CstDay;
use sweep_store::HistoryPlan;

use crate::client::{Client, id};
use crate::local::{self, ADMIN, PASSWORD};

/// Under this every page should answer, at ten million orders (docs/BENCHMARKS.md).
const TARGET_MS: f64 = 300.0;

#[derive(clap::Args)]
pub struct Args {
    /// The database to run on (PostgreSQL needs SWEEP_TEST_DATABASE_URL).
    #[arg(long, value_enum, default_value = "sqlite")]
    db: local::Db,
    /// Orders in the history.
    #[arg(long, default_value_t = 100_000)]
    orders: u64,
    /// Days of history, ending today.
    #[arg(long, default_value_t = 365)]
    days: u32,
    /// Timed requests per page (after one untimed warm-up).
    #[arg(long, default_value_t = 15)]
    runs: usize,
    /// Stores of the merchant.
    #[arg(long, default_value_t = 12)]
    stores: usize,
}

struct Shop {
    owner: Client,
    manager: Client,
    stores: Vec<String>,
}

async fn set_up(server: &local::Server, stores: usize) -> anyhow::Result<Shop> {
    let admin = Client::sign_in(&server.url, ADMIN, PASSWORD).await?;
    let owner_login = "owner@console.bench";
    admin
        .create(
            "/api/v1/merchants",
            json!({"name": "云眠家纺 Bench", "slug": "bench",
                   "owner": {"login": owner_login, "display_name": "Owner", "password": PASSWORD}}),
        )
        .await?;
    let owner = Client::sign_in(&server.url, owner_login, PASSWORD).await?;
    let location = |code: String, kind: &str, i: usize| {
        json!({"code": code, "kind": kind, "name": {"zh": format!("门店{i}"), "en": format!("Store {i}")},
               "address": format!("上城区延安路 {i} 号"), "city": "杭州",
               "point": {"lat": 30.25 + i as f64 * 0.003, "lng": 120.16 + i as f64 * 0.002},
               "opening_hours": {"mon": ["10:00-22:00"]}, "pickup_enabled": kind == "store", "delivery_enabled": true})
    };
    owner.create("/api/v1/locations", location("WH-1".into(), "warehouse", 0)).await?;
    let mut store_ids = vec![];
    for i in 1..=stores {
        store_ids.push(id(&owner.create("/api/v1/locations", location(format!("HZ-{i:02}"), "store", i)).await?)?);
    }
    let mut skus = vec![];
    for i in 1..=40 {
        let product = id(&owner
            .create(
                "/api/v1/products",
                json!({"name": {"zh": format!("家纺商品 {i}"), "en": format!("Textile {i}")}, "status": "active"}),
            )
            .await?)?;
        skus.push(id(&owner
            .create(
                &format!("/api/v1/products/{product}/skus"),
                json!({"code": format!("SKU-{i:03}"), "base_price": 4900 + i * 1000, "member_price": 3900 + i * 1000}),
            )
            .await?)?);
    }
    for store in &store_ids {
        owner.create("/api/v1/cards", json!({"store_id": store, "sku_ids": &skus[..10]})).await?;
    }
    owner
        .create(
            "/api/v1/staff",
            json!({"login": "manager@console.bench", "display_name": "Manager", "password": PASSWORD,
                   "role": "store_manager", "stores": [store_ids[0]]}),
        )
        .await?;
    let manager = Client::sign_in(&server.url, "manager@console.bench", PASSWORD).await?;
    Ok(Shop { owner, manager, stores: store_ids })
}

/// Times `runs` GETs of one page (after a warm-up), one at a time.
async fn time(client: &Client, path: &str, runs: usize) -> anyhow::Result<Vec<Duration>> {
    let mut each = Vec::with_capacity(runs);
    for i in 0..=runs {
        let t = Instant::now();
        let response = client.http.get(format!("{}{path}", client.base)).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        ensure!(
            status == StatusCode::OK,
            "GET {path}: {status} {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        if i > 0 {
            each.push(t.elapsed());
        }
    }
    Ok(each)
}

fn median_p90_max(mut each: Vec<Duration>) -> (f64, f64, f64) {
    each.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| ms(each[((each.len() as f64 - 1.0) * q).round() as usize]);
    (at(0.5), at(0.9), ms(*each.last().unwrap_or(&Duration::ZERO)))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let server = local::start(args.db).await?;
    let result = timed_pages(&server, &args).await;
    // Ten million orders are tens of gigabytes: never leave them behind.
    if matches!(args.db, local::Db::Postgres) {
        local::drop_pg_schema(&server.db.url).await;
    }
    result
}

async fn timed_pages(server: &local::Server, args: &Args) -> anyhow::Result<()> {
    let shop = set_up(server, args.stores).await?;
    let merchant = server
        .sweep
        .repos()
        .merchants
        .merchant_by_slug("bench")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .context("the bench merchant")?;
    let started = Instant::now();
    let plan = HistoryPlan {
        merchant: merchant.id,
        orders: args.orders,
        days: args.days,
        until: server.sweep.now(),
        seed: 11,
    };
    let report = server.db.db.generate_history(&plan, &|_| {}).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let generated = started.elapsed();
    println!(
        "history: {} orders, {} lines, {} members, {} scans in {:.1} s ({:.0} orders/s)",
        report.orders,
        report.lines,
        report.members,
        report.scans,
        generated.as_secs_f64(),
        report.orders as f64 / generated.as_secs_f64()
    );

    // Something to look up: the newest order and a member's phone.
    let (_, orders) = shop.owner.get("/api/v1/orders?limit=1").await?;
    let order = orders["items"][0]["id"].as_str().context("an order")?.to_string();
    let number = orders["items"][0]["number"].as_str().context("an order number")?.to_string();
    let today = CstDay::of(server.sweep.now());
    let store = &shop.stores[0];
    let pages: Vec<(&str, &Client, String)> = vec![
        ("overview", &shop.owner, "/console".into()),
        ("orders, newest", &shop.owner, "/console/orders".into()),
        ("orders, WeChat", &shop.owner, "/console/orders?channel=wechat".into()),
        ("orders, refunded", &shop.owner, "/console/orders?status=refunded".into()),
        ("orders, one store", &shop.owner, format!("/console/orders?store={store}")),
        ("orders, one store, refunded", &shop.owner, format!("/console/orders?store={store}&status=refunded")),
        ("orders, by number", &shop.owner, format!("/console/orders?q={number}")),
        ("orders, store manager", &shop.manager, "/console/orders".into()),
        ("order detail", &shop.owner, format!("/console/orders/{order}")),
        ("pickup queue", &shop.owner, format!("/console/pickup?store={store}")),
        ("products", &shop.owner, "/console/products".into()),
        ("stock", &shop.owner, "/console/stock".into()),
        ("stock movements", &shop.owner, "/console/stock/movements".into()),
        ("display cards", &shop.owner, "/console/cards".into()),
        ("flash sales", &shop.owner, "/console/flash".into()),
        ("members", &shop.owner, "/console/members".into()),
        ("stores", &shop.owner, "/console/stores".into()),
        ("staff", &shop.owner, "/console/staff".into()),
        ("analytics, 30 days", &shop.owner, "/console/analytics".into()),
        ("analytics, 365 days", &shop.owner, format!("/console/analytics?from={}&to={today}", today.plus(-364))),
        ("analytics, store manager", &shop.manager, "/console/analytics".into()),
        (
            "analytics CSV, 365 days",
            &shop.owner,
            format!("/console/analytics/days.csv?from={}&to={today}", today.plus(-364)),
        ),
        ("big screen board", &shop.owner, "/api/v1/live/board".into()),
    ];
    println!("\n| page | median ms | p90 ms | max ms |");
    println!("|---|---:|---:|---:|");
    let mut slow = vec![];
    for (name, client, path) in &pages {
        let (median, p90, max) = median_p90_max(time(client, path, args.runs).await?);
        println!("| {name} | {median:.1} | {p90:.1} | {max:.1} |");
        if median > TARGET_MS {
            slow.push(*name);
        }
    }
    println!(
        "\n{} orders on {}: {}",
        report.orders,
        match args.db {
            local::Db::Sqlite => "SQLite",
            local::Db::Postgres => "PostgreSQL",
        },
        if slow.is_empty() {
            format!("every median under {TARGET_MS} ms")
        } else {
            format!("over {TARGET_MS} ms: {slow:?}")
        }
    );
    Ok(())
}
