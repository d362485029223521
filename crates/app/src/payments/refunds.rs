//! Paying refunds back through the provider. The refund number is the provider's
//! idempotency key, so the job may run any number of times; a refund the provider is
//! still processing is asked about again later, until it succeeds.

use sweep_domain::ids::RefundId;
use sweep_domain::order::RefundStatus;

use crate::Sweep;
use crate::ports::{GatewayError, RefundRequest, RefundState};

impl Sweep {
    pub(crate) async fn run_refund(&self, id: RefundId) -> Result<(), String> {
        let refund = self.repos.orders.refund(id).await.map_err(|e| e.to_string())?.ok_or("no such refund")?;
        if refund.status == RefundStatus::Succeeded {
            return Ok(());
        }
        let payments =
            self.repos.orders.payments(refund.merchant_id, refund.order_id).await.map_err(|e| e.to_string())?;
        let payment = payments.iter().find(|p| p.id == refund.payment_id).ok_or("refund without its payment")?;
        if crate::loyalty::TillPaymentMethod::parse(&payment.provider).is_some() {
            // The till took this money and gives it back at the counter: nothing to ask.
            self.repos.orders.complete_refund(id, self.now()).await.map_err(|e| e.to_string())?;
            return Ok(());
        }
        let gateway = self.gateway_for(refund.merchant_id, &payment.provider).await.map_err(|e| e.to_string())?;
        // Asking first keeps a refund that is under way from being requested again with
        // different details; the provider would refuse that.
        let known = gateway.query_refund(&payment.out_trade_no, &refund.out_refund_no).await;
        let state = match known {
            Ok(Some(state)) => state,
            Ok(None) | Err(GatewayError::Refused(_)) => {
                let request = RefundRequest {
                    out_trade_no: payment.out_trade_no.clone(),
                    out_refund_no: refund.out_refund_no.clone(),
                    amount: refund.amount,
                    total: payment.amount,
                    reason: refund.reason.clone(),
                    notify_url: self.notify_url(&payment.provider, refund.merchant_id),
                };
                gateway.refund(&request).await.map_err(|e| e.to_string())?
            }
            Err(e) => return Err(e.to_string()),
        };
        match state {
            RefundState::Succeeded => {
                self.repos.orders.complete_refund(id, self.now()).await.map_err(|e| e.to_string())?;
                tracing::info!(event = "refund_succeeded", refund = %id, amount = refund.amount.minor());
                Ok(())
            }
            RefundState::Processing => Err("the provider is still processing the refund".into()),
            RefundState::Failed(why) => {
                // Money the shopper is owed did not reach them: keep trying, loudly.
                tracing::error!(event = "refund_failed_at_provider", refund = %id, why = %why);
                Err(format!("the provider could not refund: {why}"))
            }
        }
    }
}
