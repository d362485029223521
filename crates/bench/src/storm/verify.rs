//! After the storm: waiting for refunds and closes to settle, then the books, read from
//! the database and asked of the providers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use sweep_app::ports::{RefundState, TradeState};

use super::setup::{Foreign, Shop, pool};
use super::{Fate, Order, Provider};
use crate::remote::unix_micros;

/// What the books say.
#[derive(Default)]
pub(crate) struct Report {
    pub(crate) failures: Vec<String>,
    /// Orders that kept more than one payment, or were marked paid more than once.
    pub(crate) double_payments: usize,
    /// Orders a forgery changed: unpaid ones paid, refunded or moved; trades Sweep never
    /// opened applied.
    pub(crate) forged_effects: usize,
    /// Trades paid at a provider that Sweep applied exactly once (paid, or refunded as late).
    pub(crate) applied_once: usize,
    pub(crate) paid_trades: usize,
    pub(crate) late: usize,
    /// Late payments refunded in full, in Sweep and at the provider, their order left cancelled.
    pub(crate) late_refunded: usize,
    /// How Sweep recorded the notifications, by outcome.
    pub(crate) outcomes: Value,
    /// Payments refunded on arrival (late, or an order's second): found by a
    /// notification, and by Sweep's own query (closing the payment, or asking about it).
    pub(crate) refunded_on_notification: usize,
    pub(crate) refunded_on_query: usize,
    pub(crate) check_passed: bool,
}

