//! Paying for orders: starting a payment at a provider, and reading the provider's
//! notifications, which alone decide that an order is paid.

use sweep_domain::ids::{OrderId, PaymentId, RefundId};
use sweep_domain::order::*;
use sweep_domain::shopper::PICKUP_CODE_DIGITS;
use sweep_domain::{Money, Timestamp};

use super::lifecycle::new_refund;
use crate::ports::{
    Capture, CaptureOutcome, CreatePayment, NewJob, OrderChange, PickupCodeChange, RefundRequest, StoreError,
};
use crate::secrets::random_digits;
use crate::shop::ShopContext;
use crate::{AppError, AppResult, Sweep};

/// What to answer a provider's notification with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeReply {
    pub status: u16,
    pub body: String,
}

impl Sweep {
    /// Starts paying an order at a provider; returns where the shopper pays.
    pub async fn pay_order(&self, ctx: &ShopContext, order: OrderId, provider: Option<&str>) -> AppResult<String> {
        let order = self.my_order_row(ctx, order).await?;
        let now = self.now();
        if order.status != OrderStatus::PendingPayment || order.pay_by <= now {
            return Err(AppError::conflict("not_payable", None, "this order is not waiting for payment"));
        }
        let gateway = match provider {
            Some(p) => self.gateway(p)?,
            None => {
                self.gateways.first().ok_or_else(|| AppError::Unavailable("no payment provider configured".into()))?
            }
        };
        let id = PaymentId::new();
        let payment = Payment {
            id,
            merchant_id: order.merchant_id,
            order_id: order.id,
            provider: gateway.provider().to_string(),
            out_trade_no: id.uuid().simple().to_string(),
            amount: order.total,
            status: PaymentStatus::Pending,
            provider_txn_id: None,
            captured_at: None,
            refunded: Money::zero(order.total.currency()),
            created_at: now,
        };
        // Recorded before the provider hears of it, so every notification finds its payment.
        self.repos.orders.insert_payment(&payment).await?;
        let slug = &ctx.merchant.slug;
        let request = CreatePayment {
            merchant_id: order.merchant_id,
            out_trade_no: payment.out_trade_no.clone(),
            amount: order.total,
            description: format!("{} #{}", ctx.merchant.name, order.number),
            notify_url: format!("{}/api/v1/payments/{}/notify", self.settings.callback_url, gateway.provider()),
            return_url: format!("{}/s/{slug}/orders/{}", self.settings.public_url, order.id),
        };
        let created = gateway.create(&request).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
        Ok(created.pay_url)
    }

    /// Handles a payment notification: verified, matched against the payment, applied
    /// at most once. A payment for an order that can no longer take it is refunded.
    pub async fn handle_payment_notice(
        &self,
        provider: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> AppResult<NoticeReply> {
        let gateway = self.gateway(provider).map_err(|_| AppError::NotFound("payment provider"))?;
        let now = self.now();
        let orders = &self.repos.orders;
        let reject = |status: u16, why: &str| NoticeReply { status, body: why.to_string() };
        let notice = match gateway.read_notice(headers, body, now) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(target: "security", event = "payment_notice_rejected", provider, reason = %e);
                orders.record_notification(provider, None, "rejected", &e.to_string(), now).await?;
                return Ok(reject(401, "verification failed"));
            }
        };
        let Some(payment) = orders.payment_by_out_trade_no(&notice.out_trade_no).await? else {
            tracing::warn!(target: "security", event = "payment_notice_unknown", provider, out_trade_no = %notice.out_trade_no);
            orders.record_notification(provider, Some(&notice.out_trade_no), "unknown_payment", "", now).await?;
            return Ok(reject(404, "unknown payment"));
        };
        if payment.provider != provider
            || notice.amount != payment.amount
            || notice.merchant_ref != payment.merchant_id.to_string()
        {
            tracing::warn!(target: "security", event = "payment_notice_mismatch", provider, payment = %payment.id);
            let detail = format!("amount {} vs {}", notice.amount.minor(), payment.amount.minor());
            orders.record_notification(provider, Some(&notice.out_trade_no), "mismatch", &detail, now).await?;
            return Ok(reject(400, "does not match the payment"));
        }
        let ack = NoticeReply { status: 200, body: gateway.ack_body().to_string() };
        if !notice.paid {
            orders.record_notification(provider, Some(&notice.out_trade_no), "not_paid", "", now).await?;
            return Ok(ack);
        }
        let order = orders.order(payment.merchant_id, payment.order_id).await?.ok_or(AppError::NotFound("order"))?;
        for _ in 0..5 {
            let capture = self.capture_for(&order, &payment, &notice.provider_txn_id, now).await?;
            match orders.capture(&capture).await {
                Ok(outcome) => {
                    let what = match outcome {
                        CaptureOutcome::AlreadyCaptured => "duplicate",
                        CaptureOutcome::Paid => "paid",
                        CaptureOutcome::Refunding => "late_refunded",
                    };
                    tracing::info!(event = "payment_notice", provider, payment = %payment.id, outcome = what);
                    orders.record_notification(provider, Some(&notice.out_trade_no), what, "", now).await?;
                    return Ok(ack);
                }
                // Two live pickup codes collided at the store: draw another.
                Err(StoreError::Duplicate { field: "pickup_code" }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal("could not draw a free pickup code".into()))
    }

    async fn capture_for(&self, order: &Order, payment: &Payment, txn: &str, now: Timestamp) -> AppResult<Capture> {
        let mut pay =
            OrderChange::new(order, &[OrderStatus::PendingPayment], OrderStatus::Paid, ActorKind::Provider, now);
        pay.actor_id = Some(payment.provider.clone());
        pay.paid = Some(payment.amount);
        if order.fulfilment == Fulfilment::Pickup {
            let store =
                order.pickup_store_id.ok_or_else(|| AppError::Internal("pickup order without a store".into()))?;
            let deadline = now.plus_seconds(self.settings.pickup_secs);
            let code = random_digits(PICKUP_CODE_DIGITS)?;
            pay.pickup_code = Some(PickupCodeChange::Issue { store, code, expires_at: deadline });
            pay.pickup_deadline = Some(deadline);
            pay.jobs.push(NewJob {
                kind: super::PICKUP_DEADLINE.into(),
                payload: serde_json::json!({"merchant_id": order.merchant_id, "order_id": order.id}).to_string(),
                run_at: deadline,
                dedupe_key: Some(format!("{}:{}", super::PICKUP_DEADLINE, order.id)),
            });
        }
        pay.points.extend(self.earn(order, payment.amount, order.influencer_store_id, now).await?);
        let (refund_instead, refund_job) =
            new_refund(order, payment, payment.amount, "paid after the order closed", now);
        Ok(Capture {
            payment_id: payment.id,
            provider_txn_id: txn.to_string(),
            now,
            pay_order: pay,
            refund_instead,
            refund_job,
        })
    }

    /// Asks the provider to pay a recorded refund back; safe to repeat (the refund number
    /// is the provider's idempotency key).
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
        let gateway = self.gateway(&payment.provider).map_err(|e| e.to_string())?;
        let request = RefundRequest {
            out_trade_no: payment.out_trade_no.clone(),
            out_refund_no: refund.out_refund_no.clone(),
            amount: refund.amount,
            total: payment.amount,
        };
        gateway.refund(&request).await.map_err(|e| e.to_string())?;
        self.repos.orders.complete_refund(id, self.now()).await.map_err(|e| e.to_string())?;
        tracing::info!(event = "refund_succeeded", refund = %id, amount = refund.amount.minor());
        Ok(())
    }
}
