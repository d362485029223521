//! The building blocks of order steps: which stock moves, which refunds are due.

use sweep_domain::ids::{RefundId, ShipmentId};
use sweep_domain::inventory::{MovementKind, Quantity, StockChange};
use sweep_domain::order::*;
use sweep_domain::{Money, Timestamp};

use super::OrderView;
use crate::loyalty::points::restore_unpaid;
use crate::ports::{ChangeOutcome, NewJob, OrderChange, ShipmentChange, StockLine};
use crate::{AppError, AppResult, Sweep};

pub const PICKUP_DEADLINE: &str = "pickup_deadline";
pub const REFUND_PAYMENT: &str = "refund_payment";
pub const CLOSE_PAYMENT: &str = "close_payment";

fn stock_line(
    order: &Order,
    line: &OrderLine,
    location: sweep_domain::ids::LocationId,
    kind: MovementKind,
    units: i64,
) -> StockLine {
    StockLine {
        sku_id: line.sku_id,
        location_id: location,
        change: StockChange::of(kind, Quantity::parse("quantity", units).expect("order quantities are positive")),
        reason: None,
        note: String::new(),
        reference: Some(format!("order:{}", order.id)),
    }
}

fn shipment_location(order: &Order, shipment: ShipmentId) -> sweep_domain::ids::LocationId {
    order.shipments.iter().find(|s| s.id == shipment).map(|s| s.location_id).expect("every line has its shipment")
}

/// Releases what is still reserved: the lines of shipments not yet handed over or shipped.
pub(crate) fn release_all(order: &Order) -> Vec<StockLine> {
    order
        .lines
        .iter()
        .filter(|l| {
            order
                .shipments
                .iter()
                .any(|s| s.id == l.shipment_id && matches!(s.status, ShipmentStatus::Pending | ShipmentStatus::Ready))
        })
        .map(|l| stock_line(order, l, shipment_location(order, l.shipment_id), MovementKind::Release, l.quantity))
        .collect()
}

/// Stock leaves the location: the shipment's lines are handed over or shipped.
pub(crate) fn fulfil(order: &Order, shipment: ShipmentId) -> Vec<StockLine> {
    order
        .lines
        .iter()
        .filter(|l| l.shipment_id == shipment)
        .map(|l| stock_line(order, l, shipment_location(order, shipment), MovementKind::Fulfil, l.quantity))
        .collect()
}

/// Units come back to the location that sent them.
pub(crate) fn returned(order: &Order, line: &OrderLine, units: i64) -> StockLine {
    stock_line(order, line, shipment_location(order, line.shipment_id), MovementKind::Return, units)
}

/// A new pending refund of `amount` against `payment`, and the job that pays it back.
pub(crate) fn new_refund(
    order: &Order,
    payment: &Payment,
    amount: Money,
    reason: &str,
    now: Timestamp,
) -> (Refund, NewJob) {
    let id = RefundId::new();
    let refund = Refund {
        id,
        merchant_id: order.merchant_id,
        order_id: order.id,
        payment_id: payment.id,
        out_refund_no: id.uuid().simple().to_string(),
        amount,
        reason: reason.to_string(),
        status: RefundStatus::Pending,
        created_at: now,
        completed_at: None,
    };
    let job = NewJob {
        kind: REFUND_PAYMENT.into(),
        payload: serde_json::json!({"refund_id": id}).to_string(),
        run_at: now,
        dedupe_key: Some(format!("{REFUND_PAYMENT}:{id}")),
    };
    (refund, job)
}

impl Sweep {
    /// A refund of `amount` against the order's captured payment, with its job.
    pub(crate) async fn refund_of(
        &self,
        order: &Order,
        amount: Money,
        reason: &str,
        now: Timestamp,
    ) -> AppResult<(Refund, NewJob)> {
        let payments = self.repos.orders.payments(order.merchant_id, order.id).await?;
        let payment = payments
            .iter()
            .filter(|p| p.status == PaymentStatus::Captured && p.refunded.minor() + amount.minor() <= p.amount.minor())
            .max_by_key(|p| p.amount.minor() - p.refunded.minor())
            .ok_or_else(|| {
                AppError::conflict("refund_too_large", Some("amount"), "more than what is left to refund")
            })?;
        Ok(new_refund(order, payment, amount, reason, now))
    }

    /// Applies a step, mapping a lost race or a bad code to a clear error. A step that
    /// refunds money also settles the member's points for it.
    pub(crate) async fn apply(&self, order: &Order, change: &OrderChange) -> AppResult<()> {
        if !change.refunds.is_empty() {
            let mut with_points = change.clone();
            with_points.points.extend(self.points_for_refunds(order, &change.refunds, change.now).await?);
            // A coupon comes back only with a full refund, and only while it is valid.
            with_points.release_coupon =
                change.to == OrderStatus::Refunded && self.coupon_returns_on_refund(order).await?;
            return self.apply_step(&with_points).await;
        }
        self.apply_step(change).await
    }

