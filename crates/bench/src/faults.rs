//! `faults`: the database fails under load, and the server must answer fast and clearly,
//! apply nothing by halves and let clients retry without making anything twice.
//!
//! One `sweep serve --demo` runs as a child process. Shoppers order for pickup with an
//! idempotency key (a fresh member each time, so a retry meets the cart it left) and pay
//! in the sandbox cashier; a till sends sales named by their sale id. Meanwhile:
//!
//! - PostgreSQL, on a throwaway cluster the drill makes with `initdb` on a port of its
//!   own (never the shared server): every connection is cut again and again, then the
//!   database is stopped abruptly (`pg_ctl stop -m immediate`) and started again while
//!   the server keeps running;
//! - SQLite: another process takes the write lock and holds it past the server's busy
//!   timeout.
//!
//! Every answer is recorded. During a fault the server may refuse with 503 and the
//! `service_unavailable` code, never another 5xx, never by hanging; after it, the server
//! recovers without a restart. Then every request whose answer was not a success is sent
//! again with its key until answered, every acknowledged order must be there, each key
//! and sale id has made exactly one order, and `sweep check` passes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use sweep_store::Backend;
use sweep_store::testing::TestDb;
use tokio::sync::Mutex;

use crate::crash::{self, SLUG, Server, Shop};
use crate::local;
use crate::remote::secs_since;
use crate::stats::Rng;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    db: local::Db,
    /// Shoppers and tills sending requests at once.
    #[arg(long, default_value_t = 8)]
    shoppers: usize,
    /// How long each fault lasts, and each quiet spell between faults, in seconds.
    #[arg(long, default_value_t = 8)]
    fault_secs: u64,
    /// Times to go through the faults.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// Seed of the shoppers' choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The `sweep` binary [the one beside this program].
    #[arg(long)]
    sweep: Option<PathBuf>,
}

/// An error answer slower than this is not "fast": the client should have been told.
const FAST_SECS: f64 = 10.0;
/// The server must take orders again this soon after the database is back.
const RECOVERY_SECS: f64 = 30.0;

/// One answer (or its absence) during a phase.
pub(crate) struct Outcome {
    pub(crate) what: &'static str,
    pub(crate) phase: usize,
    pub(crate) status: Option<u16>,
    pub(crate) code: String,
    /// The start of an answer that was neither a success nor a clear refusal.
    pub(crate) body: String,
    pub(crate) secs: f64,
    pub(crate) at: Instant,
}

/// What the clients were told, and what they still have to send again.
#[derive(Default)]
pub(crate) struct Ledger {
    pub(crate) outcomes: Vec<Outcome>,
    /// Orders acknowledged (201, or 200 for a till sale sent before).
    pub(crate) orders: Vec<String>,
    /// Shop order requests without a success answer: (member, key).
    pub(crate) shop_retries: Vec<(usize, String)>,
    /// Till sales without a success answer: (sale id, body).
    pub(crate) till_retries: Vec<(String, Value)>,
    pub(crate) shop_keys: usize,
    pub(crate) till_sales: usize,
    pub(crate) payments: usize,
}

