//! `crash`: the server is killed with SIGKILL again and again under mixed load, and
//! after every kill the books are checked and nothing acknowledged may be missing.
//!
//! One `sweep serve --demo` runs as a child process on a fresh database. Shoppers
//! (rehearsal members of the demo merchant) buy in a flash sale, order for pickup with
//! an idempotency key, and pay in the sandbox cashier. At a random moment the server is
//! killed; then `sweep check` runs on the database, the server starts again, order
//! requests whose answer was lost are sent again with the same key, and every order and
//! payment that had been acknowledged must be there. At the end, unpaid flash orders
//! must have been released and every acknowledged payment applied.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sweep_store::testing::TestDb;
use tokio::sync::Mutex;

use crate::client::{Client, id};
use crate::drill;
use crate::local;
use crate::remote::{rfc3339, secs_since, unix_micros};
use crate::stats::Rng;

pub(crate) const SLUG: &str = "yunmian";
pub(crate) const OWNER: &str = "owner@yunmian.demo";
pub(crate) const DEMO_PASSWORD: &str = "sweep-demo-2026";
/// Flash orders left unpaid are released after this (the shortest the server allows).
const PAY_WITHIN_SECS: i64 = 60;

#[derive(clap::Args)]
pub struct Args {
    /// The database (PostgreSQL: a fresh schema in SWEEP_TEST_DATABASE_URL).
    #[arg(long, value_enum, default_value = "sqlite")]
    db: local::Db,
    /// Times to kill the server.
    #[arg(long, default_value_t = 20)]
    kills: usize,
    /// Shoppers sending requests at once while the server is up.
    #[arg(long, default_value_t = 12)]
    shoppers: usize,
    /// Longest run under load before a kill, in milliseconds; each kill comes at a
    /// random moment between a fifth of it and all of it.
    #[arg(long, default_value_t = 2000)]
    max_uptime_ms: u64,
    /// Seed of the random kill moments and shopper choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The `sweep` binary [the one beside this program].
    #[arg(long)]
    sweep: Option<PathBuf>,
}

/// What the shoppers were told, and what they still have to send again.
#[derive(Default)]
struct Ledger {
    /// Orders answered 201, by id: true for flash-sale orders.
    orders: HashMap<String, bool>,
    /// Orders answered since the last restart, to look for after the next one.
    unverified: Vec<String>,
    /// Orders whose payment the sandbox cashier confirmed.
    payments: HashSet<String>,
    /// Order requests whose answer never came: (member, idempotency key, body).
    unanswered: Vec<(usize, String, Value)>,
    /// Till sales whose answer never came: (sale id, body).
    unanswered_sales: Vec<(String, Value)>,
    /// Till sales answered, by sale id: each must end as exactly one order.
    sales: HashSet<String>,
    /// Members who earned points at the till, who may spend some online.
    with_points: HashSet<usize>,
    /// Shop orders answered that spent a coupon, or points.
    coupon_orders: usize,
    points_orders: usize,
    /// Keys of shop orders asked for; each must end as exactly one order.
    keys: HashSet<String>,
    /// Flash purchases answered with anything but 201 or a refusal.
    odd_answers: Vec<String>,
}

impl Ledger {
    /// A pickup order answered 201.
    fn acknowledge(&mut self, order: &str) {
        self.orders.insert(order.to_string(), false);
        self.unverified.push(order.to_string());
    }
}

pub(crate) struct Member {
    cookie: String,
    csrf: String,
    shopper_id: String,
    phone: String,
}

pub(crate) struct Shop {
    pub(crate) base: String,
    /// The demo owner, signed in once: sessions outlive restarts, and signing in every
    /// round would meet the sign-in limit.
    pub(crate) owner: Client,
    pub(crate) store: String,
    pub(crate) flash_sku: String,
    pub(crate) shop_sku: String,
    pub(crate) sale: String,
    pub(crate) members: Vec<Member>,
    /// A coupon definition (1.00 off, one per member) issued to members as they shop.
    coupon_def: String,
    /// What one unit of the shop SKU costs at the till.
    till_price: i64,
}

