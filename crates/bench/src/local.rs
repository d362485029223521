//! The in-process benchmarks (no subcommand): a real server started in this process on
//! a fresh database (a SQLite file, or a new schema in the PostgreSQL named by
//! `SWEEP_TEST_DATABASE_URL`), a shop set up through the API, shoppers signed in with SMS
//! codes, then timed:
//!
//! - `pages`: the storefront's home and product pages, as phones fetch them;
//! - `sheet`: a store's 200 display cards as a 50-page A4 PDF, one download at a time;
//! - `checkout`: shoppers racing to order the last units of one SKU for pickup (each
//!   order reserves stock in one transaction); it checks that exactly the units were sold.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::ValueEnum;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use sweep_app::{Settings, Sweep, SystemClock};
use sweep_store::Backend;
use sweep_store::testing::TestDb;
use sweep_web::{AppState, WebConfig};

use crate::client::{Client, id};
use crate::stats::Timings;

pub(crate) const PASSWORD: &str = "bench password 2026";
pub(crate) const ADMIN: &str = "admin@bench.sweep";

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    pub(crate) fn backend(self) -> Backend {
        match self {
            Db::Sqlite => Backend::Sqlite,
            Db::Postgres => Backend::Postgres,
        }
    }

    /// The name drills print in their figures.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Db::Sqlite => "sqlite",
            Db::Postgres => "postgres",
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// The database to run on (PostgreSQL needs SWEEP_TEST_DATABASE_URL).
    #[arg(long, value_enum, default_value = "sqlite")]
    db: Db,
    /// Shoppers racing to check out.
    #[arg(long, default_value_t = 1500)]
    shoppers: usize,
    /// Units of the SKU in stock: fewer than shoppers, so some must be refused.
    #[arg(long, default_value_t = 1000)]
    units: i64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
    /// Page requests to time.
    #[arg(long, default_value_t = 4000)]
    page_requests: usize,
}

pub(crate) struct Server {
    pub(crate) url: String,
    pub(crate) sweep: Arc<Sweep>,
    pub(crate) db: TestDb,
}

/// Drops the schema a PostgreSQL URL of `TestDb` points at (its `search_path`).
pub(crate) async fn drop_pg_schema(url: &str) {
    let Some(schema) = url.rsplit("search_path%3D").next().filter(|s| s.starts_with("t_")) else { return };
    let base = url.split('?').next().unwrap_or(url);
    sqlx::any::install_default_drivers();
    if let Ok(pool) = sqlx::AnyPool::connect(base).await {
        let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await {
            eprintln!("could not drop the benchmark's schema {schema}: {e}");
        }
        pool.close().await;
    }
}

pub(crate) async fn start(db: Db) -> anyhow::Result<Server> {
    let test_db = TestDb::new(db.backend()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let settings = Settings { public_url: url.clone(), callback_url: url.clone(), ..Settings::default() };
    let repos = sweep_store::repos(test_db.db.clone(), test_db.media_dir.clone());
    let sandbox =
        Arc::new(sweep_pay::sandbox::Sandbox::new(test_db.db.clone(), test_db.db.clone(), "bench sandbox key", &url));
    let sweep = Arc::new(
        Sweep::new(repos, Arc::new(SystemClock), settings)
            .with_gateway(sandbox.clone())
            .with_job_handler(sandbox.clone()),
    );
    sweep.create_platform_admin(ADMIN, "Admin", PASSWORD).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    // Shoppers sign in from many addresses, as behind a proxy, so the per-address
    // limit on SMS codes does not stop the set-up.
    let mut config = WebConfig::new(&url);
    config.trusted_proxies = vec!["127.0.0.1/32".parse()?];
    let state = AppState { sweep: sweep.clone(), config: Arc::new(config), metrics: sweep_web::metrics::handle() };
    let app = sweep_web::router_with(state, sweep_pay::sandbox::router(sandbox))
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Server { url, sweep, db: test_db })
}

struct Shop {
    store: String,
    product: String,
    sku: String,
    owner: Client,
}