#[derive(Default, Debug)]
struct Figures {
    requests: usize,
    succeeded: usize,
    /// 503 with the `service_unavailable` code: the clear refusal.
    unavailable: usize,
    /// Any other 5xx, or no answer at all: each is a failure.
    other_5xx: usize,
    /// 4xx answers: every request the drill sends is valid, so a fault must show as 503
    /// (a payment "not found" for want of a connection, say); each is a failure.
    refused_4xx: usize,
    no_answer: usize,
    slowest_refusal_secs: f64,
    recovery_secs: Vec<f64>,
    sent_again: usize,
    orders_lost: usize,
    shop_keys: usize,
    shop_orders: i64,
    till_sales: usize,
    till_orders: i64,
    payments: usize,
    check_failed: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    ensure!(
        args.shoppers >= 1 && args.rounds >= 1 && args.fault_secs >= 1,
        "--shoppers, --rounds, --fault-secs: at least 1"
    );
    let sweep = crate::drill::sweep_binary(args.sweep.as_deref())?;
    let started = Instant::now();
    let figures = match args.db {
        local::Db::Sqlite => {
            let db = TestDb::new(Backend::Sqlite).await;
            let dir = db.dir.path().to_path_buf();
            drill(&args, &sweep, &dir, &db.url, Fault::Sqlite).await?
        }
        local::Db::Postgres => {
            let cluster = Cluster::create().await?;
            let dir = cluster.dir.path().join("sweep");
            std::fs::create_dir_all(&dir)?;
            drill(&args, &sweep, &dir, &cluster.url(), Fault::Postgres(&cluster)).await?
        }
    };
    let label = args.db.label();
    report(label, &figures, secs_since(started));
    let duplicated =
        figures.shop_orders != figures.shop_keys as i64 || figures.till_orders != figures.till_sales as i64;
    let slow = figures.slowest_refusal_secs > FAST_SECS;
    let stuck = figures.recovery_secs.iter().any(|s| *s > RECOVERY_SECS);
    ensure!(
        figures.other_5xx + figures.refused_4xx + figures.no_answer + figures.orders_lost == 0
            && !duplicated
            && !slow
            && !stuck
            && !figures.check_failed,
        "the server did not ride out the faults: {figures:?}"
    );
    Ok(())
}

enum Fault<'a> {
    Sqlite,
    Postgres(&'a Cluster),
}

async fn drill(args: &Args, sweep: &Path, dir: &Path, url: &str, fault: Fault<'_>) -> anyhow::Result<Figures> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server::start(sweep, dir, port, url).await?;
    let shop = Arc::new(crash::set_up(&base, args.shoppers).await?);
    let price = till_price(&shop).await?;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let phase = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let next_member = Arc::new(AtomicUsize::new(0));
    let mut load = tokio::task::JoinSet::new();
    for s in 0..args.shoppers {
        let (shop, ledger, phase, stop, next) =
            (shop.clone(), ledger.clone(), phase.clone(), stop.clone(), next_member.clone());
        let seed = args.seed.wrapping_mul(7_919).wrapping_add(s as u64);
        load.spawn(async move { keep_buying(&shop, &ledger, &phase, &stop, &next, price, seed).await });
    }

    let quiet = Duration::from_secs(args.fault_secs);
    let mut names = vec!["steady".to_string()];
    let mut back_at = vec![];
    tokio::time::sleep(quiet).await;
    for round in 1..=args.rounds {
        match fault {
            Fault::Sqlite => {
                begin(&phase, &mut names, format!("round {round}: another process holds the write lock"));
                hold_write_lock(url, quiet.max(Duration::from_secs(7))).await?;
            }
            Fault::Postgres(cluster) => {
                begin(&phase, &mut names, format!("round {round}: every connection cut, again and again"));
                let until = Instant::now() + quiet;
                while Instant::now() < until {
                    cluster.cut_connections().await?;
                    tokio::time::sleep(Duration::from_millis(700)).await;
                }
                begin(&phase, &mut names, format!("round {round}: quiet"));
                tokio::time::sleep(quiet).await;
                begin(&phase, &mut names, format!("round {round}: PostgreSQL stopped abruptly"));
                cluster.stop_abruptly()?;
                tokio::time::sleep(quiet).await;
                cluster.start()?;
            }
        }
        back_at.push((phase.load(Ordering::SeqCst) + 1, Instant::now()));
        begin(&phase, &mut names, format!("round {round}: after the fault"));
        tokio::time::sleep(quiet).await;
    }
    stop.store(true, Ordering::SeqCst);
    while load.join_next().await.is_some() {}

    let mut figures = Figures::default();
    {
        let l = ledger.lock().await;
        print_phases(&names, &l.outcomes);
        figures.requests = l.outcomes.len();
        for o in &l.outcomes {
            match o.status {
                Some(s) if s < 300 => figures.succeeded += 1,
                // The API's refusal carries its code; the sandbox cashier's page says "try again".
                Some(503) if o.code == "service_unavailable" || o.what == "cashier" => {
                    figures.unavailable += 1;
                    figures.slowest_refusal_secs = figures.slowest_refusal_secs.max(o.secs);
                }
                Some(s) if s >= 500 => {
                    figures.other_5xx += 1;
                    eprintln!("phase {}: {} answered {s} {:?} after {:.2} s", o.phase, o.what, o.body, o.secs);
                }
                Some(s) => {
                    figures.refused_4xx += 1;
                    eprintln!("phase {}: {} answered {s} {}", o.phase, o.what, o.code);
                }
                None => {
                    figures.no_answer += 1;
                    eprintln!("phase {}: no answer after {:.2} s", o.phase, o.secs);
                }
            }
        }
        // Recovery: from the database being back to the first order it acknowledged.
        for (after, at) in &back_at {
            let first = l
                .outcomes
                .iter()
                .filter(|o| o.phase >= *after && o.status.is_some_and(|s| s < 300))
                .map(|o| o.at)
                .min();
            figures.recovery_secs.push(first.map_or(f64::INFINITY, |f| f.saturating_duration_since(*at).as_secs_f64()));
        }
    }

    figures.sent_again = send_again(&shop, &ledger).await?;
    let l = ledger.lock().await;
    let lost = crash::missing_orders(&shop, &l.orders).await?;
    if !lost.is_empty() {
        eprintln!("{} acknowledged orders missing: {lost:?}", lost.len());
    }
    figures.orders_lost = lost.len();
    figures.shop_keys = l.shop_keys;
    figures.till_sales = l.till_sales;
    figures.payments = l.payments;
    (figures.shop_orders, figures.till_orders) = made_orders(url).await?;
    if let Err(e) = crash::sweep_check(sweep, dir, url) {
        figures.check_failed = true;
        eprintln!("sweep check failed after the faults:\n{e}");
    }
    Ok(figures)
}

