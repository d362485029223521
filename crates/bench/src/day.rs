//! `day`: an ordinary day against running servers. Signed-in members browse the shop's
//! home page and product pages, and some of them add to the cart, order for pickup and
//! pay in the sandbox cashier; each connection walks its own members through journeys
//! for a fixed time, and each kind of request gets its rate and latency.

use std::time::{Duration, Instant};

use anyhow::ensure;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::http::{Conn, Target, get_request, post_request};
use crate::remote::{self, Member, RemoteArgs};
use crate::stats::{Latencies, Rng, round};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Seconds to run.
    #[arg(long, default_value_t = 20.0)]
    pub duration: f64,
    /// Product pages each journey opens after the home page.
    #[arg(long, default_value_t = 2)]
    pub product_views: usize,
    /// Share of journeys that go on to the cart, an order and payment.
    #[arg(long, default_value_t = 0.25)]
    pub buy_share: f64,
}

const KINDS: [(&str, u16); 6] =
    [("home", 200), ("product", 200), ("cart", 200), ("order", 201), ("pay", 200), ("cashier", 303)];
const HOME: usize = 0;
const PRODUCT: usize = 1;
const CART: usize = 2;
const ORDER: usize = 3;
const PAY: usize = 4;
const CASHIER: usize = 5;

struct Shared {
    slug: String,
    store: String,
    products: Vec<String>,
    skus: Vec<String>,
    members: Vec<Member>,
    connections: usize,
    product_views: usize,
    buy_share: f64,
    secs: f64,
}

#[derive(Default)]
struct Seen {
    /// Per kind: latencies of the expected answers, and (status, count) of the others.
    ok: [Vec<u32>; 6],
    other: [Vec<(u16, u64)>; 6],
    journeys: u64,
    paid: u64,
    /// One unexpected answer per kind, to show.
    examples: Vec<String>,
}

impl Seen {
    fn other(&mut self, kind: usize, status: u16, body: &[u8]) {
        match self.other[kind].iter_mut().find(|(s, _)| *s == status) {
            Some(e) => e.1 += 1,
            None => {
                self.other[kind].push((status, 1));
                let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
                self.examples.push(format!("{} {status}: {text}", KINDS[kind].0));
            }
        }
    }
}

/// Sends one request and notes it; the body of an expected answer comes back.
async fn step(
    conn: &mut Option<Conn>,
    target: &Target,
    seen: &mut Seen,
    kind: usize,
    request: &[u8],
) -> Option<Vec<u8>> {
    if conn.is_none() {
        *conn = Conn::open(target).await.ok();
    }
    let Some(c) = conn.as_mut() else {
        seen.other(kind, 0, b"connect failed");
        return None;
    };
    let sent = Instant::now();
    match c.send(request).await {
        Ok(a) => {
            let (status, body) = (a.status, a.body.to_vec());
            if c.closing() {
                *conn = None;
            }
            if status == KINDS[kind].1 {
                seen.ok[kind].push(sent.elapsed().as_micros() as u32);
                Some(body)
            } else {
                seen.other(kind, status, &body);
                None
            }
        }
        Err(e) => {
            seen.other(kind, 0, e.to_string().as_bytes());
            *conn = None;
            None
        }
    }
}

