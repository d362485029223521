//! When notifications do not come: pending payments are asked about at their provider
//! on a schedule, and once more before an unpaid order expires, so money a shopper paid
//! is never missed (or, when the order could no longer take it, is refunded).

use sweep_domain::order::Payment;

use crate::ports::{GatewayError, NewJob, TradeState};
use crate::{AppResult, Sweep};

pub const QUERY_PAYMENTS: &str = "query_payments";
const QUERY_BATCH: u32 = 200;

impl Sweep {
    /// The periodic job that asks about pending payments, once per minute across all
    /// processes (the dedupe key lets one insert win).
    pub async fn schedule_payment_queries(&self) -> AppResult<()> {
        let now = self.now();
        let minute = now.unix_seconds() / 60;
        let job = NewJob {
            kind: QUERY_PAYMENTS.into(),
            payload: "{}".into(),
            run_at: now,
            dedupe_key: Some(format!("{QUERY_PAYMENTS}:{minute}")),
        };
        self.repos.jobs.enqueue(&job).await?;
        Ok(())
    }

    /// Asks providers about payments that have been pending a while; applies the paid ones.
    pub(crate) async fn run_payment_queries(&self) -> Result<(), String> {
        let now = self.now();
        let due = self
            .repos
            .orders
            .payments_to_query(now.minus_seconds(self.settings.payment_query_after_secs), QUERY_BATCH)
            .await
            .map_err(|e| e.to_string())?;
        let mut failures = 0;
        for payment in &due {
            if let Err(e) = self.query_payment(payment).await {
                failures += 1;
                tracing::warn!(event = "payment_query_failed", payment = %payment.id, error = %e);
            }
            self.repos.orders.mark_payment_queried(payment.id, now).await.map_err(|e| e.to_string())?;
        }
        if !due.is_empty() {
            tracing::info!(event = "payments_queried", count = due.len(), failures);
        }
        Ok(())
    }

    /// Asks the provider about one pending payment and applies what it says: paid money
    /// captures the order (or is refunded when the order has closed). Returns whether
    /// the provider said it was paid.
    pub(crate) async fn query_payment(&self, payment: &Payment) -> Result<bool, GatewayError> {
        let gateway = self
            .gateway_for(payment.merchant_id, &payment.provider)
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        let state = gateway.query(&payment.out_trade_no).await?;
        let (txn, amount) = match state {
            TradeState::Paid { provider_txn_id, amount } => (provider_txn_id, amount),
            TradeState::Refunded { .. } => {
                // Given back outside Sweep: capturing it would sell for money already
                // returned. The daily reconciliation reports it for a person to look at.
                tracing::warn!(event = "payment_refunded_at_provider", payment = %payment.id);
                return Ok(false);
            }
            _ => return Ok(false),
        };
        if amount != payment.amount {
            tracing::warn!(target: "security", event = "payment_query_mismatch", payment = %payment.id,
                provider_amount = amount.minor(), amount = payment.amount.minor());
            return Ok(false);
        }
        let what = self
            .apply_capture(payment, &txn, self.now())
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        self.repos
            .orders
            .record_notification(
                &payment.provider,
                Some(payment.merchant_id),
                Some(&payment.out_trade_no),
                what,
                "query",
                self.now(),
            )
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        Ok(true)
    }
}
