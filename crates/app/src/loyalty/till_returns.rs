//! Returns at the till against the original sale: the goods go back on the store's
//! shelf, the money back the way it was paid (handed over at the counter, so the refund
//! is done at once), and the member's points settle in proportion.

use serde::Deserialize;
use sweep_domain::ids::OrderId;
use sweep_domain::order::*;
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::{FieldError, Money, text};

use super::till::TillPaymentMethod;
use crate::orders::OrderView;
use crate::ports::OrderChange;
use crate::{AppError, AppResult, Sweep, require, tenant};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TillReturnInput {
    pub lines: Vec<ReturnLine>,
    pub reason: String,
}

impl Sweep {
    /// Takes back units of a till sale at its store.
    pub async fn return_at_till(&self, actor: &Actor, id: OrderId, input: TillReturnInput) -> AppResult<OrderView> {
        require(actor, Permission::SellAtTill)?;
        let m = tenant(actor)?;
        let order = self.repos.orders.order(m, id).await?.ok_or(AppError::NotFound("order"))?;
        let at_own_store = order.shipments.iter().all(|s| actor.can_see_location(s.location_id));
        if order.sale_id.is_none() || !at_own_store {
            return Err(AppError::NotFound("order"));
        }
        if !matches!(order.status, OrderStatus::Completed | OrderStatus::PartiallyRefunded) {
            return Err(AppError::conflict("not_returnable", None, "nothing of this sale can come back any more"));
        }
        let reason = text::bounded_text("reason", &input.reason, 1, 200)?;
        if input.lines.is_empty() || input.lines.len() > MAX_LINES {
            return Err(AppError::invalid("lines", "invalid_length", "return 1 or more items"));
        }
        let now = self.now();
        let mut change = OrderChange::new(&order, &[order.status], order.status, ActorKind::Staff, now);
        change.actor_id = Some(actor.staff_id.to_string());
        change.note = format!("returned at the till: {reason}");
        let mut errors = Vec::new();
        let mut amount = 0i64;
        for (i, r) in input.lines.iter().enumerate() {
            let Some(line) = order.lines.iter().find(|l| l.id == r.line_id) else {
                errors.push(FieldError::new(format!("lines.{i}.line_id"), "unknown_line", "not a line of this sale"));
                continue;
            };
            let left = line.quantity - line.returned_quantity;
            if r.quantity < 1 || r.quantity > left {
                errors.push(FieldError::new(
                    format!("lines.{i}.quantity"),
                    "out_of_range",
                    format!("1 to {left} can come back"),
                ));
                continue;
            }
            if change.line_returns.iter().any(|(l, _, _)| *l == line.id) {
                errors.push(FieldError::new(format!("lines.{i}.line_id"), "duplicate", "each line once"));
                continue;
            }
            let money = refund_for_units(line.total.minor(), line.quantity, line.returned_quantity, r.quantity);
            change.line_returns.push((line.id, r.quantity, money));
            change.stock.push(crate::orders::returned(&order, line, r.quantity));
            amount += money;
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let left = order.paid.minor() - order.refunded.minor();
        change.to = if amount >= left { OrderStatus::Refunded } else { OrderStatus::PartiallyRefunded };
        if amount > 0 {
            let (refund, job) = self.refund_of(&order, Money::new(amount, order.paid.currency()), &reason, now).await?;
            let payments = self.repos.orders.payments(m, order.id).await?;
            let by_till = payments
                .iter()
                .find(|p| p.id == refund.payment_id)
                .is_some_and(|p| TillPaymentMethod::parse(&p.provider).is_some());
            if by_till {
                // The money is handed back at the counter there and then.
                change.refunds.push(Refund { status: RefundStatus::Succeeded, completed_at: Some(now), ..refund });
            } else {
                change.refunds.push(refund);
                change.jobs.push(job);
            }
        }
        self.apply(&order, &change).await?;
        tracing::info!(event = "till_return", order = %order.id, amount);
        self.get_order(actor, id).await
    }
}