    async fn apply_step(&self, change: &OrderChange) -> AppResult<()> {
        // A step the state machine forbids is a bug in the use case, never the client's.
        if let Some(from) = change.from.iter().find(|f| **f != change.to && !f.can_become(change.to)) {
            return Err(AppError::Internal(format!(
                "order step {} -> {} is not allowed",
                from.as_str(),
                change.to.as_str()
            )));
        }
        match self.repos.orders.change_order(change).await? {
            ChangeOutcome::Applied => {
                tracing::info!(event = "order_step", order = %change.order_id, to = change.to.as_str(), by = change.actor_kind.as_str());
                Ok(())
            }
            ChangeOutcome::Stale => {
                Err(AppError::conflict("order_changed", None, "the order changed meanwhile; reload it"))
            }
            ChangeOutcome::CodeRejected => {
                Err(AppError::invalid("code", "wrong_code", "this is not the order's pickup code"))
            }
            ChangeOutcome::RefundTooLarge => {
                Err(AppError::conflict("refund_too_large", Some("amount"), "more than what is left to refund"))
            }
        }
    }

    /// Cancels an order: unpaid ones are cancelled; paid ones not yet handed over or
    /// shipped are refunded in full. Either way the reserved stock comes back.
    pub(crate) async fn cancel(
        &self,
        order: &Order,
        actor: ActorKind,
        actor_id: Option<String>,
        reason: &str,
    ) -> AppResult<()> {
        let now = self.now();
        let shipped =
            order.shipments.iter().any(|s| matches!(s.status, ShipmentStatus::Shipped | ShipmentStatus::Delivered));
        let mut change = match order.status {
            OrderStatus::PendingPayment => {
                let mut c = OrderChange::new(order, &[OrderStatus::PendingPayment], OrderStatus::Cancelled, actor, now);
                let program = self.loyalty_program_of(order.merchant_id).await?;
                c.points.extend(restore_unpaid(order, &program, now));
                c.release_coupon = order.coupon_id.is_some();
                c.close_pending_payments = true;
                c
            }
            OrderStatus::Paid | OrderStatus::ReadyForPickup if !shipped => {
                let left = Money::new(order.paid.minor() - order.refunded.minor(), order.paid.currency());
                let mut c = OrderChange::new(order, &[order.status], OrderStatus::Refunded, actor, now);
                let (refund, job) = self.refund_of(order, left, reason, now).await?;
                c.refunds.push(refund);
                c.jobs.push(job);
                c.pickup_code = Some(crate::ports::PickupCodeChange::Void);
                c
            }
            _ => return Err(AppError::conflict("cannot_cancel", None, "this order can no longer be cancelled")),
        };
        change.stock = release_all(order);
        change.shipments = ShipmentChange::all(
            order,
            &[ShipmentStatus::Pending, ShipmentStatus::Ready],
            ShipmentStatus::Cancelled,
            now,
        );
        change.actor_id = actor_id;
        change.note = reason.to_string();
        self.apply(order, &change).await
    }

    /// Closes one unpaid transaction at its provider (the store enqueues this for every
    /// pending payment an order step closes), then asks about it.
    pub(crate) async fn run_close_payment(&self, payload: &str) -> Result<(), String> {
        let v: serde_json::Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
        let (Some(provider), Some(out_trade_no)) = (v["provider"].as_str(), v["out_trade_no"].as_str()) else {
            return Err(format!("bad payload {payload}"));
        };
        let Some(payment) = self.repos.orders.payment_by_out_trade_no(out_trade_no).await.map_err(|e| e.to_string())?
        else {
            return Err(format!("no payment {out_trade_no}"));
        };
        let gateway = self.gateway_for(payment.merchant_id, provider).await.map_err(|e| e.to_string())?;
        gateway.close(out_trade_no).await.map_err(|e| e.to_string())?;
        // Paid between the last query and the close: the money is applied (and, the order
        // being closed, refunded) now rather than when a notification may come.
        if self.query_payment(&payment).await.map_err(|e| e.to_string())? {
            tracing::warn!(event = "paid_before_close", provider, out_trade_no);
        }
        tracing::info!(event = "payment_closed", provider, out_trade_no);
        Ok(())
    }

    pub(crate) async fn order_view(&self, order: Order, show_code: bool) -> AppResult<OrderView> {
        let m = order.merchant_id;
        let events = self.repos.orders.order_events(m, order.id).await?;
        let payments = self.repos.orders.payments(m, order.id).await?;
        let refunds = self.repos.orders.refunds(m, order.id).await?;
        let returns = self.repos.orders.returns(m, order.id).await?;
        let pickup_code = if show_code && matches!(order.status, OrderStatus::Paid | OrderStatus::ReadyForPickup) {
            self.repos
                .orders
                .pickup_code(order.id)
                .await?
                .filter(|(_, expires, status)| status == "active" && *expires > self.now())
                .map(|(code, expires_at, _)| super::PickupCode { code, expires_at })
        } else {
            None
        };
        let shopper_phone = self.repos.shoppers.shopper(m, order.shopper_id).await?.map(|s| s.phone.masked());
        Ok(OrderView { order, events, payments, refunds, returns, shopper_phone, pickup_code })
    }
}
