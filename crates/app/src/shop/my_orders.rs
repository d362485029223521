//! A shopper's own orders. Another shopper's order does not exist as far as they can tell.

use serde::Deserialize;
use sweep_domain::ids::{OrderId, ReturnId};
use sweep_domain::order::*;
use sweep_domain::{FieldError, Money, text};

use super::ShopContext;
use crate::orders::OrderView;
use crate::page::{Page, PageRequest};
use crate::ports::OrderFilter;
use crate::{AppError, AppResult, Sweep};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnInput {
    pub lines: Vec<ReturnLine>,
    pub reason: String,
}

impl Sweep {
    pub async fn my_orders(&self, ctx: &ShopContext, page: &PageRequest) -> AppResult<Page<Order>> {
        let shopper = ctx.shopper_id()?;
        let filter = OrderFilter { shopper: Some(shopper), ..Default::default() };
        Ok(self.repos.orders.list_orders(ctx.merchant.id, &filter, page).await?)
    }

    pub(crate) async fn my_order_row(&self, ctx: &ShopContext, id: OrderId) -> AppResult<Order> {
        let shopper = ctx.shopper_id()?;
        match self.repos.orders.order(ctx.merchant.id, id).await? {
            Some(order) if order.shopper_id == shopper => Ok(order),
            _ => Err(AppError::NotFound("order")),
        }
    }

    pub async fn my_order(&self, ctx: &ShopContext, id: OrderId) -> AppResult<OrderView> {
        let order = self.my_order_row(ctx, id).await?;
        self.order_view(order, true).await
    }

    /// Cancels an unpaid order, or a paid one the store has not prepared or shipped yet
    /// (which is refunded at once).
    pub async fn cancel_my_order(&self, ctx: &ShopContext, id: OrderId) -> AppResult<OrderView> {
        let order = self.my_order_row(ctx, id).await?;
        let prepared = order.status == OrderStatus::ReadyForPickup
            || order.shipments.iter().any(|s| s.status != ShipmentStatus::Pending);
        if prepared {
            return Err(AppError::conflict(
                "cannot_cancel",
                None,
                "the store has prepared or shipped this order already",
            ));
        }
        let who = Some(order.shopper_id.to_string());
        self.cancel(&order, ActorKind::Shopper, who, "cancelled by the shopper").await?;
        self.my_order(ctx, id).await
    }

    /// The shopper confirms a delivery arrived.
    pub async fn confirm_delivery(&self, ctx: &ShopContext, id: OrderId) -> AppResult<OrderView> {
        let order = self.my_order_row(ctx, id).await?;
        self.complete_delivery(&order, ActorKind::Shopper, Some(order.shopper_id.to_string())).await?;
        self.my_order(ctx, id).await
    }

    /// Asks to return units of a completed order; the merchant approves or rejects.
    pub async fn request_return(&self, ctx: &ShopContext, id: OrderId, input: ReturnInput) -> AppResult<OrderView> {
        let order = self.my_order_row(ctx, id).await?;
        if !matches!(order.status, OrderStatus::Completed | OrderStatus::PartiallyRefunded) {
            return Err(AppError::conflict(
                "not_returnable",
                None,
                "only collected or delivered orders can be returned",
            ));
        }
        let reason = text::bounded_text("reason", &input.reason, 1, 200)?;
        if input.lines.is_empty() || input.lines.len() > order.lines.len() {
            return Err(AppError::invalid("lines", "invalid_length", "name the items to return"));
        }
        let pending = self.repos.orders.returns(order.merchant_id, order.id).await?;
        if pending.iter().any(|r| r.status == ReturnStatus::Requested) {
            return Err(AppError::conflict("return_pending", None, "a return of this order is waiting for the store"));
        }
        let mut errors = Vec::new();
        let mut amount = 0;
        for (i, r) in input.lines.iter().enumerate() {
            let Some(line) = order.lines.iter().find(|l| l.id == r.line_id) else {
                errors.push(FieldError::new(format!("lines.{i}.line_id"), "unknown_line", "not a line of this order"));
                continue;
            };
            let left = line.quantity - line.returned_quantity;
            if r.quantity < 1 || r.quantity > left {
                errors.push(FieldError::new(format!("lines.{i}.quantity"), "out_of_range", format!("1 to {left}")));
                continue;
            }
            amount += refund_for_units(line.total.minor(), line.quantity, line.returned_quantity, r.quantity);
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let request = ReturnRequest {
            id: ReturnId::new(),
            merchant_id: order.merchant_id,
            order_id: order.id,
            status: ReturnStatus::Requested,
            lines: input.lines,
            amount: Money::new(amount, order.paid.currency()),
            reason,
            created_at: self.now(),
            decided_at: None,
            decided_by: None,
        };
        self.repos.orders.insert_return(&request).await?;
        self.my_order(ctx, id).await
    }
}
