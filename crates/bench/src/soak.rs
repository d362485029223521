//! `soak`: a long stretch of mixed load against one `sweep serve --demo`, watching the
//! server's memory, open files and latency for growth.
//!
//! The load is the faults drill's without the faults: shoppers put an item in the cart,
//! order for pickup with an idempotency key and pay in the sandbox cashier; a till sends
//! sales. Every `--sample-secs` the server's resident memory and open file descriptors
//! are read from /proc; answers are grouped by minute for their p99. At the end the
//! early minutes (after a warm-up) are compared with the last: memory, descriptors and
//! p99 must stay flat, no request may fail, and `sweep check` must pass.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::ensure;
use serde_json::json;
use sweep_store::testing::TestDb;
use tokio::sync::Mutex;

use crate::crash::{self, Server};
use crate::drill;
use crate::faults::{self, Ledger};
use crate::local;
use crate::remote::secs_since;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    db: local::Db,
    /// How long the load runs, in minutes.
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    /// Shoppers and tills sending requests at once.
    #[arg(long, default_value_t = 8)]
    shoppers: usize,
    /// Seconds between readings of the server's memory and descriptors.
    #[arg(long, default_value_t = 10)]
    sample_secs: u64,
    /// The `sweep` binary [the one beside this program].
    #[arg(long)]
    sweep: Option<PathBuf>,
}

/// Memory may grow this much from the early minutes to the last before it counts as a
/// leak (caches fill, the allocator keeps what it had).
const MEMORY_GROWTH_LIMIT: f64 = 0.5;
/// Open descriptors may differ by this many (pooled connections come and go).
const FD_GROWTH_LIMIT: i64 = 16;
/// The last minutes' p99 may be this many times the early minutes' (plus a few
/// milliseconds of slack for a noisy shared machine).
const P99_GROWTH_LIMIT: f64 = 2.0;

struct Reading {
    secs: f64,
    rss_kib: u64,
    fds: i64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    ensure!(args.minutes >= 3, "--minutes: at least 3 (one of warm-up, one early, one late)");
    let sweep = drill::sweep_binary(args.sweep.as_deref())?;
    drill::on_fresh_db(args.db, async |db| soak(&args, &sweep, db, args.db.label()).await).await
}

