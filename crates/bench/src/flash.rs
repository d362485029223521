//! `flash`: a Double 11 flash sale against running servers. A fresh merchant puts its
//! SKUs on sale; a crowd of signed-in members, each buying once, hits the sale the
//! moment it starts over keep-alive connections; then the sale's books are read back
//! through the API (nothing oversold, nobody over the limit), the servers' peak memory
//! is scraped from /metrics, and the rate is set against the servers' ceiling on a
//! trivial endpoint.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::http::{Conn, Target, get_request, json_str};
use crate::remote::{self, Member, RemoteArgs, Shop};
use crate::stats::{Latencies, Rng, round};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Units one member may buy in the sale.
    #[arg(long, default_value_t = 1)]
    pub limit: i64,
    /// Seconds from setting the sale up to its start, by the server's clock.
    #[arg(long, default_value_t = 4)]
    pub lead: i64,
    /// Seconds of GET /healthz on the same number of connections: the servers' ceiling
    /// (0 skips it).
    #[arg(long, default_value_t = 5.0)]
    pub ceiling_secs: f64,
    /// Members who try again right behind their first purchase (a race on the limit per
    /// member); 0 keeps to one request per member.
    #[arg(long, default_value_t = 0)]
    pub repeat: usize,
    /// Accepted orders read back through the merchant's orders API.
    #[arg(long, default_value_t = 100)]
    pub verify_sample: usize,
}

/// How often the burst reports how far it got.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// What each member sends, prepared before the burst.
struct Plan {
    /// Each member's request from the Cookie header to the end of the body, back to back.
    tails: Vec<u8>,
    offsets: Vec<usize>,
    /// The SKU (index) each member buys.
    sku_of: Vec<u8>,
    /// The members in the order they send (each once, repeats shortly behind their first).
    work: Vec<u32>,
}

impl Plan {
    fn new(members: &[Member], skus: &[String], repeat: usize, spread: usize) -> Plan {
        let mut rng = Rng::new(0x5eed_d011_1111 ^ remote::unix_micros() as u64);
        let mut tails = Vec::with_capacity(members.len() * 220);
        let mut offsets = Vec::with_capacity(members.len() + 1);
        let mut sku_of = Vec::with_capacity(members.len());
        for m in members {
            let sku = rng.below(skus.len());
            let body = format!("{{\"sku_id\":\"{}\"}}", skus[sku]);
            offsets.push(tails.len());
            tails.extend_from_slice(
                format!(
                    "Cookie: sweep_shop={}\r\nX-CSRF-Token: {}\r\nContent-Length: {}\r\n\r\n{body}",
                    m.session,
                    m.csrf_token,
                    body.len()
                )
                .as_bytes(),
            );
            sku_of.push(sku as u8);
        }
        offsets.push(tails.len());
        // Repeats go in a little after the member's first request (within one round of
        // the connections), among the first half, while there are units left.
        let mut extra: Vec<(usize, u32)> = (0..repeat)
            .map(|_| {
                let m = rng.below((members.len() / 2).max(1));
                (m + 1 + rng.below(spread.max(1)), m as u32)
            })
            .collect();
        extra.sort_unstable();
        let mut work = Vec::with_capacity(members.len() + repeat);
        let mut extra = extra.into_iter().peekable();
        for m in 0..members.len() {
            while let Some(&(at, r)) = extra.peek() {
                if at > m {
                    break;
                }
                work.push(r);
                extra.next();
            }
            work.push(m as u32);
        }
        work.extend(extra.map(|(_, r)| r));
        Plan { tails, offsets, sku_of, work }
    }

    fn tail(&self, member: usize) -> &[u8] {
        &self.tails[self.offsets[member]..self.offsets[member + 1]]
    }
}

/// One answer, kept small.
#[derive(Clone, Copy)]
struct Rec {
    member: u32,
    /// 0: no answer (the connection failed).
    status: u16,
    latency_us: u32,
    /// When the answer came, from the start of the burst.
    done_us: u32,
}

/// What one connection saw.
#[derive(Default)]
struct Tally {
    recs: Vec<Rec>,
    /// (status, code) -> answers; code is the error code (the conflict's reason) or `-`.
    outcomes: Vec<(u16, String, u64)>,
    /// (member, order id) of each accepted purchase.
    orders: Vec<(u32, String)>,
}

