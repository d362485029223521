//! The daily reconciliation: every payment and refund Sweep recorded on a day is
//! compared with what its provider says (through the query APIs), and each disagreement
//! is reported. Money the provider took that Sweep never applied is applied on the way
//! (captured, or refunded when its order has closed).

use std::collections::BTreeMap;

use sweep_domain::Timestamp;
use sweep_domain::ids::MerchantId;
use sweep_domain::order::{Payment, PaymentStatus, Refund, RefundStatus};
use sweep_domain::roles::{Actor, Permission};

use crate::ports::{Mismatch, NewJob, Reconciliation, RefundState, TradeState};
use crate::{AppError, AppResult, Sweep, require, tenant};

pub const RECONCILE: &str = "reconcile_payments";
const CST_SECS: i64 = 8 * 3600;
const PAGE: u32 = 500;

/// The China Standard Time day `t` falls on, and its bounds.
fn cst_day(t: Timestamp) -> (String, Timestamp, Timestamp) {
    let local = t.plus_seconds(CST_SECS).to_offset_datetime();
    let day = format!("{}-{:02}-{:02}", local.year(), u8::from(local.month()), local.day());
    let midnight = local.unix_timestamp()
        - i64::from(local.hour()) * 3600
        - i64::from(local.minute()) * 60
        - i64::from(local.second());
    let from = Timestamp::from_unix_micros((midnight - CST_SECS) * 1_000_000);
    (day, from, from.plus_seconds(86_400))
}

/// `YYYY-MM-DD` (China Standard Time) to its bounds.
fn parse_day(day: &str) -> Option<(Timestamp, Timestamp)> {
    let noon = Timestamp::parse_rfc3339(&format!("{day}T12:00:00+08:00"))?;
    let (canonical, from, to) = cst_day(noon);
    (canonical == day).then_some((from, to))
}

/// What is wrong with a payment, given what its provider says (`None`: they agree).
pub(crate) fn compare_payment(payment: &Payment, at_provider: &TradeState) -> Option<(&'static str, String)> {
    let captured = payment.status == PaymentStatus::Captured;
    let differs = |amount: &sweep_domain::Money| {
        ("amount_differs", format!("{} at the provider, {} here", amount.minor(), payment.amount.minor()))
    };
    match at_provider {
        TradeState::Paid { amount, .. } | TradeState::Refunded { amount, .. } if *amount != payment.amount => {
            Some(differs(amount))
        }
        TradeState::Paid { .. } if !captured => {
            Some(("paid_only_at_provider", format!("the provider took the money; here it was {:?}", payment.status)))
        }
        // Paid and given back outside Sweep (the provider's console): a person must look.
        TradeState::Refunded { .. } if !captured => {
            Some(("refunded_only_at_provider", "paid and refunded at the provider; never captured here".into()))
        }
        TradeState::Paid { .. } | TradeState::Refunded { .. } => None,
        // A trade refunded in full is closed at Alipay.
        TradeState::Closed if captured && payment.refunded == payment.amount => None,
        other if captured => Some(("unpaid_at_provider", format!("captured here; the provider says {other:?}"))),
        _ => None,
    }
}

/// What is wrong with a refund, given what its provider says.
pub(crate) fn compare_refund(refund: &Refund, at_provider: Option<&RefundState>) -> Option<(&'static str, String)> {
    match (refund.status, at_provider) {
        (RefundStatus::Succeeded, Some(RefundState::Succeeded)) => None,
        (RefundStatus::Succeeded, other) => {
            Some(("refund_missing_at_provider", format!("refunded here; the provider says {other:?}")))
        }
        (RefundStatus::Pending, Some(RefundState::Succeeded)) => {
            Some(("refund_done_only_at_provider", "the provider paid it back; here it is still pending".into()))
        }
        (RefundStatus::Pending, _) => None,
    }
}

impl Sweep {
    /// The periodic job for yesterday (China Standard Time); once a day across processes.
    pub(crate) async fn schedule_reconciliation(&self) -> AppResult<()> {
        let (day, _, _) = cst_day(self.now().minus_seconds(86_400));
        let job = NewJob {
            kind: RECONCILE.into(),
            payload: serde_json::json!({"day": day}).to_string(),
            run_at: self.now(),
            dedupe_key: Some(format!("{RECONCILE}:{day}")),
        };
        self.repos.jobs.enqueue(&job).await?;
        Ok(())
    }