fn begin(phase: &AtomicUsize, names: &mut Vec<String>, name: String) {
    names.push(name);
    phase.store(names.len() - 1, Ordering::SeqCst);
}

/// What one unit of the shop SKU costs at the till, so till sales pay exactly that.
pub(crate) async fn till_price(shop: &Shop) -> anyhow::Result<i64> {
    let quote = shop
        .owner
        .fetch(&format!("/api/v1/prices/quote?sku_id={}&channel=pos&store_id={}", shop.shop_sku, shop.store))
        .await?;
    let price = &quote["unit_price"];
    price.as_i64().or_else(|| price["amount"].as_i64()).with_context(|| format!("a unit price in {quote}"))
}

/// One client's loop until told to stop: a keyed pickup order by a fresh member (paid
/// in the cashier half the time), or a till sale.
pub(crate) async fn keep_buying(
    shop: &Shop,
    ledger: &Mutex<Ledger>,
    phase: &AtomicUsize,
    stop: &AtomicBool,
    next: &AtomicUsize,
    price: i64,
    seed: u64,
) {
    let http = reqwest::Client::new();
    let mut rng = Rng::new(seed);
    while !stop.load(Ordering::SeqCst) {
        if rng.below(3) == 0 {
            let sale_id = format!("faults-{seed:x}-{}", rng.next());
            let body = till_sale(shop, &sale_id, price);
            let at = phase.load(Ordering::SeqCst);
            let (outcome, order) =
                timed("till sale", at, shop.owner.request(reqwest::Method::POST, "/api/v1/pos/sales").json(&body))
                    .await;
            let mut l = ledger.lock().await;
            l.till_sales += 1;
            match order {
                Some(answer) => l.orders.extend(answer["order"]["id"].as_str().map(str::to_string)),
                None => l.till_retries.push((sale_id, body)),
            }
            l.outcomes.push(outcome);
        } else {
            let m = free_member(shop, ledger, next).await;
            let key = format!("faults-{seed:x}-{}", rng.next());
            shop_order(&http, shop, ledger, phase, m, &key, rng.below(2) == 0).await;
        }
    }
}

