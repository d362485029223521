//! Reading providers' notifications, which alone (with queries, see `recovery`) decide
//! that an order is paid. Forged, stale, mismatched and unknown notifications change
//! nothing and are recorded as security events; duplicates are acknowledged and applied
//! once; money that arrives for an order that can no longer take it is refunded.

use sweep_domain::Timestamp;
use sweep_domain::ids::MerchantId;
use sweep_domain::order::*;
use sweep_domain::shopper::PICKUP_CODE_DIGITS;

use crate::orders::new_refund;
use crate::payments::checkout::WECHAT_PAY;
use crate::ports::{
    Capture, CaptureOutcome, NewJob, OrderChange, PaymentGateway, PaymentNotice, PickupCodeChange, ProviderNotice,
    StoreError,
};
use crate::secrets::random_digits;
use crate::{AppError, AppResult, Sweep};

/// What to answer a provider's notification with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeReply {
    pub status: u16,
    pub body: String,
    pub content_type: &'static str,
}

impl NoticeReply {
    /// A refusal in the provider's own form: WeChat Pay v3 expects a JSON body with
    /// `code` `FAIL` and a `message`; Alipay retries on anything but `success`, so plain
    /// text does for it and the sandbox.
    pub fn refuse(provider: &str, status: u16, why: &str) -> NoticeReply {
        if provider == WECHAT_PAY {
            let body = serde_json::json!({ "code": "FAIL", "message": why }).to_string();
            return NoticeReply { status, body, content_type: "application/json" };
        }
        NoticeReply { status, body: why.to_string(), content_type: "text/plain; charset=utf-8" }
    }
}

