//! Benchmarks against running servers: what `flash` and `day` share. A fresh merchant
//! is set up through the API (so runs never disturb each other or the demo), members
//! come signed in from the rehearsal endpoint, and the burst itself goes over
//! keep-alive connections of the minimal client in [`crate::http`].

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{Client, id};
use crate::http::{Conn, Target};

const OWNER_PASSWORD: &str = "bench password 2026";
/// Most members the rehearsal endpoint makes in one call.
const MEMBERS_PER_CALL: usize = 20_000;

#[derive(clap::Args, Clone)]
pub struct RemoteArgs {
    /// The servers' root URLs, comma-separated; connections go round-robin over them.
    #[arg(long, value_delimiter = ',', required = true)]
    pub url: Vec<String>,
    /// A platform admin, to create the benchmark's merchant.
    #[arg(long, default_value = "admin@sweep.demo")]
    pub admin_login: String,
    /// The admin's password.
    #[arg(long, default_value = "sweep-demo-2026", env = "SWEEP_BENCH_ADMIN_PASSWORD")]
    pub admin_password: String,
    /// SKUs on sale (one product each).
    #[arg(long, default_value_t = 10)]
    pub skus: usize,
    /// Units of each SKU received at the store (and, in `flash`, put in the sale).
    #[arg(long, default_value_t = 10_000)]
    pub units: i64,
    /// Signed-in members to make [flash: 200000; day: 20000].
    #[arg(long)]
    pub members: Option<usize>,
    /// Keep-alive connections, each sending its next request when its answer arrives.
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// The first member's phone number; the others count up from it.
    #[arg(long, default_value = "17000000000")]
    pub first_phone: String,
    /// The new merchant's slug [bench-<unix time>].
    #[arg(long)]
    pub slug: Option<String>,
    /// Worker threads of the load generator (it shares the machine with the servers).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Where to time 200 fsyncs, before and after (the servers' data directory).
    #[arg(long)]
    pub fsync_dir: Option<PathBuf>,
    /// A name for this configuration in the JSON line (e.g. `sqlite`, `postgres-3`).
    #[arg(long, default_value = "")]
    pub label: String,
}

impl RemoteArgs {
    pub fn targets(&self) -> anyhow::Result<Vec<Target>> {
        ensure!(!self.url.is_empty(), "give at least one --url");
        ensure!(self.skus >= 1 && self.skus <= 50, "--skus: 1 to 50 (a flash sale holds at most 50)");
        ensure!(self.units >= 1 && self.connections >= 1 && self.threads >= 1, "units, connections, threads: >= 1");
        self.url.iter().map(|u| Target::parse(u)).collect()
    }

    pub fn fsyncs(&self) -> Option<f64> {
        let dir = self.fsync_dir.clone().unwrap_or_else(std::env::temp_dir);
        match crate::stats::fsyncs_per_second_in(&dir) {
            Ok(rate) => Some(rate),
            Err(e) => {
                eprintln!("could not time fsyncs in {}: {e}", dir.display());
                None
            }
        }
    }
}

/// The benchmark's merchant as set up through the API.
pub struct Shop {
    pub slug: String,
    /// The merchant's owner, signed in on the first server.
    pub owner: Client,
    pub store: String,
    pub campaign: String,
    pub products: Vec<String>,
    pub skus: Vec<String>,
}