/// The next member in turn whose order is not waiting to be sent again: a long run goes
/// round the members more than once, and that order's retry needs the cart it left.
/// (Should every member be waiting, which 20,000 members make unlikely, it takes the next.)
async fn free_member(shop: &Shop, ledger: &Mutex<Ledger>, next: &AtomicUsize) -> usize {
    let mut m = next.fetch_add(1, Ordering::SeqCst) % shop.members.len();
    for _ in 1..shop.members.len() {
        if !ledger.lock().await.shop_retries.iter().any(|(waiting, _)| *waiting == m) {
            break;
        }
        m = next.fetch_add(1, Ordering::SeqCst) % shop.members.len();
    }
    m
}

fn till_sale(shop: &Shop, sale_id: &str, price: i64) -> Value {
    json!({"sale_id": sale_id, "store_id": shop.store, "till_id": "F1",
           "lines": [{"sku_id": shop.shop_sku, "quantity": 1}],
           "payments": [{"method": "cash", "amount": price}]})
}

/// Sends `request`, timing it: the outcome, and the body when it was a success.
async fn timed(what: &'static str, phase: usize, request: reqwest::RequestBuilder) -> (Outcome, Option<Value>) {
    let start = Instant::now();
    let answer = request.timeout(Duration::from_secs(40)).send().await;
    let (status, body) = match answer {
        Ok(r) => {
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            (Some(status), serde_json::from_str(&text).unwrap_or(Value::String(text)))
        }
        Err(_) => (None, Value::Null),
    };
    let outcome = Outcome {
        what,
        phase,
        status,
        code: body["error"]["code"].as_str().unwrap_or_default().to_string(),
        body: body.to_string().chars().take(300).collect(),
        secs: start.elapsed().as_secs_f64(),
        at: Instant::now(),
    };
    let ok = status.is_some_and(|s| s < 300);
    (outcome, ok.then_some(body))
}

async fn shop_order(
    http: &reqwest::Client,
    shop: &Shop,
    ledger: &Mutex<Ledger>,
    phase: &AtomicUsize,
    m: usize,
    key: &str,
    pay: bool,
) {
    let cart = json!({"sku_id": shop.shop_sku, "quantity": 1});
    let at = phase.load(Ordering::SeqCst);
    let (outcome, added) =
        timed("cart", at, crash::member_request(http, shop, m, &format!("/s/{SLUG}/api/cart/items")).json(&cart)).await;
    ledger.lock().await.outcomes.push(outcome);
    if added.is_none() {
        return;
    }
    let place = json!({"fulfilment": "pickup", "store_id": shop.store});
    let request = crash::member_request(http, shop, m, &format!("/s/{SLUG}/api/orders")).header("idempotency-key", key);
    let (outcome, order) = timed("order", phase.load(Ordering::SeqCst), request.json(&place)).await;
    let order = {
        let mut l = ledger.lock().await;
        l.outcomes.push(outcome);
        l.shop_keys += 1;
        let Some(order) = order.and_then(|o| o["id"].as_str().map(str::to_string)) else {
            l.shop_retries.push((m, key.to_string()));
            return;
        };
        l.orders.push(order.clone());
        order
    };
    if !pay {
        return;
    }
    let request = crash::member_request(http, shop, m, &format!("/s/{SLUG}/api/orders/{order}/pay"));
    let (outcome, started) =
        timed("pay", phase.load(Ordering::SeqCst), request.json(&json!({"provider": "sandbox"}))).await;
    ledger.lock().await.outcomes.push(outcome);
    let Some(cashier) = started.as_ref().and_then(|s| s["pay_url"].as_str()) else { return };
    let Ok(no_redirects) = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build() else {
        return;
    };
    let (outcome, _) = timed("cashier", phase.load(Ordering::SeqCst), no_redirects.post(cashier)).await;
    let confirmed = outcome.status == Some(StatusCode::SEE_OTHER.as_u16());
    let mut l = ledger.lock().await;
    // The cashier answers 303 on success; count it as one, not as a refusal.
    l.outcomes.push(Outcome { status: outcome.status.map(|s| if s == 303 { 200 } else { s }), ..outcome });
    if confirmed {
        l.payments += 1;
    }
}