impl Sweep {
    /// Handles a payment notification for `merchant`'s account at `provider` (no merchant
    /// for deployment-wide providers such as the sandbox).
    pub async fn handle_payment_notice(
        &self,
        provider: &str,
        merchant: Option<MerchantId>,
        headers: &[(String, String)],
        body: &[u8],
    ) -> AppResult<NoticeReply> {
        let now = self.now();
        let orders = &self.repos.orders;
        let gateway = match merchant {
            Some(m) => self.gateway_for(m, provider).await,
            None => self.gateway(provider).cloned(),
        };
        let gateway = match gateway {
            Ok(g) => g,
            Err(AppError::Internal(e)) => return Err(AppError::Internal(e)),
            Err(_) => {
                tracing::warn!(target: "security", event = "payment_notice_no_account", provider, merchant = ?merchant);
                orders.record_notification(provider, merchant, None, "no_account", "", now).await?;
                return Ok(NoticeReply::refuse(provider, 404, "no such payment account"));
            }
        };
        let notice = match gateway.read_notice(headers, body, now) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(target: "security", event = "payment_notice_rejected", provider, merchant = ?merchant, reason = %e);
                orders.record_notification(provider, merchant, None, "rejected", &e.to_string(), now).await?;
                return Ok(NoticeReply::refuse(provider, 401, "verification failed"));
            }
        };
        let ack =
            NoticeReply { status: 200, body: gateway.ack_body().to_string(), content_type: gateway.ack_content_type() };
        let notice = match notice {
            ProviderNotice::Payment(n) => n,
            ProviderNotice::Refund { out_refund_no, succeeded } => {
                self.refund_notice(provider, merchant, &out_refund_no, succeeded, now).await?;
                return Ok(ack);
            }
            ProviderNotice::Other(kind) => {
                orders.record_notification(provider, merchant, None, "ignored", &kind, now).await?;
                return Ok(ack);
            }
        };
        let Some(payment) = orders.payment_by_out_trade_no(&notice.out_trade_no).await? else {
            tracing::warn!(target: "security", event = "payment_notice_unknown", provider, out_trade_no = %notice.out_trade_no);
            orders
                .record_notification(provider, merchant, Some(&notice.out_trade_no), "unknown_payment", "", now)
                .await?;
            return Ok(NoticeReply::refuse(provider, 404, "unknown payment"));
        };
        if let Some(why) = mismatch(&payment, merchant, provider, &notice, gateway.as_ref()) {
            tracing::warn!(target: "security", event = "payment_notice_mismatch", provider, payment = %payment.id, why = %why);
            orders.record_notification(provider, merchant, Some(&notice.out_trade_no), "mismatch", &why, now).await?;
            return Ok(NoticeReply::refuse(provider, 400, "does not match the payment"));
        }
        if !notice.paid {
            orders.record_notification(provider, merchant, Some(&notice.out_trade_no), "not_paid", "", now).await?;
            return Ok(ack);
        }
        let what = self.apply_capture(&payment, &notice.provider_txn_id, now).await?;
        orders.record_notification(provider, merchant, Some(&notice.out_trade_no), what, "", now).await?;
        Ok(ack)
    }

    /// Marks the order paid by this payment, at most once; a payment the order can no
    /// longer take is refunded instead. Used by notifications and by queries.
    pub(crate) async fn apply_capture(&self, payment: &Payment, txn: &str, now: Timestamp) -> AppResult<&'static str> {
        let orders = &self.repos.orders;
        let order = orders.order(payment.merchant_id, payment.order_id).await?.ok_or(AppError::NotFound("order"))?;
        for _ in 0..5 {
            let capture = self.capture_for(&order, payment, txn, now).await?;
            match orders.capture(&capture).await {
                Ok(outcome) => {
                    let what = match outcome {
                        CaptureOutcome::AlreadyCaptured => "duplicate",
                        CaptureOutcome::Paid => "paid",
                        CaptureOutcome::Refunding => "late_refunded",
                    };
                    tracing::info!(event = "payment_captured", provider = %payment.provider, payment = %payment.id, outcome = what);
                    return Ok(what);
                }
                // Two live pickup codes collided at the store: draw another.
                Err(StoreError::Duplicate { field: "pickup_code" }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal("could not draw a free pickup code".into()))
    }

    async fn refund_notice(
        &self,
        provider: &str,
        merchant: Option<MerchantId>,
        out_refund_no: &str,
        succeeded: bool,
        now: Timestamp,
    ) -> AppResult<()> {
        let orders = &self.repos.orders;
        let refund = orders.refund_by_out_refund_no(out_refund_no).await?;
        let what = match refund {
            Some(r) if merchant.is_some_and(|m| m != r.merchant_id) => "mismatch",
            Some(r) if succeeded && r.status != RefundStatus::Succeeded => {
                orders.complete_refund(r.id, now).await?;
                "refund_succeeded"
            }
            Some(_) if succeeded => "duplicate",
            Some(_) => "refund_failed",
            None => "unknown_refund",
        };
        if what == "refund_failed" {
            tracing::error!(event = "refund_failed_at_provider", provider, out_refund_no);
        }
        orders.record_notification(provider, merchant, Some(out_refund_no), what, "", now).await?;
        Ok(())
    }

    async fn capture_for(&self, order: &Order, payment: &Payment, txn: &str, now: Timestamp) -> AppResult<Capture> {
        let mut pay =
            OrderChange::new(order, &[OrderStatus::PendingPayment], OrderStatus::Paid, ActorKind::Provider, now);
        pay.actor_id = Some(payment.provider.clone());
        pay.paid = Some(payment.amount);
        // The order's other attempts (a QR left open, another method tried) are closed at
        // their providers, so a second payment is unlikely; one that still lands is refunded.
        pay.close_pending_payments = true;
        if order.fulfilment == Fulfilment::Pickup {
            let store =
                order.pickup_store_id.ok_or_else(|| AppError::Internal("pickup order without a store".into()))?;
            let deadline = now.plus_seconds(self.settings.pickup_secs);
            let code = random_digits(PICKUP_CODE_DIGITS)?;
            pay.pickup_code = Some(PickupCodeChange::Issue { store, code, expires_at: deadline });
            pay.pickup_deadline = Some(deadline);
            pay.jobs.push(NewJob {
                kind: crate::orders::PICKUP_DEADLINE.into(),
                payload: serde_json::json!({"merchant_id": order.merchant_id, "order_id": order.id}).to_string(),
                run_at: deadline,
                dedupe_key: Some(format!("{}:{}", crate::orders::PICKUP_DEADLINE, order.id)),
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
}

/// Why a verified notice does not belong to this payment, if it does not.
fn mismatch(
    payment: &Payment,
    merchant: Option<MerchantId>,
    provider: &str,
    notice: &PaymentNotice,
    gateway: &dyn PaymentGateway,
) -> Option<String> {
    if payment.provider != provider {
        return Some(format!("provider {provider}, payment made at {}", payment.provider));
    }
    if merchant.is_some_and(|m| m != payment.merchant_id) {
        return Some("addressed to another merchant".into());
    }
    if notice.amount != payment.amount {
        return Some(format!("amount {} vs {}", notice.amount.minor(), payment.amount.minor()));
    }
    let expected = gateway.account_ref(payment.merchant_id);
    if notice.merchant_ref != expected {
        return Some(format!("account {} vs {expected}", notice.merchant_ref));
    }
    None
}
