//! `storm`: thousands of payment notifications at once, a share of them duplicated,
//! replayed, forged, late or addressed to the wrong place, sent shuffled and concurrently.
//! Every order must end paid at most once, no forged notification may change anything,
//! and money that arrives for a cancelled order must go back in full.
//!
//! One `sweep serve --demo` runs as a child process on a fresh database. The drill plays
//! WeChat Pay and Alipay itself with the protocol-faithful simulator (`sweep-paysim`),
//! served in this process: the demo merchant's accounts are pointed at it, so shoppers'
//! payments are opened there by Sweep's real clients, and every genuine notification is
//! signed (and, for WeChat Pay, encrypted) by the simulator's own code with the keys
//! only the provider holds. The simulator's own deliveries are switched off; the drill
//! sends them instead, in its own order.
//!
//! Each order meets one fate: paid (its notification, re-signed retries, bursts of
//! identical copies, and old copies replayed later), late (the shopper or the merchant
//! cancels, then the payment's notification arrives: it must be refunded, not revive the
//! order), double (paid at both providers: one kept, the other refunded), refunded (paid
//! and refunded before the storm, then its notification again), or unpaid (only forgeries
//! name it). Forgeries are made the way an attacker could, without the providers' keys:
//! garbage, no signature, a wrong signature, the attacker's own key, a tampered amount or
//! order number (bits flipped in WeChat's ciphertext, fields changed in Alipay's form), a
//! wrong merchant, a wrong currency, a stale timestamp, a signature probe. Genuinely
//! signed notifications for trades Sweep never opened, or posted to another merchant's
//! or provider's address, must be refused too.
//!
//! Afterwards, once the refunds have settled: the books are read from the database, the
//! refunds asked about at the simulator, every answer compared with what the provider
//! expects (WeChat Pay: 200/204 to acknowledge, 4xx to refuse; Alipay: `success` or not),
//! and `sweep check` run. Any failure exits 1.

mod forge;
mod setup;
mod verify;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::ensure;
use futures::StreamExt;
use serde_json::json;
use sweep_store::testing::TestDb;

use crate::drill;
use crate::local;

/// Unpaid orders must not expire during a slow run.
const UNPAID_ORDERS_WAIT: &[(&str, &str)] = &[("SWEEP_UNPAID_ORDER_MINUTES", "240")];
use crate::remote::secs_since;
use crate::stats::{Latencies, Rng};

#[derive(clap::Args)]
pub struct Args {
    /// The database (PostgreSQL: a fresh schema in SWEEP_TEST_DATABASE_URL).
    #[arg(long, value_enum, default_value = "sqlite")]
    db: local::Db,
    /// Orders to make, paid (or not) half with WeChat Pay and half with Alipay; about
    /// three notifications each.
    #[arg(long, default_value_t = 1500)]
    orders: usize,
    /// Notifications in flight at once during the storm.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Shoppers placing orders at once while the drill sets up.
    #[arg(long, default_value_t = 16)]
    shoppers: usize,
    /// Seed of the fates, the forgeries and the order of the storm.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Longest wait, in seconds, for refunds of late payments to settle after the storm.
    #[arg(long, default_value_t = 120)]
    settle_secs: u64,
    /// The `sweep` binary [the one beside this program].
    #[arg(long)]
    sweep: Option<PathBuf>,
    /// Keep the server's log (SWEEP_LOG sets its level; warn by default) at this path.
    #[arg(long)]
    server_log: Option<PathBuf>,
}

/// The two providers, by the name Sweep gives them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Provider {
    WeChat,
    Alipay,
}

impl Provider {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Provider::WeChat => "wechatpay",
            Provider::Alipay => "alipay",
        }
    }

    pub(crate) fn other(self) -> Provider {
        match self {
            Provider::WeChat => Provider::Alipay,
            Provider::Alipay => Provider::WeChat,
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Provider> {
        match name {
            "wechatpay" => Some(Provider::WeChat),
            "alipay" => Some(Provider::Alipay),
            _ => None,
        }
    }

    /// Whether an answer acknowledges a notification, by the provider's own rule.
    pub(crate) fn acknowledged(self, status: u16, body: &str) -> bool {
        match self {
            Provider::WeChat => status == 200 || status == 204,
            Provider::Alipay => status == 200 && body.trim() == "success",
        }
    }
}

/// What happens to an order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Fate {
    /// Paid once; its notification comes many ways.
    Paid,
    /// Paid at the provider, cancelled in Sweep before the notification came.
    Late,
    /// Paid at both providers: one payment kept, the other refunded.
    Double,
    /// Paid and refunded before the storm; its notification comes again.
    Refunded,
    /// Never paid: only forgeries name it.
    Unpaid,
}