/// Sends again, with the same key or sale id, every request that was not answered with
/// a success, until it is: each must end as exactly one order.
pub(crate) async fn send_again(shop: &Shop, ledger: &Mutex<Ledger>) -> anyhow::Result<usize> {
    let (shop_retries, till_retries) = {
        let mut l = ledger.lock().await;
        (std::mem::take(&mut l.shop_retries), std::mem::take(&mut l.till_retries))
    };
    let http = reqwest::Client::new();
    let place = json!({"fulfilment": "pickup", "store_id": shop.store});
    for (m, key) in &shop_retries {
        let path = format!("/s/{SLUG}/api/orders");
        let order = until_answered(|| {
            crash::member_request(&http, shop, *m, &path).header("idempotency-key", key).json(&place)
        })
        .await
        .with_context(|| format!("shop order with key {key}"))?;
        ledger.lock().await.orders.extend(order["id"].as_str().map(str::to_string));
    }
    for (sale_id, body) in &till_retries {
        let sale = until_answered(|| shop.owner.request(reqwest::Method::POST, "/api/v1/pos/sales").json(body))
            .await
            .with_context(|| format!("till sale {sale_id}"))?;
        ledger.lock().await.orders.extend(sale["order"]["id"].as_str().map(str::to_string));
    }
    Ok(shop_retries.len() + till_retries.len())
}