/// Creates a merchant with an owner, a store, a campaign, `skus` products of one SKU
/// each, and `units` of each received at the store.
pub async fn prepare_shop(args: &RemoteArgs, targets: &[Target]) -> anyhow::Result<Shop> {
    let base = &targets[0].url;
    let admin = Client::sign_in(base, &args.admin_login, &args.admin_password).await?;
    let slug = args.slug.clone().unwrap_or_else(|| format!("bench-{}", unix_micros() / 1_000_000));
    let owner_login = format!("owner@{slug}.bench");
    admin
        .create(
            "/api/v1/merchants",
            json!({"name": format!("Bench {slug}"), "slug": slug,
                   "owner": {"login": owner_login, "display_name": "Bench owner", "password": OWNER_PASSWORD}}),
        )
        .await?;
    let owner = Client::sign_in(base, &owner_login, OWNER_PASSWORD).await?;
    let store = id(&owner
        .create(
            "/api/v1/locations",
            json!({"code": "HZ-FLASH", "kind": "store", "name": {"zh": "湖滨旗舰店", "en": "Hubin flagship"},
                   "address": "上城区延安路 1 号", "city": "杭州", "point": {"lat": 30.2586, "lng": 120.1627},
                   "opening_hours": {"mon": ["10:00-22:00"]}, "pickup_enabled": true, "delivery_enabled": true}),
        )
        .await?)?;
    let now = unix_micros();
    let campaign = id(&owner
        .create(
            "/api/v1/campaigns",
            json!({"name": "双十一 Double 11", "starts_at": rfc3339(now - 86_400_000_000),
                   "ends_at": rfc3339(now + 30 * 86_400_000_000)}),
        )
        .await?)?;
    let mut products = vec![];
    let mut skus = vec![];
    for i in 0..args.skus {
        let product = id(&owner
            .create(
                "/api/v1/products",
                json!({"name": {"zh": format!("双十一爆款 {}", i + 1), "en": format!("Double 11 hit {}", i + 1)},
                       "status": "active"}),
            )
            .await?)?;
        let sku = id(&owner
            .create(
                &format!("/api/v1/products/{product}/skus"),
                json!({"code": format!("D11-{:02}", i + 1), "base_price": 29_900, "member_price": 25_900}),
            )
            .await?)?;
        products.push(product);
        skus.push(sku);
    }
    let lines: Vec<Value> = skus.iter().map(|s| json!({"sku_id": s, "quantity": args.units})).collect();
    owner.create("/api/v1/stock/receipts", json!({"location_id": store, "lines": lines})).await?;
    Ok(Shop { slug, owner, store, campaign, products, skus })
}

/// A member signed in by the rehearsal endpoint.
pub struct Member {
    pub shopper_id: String,
    pub session: String,
    pub csrf_token: String,
}

/// Makes `count` signed-in members of the shop's merchant, 20,000 a call.
pub async fn rehearsal_members(shop: &Shop, first_phone: &str, count: usize) -> anyhow::Result<Vec<Member>> {
    let first: u64 = first_phone.parse().context("--first-phone: digits")?;
    let mut members = Vec::with_capacity(count);
    while members.len() < count {
        let n = (count - members.len()).min(MEMBERS_PER_CALL);
        let phone = (first + members.len() as u64).to_string();
        let (status, answer) =
            shop.owner.post("/api/v1/dev/rehearsal-members", json!({"first_phone": phone, "count": n})).await?;
        if status == StatusCode::NOT_FOUND {
            bail!("POST /api/v1/dev/rehearsal-members: 404; run the server with --demo or sms_outbox_page = true");
        }
        ensure!(status == StatusCode::CREATED, "rehearsal members: {status} {answer}");
        let list = answer.as_array().context("a list of members")?;
        ensure!(list.len() == n, "asked for {n} members, got {}", list.len());
        for m in list {
            let text = |k: &str| m[k].as_str().map(str::to_string).with_context(|| format!("no {k} in {m}"));
            members.push(Member {
                shopper_id: text("shopper_id")?,
                session: text("session")?,
                csrf_token: text("csrf_token")?,
            });
        }
    }
    Ok(members)
}

/// Opens `count` connections, round-robin over the targets, a hundred at a time.
pub async fn open_connections(targets: &[Target], count: usize) -> anyhow::Result<Vec<(usize, Conn)>> {
    futures::stream::iter(0..count)
        .map(|i| async move { Ok((i % targets.len(), Conn::open(&targets[i % targets.len()]).await?)) })
        .buffer_unordered(100)
        .collect::<Vec<anyhow::Result<_>>>()
        .await
        .into_iter()
        .collect()
}

/// The server's peak resident memory (`sweep_process_peak_rss_bytes` on /metrics).
pub async fn peak_rss(target: &Target) -> Option<u64> {
    let text = reqwest::get(format!("{}/metrics", target.url)).await.ok()?.text().await.ok()?;
    let line = text.lines().find(|l| l.starts_with("sweep_process_peak_rss_bytes"))?;
    line.split_whitespace().nth(1)?.parse::<f64>().ok().map(|v| v as u64)
}