impl Fate {
    pub(crate) const ALL: [Fate; 5] = [Fate::Paid, Fate::Late, Fate::Double, Fate::Refunded, Fate::Unpaid];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Fate::Paid => "paid",
            Fate::Late => "late",
            Fate::Double => "double",
            Fate::Refunded => "refunded",
            Fate::Unpaid => "unpaid",
        }
    }

    /// Whether its payments are paid at the provider.
    pub(crate) fn pays(self) -> bool {
        self != Fate::Unpaid
    }

    fn draw(rng: &mut Rng) -> Fate {
        match rng.below(100) {
            0..40 => Fate::Paid,
            40..55 => Fate::Late,
            55..65 => Fate::Double,
            65..72 => Fate::Refunded,
            _ => Fate::Unpaid,
        }
    }
}

/// One payment opened at a provider.
#[derive(Clone, Debug)]
pub(crate) struct Trade {
    pub(crate) provider: Provider,
    pub(crate) out_trade_no: String,
    pub(crate) amount: i64,
}

/// One order of the drill and its payments, in the order they were opened.
#[derive(Clone, Debug)]
pub(crate) struct Order {
    pub(crate) id: String,
    pub(crate) member: usize,
    pub(crate) fate: Fate,
    pub(crate) trades: Vec<Trade>,
}

/// What kind of notification a shot is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// The first notification of a paid trade.
    Genuine,
    /// The same notification signed again, as a provider's retry is.
    Retry,
    /// Identical copies of one notification, fired at once.
    Duplicate,
    /// An earlier copy, verbatim, sent again once the order was settled.
    Replay,
    /// Genuine, for an order cancelled before it came: refunded, not revived.
    Late,
    /// Genuine, for the second of two payments of one order.
    Double,
    /// Genuine, for an order paid and refunded before the storm.
    AfterRefund,
    /// Signed by the provider, for a trade Sweep never opened, or opened at the other provider.
    Foreign,
    /// Genuine, posted to another merchant's or the other provider's address.
    Misaddressed,
    Forged(forge::Forgery),
}

impl Kind {
    pub(crate) fn name(self) -> String {
        match self {
            Kind::Genuine => "genuine".into(),
            Kind::Retry => "retry".into(),
            Kind::Duplicate => "duplicate".into(),
            Kind::Replay => "replay".into(),
            Kind::Late => "late".into(),
            Kind::Double => "double".into(),
            Kind::AfterRefund => "after_refund".into(),
            Kind::Foreign => "foreign".into(),
            Kind::Misaddressed => "misaddressed".into(),
            Kind::Forged(f) => format!("forged_{}", f.name()),
        }
    }

    /// Whether the provider would have sent it: it must be acknowledged.
    pub(crate) fn genuine(self) -> bool {
        matches!(
            self,
            Kind::Genuine
                | Kind::Retry
                | Kind::Duplicate
                | Kind::Replay
                | Kind::Late
                | Kind::Double
                | Kind::AfterRefund
        )
    }
}

/// One notification (or a burst of identical copies) to send.
pub(crate) struct Shot {
    pub(crate) kind: Kind,
    /// The protocol of the address it is posted to (what its answer is read by).
    pub(crate) endpoint: Provider,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// Copies sent at the same moment (1 but for duplicates).
    pub(crate) copies: usize,
    /// When its WeChat Pay signature was made (stale after five minutes).
    pub(crate) signed_at: Instant,
    /// The drill's order it names, if any.
    pub(crate) order: Option<usize>,
}

/// How the shots of one kind were answered.
#[derive(Default, Clone, Debug)]
pub(crate) struct Tally {
    pub(crate) sent: usize,
    pub(crate) acknowledged: usize,
    pub(crate) refused: usize,
    pub(crate) server_errors: usize,
    pub(crate) transport_errors: usize,
    /// Answers that are not what the provider expects for this kind.
    pub(crate) wrong: usize,
}