/// Retries a request while the answer is a 5xx, a 409 (its first try still running) or
/// none; a 2xx is the answer, anything else a failure (the first try never reached the
/// database, so the cart and the stock are as they were).
async fn until_answered(request: impl Fn() -> reqwest::RequestBuilder) -> anyhow::Result<Value> {
    for _ in 0..60 {
        if let Ok(r) = request().timeout(Duration::from_secs(40)).send().await {
            let status = r.status();
            let body = r.json::<Value>().await.unwrap_or(Value::Null);
            if status.is_success() {
                return Ok(body);
            }
            if !(status.is_server_error() || status == StatusCode::CONFLICT) {
                bail!("sent again and refused: {status} {body}");
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("sent again for 30 s and never answered")
}

/// Orders the drill's keys and sale ids made, counted in the database itself.
async fn made_orders(url: &str) -> anyhow::Result<(i64, i64)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await?;
    let (shop,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM orders WHERE idempotency_key LIKE 'faults-%'").fetch_one(&pool).await?;
    let (till,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM orders WHERE sale_id LIKE 'faults-%'").fetch_one(&pool).await?;
    pool.close().await;
    Ok((shop, till))
}

/// Another process takes SQLite's write lock and sits on it for `hold`.
async fn hold_write_lock(url: &str, hold: Duration) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await?;
    tokio::time::sleep(hold).await;
    sqlx::query("ROLLBACK").execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

fn print_phases(names: &[String], outcomes: &[Outcome]) {
    for (i, name) in names.iter().enumerate() {
        let of: Vec<&Outcome> = outcomes.iter().filter(|o| o.phase == i).collect();
        let ok = of.iter().filter(|o| o.status.is_some_and(|s| s < 300)).count();
        let refused: Vec<f64> = of.iter().filter(|o| o.status == Some(503)).map(|o| o.secs).collect();
        let slowest = refused.iter().cloned().fold(0.0, f64::max);
        println!(
            "  {name:<55} {:>6} requests, {ok:>6} succeeded, {:>5} answered 503 (slowest {slowest:.2} s)",
            of.len(),
            refused.len()
        );
    }
}

fn report(label: &str, f: &Figures, elapsed: f64) {
    let recovery: Vec<String> = f.recovery_secs.iter().map(|s| format!("{s:.2} s")).collect();
    println!(
        "faults ({label}): {} requests, {} succeeded, {} refused with 503 service_unavailable (slowest {:.2} s), \
         {} other 5xx, {} unanswered, {} refused with 4xx\n\
         back to taking orders after each fault: {}\n\
         sent again with their key or sale id: {}; acknowledged orders lost {}\n\
         shop keys {} made {} orders; till sales {} made {} orders; payments confirmed {}\n\
         sweep check {}\nelapsed {elapsed:.0} s",
        f.requests,
        f.succeeded,
        f.unavailable,
        f.slowest_refusal_secs,
        f.other_5xx,
        f.no_answer,
        f.refused_4xx,
        recovery.join(", "),
        f.sent_again,
        f.orders_lost,
        f.shop_keys,
        f.shop_orders,
        f.till_sales,
        f.till_orders,
        f.payments,
        if f.check_failed { "FAILED" } else { "passed" },
    );
    let figures = json!({
        "requests": f.requests, "succeeded": f.succeeded, "unavailable": f.unavailable, "other_5xx": f.other_5xx,
        "no_answer": f.no_answer, "refused_4xx": f.refused_4xx, "slowest_refusal_secs": f.slowest_refusal_secs, "recovery_secs": f.recovery_secs,
        "sent_again": f.sent_again, "orders_lost": f.orders_lost, "shop_keys": f.shop_keys,
        "shop_orders": f.shop_orders, "till_sales": f.till_sales, "till_orders": f.till_orders,
        "payments": f.payments, "check_failed": f.check_failed,
    });
    println!("{}", json!({"faults": label, "figures": figures, "elapsed_secs": elapsed.round()}));
}

/// A throwaway PostgreSQL cluster: `initdb` in a temporary directory, on a port of its
/// own, stopped and removed when dropped. Run as the `postgres` user when we are root
/// (PostgreSQL refuses to run as root).
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    async fn create() -> anyhow::Result<Cluster> {
        let bin = postgres_bin()?;
        let dir = tempfile::tempdir()?;
        let as_postgres = Command::new("id").arg("-u").output()?.stdout.trim_ascii() == b"0";
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let cluster = Cluster { dir, bin, port, as_postgres };
        std::fs::create_dir(cluster.data())?;
        if as_postgres {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(cluster.dir.path(), std::fs::Permissions::from_mode(0o755))?;
            run_program(Command::new("chown").args(["postgres:postgres"]).arg(cluster.data()))?;
        }
        let data = cluster.data();
        run_program(
            cluster
                .command("initdb")
                .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "-D"])
                .arg(&data),
        )?;
        cluster.start()?;
        Ok(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn start(&self) -> anyhow::Result<()> {
        let data = self.data();
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, data.display());
        run_program(
            self.command("pg_ctl")
                .args(["-w", "-t", "60", "-l"])
                .arg(data.join("server.log"))
                .args(["-o", &options, "-D"])
                .arg(&data)
                .arg("start"),
        )
    }

    /// As a power cut looks to PostgreSQL: no checkpoint, connections dropped, recovery
    /// from the WAL at the next start.
    fn stop_abruptly(&self) -> anyhow::Result<()> {
        run_program(self.command("pg_ctl").args(["-m", "immediate", "-D"]).arg(self.data()).arg("stop"))
    }

    async fn cut_connections(&self) -> anyhow::Result<i64> {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.url()).await?;
        let (cut,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE pid <> pg_backend_pid() AND backend_type = 'client backend') AS cut",
        )
        .fetch_one(&mut conn)
        .await?;
        conn.close().await?;
        Ok(cut)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").args(["-m", "immediate", "-D"]).arg(self.data()).arg("stop").output();
    }
}

/// PostgreSQL's server programs: `SWEEP_PG_BIN`, or the newest under /usr/lib/postgresql.
fn postgres_bin() -> anyhow::Result<PathBuf> {
    if let Ok(bin) = std::env::var("SWEEP_PG_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL's server programs (set SWEEP_PG_BIN)")?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).context("no initdb under /usr/lib/postgresql (set SWEEP_PG_BIN)")
}

fn run_program(command: &mut Command) -> anyhow::Result<()> {
    let out = command.stdin(Stdio::null()).output().with_context(|| format!("{command:?}"))?;
    ensure!(
        out.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