/// Peak memory of every server: (each, max, sum).
pub async fn peak_memory(targets: &[Target]) -> (Vec<Option<u64>>, u64, u64) {
    let mut each = vec![];
    for t in targets {
        each.push(peak_rss(t).await);
    }
    let known = each.iter().flatten();
    (each.clone(), known.clone().copied().max().unwrap_or(0), known.sum())
}

/// Sleeps until the server's `starts_at`, judged by the server's time in the same answer.
pub async fn wait_for_start(view: &Value) -> anyhow::Result<()> {
    let starts = view["starts_at"].as_str().and_then(parse_rfc3339).context("the sale's starts_at")?;
    let server = view["server_time"].as_str().and_then(parse_rfc3339).context("the sale's server_time")?;
    let wait = Duration::from_micros((starts - server).max(0) as u64);
    eprintln!("the sale starts in {:.1} s by the server's clock", wait.as_secs_f64());
    tokio::time::sleep(wait + Duration::from_millis(50)).await;
    Ok(())
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

pub fn secs_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

pub fn unix_micros() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970");
    now.as_micros() as i64
}

/// The server's clock, to the second, from the Date header of an answer.
pub async fn server_clock(target: &Target) -> anyhow::Result<i64> {
    let response = reqwest::get(format!("{}/healthz", target.url)).await?;
    let date = response.headers().get(reqwest::header::DATE).context("no Date header")?.to_str()?;
    parse_http_date(date).with_context(|| format!("a Date header: {date}"))
}

// Dates without a date library: days from the civil calendar and back (H. Hinnant).

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Unix microseconds as RFC 3339 in UTC, to the millisecond.
pub fn rfc3339(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let ms = micros.rem_euclid(1_000_000) / 1000;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z", s / 3600, s / 60 % 60, s % 60)
}

/// RFC 3339 (`2026-11-11T00:00:00.123456Z`, or with an offset) as unix microseconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let days = days_from_civil(num(0..4)?, num(5..7)?, num(8..10)?);
    let mut micros = (days * 86_400 + num(11..13)? * 3600 + num(14..16)? * 60 + num(17..19)?) * 1_000_000;
    let mut at = 19;
    if b[at] == b'.' {
        let digits = b[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let frac = &text[at + 1..at + 1 + digits];
        let padded: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
        micros += padded.parse::<i64>().ok()?;
        at += 1 + digits;
    }
    match b.get(at)? {
        b'Z' | b'z' => Some(micros),
        sign @ (b'+' | b'-') => {
            let offset = (num(at + 1..at + 3)? * 3600 + num(at + 4..at + 6)? * 60) * 1_000_000;
            Some(if *sign == b'+' { micros - offset } else { micros + offset })
        }
        _ => None,
    }
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) as unix seconds.
fn parse_http_date(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts[..] else { return None };
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let m = MONTHS.iter().position(|&x| x == month)? as i64 + 1;
    let hms: Vec<i64> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [h, mi, s] = hms[..] else { return None };
    Some(days_from_civil(year.parse().ok()?, m, day.parse().ok()?) * 86_400 + h * 3600 + mi * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = 1_794_355_200_123_000; // 2026-11-11T00:00:00.123Z
        assert_eq!(rfc3339(t), "2026-11-11T00:00:00.123Z");
        assert_eq!(parse_rfc3339("2026-11-11T00:00:00.123Z"), Some(t));
        assert_eq!(parse_rfc3339("2026-11-11T08:00:00.123+08:00"), Some(t));
        assert_eq!(parse_rfc3339("2026-11-11T00:00:00Z"), Some(t - 123_000));
        assert_eq!(parse_rfc3339("2026-11-11T00:00:00.1234567Z"), Some(t - 123_000 + 123_456));
        assert_eq!(parse_http_date("Wed, 11 Nov 2026 00:00:00 GMT"), Some(1_794_355_200));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