async fn set_up_shop(server: &Server, units: i64) -> anyhow::Result<Shop> {
    let mut admin = Client::new(&server.url);
    let (_, session) = admin.post("/api/v1/auth/login", json!({"login": ADMIN, "password": PASSWORD})).await?;
    admin.set("x-csrf-token", session["csrf_token"].as_str().context("csrf")?);
    let owner_login = "owner@bench.sweep";
    admin
        .create(
            "/api/v1/merchants",
            json!({"name": "Bench Home", "slug": "bench",
                   "owner": {"login": owner_login, "display_name": "Owner", "password": PASSWORD}}),
        )
        .await?;
    let mut owner = Client::new(&server.url);
    let (_, session) = owner.post("/api/v1/auth/login", json!({"login": owner_login, "password": PASSWORD})).await?;
    owner.set("x-csrf-token", session["csrf_token"].as_str().context("csrf")?);
    let store = id(&owner
        .create(
            "/api/v1/locations",
            json!({"code": "HZ-1", "kind": "store", "name": {"zh": "湖滨店", "en": "Hubin"},
                   "address": "上城区延安路 1 号", "city": "杭州", "point": {"lat": 30.2586, "lng": 120.1627},
                   "opening_hours": {"mon": ["10:00-22:00"]}, "pickup_enabled": true, "delivery_enabled": true}),
        )
        .await?)?;
    let product = id(&owner
        .create(
            "/api/v1/products",
            json!({"name": {"zh": "双十一爆款保温杯", "en": "Double 11 flask"}, "status": "active"}),
        )
        .await?)?;
    let sku = id(&owner
        .create(
            &format!("/api/v1/products/{product}/skus"),
            json!({"code": "HOT-1", "base_price": 9900, "member_price": 7900}),
        )
        .await?)?;
    owner
        .create("/api/v1/stock/receipts", json!({"location_id": store, "lines": [{"sku_id": sku, "quantity": units}]}))
        .await?;
    // A store's worth of display cards, to time printing them.
    let skus: Vec<&str> = std::iter::repeat_n(sku.as_str(), 200).collect();
    owner.create("/api/v1/cards", json!({"store_id": store, "sku_ids": skus})).await?;
    Ok(Shop { store, product, sku, owner })
}

/// Downloads the store's card sheet (200 cards, 50 A4 pages) a few times, one at a time.
async fn time_sheets(shop: &Shop, runs: usize) -> anyhow::Result<Timings> {
    let started = Instant::now();
    let mut each = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let response = shop
            .owner
            .http
            .get(format!("{}/api/v1/cards/sheet.pdf?store_id={}", shop.owner.base, shop.store))
            .send()
            .await?;
        ensure!(response.status() == StatusCode::OK, "sheet: {}", response.status());
        ensure!(response.bytes().await?.starts_with(b"%PDF-"));
        each.push(t.elapsed());
    }
    Ok(Timings::of(each, started.elapsed()))
}

/// Signs shoppers in with codes from the SMS outbox, each from its own address.
async fn sign_in_shoppers(server: &Server, count: usize) -> anyhow::Result<Vec<Client>> {
    let mut shoppers = Vec::with_capacity(count);
    for i in 0..count {
        let mut client = Client::new(&server.url);
        client.set("x-forwarded-for", &format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256));
        let (_, session) = client.get("/s/bench/api/session").await?;
        client.set("x-csrf-token", session["csrf_token"].as_str().context("csrf")?);
        let phone = format!("139{i:08}");
        let (status, body) = client.post("/s/bench/api/login/code", json!({"phone": phone})).await?;
        ensure!(status == StatusCode::NO_CONTENT, "code for {phone}: {status} {body}");
        let outbox = server.sweep.sms_outbox(5).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let text = outbox.iter().find(|m| m.phone == phone).context("the code's text")?;
        let at = text.body.find("验证码 ").context("a code in the text")? + "验证码 ".len();
        let code = text.body[at..at + 6].to_string();
        let (status, signed_in) = client.post("/s/bench/api/login", json!({"phone": phone, "code": code})).await?;
        ensure!(status == StatusCode::OK, "sign-in of {phone}: {status} {signed_in}");
        client.set("x-csrf-token", signed_in["csrf_token"].as_str().context("csrf")?);
        shoppers.push(client);
    }
    Ok(shoppers)
}