async fn soak(args: &Args, sweep: &std::path::Path, db: &TestDb, label: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server::start(sweep, db.dir.path(), port, &db.url).await?;
    let pid = server.pid();
    let shop = Arc::new(crash::set_up(&base, args.shoppers).await?);
    let price = faults::till_price(&shop).await?;
    println!("soak ({label}): {} minutes, {} shoppers, server pid {pid}", args.minutes, args.shoppers);

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    // The "phase" of each answer is the minute it was sent in.
    let minute = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let next_member = Arc::new(AtomicUsize::new(0));
    let mut load = tokio::task::JoinSet::new();
    for s in 0..args.shoppers {
        let (shop, ledger, minute, stop, next) =
            (shop.clone(), ledger.clone(), minute.clone(), stop.clone(), next_member.clone());
        load.spawn(
            async move { faults::keep_buying(&shop, &ledger, &minute, &stop, &next, price, s as u64 + 1).await },
        );
    }
    let load_started = Instant::now();
    let mut readings = vec![];
    let end = load_started + Duration::from_secs(args.minutes * 60);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(args.sample_secs)).await;
        let secs = secs_since(load_started);
        minute.store((secs / 60.0) as usize, Ordering::SeqCst);
        let reading = Reading { secs, rss_kib: rss_kib(pid)?, fds: open_fds(pid)? };
        let done = ledger.lock().await.outcomes.len();
        println!("  {:>5.0} s  rss {:>7} KiB  fds {:>4}  requests {done}", reading.secs, reading.rss_kib, reading.fds);
        readings.push(reading);
    }
    stop.store(true, Ordering::SeqCst);
    while load.join_next().await.is_some() {}
    // Requests the load sent without a success answer are sent again with their key.
    faults::send_again(&shop, &ledger).await?;

    let l = ledger.lock().await;
    let failed: Vec<String> = l
        .outcomes
        .iter()
        .filter(|o| o.status.is_none_or(|s| s >= 300))
        .map(|o| format!("{} {:?} {}", o.what, o.status, o.body))
        .collect();
    let minutes = args.minutes as usize;
    // Minute 0 warms up; "early" is the next two minutes, "late" the last two.
    let early = 1..3.min(minutes);
    let late = minutes.saturating_sub(2).max(early.end)..minutes;
    let p99 = |range: std::ops::Range<usize>| {
        let mut secs: Vec<f64> = l.outcomes.iter().filter(|o| range.contains(&o.phase)).map(|o| o.secs).collect();
        secs.sort_by(f64::total_cmp);
        secs.get(((secs.len() as f64 * 0.99) as usize).min(secs.len().saturating_sub(1))).copied().unwrap_or(0.0)
    };
    let in_minutes = |range: &std::ops::Range<usize>| -> Vec<&Reading> {
        readings.iter().filter(|r| range.contains(&((r.secs / 60.0) as usize))).collect()
    };
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let (early_r, late_r) = (in_minutes(&early), in_minutes(&late));
    let rss_early = median(early_r.iter().map(|r| r.rss_kib as f64).collect());
    let rss_late = median(late_r.iter().map(|r| r.rss_kib as f64).collect());
    let fds_early = median(early_r.iter().map(|r| r.fds as f64).collect()) as i64;
    let fds_late = median(late_r.iter().map(|r| r.fds as f64).collect()) as i64;
    let (p99_early, p99_late) = (p99(early.clone()), p99(late.clone()));
    let per_minute: Vec<String> = (0..minutes).map(|m| format!("{:.0}", p99(m..m + 1) * 1000.0)).collect();
    let growth = if rss_early > 0.0 { rss_late / rss_early - 1.0 } else { 0.0 };
    let check = crash::sweep_check(sweep, db.dir.path(), &db.url);
    if let Err(e) = &check {
        eprintln!("sweep check failed after the soak:\n{e}");
    }
    println!(
        "soak ({label}): {} requests in {} minutes, {} not answered with a success\n\
         memory {:.1} MiB early, {:.1} MiB late ({:+.1} %)\n\
         open descriptors {fds_early} early, {fds_late} late\n\
         p99 {:.0} ms early, {:.0} ms late; by minute (ms): {}\n\
         orders: {} shop keys, {} till sales, {} payments; sweep check {}\nelapsed {:.0} s",
        l.outcomes.len(),
        minutes,
        failed.len(),
        rss_early / 1024.0,
        rss_late / 1024.0,
        growth * 100.0,
        p99_early * 1000.0,
        p99_late * 1000.0,
        per_minute.join(" "),
        l.shop_keys,
        l.till_sales,
        l.payments,
        if check.is_ok() { "passed" } else { "FAILED" },
        secs_since(started)
    );
    println!(
        "{}",
        json!({"soak": label, "minutes": minutes, "requests": l.outcomes.len(), "failed": failed.len(),
               "rss_mib_early": rss_early / 1024.0, "rss_mib_late": rss_late / 1024.0,
               "fds_early": fds_early, "fds_late": fds_late,
               "p99_ms_early": p99_early * 1000.0, "p99_ms_late": p99_late * 1000.0,
               "check_passed": check.is_ok()})
    );
    for f in failed.iter().take(10) {
        eprintln!("failed: {f}");
    }
    ensure!(failed.is_empty(), "{} requests failed during the soak", failed.len());
    ensure!(growth <= MEMORY_GROWTH_LIMIT, "memory grew {:.0} % during the soak", growth * 100.0);
    ensure!(fds_late - fds_early <= FD_GROWTH_LIMIT, "open descriptors grew from {fds_early} to {fds_late}");
    ensure!(
        p99_late <= p99_early * P99_GROWTH_LIMIT + 0.010,
        "p99 grew from {:.0} ms to {:.0} ms",
        p99_early * 1000.0,
        p99_late * 1000.0
    );
    ensure!(check.is_ok(), "sweep check failed after the soak");
    Ok(())
}

/// The process's resident memory, from /proc/<pid>/status.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).ok_or_else(|| anyhow::anyhow!("no VmRSS"))?;
    Ok(line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0))
}

fn open_fds(pid: u32) -> anyhow::Result<i64> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count() as i64)
}