    pub(crate) async fn run_reconciliation_job(&self, payload: &str) -> Result<(), String> {
        let v: serde_json::Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
        let day = v["day"].as_str().ok_or("no day")?;
        self.reconcile_day(day, None).await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// Runs the reconciliation of `day` for the caller's merchant now (also done every
    /// night for the day before) and returns its report.
    pub async fn reconcile_now(&self, actor: &Actor, day: &str) -> AppResult<Reconciliation> {
        require(actor, Permission::RefundOrders)?;
        let merchant = tenant(actor)?;
        if !actor.is_head_office() {
            return Err(AppError::Forbidden);
        }
        let mut reports = self.reconcile_day(day, Some(merchant)).await?;
        Ok(reports.remove(&merchant).unwrap_or(Reconciliation {
            merchant_id: merchant,
            day: day.to_string(),
            checked: 0,
            mismatches: vec![],
            created_at: self.now(),
        }))
    }

    pub async fn reconciliations(&self, actor: &Actor) -> AppResult<Vec<Reconciliation>> {
        require(actor, Permission::ViewReports)?;
        if !actor.is_head_office() {
            return Err(AppError::Forbidden);
        }
        Ok(self.repos.reconciliations.reconciliations(tenant(actor)?, 90).await?)
    }

    async fn reconcile_day(
        &self,
        day: &str,
        only: Option<MerchantId>,
    ) -> AppResult<BTreeMap<MerchantId, Reconciliation>> {
        let (from, to) =
            parse_day(day).ok_or_else(|| AppError::invalid("day", "invalid_date", "a day as YYYY-MM-DD"))?;
        let mut reports: BTreeMap<MerchantId, Reconciliation> = BTreeMap::new();
        let now = self.now();
        let blank = |merchant: MerchantId| Reconciliation {
            merchant_id: merchant,
            day: day.to_string(),
            checked: 0,
            mismatches: vec![],
            created_at: now,
        };
        let mut after = None;
        loop {
            let page = self.repos.reconciliations.provider_payments_between(from, to, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for payment in page.iter().filter(|p| only.is_none_or(|m| m == p.merchant_id)) {
                let entry = reports.entry(payment.merchant_id).or_insert_with(|| blank(payment.merchant_id));
                entry.checked += 1;
                let mismatch = |kind: &str, detail: String| Mismatch {
                    kind: kind.to_string(),
                    provider: payment.provider.clone(),
                    order_id: payment.order_id,
                    out_trade_no: payment.out_trade_no.clone(),
                    out_refund_no: None,
                    detail,
                };
                let state = match self.gateway_for(payment.merchant_id, &payment.provider).await {
                    Ok(g) => g.query(&payment.out_trade_no).await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                match state {
                    Ok(state) => {
                        if let Some((kind, detail)) = compare_payment(payment, &state) {
                            if kind == "paid_only_at_provider" {
                                // Apply it now: the order takes it, or it is refunded.
                                let txn = match &state {
                                    TradeState::Paid { provider_txn_id, .. } => provider_txn_id.clone(),
                                    _ => String::new(),
                                };
                                if let Err(e) = self.apply_capture(payment, &txn, self.now()).await {
                                    // Reported, and the rest of the day still compared.
                                    entry.mismatches.push(mismatch("apply_failed", e.to_string()));
                                }
                            }
                            entry.mismatches.push(mismatch(kind, detail));
                        }
                    }
                    Err(e) => entry.mismatches.push(mismatch("query_failed", e)),
                }
            }
        }
        for refund in self.repos.reconciliations.refunds_between(from, to).await? {
            if only.is_some_and(|m| m != refund.merchant_id) {
                continue;
            }
            let payments = self.repos.orders.payments(refund.merchant_id, refund.order_id).await?;
            let Some(payment) = payments.iter().find(|p| p.id == refund.payment_id) else { continue };
            if crate::loyalty::TillPaymentMethod::parse(&payment.provider).is_some() {
                continue;
            }
            let entry = reports.entry(refund.merchant_id).or_insert_with(|| blank(refund.merchant_id));
            entry.checked += 1;
            let state = match self.gateway_for(refund.merchant_id, &payment.provider).await {
                Ok(g) => g.query_refund(&payment.out_trade_no, &refund.out_refund_no).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let found = match state {
                Ok(state) => compare_refund(&refund, state.as_ref()),
                Err(e) => Some(("query_failed", e)),
            };
            if let Some((kind, detail)) = found {
                if kind == "refund_done_only_at_provider"
                    && let Err(e) = self.repos.orders.complete_refund(refund.id, self.now()).await
                {
                    tracing::warn!(event = "reconciliation_refund_not_completed", refund = %refund.id, error = %e);
                }
                entry.mismatches.push(Mismatch {
                    kind: kind.to_string(),
                    provider: payment.provider.clone(),
                    order_id: refund.order_id,
                    out_trade_no: payment.out_trade_no.clone(),
                    out_refund_no: Some(refund.out_refund_no.clone()),
                    detail,
                });
            }
        }
        for r in reports.values() {
            self.repos.reconciliations.put_reconciliation(r).await?;
            if r.mismatches.is_empty() {
                tracing::info!(event = "reconciled", merchant = %r.merchant_id, day = %r.day, checked = r.checked);
            } else {
                tracing::warn!(event = "reconciliation_mismatches", merchant = %r.merchant_id, day = %r.day,
                    checked = r.checked, mismatches = r.mismatches.len());
            }
        }
        Ok(reports)
    }
}

#[cfg(test)]
mod tests {
    use sweep_domain::Money;
    use sweep_domain::ids::{OrderId, PaymentId, RefundId};

    use super::*;

    fn payment(status: PaymentStatus) -> Payment {
        Payment {
            id: PaymentId::new(),
            merchant_id: MerchantId::new(),
            order_id: OrderId::new(),
            provider: "wechatpay".into(),
            out_trade_no: "t1".into(),
            amount: Money::cny(3500),
            status,
            provider_txn_id: None,
            captured_at: None,
            refunded: Money::cny(0),
            created_at: Timestamp::from_unix_micros(0),
        }
    }

    #[test]
    fn days_are_china_standard_time() {
        // 2026-11-25T16:30Z is 00:30 on the 26th in Beijing.
        let t = Timestamp::parse_rfc3339("2026-11-25T16:30:00Z").unwrap();
        let (day, from, to) = cst_day(t);
        assert_eq!(day, "2026-11-26");
        assert_eq!(from, Timestamp::parse_rfc3339("2026-11-25T16:00:00Z").unwrap());
        assert_eq!(to, from.plus_seconds(86_400));
        assert_eq!(parse_day("2026-11-26"), Some((from, to)));
        assert_eq!(parse_day("2026-02-30"), None);
        assert_eq!(parse_day("yesterday"), None);
    }

    #[test]
    fn payments_disagree_when_money_moved_on_one_side_only_or_by_another_amount() {
        let paid = TradeState::Paid { provider_txn_id: "x".into(), amount: Money::cny(3500) };
        assert_eq!(compare_payment(&payment(PaymentStatus::Captured), &paid), None);
        assert_eq!(compare_payment(&payment(PaymentStatus::Pending), &TradeState::Unpaid), None);
        assert_eq!(compare_payment(&payment(PaymentStatus::Closed), &TradeState::Closed), None);
        assert_eq!(compare_payment(&payment(PaymentStatus::Pending), &paid).unwrap().0, "paid_only_at_provider");
        assert_eq!(compare_payment(&payment(PaymentStatus::Closed), &paid).unwrap().0, "paid_only_at_provider");
        assert_eq!(
            compare_payment(&payment(PaymentStatus::Captured), &TradeState::NotFound).unwrap().0,
            "unpaid_at_provider"
        );
        let other = TradeState::Refunded { provider_txn_id: "x".into(), amount: Money::cny(3600) };
        assert_eq!(compare_payment(&payment(PaymentStatus::Captured), &other).unwrap().0, "amount_differs");
        let refunded = TradeState::Refunded { provider_txn_id: "x".into(), amount: Money::cny(3500) };
        assert_eq!(
            compare_payment(&payment(PaymentStatus::Pending), &refunded).unwrap().0,
            "refunded_only_at_provider"
        );
        assert_eq!(compare_payment(&payment(PaymentStatus::Captured), &refunded), None);
        let mut all_back = payment(PaymentStatus::Captured);
        assert_eq!(compare_payment(&all_back, &TradeState::Closed).unwrap().0, "unpaid_at_provider");
        all_back.refunded = Money::cny(3500);
        assert_eq!(compare_payment(&all_back, &TradeState::Closed), None, "refunded in full: closed at Alipay");
    }

    #[test]
    fn refunds_disagree_when_done_on_one_side_only() {
        let mut refund = Refund {
            id: RefundId::new(),
            merchant_id: MerchantId::new(),
            order_id: OrderId::new(),
            payment_id: PaymentId::new(),
            out_refund_no: "r1".into(),
            amount: Money::cny(100),
            reason: String::new(),
            status: RefundStatus::Succeeded,
            created_at: Timestamp::from_unix_micros(0),
            completed_at: None,
        };
        assert_eq!(compare_refund(&refund, Some(&RefundState::Succeeded)), None);
        assert_eq!(compare_refund(&refund, None).unwrap().0, "refund_missing_at_provider");
        refund.status = RefundStatus::Pending;
        assert_eq!(compare_refund(&refund, Some(&RefundState::Processing)), None);
        assert_eq!(compare_refund(&refund, Some(&RefundState::Succeeded)).unwrap().0, "refund_done_only_at_provider");
    }
}