/// The figures of one run.
#[derive(Default, Debug)]
struct Figures {
    kills: usize,
    checks: usize,
    checks_failed: usize,
    orders: usize,
    flash_orders: usize,
    orders_lost: usize,
    payments: usize,
    payments_lost: usize,
    retried: usize,
    keys: usize,
    keyed_orders: i64,
    unreleased: usize,
    till_sales: usize,
    till_orders: i64,
    coupon_orders: usize,
    points_orders: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    ensure!(args.kills >= 1 && args.shoppers >= 1, "--kills and --shoppers: at least 1");
    let sweep = drill::sweep_binary(args.sweep.as_deref())?;
    let label = args.db.label();
    let figures = drill::on_fresh_db(args.db, async |db| crash_loop(&args, &sweep, db, label).await).await?;
    let failed = figures.checks_failed + figures.orders_lost + figures.payments_lost + figures.unreleased;
    let duplicated =
        figures.keyed_orders - figures.keys as i64 + (figures.till_orders - figures.till_sales as i64).abs();
    ensure!(failed == 0 && duplicated == 0, "the books did not survive: {figures:?}");
    Ok(())
}

async fn crash_loop(args: &Args, sweep: &Path, db: &TestDb, label: &str) -> anyhow::Result<Figures> {
    let started = Instant::now();
    let dir = db.dir.path();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server::start(sweep, dir, port, &db.url).await?;
    let shop = Arc::new(set_up(&base, args.shoppers).await?);
    println!(
        "crash ({label}): {} kills, {} shoppers, server up {}-{} ms between kills; set up in {:.1} s",
        args.kills,
        args.shoppers,
        args.max_uptime_ms / 5,
        args.max_uptime_ms,
        secs_since(started)
    );

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut rng = Rng::new(args.seed);
    let mut figures = Figures::default();
    let next_member = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for round in 1..=args.kills {
        let stop = Arc::new(AtomicBool::new(false));
        let mut shoppers = tokio::task::JoinSet::new();
        for s in 0..args.shoppers {
            let (shop, ledger, stop, next) = (shop.clone(), ledger.clone(), stop.clone(), next_member.clone());
            let seed = args.seed.wrapping_mul(1_000_003).wrapping_add((round * 1000 + s) as u64);
            shoppers.spawn(async move { shop_until_stopped(&shop, &ledger, &stop, &next, seed).await });
        }
        let low = args.max_uptime_ms / 5;
        let uptime = low + rng.below((args.max_uptime_ms - low).max(1) as usize) as u64;
        tokio::time::sleep(Duration::from_millis(uptime)).await;
        server.kill();
        stop.store(true, Ordering::SeqCst);
        while shoppers.join_next().await.is_some() {}
        figures.kills += 1;

        // The books, read straight after the kill, before anything could mend them.
        figures.checks += 1;
        if let Err(e) = sweep_check(sweep, dir, &db.url) {
            figures.checks_failed += 1;
            eprintln!("round {round}: sweep check failed after the kill:\n{e}");
        }
        server = Server::start(sweep, dir, port, &db.url).await?;
        figures.retried += send_again(&shop, &ledger).await?;
        // Each restart looks for the orders answered since the one before; the last
        // looks for them all.
        let answered = std::mem::take(&mut ledger.lock().await.unverified);
        let lost = missing_orders(&shop, &answered).await?;
        if !lost.is_empty() {
            eprintln!("round {round}: {} acknowledged orders missing after the restart: {lost:?}", lost.len());
            figures.orders_lost += lost.len();
        }
        let l = ledger.lock().await;
        println!(
            "  kill {round:>3} after {uptime:>4} ms: {} orders and {} payments acknowledged so far, {} lost",
            l.orders.len(),
            l.payments.len(),
            figures.orders_lost
        );
    }

    // After the last restart: every order answered in any round is there, every
    // confirmed payment applied, every unpaid flash order released once its time ran out.
    let everything: Vec<String> = ledger.lock().await.orders.keys().cloned().collect();
    let lost = missing_orders(&shop, &everything).await?;
    if !lost.is_empty() {
        eprintln!("{} acknowledged orders missing at the end: {lost:?}", lost.len());
        figures.orders_lost = figures.orders_lost.max(lost.len());
    }
    let owner = &shop.owner;
    let (payments, flash): (Vec<String>, Vec<String>) = {
        let l = ledger.lock().await;
        (l.payments.iter().cloned().collect(), l.orders.iter().filter(|o| *o.1).map(|o| o.0.clone()).collect())
    };
    // A release or a payment notification caught by the last kill waits for its job's
    // lease to run out before another worker takes it over. Tens of thousands of orders
    // are read from the database in one query a pass: asking the API order by order
    // would itself outlast the deadline.
    let lease = sweep_app::Settings::default().job_lease_secs as u64;
    let deadline = Instant::now() + Duration::from_secs(PAY_WITHIN_SECS as u64 + lease + 60);
    let mut unpaid = payments.clone();
    let mut held = flash.clone();
    while !(unpaid.is_empty() && held.is_empty()) {
        let pending = pending_orders(&db.url).await?;
        unpaid.retain(|o| pending.contains(o));
        held.retain(|o| pending.contains(o));
        if Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The API agrees with the database on what is left (it is empty on a good run).
    unpaid = still(owner, &unpaid, |s| s == "pending_payment").await?;
    held = still(owner, &held, |s| s == "pending_payment").await?;
    figures.payments_lost = unpaid.len();
    figures.unreleased = held.len();
    if !unpaid.is_empty() {
        eprintln!("confirmed payments never applied: {unpaid:?}");
    }
    if !held.is_empty() {
        eprintln!("unpaid flash orders still holding their units: {held:?}");
    }
    server.kill();
    figures.checks += 1;
    if let Err(e) = sweep_check(sweep, dir, &db.url) {
        figures.checks_failed += 1;
        eprintln!("final sweep check failed:\n{e}");
    }
    (figures.keyed_orders, figures.till_orders) = keyed_orders(&db.url).await?;
    let l = ledger.lock().await;
    figures.till_sales = l.sales.len();
    figures.coupon_orders = l.coupon_orders;
    figures.points_orders = l.points_orders;
    figures.orders = l.orders.len();
    figures.flash_orders = l.orders.values().filter(|f| **f).count();
    figures.payments = l.payments.len();
    figures.keys = l.keys.len();
    if !l.odd_answers.is_empty() {
        eprintln!("unexpected answers ({}), first: {}", l.odd_answers.len(), l.odd_answers[0]);
    }
    let f = &figures;
    println!(
        "\nkills survived      {}\nsweep check runs    {} ({} failed)\norders acknowledged {} ({} flash, {} pickup, {} till), lost {}\n\
         payments confirmed  {}, lost {}\norder requests sent again {}; keys {} made {} orders (duplicates {})\n\
         till sales {} made {} orders; orders spending a coupon {}, points {}\n\
         unpaid flash orders released {} of {}\nelapsed             {:.0} s",
        f.kills,
        f.checks,
        f.checks_failed,
        f.orders,
        f.flash_orders,
        f.orders - f.flash_orders - f.till_sales.min(f.orders - f.flash_orders),
        f.till_sales,
        f.orders_lost,
        f.payments,
        f.payments_lost,
        f.retried,
        f.keys,
        f.keyed_orders,
        f.keyed_orders - f.keys as i64,
        f.till_sales,
        f.till_orders,
        f.coupon_orders,
        f.points_orders,
        f.flash_orders - f.unreleased.min(f.flash_orders),
        f.flash_orders,
        secs_since(started)
    );
    println!(
        "{}",
        json!({"bench": "crash", "db": label, "kills": f.kills, "checks": f.checks, "checks_failed": f.checks_failed,
               "orders": f.orders, "flash_orders": f.flash_orders, "orders_lost": f.orders_lost,
               "payments": f.payments, "payments_lost": f.payments_lost, "retried": f.retried,
               "duplicated": f.keyed_orders - f.keys as i64, "unreleased": f.unreleased,
               "till_sales": f.till_sales, "till_orders": f.till_orders,
               "coupon_orders": f.coupon_orders, "points_orders": f.points_orders,
               "seconds": secs_since(started).round()})
    );
    drop(l);
    Ok(figures)
}

/// The demo owner puts stock at the first store, opens a flash sale of one SKU, and
/// makes the members who shop.
pub(crate) async fn set_up(base: &str, shoppers: usize) -> anyhow::Result<Shop> {
    let owner = Client::sign_in(base, OWNER, DEMO_PASSWORD).await?;
    let stores = owner.fetch("/api/v1/locations?kind=store").await?;
    let store = id(&stores["items"][0])?;
    let skus = owner.fetch("/api/v1/skus?limit=2").await?;
    let (flash_sku, shop_sku) = (id(&skus["items"][0])?, id(&skus["items"][1])?);
    let lines = json!([{"sku_id": flash_sku, "quantity": 500_000}, {"sku_id": shop_sku, "quantity": 500_000}]);
    owner.create("/api/v1/stock/receipts", json!({"location_id": store, "lines": lines})).await?;
    let now = unix_micros();
    let campaign = id(&owner
        .create(
            "/api/v1/campaigns",
            json!({"name": "Crash drill", "starts_at": rfc3339(now - 3_600_000_000), "ends_at": rfc3339(now + 86_400_000_000)}),
        )
        .await?)?;
    let sale = id(&owner
        .create(
            "/api/v1/flash-sales",
            json!({"campaign_id": campaign, "name": "Crash drill", "location_id": store,
                   "starts_at": rfc3339(now - 60_000_000), "ends_at": rfc3339(now + 86_400_000_000),
                   "per_member_limit": 1, "pay_within_secs": PAY_WITHIN_SECS,
                   "items": [{"sku_id": flash_sku, "price": 990, "units": 400_000}]}),
        )
        .await?)?;
    // One flash purchase per member: enough members for the longest runs.
    let count = 20_000.max(shoppers * 10);
    let (status, made) =
        owner.post("/api/v1/dev/rehearsal-members", json!({"first_phone": "16600000000", "count": count})).await?;
    ensure!(status == StatusCode::CREATED, "rehearsal members: {status} {made}");
    let members = made
        .as_array()
        .context("a list of members")?
        .iter()
        .map(|m| Member {
            cookie: format!("sweep_shop={}", m["session"].as_str().unwrap_or_default()),
            csrf: m["csrf_token"].as_str().unwrap_or_default().to_string(),
            shopper_id: m["shopper_id"].as_str().unwrap_or_default().to_string(),
            phone: m["phone"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    let coupon = owner
        .create(
            "/api/v1/coupons",
            json!({"campaign_id": campaign, "name": {"zh": "演练券", "en": "Drill coupon"},
                   "value": {"type": "fixed", "amount": 100}, "per_member_limit": 1}),
        )
        .await?;
    let coupon_def = id(&coupon)?;
    let quote = owner
        .fetch(&format!("/api/v1/prices/quote?sku_id={shop_sku}&channel=pos&store_id={store}&member=true"))
        .await?;
    let price = &quote["unit_price"];
    let till_price =
        price.as_i64().or_else(|| price["amount"].as_i64()).with_context(|| format!("a price in {quote}"))?;
    Ok(Shop { base: base.to_string(), owner, store, flash_sku, shop_sku, sale, members, coupon_def, till_price })
}

/// One shopper's loop: a flash purchase by a fresh member, a till sale to a member
/// (earning points), or a pickup order paid two times in three, a third of them spending
/// a coupon issued just before and some spending points earned at the till. Returns at
/// the first transport error (the server is gone) or when told to stop.
async fn shop_until_stopped(
    shop: &Shop,
    ledger: &Mutex<Ledger>,
    stop: &AtomicBool,
    next: &std::sync::atomic::AtomicUsize,
    seed: u64,
) {
    let http = reqwest::Client::new();
    let mut rng = Rng::new(seed);
    while !stop.load(Ordering::SeqCst) {
        let m = next.fetch_add(1, Ordering::SeqCst) % shop.members.len();
        let ok = match rng.below(5) {
            0 | 1 => flash_purchase(&http, shop, ledger, m).await,
            2 => till_sale(shop, ledger, m, &format!("crash-{seed:x}-{}", rng.next())).await,
            _ => {
                let key = format!("crash-{seed:x}-{}", rng.next());
                // Now and then a member who earned points at the till spends some.
                let spender = if rng.below(2) == 0 { take_one(&mut ledger.lock().await.with_points) } else { None };
                let (m, points) = spender.map_or((m, 0), |p| (p, 10));
                let order = Order { pay: rng.below(3) != 0, coupon: rng.below(3) == 0, points };
                pickup_order(&http, shop, ledger, m, &key, order).await
            }
        };
        if !ok {
            return;
        }
    }
}

pub(crate) fn take_one(set: &mut HashSet<usize>) -> Option<usize> {
    let one = set.iter().next().copied()?;
    set.remove(&one);
    Some(one)
}

/// A till sale to member `m` (who earns points on it), named by its sale id; a lost
/// answer is noted, to be sent again after the restart.
async fn till_sale(shop: &Shop, ledger: &Mutex<Ledger>, m: usize, sale_id: &str) -> bool {
    let body = json!({"sale_id": sale_id, "store_id": shop.store, "till_id": "C1",
                      "member_id": shop.members[m].shopper_id,
                      "lines": [{"sku_id": shop.shop_sku, "quantity": 1}],
                      "payments": [{"method": "cash", "amount": shop.till_price}]});
    let request = shop.owner.request(reqwest::Method::POST, "/api/v1/pos/sales").timeout(Duration::from_secs(20));
    let answer = match request.json(&body).send().await {
        Ok(r) => (r.status(), r.json::<Value>().await),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, Ok(Value::Null)),
    };
    let mut l = ledger.lock().await;
    match answer {
        (status, Ok(sale)) if status.is_success() => {
            let order = id(&sale["order"]).unwrap_or_default();
            l.acknowledge(&order);
            l.sales.insert(sale_id.to_string());
            l.with_points.insert(m);
            true
        }
        // No answer, or one that may have come after the sale was written: send again.
        (status, _) if status.is_server_error() => {
            l.unanswered_sales.push((sale_id.to_string(), body));
            false
        }
        (status, sale) => {
            l.odd_answers.push(format!("till sale: {status} {sale:?}"));
            true
        }
    }
}

/// What a pickup order does besides ordering.
struct Order {
    /// Pays in the sandbox cashier.
    pay: bool,
    /// Spends a coupon issued to the member just before.
    coupon: bool,
    /// Points to spend.
    points: i64,
}

pub(crate) fn member_request(http: &reqwest::Client, shop: &Shop, m: usize, path: &str) -> reqwest::RequestBuilder {
    let member = &shop.members[m];
    http.post(format!("{}{path}", shop.base))
        .header("cookie", &member.cookie)
        .header("x-csrf-token", &member.csrf)
        .timeout(Duration::from_secs(20))
}

async fn flash_purchase(http: &reqwest::Client, shop: &Shop, ledger: &Mutex<Ledger>, m: usize) -> bool {
    let path = format!("/s/{SLUG}/api/flash/{}/orders", shop.sale);
    let Ok(r) = member_request(http, shop, m, &path).json(&json!({"sku_id": shop.flash_sku})).send().await else {
        return false;
    };
    let status = r.status();
    let Ok(body) = r.json::<Value>().await else { return false };
    let mut l = ledger.lock().await;
    match (status, body["order_id"].as_str()) {
        (StatusCode::CREATED, Some(order)) => {
            l.orders.insert(order.to_string(), true);
            l.unverified.push(order.to_string());
        }
        // A member met again (the limit), or the server shedding load: refused, not lost.
        (StatusCode::CONFLICT | StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE, _) => {}
        _ => l.odd_answers.push(format!("flash purchase: {status} {body}")),
    }
    true
}

/// A pickup order with `key`; a lost answer is noted, to be sent again after the
/// restart.
async fn pickup_order(
    http: &reqwest::Client,
    shop: &Shop,
    ledger: &Mutex<Ledger>,
    m: usize,
    key: &str,
    order: Order,
) -> bool {
    let mut body = json!({"fulfilment": "pickup", "store_id": shop.store});
    if order.points > 0 {
        body["points"] = json!(order.points);
    }
    if order.coupon {
        let issue = json!({"phone": shop.members[m].phone});
        match shop.owner.post(&format!("/api/v1/coupons/{}/issue", shop.coupon_def), issue).await {
            Ok((StatusCode::CREATED, coupon)) => body["coupon_id"] = coupon["id"].clone(),
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    let pay = order.pay;
    let cart = json!({"sku_id": shop.shop_sku, "quantity": 1});
    match member_request(http, shop, m, &format!("/s/{SLUG}/api/cart/items")).json(&cart).send().await {
        Ok(r) if r.status().is_success() => {}
        Ok(_) => return true,
        Err(_) => return false,
    }
    ledger.lock().await.keys.insert(key.to_string());
    let placed = match place(http, shop, m, key, &body).await {
        Ok(Some(order)) => order,
        // Refused (the shop shedding load, say): the key made no order to count.
        Ok(None) => {
            ledger.lock().await.keys.remove(key);
            return true;
        }
        Err(_) => {
            ledger.lock().await.unanswered.push((m, key.to_string(), body));
            return false;
        }
    };
    let order = placed;
    {
        let mut l = ledger.lock().await;
        l.acknowledge(&order);
        l.coupon_orders += usize::from(body.get("coupon_id").is_some());
        l.points_orders += usize::from(body.get("points").is_some());
    }
    if !pay {
        return true;
    }
    // The sandbox provider keeps its books in the database, so a confirmed payment's
    // notification survives the kills, as a real provider's would.
    let pay = json!({"provider": "sandbox"});
    let Ok(r) = member_request(http, shop, m, &format!("/s/{SLUG}/api/orders/{order}/pay")).json(&pay).send().await
    else {
        return false;
    };
    let Ok(body) = r.json::<Value>().await else { return false };
    let Some(cashier) = body["pay_url"].as_str() else { return true };
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build();
    let Ok(no_redirects) = no_redirects else { return false };
    match no_redirects.post(cashier).timeout(Duration::from_secs(20)).send().await {
        Ok(r) if r.status() == StatusCode::SEE_OTHER => {
            ledger.lock().await.payments.insert(order);
            true
        }
        Ok(_) => true,
        Err(_) => false,
    }
}

/// Places the order for `key`: `Ok(None)` when refused (points the member does not
/// have, say), `Err` when no answer came, or a 5xx that may have come after the write.
async fn place(
    http: &reqwest::Client,
    shop: &Shop,
    m: usize,
    key: &str,
    body: &Value,
) -> anyhow::Result<Option<String>> {
    let r = member_request(http, shop, m, &format!("/s/{SLUG}/api/orders"))
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await?;
    let status = r.status();
    let answer: Value = r.json().await?;
    if status == StatusCode::CREATED {
        return Ok(Some(id(&answer)?));
    }
    ensure!(!status.is_server_error(), "{status} {answer}");
    Ok(None)
}

/// Sends again, with the same key, each order request whose answer was lost; each must
/// now be answered (with the order the first request made, if it made one).
async fn send_again(shop: &Shop, ledger: &Mutex<Ledger>) -> anyhow::Result<usize> {
    let (pending, sales) = {
        let mut l = ledger.lock().await;
        (std::mem::take(&mut l.unanswered), std::mem::take(&mut l.unanswered_sales))
    };
    let http = reqwest::Client::new();
    for (sale_id, body) in &sales {
        let (status, sale) = shop.owner.post("/api/v1/pos/sales", body.clone()).await?;
        ensure!(status.is_success(), "till sale {sale_id} sent again: {status} {sale}");
        let mut l = ledger.lock().await;
        l.acknowledge(&id(&sale["order"])?);
        l.sales.insert(sale_id.clone());
    }
    for (m, key, body) in &pending {
        match place(&http, shop, *m, key, body).await? {
            Some(order) => {
                ledger.lock().await.acknowledge(&order);
            }
            // The first request never reached the database and the cart is as it was:
            // refused only if the cart is empty, which a lost order would have done.
            None => bail!("order request with key {key} sent again was refused"),
        }
    }
    Ok(pending.len() + sales.len())
}

pub(crate) async fn missing_orders(shop: &Shop, ids: &[String]) -> anyhow::Result<Vec<String>> {
    let owner = &shop.owner;
    let mut lost = vec![];
    for chunk in ids.chunks(32) {
        let paths: Vec<String> = chunk.iter().map(|o| format!("/api/v1/orders/{o}")).collect();
        let answers = futures::future::join_all(paths.iter().map(|p| owner.get(p)));
        for (o, answer) in chunk.iter().zip(answers.await) {
            if answer?.0 != StatusCode::OK {
                lost.push(o.clone());
            }
        }
    }
    Ok(lost)
}

/// The orders among `ids` whose status still passes `keep`.
async fn still(owner: &Client, ids: &[String], keep: impl Fn(&str) -> bool) -> anyhow::Result<Vec<String>> {
    let mut out = vec![];
    for o in ids {
        let order = owner.fetch(&format!("/api/v1/orders/{o}")).await?;
        if keep(order["status"].as_str().unwrap_or_default()) {
            out.push(o.clone());
        }
    }
    Ok(out)
}

pub(crate) fn sweep_check(sweep: &Path, dir: &Path, url: &str) -> Result<(), String> {
    let out = Command::new(sweep)
        .args(["check", "--database-url", url])
        .current_dir(dir)
        .env("SWEEP_LOG", "warn")
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Every order still waiting for its payment, read from the database.
async fn pending_orders(url: &str) -> anyhow::Result<std::collections::HashSet<String>> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await?;
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM orders WHERE status = 'pending_payment'").fetch_all(&pool).await?;
    pool.close().await;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Orders made by the drill's idempotency keys and by its till sale ids, counted in the
/// database itself.
async fn keyed_orders(url: &str) -> anyhow::Result<(i64, i64)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await?;
    let (keyed,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM orders WHERE idempotency_key LIKE 'crash-%'").fetch_one(&pool).await?;
    let (sold,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM orders WHERE sale_id LIKE 'crash-%'").fetch_one(&pool).await?;
    pool.close().await;
    Ok((keyed, sold))
}

/// `sweep serve --demo` as a child process; SIGKILLed when dropped.
pub(crate) struct Server(Child);

impl Server {
    pub(crate) async fn start(sweep: &Path, dir: &Path, port: u16, url: &str) -> anyhow::Result<Server> {
        Self::start_with(sweep, dir, port, url, &[]).await
    }

    /// As [`Server::start`], with `env` set for the child; its log level is `SWEEP_LOG`
    /// if set, else warnings.
    pub(crate) async fn start_with(
        sweep: &Path,
        dir: &Path,
        port: u16,
        url: &str,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Server> {
        let addr = format!("127.0.0.1:{port}");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log"))?;
        let child = Command::new(sweep)
            .args(["serve", "--demo", "--addr", &addr, "--database-url", url])
            .current_dir(dir)
            .env("SWEEP_LOG", std::env::var("SWEEP_LOG").unwrap_or_else(|_| "warn".into()))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("start {}", sweep.display()))?;
        let server = Server(child);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = http.get(format!("http://{addr}/readyz")).send().await
                && r.status().is_success()
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(20).collect();
                bail!(
                    "sweep serve did not become ready; its log ends:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }

    pub(crate) fn kill(&mut self) {
        // Child::kill sends SIGKILL: no shutdown hook runs, as in a power cut.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