/// Waits until every order that must give money back has its refunds, all succeeded,
/// and no close job is due soon (a close may find a late payment and refund it; a
/// refund job left over for a refund already succeeded does nothing). False if that
/// took longer than `within`.
pub(crate) async fn settle(url: &str, orders: &[Order], within: Duration) -> anyhow::Result<bool> {
    let pool = pool(url).await?;
    let mine: HashSet<&str> = orders.iter().map(|o| o.id.as_str()).collect();
    let owing: Vec<&str> = orders
        .iter()
        .filter(|o| matches!(o.fate, Fate::Late | Fate::Double | Fate::Refunded))
        .map(|o| o.id.as_str())
        .collect();
    let deadline = Instant::now() + within;
    let settled = loop {
        let refunds: Vec<(String, String)> =
            sqlx::query_as("SELECT order_id, status FROM refunds").fetch_all(&pool).await?;
        let with_refund: HashSet<&str> = refunds.iter().map(|r| r.0.as_str()).collect();
        let pending = refunds.iter().filter(|r| mine.contains(r.0.as_str()) && r.1 != "succeeded").count();
        let missing = owing.iter().filter(|o| !with_refund.contains(**o)).count();
        let (due,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND kind = 'close_payment' AND run_at <= $1",
        )
        .bind(unix_micros() + 30_000_000)
        .fetch_one(&pool)
        .await?;
        if pending == 0 && missing == 0 && due == 0 {
            break true;
        }
        if Instant::now() > deadline {
            eprintln!("  not settled: {missing} refunds missing, {pending} not succeeded, {due} closes due");
            break false;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    pool.close().await;
    Ok(settled)
}

struct Pay {
    id: String,
    provider: String,
    out_trade_no: String,
    amount: i64,
    status: String,
}

struct Refund {
    payment_id: String,
    out_refund_no: String,
    amount: i64,
    status: String,
}

/// Reads the books of the drill's orders and checks each against its fate, and asks the
/// providers about every refund and every payment kept.
pub(crate) async fn check(url: &str, shop: &Shop, orders: &[Order], foreign: &[Foreign]) -> anyhow::Result<Report> {
    let pool = pool(url).await?;
    let index: HashMap<&str, usize> = orders.iter().enumerate().map(|(i, o)| (o.id.as_str(), i)).collect();
    let mut status = vec![String::new(); orders.len()];
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, status FROM orders").fetch_all(&pool).await?;
    for (id, s) in rows {
        if let Some(i) = index.get(id.as_str()) {
            status[*i] = s;
        }
    }
    let mut pays: Vec<Vec<Pay>> = (0..orders.len()).map(|_| vec![]).collect();
    let rows: Vec<(String, String, String, String, i64, String)> =
        sqlx::query_as("SELECT id, order_id, provider, out_trade_no, amount, status FROM payments ORDER BY id")
            .fetch_all(&pool)
            .await?;
    for (id, order, provider, out_trade_no, amount, s) in rows {
        if let Some(i) = index.get(order.as_str()) {
            pays[*i].push(Pay { id, provider, out_trade_no, amount, status: s });
        }
    }
    let mut refunds: Vec<Vec<Refund>> = (0..orders.len()).map(|_| vec![]).collect();
    let rows: Vec<(String, String, String, i64, String)> =
        sqlx::query_as("SELECT order_id, payment_id, out_refund_no, amount, status FROM refunds")
            .fetch_all(&pool)
            .await?;
    for (order, payment_id, out_refund_no, amount, s) in rows {
        if let Some(i) = index.get(order.as_str()) {
            refunds[*i].push(Refund { payment_id, out_refund_no, amount, status: s });
        }
    }
    let mut paid_events = vec![0usize; orders.len()];
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT order_id FROM order_events WHERE to_status = 'paid'").fetch_all(&pool).await?;
    for (order,) in rows {
        if let Some(i) = index.get(order.as_str()) {
            paid_events[*i] += 1;
        }
    }
    let notes: Vec<(Option<String>, String, String)> =
        sqlx::query_as("SELECT out_trade_no, outcome, detail FROM payment_notifications").fetch_all(&pool).await?;
    pool.close().await;

    let mut report = Report { late: orders.iter().filter(|o| o.fate == Fate::Late).count(), ..Report::default() };
    let mut problems: Vec<String> = vec![];
    let mut late_ok = vec![false; orders.len()];
    for (i, o) in orders.iter().enumerate() {
        let refunded = |p: &Pay| refunds[i].iter().filter(|r| r.payment_id == p.id).map(|r| r.amount).sum::<i64>();
        let captured: Vec<&Pay> = pays[i].iter().filter(|p| p.status == "captured").collect();
        let kept = captured.iter().filter(|p| refunded(p) == 0).count();
        let given_back = captured.iter().filter(|p| refunded(p) == p.amount).count();
        let over = pays[i].iter().any(|p| refunded(p) > p.amount)
            || refunds[i].iter().any(|r| !pays[i].iter().any(|p| p.id == r.payment_id && p.status == "captured"));
        let unsettled = refunds[i].iter().filter(|r| r.status != "succeeded").count();
        if kept > 1 || paid_events[i] > 1 {
            report.double_payments += 1;
        }
        let want = match o.fate {
            Fate::Paid => ("paid", 1, 1, 0, 1),
            Fate::Late => ("cancelled", 1, 0, 1, 0),
            Fate::Double => ("paid", 2, 1, 1, 1),
            Fate::Refunded => ("refunded", 1, 0, 1, 1),
            Fate::Unpaid => ("pending_payment", 0, 0, 0, 0),
        };
        let got = (status[i].as_str(), captured.len(), kept, given_back, paid_events[i]);
        let ok = got == want && !over && unsettled == 0 && refunds[i].len() == want.3;
        if !ok {
            problems.push(format!(
                "order {} ({}): status {}, {} captured, {} kept, {} refunded in full, paid {} times, \
                 {} refunds ({} unsettled){}; expected {want:?}",
                o.id,
                o.fate.name(),
                got.0,
                got.1,
                got.2,
                got.3,
                got.4,
                refunds[i].len(),
                unsettled,
                if over { ", refunded more than paid" } else { "" },
            ));
            if o.fate == Fate::Unpaid {
                report.forged_effects += 1;
            }
        }
        late_ok[i] = ok && o.fate == Fate::Late;
    }

    // Each trade paid at a provider applied exactly once (paid, or refunded as late),
    // whether a notification or a query found it; nothing else applied at all.
    let mut applied: HashMap<&str, usize> = HashMap::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for (trade, outcome, detail) in &notes {
        let by = if detail == "query" { format!("{outcome} (by query)") } else { outcome.clone() };
        *outcomes.entry(by).or_default() += 1;
        if let Some(trade) = trade
            && matches!(outcome.as_str(), "paid" | "late_refunded")
        {
            *applied.entry(trade.as_str()).or_default() += 1;
        }
    }
    for o in orders {
        for t in &o.trades {
            let times = applied.remove(t.out_trade_no.as_str()).unwrap_or(0);
            if o.fate.pays() {
                report.paid_trades += 1;
                if times == 1 {
                    report.applied_once += 1;
                } else {
                    problems.push(format!("trade {} of order {} applied {times} times", t.out_trade_no, o.id));
                }
            } else if times > 0 {
                problems.push(format!("unpaid trade {} of order {} applied {times} times", t.out_trade_no, o.id));
            }
        }
    }
    // What is left was applied without being a trade of the drill's (a foreign trade).
    for (trade, times) in applied {
        if foreign.iter().any(|f| f.order.is_none() && f.out_trade_no == trade) {
            report.forged_effects += 1;
            problems.push(format!("a trade Sweep never opened, {trade}, was applied {times} times"));
        }
    }

    // The providers' side: every refund Sweep made has succeeded there, and every
    // payment kept is still paid there, in full.
    let mut asks = vec![];
    for (i, o) in orders.iter().enumerate() {
        for p in &pays[i] {
            let Some(provider) = Provider::parse(&p.provider) else { continue };
            let mine: Vec<&Refund> = refunds[i].iter().filter(|r| r.payment_id == p.id).collect();
            if p.status == "captured" && mine.is_empty() {
                asks.push((i, provider, p.out_trade_no.clone(), None, p.amount));
            }
            for r in mine {
                asks.push((i, provider, p.out_trade_no.clone(), Some(r.out_refund_no.clone()), r.amount));
            }
        }
        let _ = o;
    }
    let answers: Vec<(usize, Result<(), String>)> = futures::stream::iter(asks)
        .map(|(i, provider, trade, refund, amount)| async move {
            let gateway = &shop.gateways[&provider];
            let verdict = match &refund {
                Some(no) => match gateway.query_refund(&trade, no).await {
                    Ok(Some(RefundState::Succeeded)) => Ok(()),
                    other => Err(format!("refund {no} of {trade} at {}: {other:?}", provider.name())),
                },
                None => match gateway.query(&trade).await {
                    Ok(TradeState::Paid { amount: a, .. }) if a.minor() == amount => Ok(()),
                    other => Err(format!("payment {trade} kept by Sweep, at {}: {other:?}", provider.name())),
                },
            };
            (i, verdict)
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for (i, verdict) in answers {
        if let Err(e) = verdict {
            late_ok[i] = false;
            problems.push(format!("order {} ({}): {e}", orders[i].id, orders[i].fate.name()));
        }
    }
    report.late_refunded = late_ok.iter().filter(|ok| **ok).count();
    report.refunded_on_notification = outcomes.get("late_refunded").copied().unwrap_or(0);
    report.refunded_on_query = outcomes.get("late_refunded (by query)").copied().unwrap_or(0);
    report.outcomes = json!(outcomes);
    if !problems.is_empty() {
        for p in problems.iter().take(20) {
            eprintln!("  {p}");
        }
        report.failures.push(format!("{} orders or trades are not as they should be", problems.len()));
    }
    if report.double_payments > 0 {
        report.failures.push(format!("{} orders were paid twice", report.double_payments));
    }
    if report.forged_effects > 0 {
        report.failures.push(format!("{} forgeries changed the books", report.forged_effects));
    }
    Ok(report)
}