async fn shopper(
    index: usize,
    conn: Conn,
    target: Target,
    shared: std::sync::Arc<Shared>,
    mut go: watch::Receiver<Option<Instant>>,
) -> Seen {
    let start = go.wait_for(Option::is_some).await.expect("the starter stays").expect("checked");
    let deadline = start + Duration::from_secs_f64(shared.secs);
    let s = &*shared;
    let mut rng = Rng::new(index as u64 * 7919 + 1);
    let mut seen = Seen::default();
    let mut conn = Some(conn);
    let mut req = Vec::with_capacity(1024);
    let mut member = index % s.members.len();
    while Instant::now() < deadline {
        let m = &s.members[member];
        member = (member + s.connections) % s.members.len();
        let cookie = format!("Cookie: sweep_shop={}\r\n", m.session);
        let auth = format!("{cookie}X-CSRF-Token: {}\r\n", m.csrf_token);
        seen.journeys += 1;
        req.clear();
        get_request(&mut req, &target, &format!("/s/{}", s.slug), &cookie);
        step(&mut conn, &target, &mut seen, HOME, &req).await;
        let pick = rng.below(s.products.len());
        for _ in 0..s.product_views {
            req.clear();
            let product = &s.products[rng.below(s.products.len())];
            get_request(&mut req, &target, &format!("/s/{}/p/{product}", s.slug), &cookie);
            step(&mut conn, &target, &mut seen, PRODUCT, &req).await;
        }
        if !rng.chance(s.buy_share) || Instant::now() >= deadline {
            continue;
        }
        req.clear();
        let body = json!({"sku_id": s.skus[pick], "quantity": 1}).to_string();
        post_request(&mut req, &target, &format!("/s/{}/api/cart/items", s.slug), &auth, &body);
        if step(&mut conn, &target, &mut seen, CART, &req).await.is_none() {
            continue;
        }
        req.clear();
        let body = json!({"fulfilment": "pickup", "store_id": s.store}).to_string();
        post_request(&mut req, &target, &format!("/s/{}/api/orders", s.slug), &auth, &body);
        let Some(order) = step(&mut conn, &target, &mut seen, ORDER, &req).await else { continue };
        let Some(order_id) =
            serde_json::from_slice::<Value>(&order).ok().and_then(|o| o["id"].as_str().map(String::from))
        else {
            continue;
        };
        req.clear();
        post_request(&mut req, &target, &format!("/s/{}/api/orders/{order_id}/pay", s.slug), &auth, "{}");
        let Some(pay) = step(&mut conn, &target, &mut seen, PAY, &req).await else { continue };
        let Some(pay_url) =
            serde_json::from_slice::<Value>(&pay).ok().and_then(|p| p["pay_url"].as_str().map(String::from))
        else {
            continue;
        };
        // The cashier page's button, on this server whatever host the URL names.
        let path = pay_url.find("://").and_then(|i| pay_url[i + 3..].find('/').map(|j| &pay_url[i + 3 + j..]));
        let path = path.unwrap_or(&pay_url);
        req.clear();
        req.extend_from_slice(
            format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: sweep-bench\r\nContent-Length: 0\r\n\r\n",
                target.host
            )
            .as_bytes(),
        );
        if step(&mut conn, &target, &mut seen, CASHIER, &req).await.is_some() {
            seen.paid += 1;
        }
    }
    seen
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let r = &args.remote;
    let targets = r.targets()?;
    let members_count = r.members.unwrap_or(20_000);
    ensure!(members_count >= 1 && args.duration > 0.0, "--members and --duration must be positive");
    ensure!((0.0..=1.0).contains(&args.buy_share), "--buy-share: 0 to 1");
    let fsync_before = r.fsyncs();
    let shop = remote::prepare_shop(r, &targets).await?;
    let t = Instant::now();
    let members = remote::rehearsal_members(&shop, &r.first_phone, members_count).await?;
    eprintln!(
        "merchant '{}': {} members signed in in {:.1} s; {} connections for {} s…",
        shop.slug,
        members.len(),
        remote::secs_since(t),
        r.connections,
        args.duration
    );
    let shared = std::sync::Arc::new(Shared {
        slug: shop.slug.clone(),
        store: shop.store.clone(),
        products: shop.products.clone(),
        skus: shop.skus.clone(),
        members,
        connections: r.connections,
        product_views: args.product_views,
        buy_share: args.buy_share,
        secs: args.duration,
    });
    let conns = remote::open_connections(&targets, r.connections).await?;
    let (tx, rx) = watch::channel(None);
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, (t, conn))| tokio::spawn(shopper(i, conn, targets[t].clone(), shared.clone(), rx.clone())))
        .collect();
    tokio::task::yield_now().await;
    let start = Instant::now();
    tx.send(Some(start))?;
    let mut all = Seen::default();
    for task in tasks {
        let seen = task.await?;
        for k in 0..KINDS.len() {
            all.ok[k].extend(&seen.ok[k]);
            for &(status, n) in &seen.other[k] {
                match all.other[k].iter_mut().find(|(s, _)| *s == status) {
                    Some(e) => e.1 += n,
                    None => all.other[k].push((status, n)),
                }
            }
        }
        all.journeys += seen.journeys;
        all.paid += seen.paid;
        for e in seen.examples {
            if all.examples.len() < 6 && !all.examples.iter().any(|x| x.split(':').next() == e.split(':').next()) {
                all.examples.push(e);
            }
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let fsync_after = r.fsyncs();
    let (rss_each, rss_max, rss_sum) = remote::peak_memory(&targets).await;

    let label = if r.label.is_empty() { String::new() } else { format!(" [{}]", r.label) };
    println!();
    println!("== an ordinary day{label}: {} server(s), {} connections, {wall:.1} s ==", targets.len(), r.connections);
    println!("| kind | answered as expected | per second | p50 ms | p99 ms | other answers |");
    println!("| --- | ---: | ---: | ---: | ---: | --- |");
    let mut kinds = serde_json::Map::new();
    let mut total = 0u64;
    for (k, (name, _)) in KINDS.iter().enumerate() {
        let count = all.ok[k].len() as u64;
        let others: u64 = all.other[k].iter().map(|(_, n)| n).sum();
        total += count + others;
        let lat = Latencies::of(std::mem::take(&mut all.ok[k]));
        let other_text: Vec<String> = all.other[k].iter().map(|(s, n)| format!("{s}: {n}")).collect();
        println!(
            "| {name} | {count} | {:.0} | {:.1} | {:.1} | {} |",
            count as f64 / wall,
            lat.p50,
            lat.p99,
            other_text.join(", ")
        );
        let other: serde_json::Map<String, Value> =
            all.other[k].iter().map(|(s, n)| (s.to_string(), json!(n))).collect();
        kinds.insert(
            name.to_string(),
            json!({"count": count, "per_sec": round(count as f64 / wall, 1), "p50_ms": round(lat.p50, 2),
                   "p99_ms": round(lat.p99, 2), "other": other}),
        );
    }
    for e in &all.examples {
        println!("  e.g. {e}");
    }
    println!(
        "{total} requests = {:.0}/s; {} journeys, {} orders paid ({:.1}/s); servers' peak memory max {:.0} MiB, sum {:.0} MiB",
        total as f64 / wall,
        all.journeys,
        all.paid,
        all.paid as f64 / wall,
        remote::mib(rss_max),
        remote::mib(rss_sum)
    );
    let fmt = |f: Option<f64>| f.map(|v| format!("{v:.0}")).unwrap_or_else(|| "?".into());
    println!("disk: {} fsyncs/s before, {} after", fmt(fsync_before), fmt(fsync_after));
    let line = json!({
        "bench": "day",
        "label": r.label,
        "servers": targets.len(),
        "connections": r.connections,
        "bench_threads": r.threads,
        "members": members_count,
        "secs": round(wall, 2),
        "requests": total,
        "requests_per_sec": round(total as f64 / wall, 0),
        "journeys": all.journeys,
        "orders_paid": all.paid,
        "orders_paid_per_sec": round(all.paid as f64 / wall, 1),
        "kinds": kinds,
        "peak_rss_bytes": {"max": rss_max, "sum": rss_sum, "each": rss_each},
        "fsyncs_per_sec": {"before": fsync_before.map(|v| round(v, 0)), "after": fsync_after.map(|v| round(v, 0))},
        "unix_time": remote::unix_micros() / 1_000_000,
    });
    println!("{line}");
    Ok(())
}