impl Tally {
    fn count(&mut self, status: u16, code: &str) {
        match self.outcomes.iter_mut().find(|(s, c, _)| *s == status && c == code) {
            Some(entry) => entry.2 += 1,
            None => self.outcomes.push((status, code.to_string(), 1)),
        }
    }
}

async fn started(go: &mut watch::Receiver<Option<Instant>>) -> Instant {
    let at = go.wait_for(Option::is_some).await.expect("the starter stays");
    at.expect("checked")
}

/// Shared by the connections of the burst: the next request to send, and progress.
#[derive(Default)]
struct Counters {
    next: AtomicUsize,
    answered: AtomicUsize,
    accepted: AtomicUsize,
}

/// One connection of the burst: takes the next member, sends, reads, again.
async fn buyer(
    conn: Conn,
    target: Target,
    prefix: Arc<Vec<u8>>,
    plan: Arc<Plan>,
    counters: Arc<Counters>,
    mut go: watch::Receiver<Option<Instant>>,
) -> Tally {
    let start = started(&mut go).await;
    let mut tally = Tally::default();
    let mut buf = Vec::with_capacity(1024);
    let mut conn = Some(conn);
    loop {
        let i = counters.next.fetch_add(1, Ordering::Relaxed);
        let Some(&member) = plan.work.get(i) else { break };
        buf.clear();
        buf.extend_from_slice(&prefix);
        buf.extend_from_slice(plan.tail(member as usize));
        if conn.is_none() {
            conn = Conn::open(&target).await.ok();
        }
        let sent = Instant::now();
        let mut status = 0;
        match conn.as_mut() {
            None => tally.count(0, "connect failed"),
            Some(c) => match c.send(&buf).await {
                Ok(answer) => {
                    status = answer.status;
                    counters.answered.fetch_add(1, Ordering::Relaxed);
                    if status == 201 {
                        counters.accepted.fetch_add(1, Ordering::Relaxed);
                        let order = json_str(answer.body, "order_id").unwrap_or("").to_string();
                        tally.orders.push((member, order));
                        tally.count(201, "-");
                    } else {
                        let code = json_str(answer.body, "reason").or_else(|| json_str(answer.body, "code"));
                        tally.count(status, code.unwrap_or("-"));
                    }
                    if c.closing() {
                        conn = None;
                    }
                }
                Err(e) => {
                    tally.count(0, &format!("io: {}", e.kind()));
                    conn = None;
                }
            },
        }
        tally.recs.push(Rec {
            member,
            status,
            latency_us: sent.elapsed().as_micros().min(u32::MAX as u128) as u32,
            done_us: start.elapsed().as_micros().min(u32::MAX as u128) as u32,
        });
    }
    tally
}

/// One connection of the ceiling run: GET /healthz until the time is up.
async fn pinger(
    mut conn: Conn,
    request: Vec<u8>,
    secs: f64,
    mut go: watch::Receiver<Option<Instant>>,
) -> (Vec<u32>, u64) {
    let start = started(&mut go).await;
    let deadline = start + Duration::from_secs_f64(secs);
    let (mut each, mut failed) = (Vec::with_capacity(4096), 0);
    while Instant::now() < deadline {
        let sent = Instant::now();
        match conn.send(&request).await {
            Ok(a) if a.status == 200 => each.push(sent.elapsed().as_micros() as u32),
            _ => {
                failed += 1;
                break;
            }
        }
    }
    (each, failed)
}