/// One answer that was not what the provider expects.
pub(crate) struct WrongAnswer {
    kind: Kind,
    url: String,
    order: Option<usize>,
    answer: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    ensure!(args.orders >= 10, "--orders: at least 10");
    ensure!(args.concurrency >= 1 && args.shoppers >= 1, "--concurrency and --shoppers: at least 1");
    let sweep = drill::sweep_binary(args.sweep.as_deref())?;
    let failures = drill::on_fresh_db(args.db, async |db| {
        let result = storm(&args, &sweep, db, args.db.label()).await;
        if !result.as_ref().is_ok_and(Vec::is_empty) {
            let log = std::fs::read_to_string(db.dir.path().join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            eprintln!("the server's log ends:\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        }
        if let Some(path) = &args.server_log
            && let Err(e) = std::fs::copy(db.dir.path().join("server.log"), path)
        {
            eprintln!("could not keep the server's log at {}: {e}", path.display());
        }
        result
    })
    .await?;
    ensure!(failures.is_empty(), "the storm broke the books:\n  {}", failures.join("\n  "));
    Ok(())
}

/// Runs the drill; returns what failed (empty: all well).
async fn storm(args: &Args, sweep: &std::path::Path, db: &TestDb, label: &str) -> anyhow::Result<Vec<String>> {
    let started = Instant::now();
    let dir = db.dir.path();
    let sim = setup::Sim::start().await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = crate::crash::Server::start_with(sweep, dir, port, &db.url, UNPAID_ORDERS_WAIT).await?;
    let members = (args.orders / 6).clamp(1, 400);
    let shop = setup::set_up(&base, &sim, &db.url, members).await?;
    println!(
        "storm ({label}): {} orders, {} notifications in flight; server and simulator up in {:.1} s",
        args.orders,
        args.concurrency,
        secs_since(started)
    );

    // The fates, then the orders and their payments at the providers.
    let mut rng = Rng::new(args.seed);
    let plan: Vec<(Fate, Provider)> = (0..args.orders)
        .map(|i| (Fate::draw(&mut rng), if i % 2 == 0 { Provider::WeChat } else { Provider::Alipay }))
        .collect();
    let made = Instant::now();
    let mut orders = setup::make_orders(&shop, &db.url, &plan, args.shoppers).await?;
    println!(
        "  {} orders placed and {} payments opened at the simulator in {:.1} s",
        orders.len(),
        orders.iter().map(|o| o.trades.len()).sum::<usize>(),
        secs_since(made)
    );

    // Shoppers pay at the providers; the notifications are held back. Some orders are
    // then settled (refunded) or cancelled before anything arrives.
    let prepared = Instant::now();
    let early = setup::pay_at_providers(&sim, &orders).await?;
    let foreign = setup::foreign_trades(&shop, &sim, &orders, &mut rng).await?;
    let before = setup::settle_some(&shop, &mut orders, &early).await?;
    sim.sim.set_faults(sweep_paysim::Faults::default());
    let (mut first, mut second) = forge::shots(&shop, &sim, &orders, &early, &foreign, &mut rng)?;
    shuffle(&mut first, &mut rng);
    shuffle(&mut second, &mut rng);
    println!(
        "  paid at the providers; {} refunded and {} cancelled first ({} found paid by a query first); \
         {} notifications made in {:.1} s",
        before.refunded,
        before.cancelled,
        before.found_paid,
        first.iter().chain(&second).map(|s| s.copies).sum::<usize>(),
        secs_since(prepared)
    );

    // The storm: two shuffled waves, the second (replays, more forgeries) after the first.
    let storm_started = Instant::now();
    let http = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    let mut outcome = Fired::default();
    for wave in [first, second] {
        fire(&http, wave, args.concurrency, &mut outcome).await;
    }
    let storm_secs = storm_started.elapsed().as_secs_f64();

    // Refunds and closes settle; then the books.
    let settled = Instant::now();
    let settle = verify::settle(&db.url, &orders, Duration::from_secs(args.settle_secs)).await?;
    let settle_secs = settled.elapsed().as_secs_f64();
    let mut report = verify::check(&db.url, &shop, &orders, &foreign).await?;
    server.kill();
    if let Err(e) = crate::crash::sweep_check(sweep, dir, &db.url) {
        report.failures.push(format!("sweep check failed:\n{e}"));
        report.check_passed = false;
    } else {
        report.check_passed = true;
    }
    if !settle {
        report.failures.push(format!("refunds and closes did not settle within {} s", args.settle_secs));
    }

    // Answers that were not what the provider expects.
    let wrong: usize = outcome.tallies.values().map(|t| t.wrong).sum();
    if wrong > 0 {
        for w in outcome.wrong.iter().take(10) {
            let order = w.order.map(|o| orders[o].id.as_str()).unwrap_or("-");
            eprintln!("  wrong answer to {} (order {order}) at {}: {}", w.kind.name(), w.url, w.answer);
        }
        report.failures.push(format!("{wrong} notifications were not answered as the provider expects"));
    }
    let forged_acknowledged: usize =
        outcome.tallies.iter().filter(|(k, _)| !k.genuine()).map(|(_, t)| t.acknowledged).sum();
    if forged_acknowledged > 0 {
        report.failures.push(format!("{forged_acknowledged} forged or misdirected notifications were acknowledged"));
    }
    print_figures(label, args, &orders, &outcome, &report, storm_secs, settle_secs, forged_acknowledged, started);
    Ok(report.failures)
}

/// Everything the storm was answered.
#[derive(Default)]
pub(crate) struct Fired {
    tallies: std::collections::BTreeMap<Kind, Tally>,
    wrong: Vec<WrongAnswer>,
    latencies: Vec<u32>,
}

/// Sends a wave of shots, `concurrency` at a time (the copies of a burst all at once),
/// and judges each answer.
async fn fire(http: &reqwest::Client, shots: Vec<Shot>, concurrency: usize, into: &mut Fired) {
    let mut answers = futures::stream::iter(shots.into_iter().map(|shot| {
        let http = http.clone();
        async move {
            let copies = (0..shot.copies).map(|_| send(&http, &shot));
            let answers = futures::future::join_all(copies).await;
            (shot, answers)
        }
    }))
    .buffer_unordered(concurrency);
    while let Some((shot, answers)) = answers.next().await {
        let tally = into.tallies.entry(shot.kind).or_default();
        for (answer, micros) in answers {
            tally.sent += 1;
            into.latencies.push(micros);
            let verdict = judge(&shot, &answer);
            match &answer {
                Err(_) => tally.transport_errors += 1,
                Ok((status, _)) if *status >= 500 => tally.server_errors += 1,
                Ok((status, body)) if shot.endpoint.acknowledged(*status, body) => tally.acknowledged += 1,
                Ok(_) => tally.refused += 1,
            }
            if let Err(why) = verdict {
                tally.wrong += 1;
                into.wrong.push(WrongAnswer { kind: shot.kind, url: shot.url.clone(), order: shot.order, answer: why });
            }
        }
    }
}

type Answer = Result<(u16, String), String>;

async fn send(http: &reqwest::Client, shot: &Shot) -> (Answer, u32) {
    let started = Instant::now();
    let mut request = http.post(&shot.url).body(shot.body.clone()).timeout(Duration::from_secs(60));
    for (k, v) in &shot.headers {
        request = request.header(k.as_str(), v.as_str());
    }
    let answer = match request.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            Ok((status, r.text().await.unwrap_or_default()))
        }
        Err(e) => Err(e.to_string()),
    };
    (answer, started.elapsed().as_micros().min(u32::MAX as u128) as u32)
}

/// Whether an answer is what the provider expects: genuine notifications acknowledged
/// (WeChat Pay: 200 or 204; Alipay: `success`), everything else refused with a 4xx that
/// is not an acknowledgement, and never a server error.
fn judge(shot: &Shot, answer: &Answer) -> Result<(), String> {
    let (status, body) = answer.as_ref().map_err(|e| format!("no answer: {e}"))?;
    let short: String = body.chars().take(120).collect();
    if *status >= 500 {
        return Err(format!("{status} {short}"));
    }
    let acknowledged = shot.endpoint.acknowledged(*status, body);
    if shot.kind.genuine() {
        // A WeChat Pay signature older than five minutes is stale, rightly refused.
        let stale = shot.endpoint == Provider::WeChat && shot.signed_at.elapsed() > Duration::from_secs(280);
        if !(acknowledged || stale && *status == 401) {
            return Err(format!("genuine not acknowledged: {status} {short}"));
        }
        if shot.endpoint == Provider::Alipay && body != "success" {
            return Err(format!("Alipay wants exactly `success`: {status} {short:?}"));
        }
        return Ok(());
    }
    if acknowledged {
        return Err(format!("acknowledged: {status} {short}"));
    }
    if !(400..500).contains(status) {
        return Err(format!("refused without a 4xx: {status} {short}"));
    }
    Ok(())
}

fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

#[allow(clippy::too_many_arguments)]
fn print_figures(
    label: &str,
    args: &Args,
    orders: &[Order],
    fired: &Fired,
    report: &verify::Report,
    storm_secs: f64,
    settle_secs: f64,
    forged_acknowledged: usize,
    started: Instant,
) {
    println!("\n| notifications | sent | acknowledged | refused | 5xx | wrong answers |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut total = Tally::default();
    for (kind, t) in &fired.tallies {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            kind.name(),
            t.sent,
            t.acknowledged,
            t.refused,
            t.server_errors,
            t.wrong
        );
        total.sent += t.sent;
        total.acknowledged += t.acknowledged;
        total.refused += t.refused;
        total.server_errors += t.server_errors;
        total.transport_errors += t.transport_errors;
        total.wrong += t.wrong;
    }
    println!(
        "| **all** | {} | {} | {} | {} | {} |",
        total.sent, total.acknowledged, total.refused, total.server_errors, total.wrong
    );
    let latencies = Latencies::of(fired.latencies.clone());
    let count = |f: Fate| orders.iter().filter(|o| o.fate == f).count();
    let fates: Vec<String> = Fate::ALL.iter().map(|f| format!("{} {}", count(*f), f.name())).collect();
    println!(
        "\norders                 {} ({})\n\
         storm                  {} notifications in {:.1} s, {:.0}/s; {}\n\
         double payments        {}\n\
         forged accepted        {} (acknowledged {}, changed an order {})\n\
         applied exactly once   {} of {} paid trades\n\
         late payments refunded {} of {} (in full, at the simulator and in Sweep)\n\
         refunded on arrival    {} found by a notification, {} by Sweep's own query (late and second payments)\n\
         refunds settled in     {:.1} s\n\
         sweep check            {}\n\
         elapsed                {:.0} s",
        orders.len(),
        fates.join(", "),
        total.sent,
        storm_secs,
        total.sent as f64 / storm_secs.max(0.001),
        latencies.text(),
        report.double_payments,
        forged_acknowledged + report.forged_effects,
        forged_acknowledged,
        report.forged_effects,
        report.applied_once,
        report.paid_trades,
        report.late_refunded,
        report.late,
        report.refunded_on_notification,
        report.refunded_on_query,
        settle_secs,
        if report.check_passed { "passed" } else { "FAILED" },
        secs_since(started)
    );
    let kinds: serde_json::Map<String, serde_json::Value> = fired
        .tallies
        .iter()
        .map(|(k, t)| {
            (k.name(), json!({"sent": t.sent, "acknowledged": t.acknowledged, "refused": t.refused, "wrong": t.wrong}))
        })
        .collect();
    println!(
        "{}",
        json!({"bench": "storm", "db": label, "orders": orders.len(), "seed": args.seed,
               "concurrency": args.concurrency, "notifications": total.sent,
               "acknowledged": total.acknowledged, "refused": total.refused,
               "server_errors": total.server_errors, "transport_errors": total.transport_errors,
               "wrong_answers": total.wrong, "kinds": kinds,
               "double_payments": report.double_payments,
               "forged_accepted": forged_acknowledged + report.forged_effects,
               "applied_once": report.applied_once, "paid_trades": report.paid_trades,
               "late": report.late, "late_refunded": report.late_refunded,
               "refunded_on_notification": report.refunded_on_notification,
               "refunded_on_query": report.refunded_on_query,
               "outcomes": report.outcomes, "storm_seconds": (storm_secs * 10.0).round() / 10.0,
               "per_second": (total.sent as f64 / storm_secs.max(0.001)).round(), "latency": latencies.json(),
               "settle_seconds": (settle_secs * 10.0).round() / 10.0, "check_passed": report.check_passed,
               "failures": report.failures.len(), "seconds": secs_since(started).round()})
    );
}