async fn time_pages(
    server: &Server,
    shop: &Shop,
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<(String, Timings)>> {
    let http = reqwest::Client::new();
    let mut results = Vec::new();
    for (name, path) in
        [("home page", "/s/bench".to_string()), ("product page", format!("/s/bench/p/{}", shop.product))]
    {
        let url = format!("{}{path}", server.url);
        let started = Instant::now();
        let each: Vec<anyhow::Result<Duration>> = futures::stream::iter(0..requests)
            .map(|_| {
                let http = http.clone();
                let url = url.clone();
                async move {
                    let t = Instant::now();
                    let response = http.get(&url).header("user-agent", "Mozilla/5.0 (iPhone) Mobile").send().await?;
                    ensure!(response.status() == StatusCode::OK, "{url}: {}", response.status());
                    response.bytes().await?;
                    Ok(t.elapsed())
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let each = each.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
        results.push((name.to_string(), Timings::of(each, started.elapsed())));
    }
    Ok(results)
}

async fn time_checkout(
    shop: &Shop,
    shoppers: Vec<Client>,
    concurrency: usize,
) -> anyhow::Result<(Timings, Timings, usize)> {
    let started = Instant::now();
    let body = json!({"fulfilment": "pickup", "store_id": shop.store, "lines": [{"sku_id": shop.sku, "quantity": 1}]});
    let each: Vec<anyhow::Result<(StatusCode, Duration)>> = futures::stream::iter(shoppers)
        .map(|s| {
            let body = body.clone();
            async move {
                let t = Instant::now();
                let (status, answer) = s.post("/s/bench/api/orders", body).await?;
                let ok = status == StatusCode::CREATED
                    || (status == StatusCode::CONFLICT && answer["error"]["code"] == "insufficient_stock");
                ensure!(ok, "checkout: {status} {answer}");
                Ok((status, t.elapsed()))
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = started.elapsed();
    let each = each.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let placed: Vec<Duration> = each.iter().filter(|(s, _)| *s == StatusCode::CREATED).map(|(_, d)| *d).collect();
    let refused: Vec<Duration> = each.iter().filter(|(s, _)| *s != StatusCode::CREATED).map(|(_, d)| *d).collect();
    let count = placed.len();
    let refused_timings =
        if refused.is_empty() { Timings::of(vec![Duration::ZERO], wall) } else { Timings::of(refused, wall) };
    Ok((Timings::of(placed, wall), refused_timings, count))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.units < 1 || args.shoppers < 1 || args.concurrency < 1 || args.page_requests < 1 {
        bail!("shoppers, units, concurrency and page requests must be positive");
    }
    let server = start(args.db).await?;
    let shop = set_up_shop(&server, args.units).await?;
    eprintln!("signing {} shoppers in…", args.shoppers);
    let shoppers = sign_in_shoppers(&server, args.shoppers).await?;

    let db = match args.db {
        Db::Sqlite => "SQLite (WAL, synchronous=FULL)",
        Db::Postgres => "PostgreSQL",
    };
    println!(
        "database: {db}; disk: {:.0} fsyncs/s; {} requests in flight",
        crate::stats::fsyncs_per_second_in(&std::env::temp_dir())?,
        args.concurrency
    );
    println!();
    println!("| what | requests | per second | median ms | p90 ms | p99 ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (name, t) in time_pages(&server, &shop, args.page_requests, args.concurrency).await? {
        t.print(&name);
    }
    time_sheets(&shop, 5).await?.print("card sheet, 200 cards (one at a time)");
    let (placed, refused, count) = time_checkout(&shop, shoppers, args.concurrency).await?;
    placed.print("checkout, order placed");
    refused.print("checkout, sold out");

    // The point of the race: exactly the units were sold, and the books agree.
    let expected = args.units.min(args.shoppers as i64) as usize;
    ensure!(count == expected, "{count} orders for {expected} units");
    let report = server.sweep.check().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    ensure!(report.is_clean(), "the stock books disagree: {report:?}");
    println!();
    println!(
        "{count} orders for {} units and {} shoppers: none oversold; checkouts (placed and refused) {:.0}/s over {:.2} s",
        args.units,
        args.shoppers,
        args.shoppers as f64 / placed.wall.as_secs_f64(),
        placed.wall.as_secs_f64()
    );
    Ok(())
}