/// Requests per second on GET /healthz with `connections` connections.
async fn ceiling(targets: &[Target], connections: usize, secs: f64) -> anyhow::Result<(f64, Latencies, u64)> {
    let conns = remote::open_connections(targets, connections).await?;
    let (tx, rx) = watch::channel(None);
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|(t, conn)| {
            let mut request = vec![];
            get_request(&mut request, &targets[t], "/healthz", "");
            tokio::spawn(pinger(conn, request, secs, rx.clone()))
        })
        .collect();
    let start = Instant::now();
    tx.send(Some(start))?;
    let mut all = vec![];
    let mut failed = 0;
    for task in tasks {
        let (each, f) = task.await?;
        all.extend(each);
        failed += f;
    }
    let wall = start.elapsed().as_secs_f64();
    Ok((all.len() as f64 / wall, Latencies::of(all), failed))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let r = &args.remote;
    let targets = r.targets()?;
    let members_count = r.members.unwrap_or(200_000);
    ensure!(members_count >= 1 && args.limit >= 1, "--members and --limit: at least 1");
    let fsync_before = r.fsyncs();

    let t = Instant::now();
    let shop = remote::prepare_shop(r, &targets).await?;
    eprintln!(
        "merchant '{}': {} SKUs x {} units at the store, set up in {:.1} s",
        shop.slug,
        shop.skus.len(),
        r.units,
        remote::secs_since(t)
    );
    let t = Instant::now();
    let members = remote::rehearsal_members(&shop, &r.first_phone, members_count).await?;
    let member_secs = remote::secs_since(t);
    eprintln!("{} members signed in in {member_secs:.1} s", members.len());

    let (ceiling_rps, ceiling_latency, ceiling_failed) = if args.ceiling_secs > 0.0 {
        eprintln!("ceiling: GET /healthz on {} connections for {} s…", r.connections, args.ceiling_secs);
        ceiling(&targets, r.connections, args.ceiling_secs).await?
    } else {
        (0.0, Latencies::of(vec![]), 0)
    };

    // The sale, a few seconds ahead by the server's clock.
    let server_now = remote::server_clock(&targets[0]).await? * 1_000_000;
    let starts = server_now.max(remote::unix_micros()) + args.lead * 1_000_000;
    let items: Vec<Value> = shop.skus.iter().map(|s| json!({"sku_id": s, "price": 9_900, "units": r.units})).collect();
    let view = shop
        .owner
        .create(
            "/api/v1/flash-sales",
            json!({"campaign_id": shop.campaign, "name": "双十一零点秒杀", "location_id": shop.store,
                   "starts_at": remote::rfc3339(starts), "ends_at": remote::rfc3339(starts + 3_600_000_000),
                   "per_member_limit": args.limit, "pay_within_secs": 3600, "items": items}),
        )
        .await?;
    let sale = crate::client::id(&view)?;
    let plan = Arc::new(Plan::new(&members, &shop.skus, args.repeat, r.connections));
    let conns = remote::open_connections(&targets, r.connections).await?;
    remote::wait_for_start(&view).await?;
    let rss_before = remote::peak_memory(&targets).await;

    // The burst.
    eprintln!("burst: {} requests on {} connections…", plan.work.len(), r.connections);
    let prefixes: Vec<Arc<Vec<u8>>> = targets
        .iter()
        .map(|t| {
            Arc::new(
                format!(
                    "POST /s/{}/api/flash/{sale}/orders HTTP/1.1\r\nHost: {}\r\nOrigin: {}\r\n\
                     User-Agent: sweep-bench\r\nContent-Type: application/json\r\n",
                    shop.slug, t.host, t.url
                )
                .into_bytes(),
            )
        })
        .collect();
    let counters = Arc::new(Counters::default());
    let (tx, rx) = watch::channel(None);
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|(t, conn)| {
            let (target, prefix) = (targets[t].clone(), prefixes[t].clone());
            tokio::spawn(buyer(conn, target, prefix, plan.clone(), counters.clone(), rx.clone()))
        })
        .collect();
    // The big screen, as head office watches it.
    let board_before = shop.owner.fetch("/api/v1/live/board").await?["today"]["placed"].as_i64().unwrap_or(0);
    tokio::task::yield_now().await;
    let start = Instant::now();
    let (stop_screen, screen_stops) = watch::channel(false);
    let screen = tokio::spawn(crate::screen::watch(shop.owner.clone(), start, screen_stops));
    tx.send(Some(start))?;
    let progress = tokio::spawn({
        let counters = counters.clone();
        async move {
            let mut every = tokio::time::interval_at((start + PROGRESS_EVERY).into(), PROGRESS_EVERY);
            loop {
                every.tick().await;
                eprintln!(
                    "  {:>4.0} s: {} answered, {} accepted",
                    start.elapsed().as_secs_f64(),
                    counters.answered.load(Ordering::Relaxed),
                    counters.accepted.load(Ordering::Relaxed)
                );
            }
        }
    });
    let mut tally = Tally::default();
    for task in tasks {
        let mut part = task.await?;
        tally.recs.append(&mut part.recs);
        tally.orders.append(&mut part.orders);
        for (s, c, n) in part.outcomes {
            match tally.outcomes.iter_mut().find(|(s2, c2, _)| *s2 == s && *c2 == c) {
                Some(e) => e.2 += n,
                None => tally.outcomes.push((s, c, n)),
            }
        }
    }
    let burst_wall = start.elapsed();
    progress.abort();
    // Long enough for the last orders to reach the screen (its events come twice a second).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = stop_screen.send(true);
    let samples = screen.await?.unwrap_or_else(|e| {
        eprintln!("big screen not followed: {e}");
        vec![]
    });
    let acknowledged: Vec<u64> = tally.recs.iter().filter(|r| r.status == 201).map(|r| u64::from(r.done_us)).collect();
    let (screen_lag, screen_missing) = crate::screen::lags(acknowledged, &samples, board_before);
    let report = Report::of(&args, &shop, &members, &plan, &sale, &tally, burst_wall, &targets).await?;
    let fsync_after = r.fsyncs();
    let rss_after = remote::peak_memory(&targets).await;
    report.print(
        &args,
        member_secs,
        ceiling_rps,
        &ceiling_latency,
        ceiling_failed,
        rss_before,
        rss_after,
        [fsync_before, fsync_after],
    );
    println!(
        "big screen: {} events; lag from an order's acknowledgement to the board counting it: \
         median {:.0} ms, p95 {:.0} ms, max {:.0} ms over {} orders ({} never shown)",
        samples.len(),
        screen_lag.p50,
        screen_lag.p95,
        screen_lag.max,
        screen_lag.count,
        screen_missing
    );
    Ok(())
}

/// What the burst did and what the books say.
struct Report {
    slug: String,
    sale: String,
    servers: usize,
    requests: usize,
    accepted: usize,
    /// From the first request to the last accepted answer.
    accepted_secs: f64,
    /// From the first request to the last answer.
    all_secs: f64,
    all: Latencies,
    accepted_latency: Latencies,
    refused_latency: Latencies,
    stock: i64,
    taken: i64,
    left: i64,
    accepted_per_sku: Vec<i64>,
    taken_per_sku: Vec<i64>,
    oversold_answers: i64,
    oversold_books: i64,
    limit_breaches: usize,
    sample_checked: usize,
    sample_bad: Vec<String>,
    outcomes: Vec<(u16, String, u64)>,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    async fn of(
        args: &Args,
        shop: &Shop,
        members: &[Member],
        plan: &Plan,
        sale: &str,
        tally: &Tally,
        wall: Duration,
        targets: &[Target],
    ) -> anyhow::Result<Report> {
        let n = shop.skus.len();
        let accepted: Vec<&Rec> = tally.recs.iter().filter(|r| r.status == 201).collect();
        let mut accepted_per_sku = vec![0i64; n];
        let mut per_member = vec![0u8; members.len()];
        for r in &accepted {
            accepted_per_sku[plan.sku_of[r.member as usize] as usize] += 1;
            per_member[r.member as usize] = per_member[r.member as usize].saturating_add(1);
        }
        let limit_breaches = per_member.iter().filter(|&&k| i64::from(k) > args.limit).count();
        let accepted_secs = accepted.iter().map(|r| r.done_us).max().unwrap_or(0) as f64 / 1e6;
        let all_secs = tally.recs.iter().map(|r| r.done_us).max().map(|d| d as f64 / 1e6).unwrap_or(wall.as_secs_f64());

        // The books, through the merchant's API.
        let view = shop.owner.fetch(&format!("/api/v1/flash-sales/{sale}")).await?;
        let mut taken_per_sku = vec![0i64; n];
        let (mut stock, mut left, mut oversold_books) = (0, 0, 0);
        for (i, sku) in shop.skus.iter().enumerate() {
            let item = view["items"].as_array().and_then(|a| a.iter().find(|x| x["sku_id"] == *sku));
            let product = view["products"].as_array().and_then(|a| a.iter().find(|x| x["sku_id"] == *sku));
            let (item, product) = (item.context("the SKU in the sale")?, product.context("the SKU's product")?);
            let pool = item["pool_size"].as_i64().context("pool_size")?;
            let sku_left = product["left"].as_i64().context("left")?;
            let taken = product["taken"].as_i64().context("taken")?;
            taken_per_sku[i] = taken;
            stock += pool;
            left += sku_left;
            oversold_books += (taken - pool).max(0) + (-sku_left).max(0);
        }
        let oversold_answers: i64 = accepted_per_sku.iter().map(|&a| (a - args.remote.units).max(0)).sum();

        // A sample of accepted orders, read back: the member's, in the sale, one unit.
        let step = (tally.orders.len() / args.verify_sample.max(1)).max(1);
        let sample: Vec<&(u32, String)> = tally.orders.iter().step_by(step).take(args.verify_sample).collect();
        let checks = futures::stream::iter(sample.iter().map(|(m, order)| {
            let owner = shop.owner.clone();
            let member = &members[*m as usize];
            let sku = &shop.skus[plan.sku_of[*m as usize] as usize];
            async move {
                let o = owner.fetch(&format!("/api/v1/orders/{order}")).await?;
                let lines = o["lines"].as_array().map(Vec::as_slice).unwrap_or(&[]);
                let fine = o["shopper_id"] == *member.shopper_id
                    && o["flash_sale_id"] == *sale
                    && lines.len() == 1
                    && lines[0]["sku_id"] == **sku
                    && lines[0]["quantity"] == 1;
                anyhow::Ok(if fine { None } else { Some(format!("order {order}: {o}")) })
            }
        }))
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
        let mut sample_bad = vec![];
        for c in checks {
            match c {
                Ok(None) => {}
                Ok(Some(bad)) => sample_bad.push(bad),
                Err(e) => sample_bad.push(format!("{e:#}")),
            }
        }
        let mut outcomes = tally.outcomes.clone();
        outcomes.sort_by_key(|o| std::cmp::Reverse(o.2));
        Ok(Report {
            slug: shop.slug.clone(),
            sale: sale.to_string(),
            servers: targets.len(),
            requests: tally.recs.len(),
            accepted: accepted.len(),
            accepted_secs,
            all_secs,
            all: Latencies::of(tally.recs.iter().filter(|r| r.status != 0).map(|r| r.latency_us).collect()),
            accepted_latency: Latencies::of(accepted.iter().map(|r| r.latency_us).collect()),
            refused_latency: Latencies::of(
                tally.recs.iter().filter(|r| r.status != 201 && r.status != 0).map(|r| r.latency_us).collect(),
            ),
            stock,
            taken: taken_per_sku.iter().sum(),
            left,
            accepted_per_sku,
            taken_per_sku,
            oversold_answers,
            oversold_books,
            limit_breaches,
            sample_checked: sample.len(),
            sample_bad,
            outcomes,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn print(
        &self,
        args: &Args,
        member_secs: f64,
        ceiling_rps: f64,
        ceiling_latency: &Latencies,
        ceiling_failed: u64,
        rss_before: (Vec<Option<u64>>, u64, u64),
        rss_after: (Vec<Option<u64>>, u64, u64),
        fsyncs: [Option<f64>; 2],
    ) {
        let r = &args.remote;
        let rate = if self.accepted_secs > 0.0 { self.accepted as f64 / self.accepted_secs } else { 0.0 };
        let fraction = if ceiling_rps > 0.0 { rate / ceiling_rps } else { 0.0 };
        let mismatch: i64 = self.accepted_per_sku.iter().zip(&self.taken_per_sku).map(|(a, t)| (a - t).abs()).sum();
        let fmt_fsync = |f: Option<f64>| f.map(|v| format!("{v:.0}")).unwrap_or_else(|| "?".into());
        let label = if r.label.is_empty() { String::new() } else { format!(" [{}]", r.label) };
        println!();
        println!("== Double 11 flash sale{label}: {} server(s), {} connections ==", self.servers, r.connections);
        println!(
            "merchant '{}', sale {}: {} SKUs x {} units = {} units; limit {} per member",
            self.slug,
            self.sale,
            self.accepted_per_sku.len(),
            r.units,
            self.stock,
            args.limit
        );
        println!(
            "members: {} (signed in at {:.0}/s); requests: {}",
            r.members.unwrap_or(200_000),
            r.members.unwrap_or(200_000) as f64 / member_secs,
            self.requests
        );
        println!(
            "accepted: {} orders in {:.2} s = {rate:.0} orders/s; all answers in {:.2} s = {:.0} requests/s",
            self.accepted,
            self.accepted_secs,
            self.all_secs,
            self.requests as f64 / self.all_secs
        );
        println!("latency, all answers:      {}", self.all.text());
        println!("latency, accepted:         {}", self.accepted_latency.text());
        println!("latency, refused:          {}", self.refused_latency.text());
        println!(
            "sold: {} of {} units (left {}); accepted answers per SKU {:?}",
            self.taken, self.stock, self.left, self.accepted_per_sku
        );
        println!(
            "oversold: {} by the answers, {} by the books; answers and books differ by {mismatch} units",
            self.oversold_answers, self.oversold_books
        );
        println!(
            "limit breaches: {} members over the limit; sample of {} orders read back: {} wrong",
            self.limit_breaches,
            self.sample_checked,
            self.sample_bad.len()
        );
        for bad in self.sample_bad.iter().take(3) {
            println!("  {bad}");
        }
        println!("answers:");
        for (status, code, n) in &self.outcomes {
            let status = if *status == 0 { "---".to_string() } else { status.to_string() };
            println!("  {status} {code}: {n}");
        }
        println!(
            "servers' peak memory: max {:.0} MiB, sum {:.0} MiB (before the burst: max {:.0} MiB)",
            remote::mib(rss_after.1),
            remote::mib(rss_after.2),
            remote::mib(rss_before.1)
        );
        if ceiling_rps > 0.0 {
            println!(
                "ceiling: GET /healthz {ceiling_rps:.0} requests/s ({}; {ceiling_failed} failed); \
                 flash accepted orders = {:.1}% of it",
                ceiling_latency.text(),
                fraction * 100.0
            );
        }
        println!("disk: {} fsyncs/s before, {} after", fmt_fsync(fsyncs[0]), fmt_fsync(fsyncs[1]));
        let outcomes: serde_json::Map<String, Value> = self
            .outcomes
            .iter()
            .map(|(s, c, n)| (if *s == 0 { c.clone() } else { format!("{s} {c}") }, json!(n)))
            .collect();
        let line = json!({
            "bench": "flash",
            "label": r.label,
            "servers": self.servers,
            "connections": r.connections,
            "bench_threads": r.threads,
            "members": r.members.unwrap_or(200_000),
            "requests": self.requests,
            "skus": self.accepted_per_sku.len(),
            "units_per_sku": r.units,
            "limit": args.limit,
            "accepted": self.accepted,
            "accepted_per_sec": round(rate, 0),
            "accepted_secs": round(self.accepted_secs, 3),
            "requests_per_sec": round(self.requests as f64 / self.all_secs, 0),
            "latency_all": self.all.json(),
            "latency_accepted": self.accepted_latency.json(),
            "stock": self.stock,
            "sold": self.taken,
            "left": self.left,
            "accepted_per_sku": self.accepted_per_sku,
            "oversold": self.oversold_answers.max(self.oversold_books),
            "oversold_by_answers": self.oversold_answers,
            "oversold_by_books": self.oversold_books,
            "answers_vs_books_units": mismatch,
            "limit_breaches": self.limit_breaches,
            "sample_checked": self.sample_checked,
            "sample_bad": self.sample_bad.len(),
            "answers": outcomes,
            "peak_rss_bytes": {"max": rss_after.1, "sum": rss_after.2, "each": rss_after.0,
                                "max_before_burst": rss_before.1},
            "ceiling_rps": round(ceiling_rps, 0),
            "ceiling_latency": ceiling_latency.json(),
            "flash_vs_ceiling": round(fraction, 3),
            "members_per_sec": round(r.members.unwrap_or(200_000) as f64 / member_secs, 0),
            "fsyncs_per_sec": {"before": fsyncs[0].map(|v| round(v, 0)), "after": fsyncs[1].map(|v| round(v, 0))},
            "unix_time": remote::unix_micros() / 1_000_000,
        });
        println!("{line}");
    }
}
