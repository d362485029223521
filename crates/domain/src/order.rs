//! Orders: the status machine, money on lines (discounts spread pro rata, exact partial
//! refunds), and fulfilment kinds.

use serde::{Deserialize, Serialize};

use crate::{FieldError, Money, MoneyError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    /// Pickup orders: prepared at the store, waiting for the shopper.
    ReadyForPickup,
    /// Delivery orders: every shipment is on its way.
    Shipped,
    Completed,
    /// Cancelled before payment.
    Cancelled,
    /// Not paid in time.
    Expired,
    /// Everything paid was given back (a paid order cancelled, a full return).
    Refunded,
    /// Part of a completed order came back and was refunded.
    PartiallyRefunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::ReadyForPickup,
        OrderStatus::Shipped,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::Expired,
        OrderStatus::Refunded,
        OrderStatus::PartiallyRefunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::ReadyForPickup => "ready_for_pickup",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Expired => "expired",
            OrderStatus::Refunded => "refunded",
            OrderStatus::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        OrderStatus::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The transitions an order may make; nothing else is legal.
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (PendingPayment, Paid | Cancelled | Expired)
                | (Paid, ReadyForPickup | Shipped | Completed | Refunded)
                | (ReadyForPickup, Completed | Refunded)
                | (Shipped, Completed)
                | (Completed, PartiallyRefunded | Refunded)
                | (PartiallyRefunded, PartiallyRefunded | Refunded)
        )
    }

    /// Stock is still promised to the order (reserved, not yet handed over or shipped).
    pub fn holds_reservation(self) -> bool {
        matches!(self, OrderStatus::PendingPayment | OrderStatus::Paid | OrderStatus::ReadyForPickup)
    }

    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Cancelled | OrderStatus::Expired | OrderStatus::Refunded)
    }

    /// The order took its money: every status after `Paid`. The others never hold any.
    pub fn was_paid(self) -> bool {
        !matches!(self, OrderStatus::PendingPayment | OrderStatus::Cancelled | OrderStatus::Expired)
    }

    /// Paid and nothing given back yet: a refund moves an order to `Refunded` or
    /// `PartiallyRefunded`.
    pub fn keeps_all_it_took(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::ReadyForPickup | OrderStatus::Shipped | OrderStatus::Completed)
    }

    /// Every legal `(from, to)` step, for checks that walk an order's history.
    pub fn transitions() -> impl Iterator<Item = (OrderStatus, OrderStatus)> {
        OrderStatus::ALL
            .into_iter()
            .flat_map(|from| OrderStatus::ALL.into_iter().map(move |to| (from, to)))
            .filter(|(from, to)| from.can_become(*to))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Fulfilment {
    Delivery,
    Pickup,
    /// Sold at the till and handed over there and then.
    InStore,
}

impl Fulfilment {
    pub fn as_str(self) -> &'static str {
        match self {
            Fulfilment::Delivery => "delivery",
            Fulfilment::Pickup => "pickup",
            Fulfilment::InStore => "in_store",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "delivery" => Some(Fulfilment::Delivery),
            "pickup" => Some(Fulfilment::Pickup),
            "in_store" => Some(Fulfilment::InStore),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ShipmentStatus {
    /// Stock reserved at the location; nothing done yet.
    Pending,
    /// Prepared at the store for pickup.
    Ready,
    Shipped,
    /// Handed to the shopper at the counter, or delivered.
    Delivered,
    Cancelled,
}

impl ShipmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::Pending => "pending",
            ShipmentStatus::Ready => "ready",
            ShipmentStatus::Shipped => "shipped",
            ShipmentStatus::Delivered => "delivered",
            ShipmentStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ShipmentStatus::Pending,
            ShipmentStatus::Ready,
            ShipmentStatus::Shipped,
            ShipmentStatus::Delivered,
            ShipmentStatus::Cancelled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// Who moved an order along.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ActorKind {
    Shopper,
    Staff,
    /// A background job (expiry, pickup deadline).
    System,
    /// The payment provider (a notification).
    Provider,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Shopper => "shopper",
            ActorKind::Staff => "staff",
            ActorKind::System => "system",
            ActorKind::Provider => "provider",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ActorKind::Shopper, ActorKind::Staff, ActorKind::System, ActorKind::Provider]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Most units of one SKU in one order, and most lines: a shop, not a wholesaler.
pub const MAX_LINE_QUANTITY: i64 = 999;
pub const MAX_LINES: usize = 100;

pub fn line_quantity(field: &str, quantity: i64) -> Result<i64, FieldError> {
    if quantity < 1 {
        return Err(FieldError::new(field, "not_positive", "must be at least 1"));
    }
    if quantity > MAX_LINE_QUANTITY {
        return Err(FieldError::new(field, "too_large", format!("at most {MAX_LINE_QUANTITY} per order")));
    }
    Ok(quantity)
}

/// Spreads `discount` over lines in proportion to their amounts, in whole minor units,
/// the remainder going to the last line, so the parts add up to the discount exactly.
/// A line never gets more discount than its amount.
pub fn allocate_pro_rata(discount: i64, amounts: &[i64]) -> Vec<i64> {
    let total: i64 = amounts.iter().sum();
    if amounts.is_empty() || total <= 0 || discount <= 0 {
        return vec![0; amounts.len()];
    }
    let discount = discount.min(total);
    let mut parts: Vec<i64> =
        amounts.iter().map(|a| ((*a as i128 * discount as i128) / total as i128) as i64).collect();
    let given: i64 = parts.iter().sum();
    let last = parts.len() - 1;
    parts[last] += discount - given;
    // The remainder can exceed the last line's amount only if it is tiny; move any excess back.
    let mut excess = parts[last] - amounts[last];
    if excess > 0 {
        parts[last] = amounts[last];
        for (i, part) in parts.iter_mut().enumerate().take(last) {
            let room = amounts[i] - *part;
            let moved = room.min(excess);
            *part += moved;
            excess -= moved;
        }
    }
    parts
}

/// What returning `units` more of a line is worth, when `already` units of the line's
/// `quantity` came back before and the line cost `paid` in all. Splitting by
/// cumulative share means every unit's refunds add up to `paid` exactly.
pub fn refund_for_units(paid: i64, quantity: i64, already: i64, units: i64) -> i64 {
    if quantity <= 0 || units <= 0 {
        return 0;
    }
    let upto = |n: i64| (paid as i128 * n.min(quantity) as i128 / quantity as i128) as i64;
    upto(already + units) - upto(already)
}

/// A line's money: unit price times quantity, less its share of order discounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineMoney {
    pub subtotal: Money,
    pub discount: Money,
    pub total: Money,
}

pub fn line_money(unit: Money, quantity: i64, discount: i64) -> Result<LineMoney, MoneyError> {
    let subtotal = unit.checked_mul(quantity)?;
    let discount = Money::new(discount, unit.currency());
    Ok(LineMoney { subtotal, discount, total: subtotal.checked_sub(discount)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Statuses reachable from `from` by legal steps, `from` included.
    fn reachable(from: OrderStatus) -> Vec<OrderStatus> {
        let mut seen = vec![from];
        let mut i = 0;
        while i < seen.len() {
            for (a, b) in OrderStatus::transitions() {
                if a == seen[i] && !seen.contains(&b) {
                    seen.push(b);
                }
            }
            i += 1;
        }
        seen
    }

    #[test]
    fn money_rules_follow_the_status_machine() {
        // Every status can be reached, and exactly those after `Paid` hold money.
        assert_eq!(reachable(OrderStatus::PendingPayment).len(), OrderStatus::ALL.len());
        let after_paid = reachable(OrderStatus::Paid);
        for s in OrderStatus::ALL {
            assert_eq!(s.was_paid(), after_paid.contains(&s), "{s:?}");
            // Keeping all it took: paid, and no step into a refund status on the way.
            let kept = s.was_paid() && !matches!(s, OrderStatus::Refunded | OrderStatus::PartiallyRefunded);
            assert_eq!(s.keeps_all_it_took(), kept, "{s:?}");
        }
        assert!(OrderStatus::transitions().all(|(a, b)| a.can_become(b)));
    }

    #[test]
    fn only_legal_transitions() {
        use OrderStatus::*;
        assert!(PendingPayment.can_become(Paid));
        assert!(PendingPayment.can_become(Expired));
        assert!(!PendingPayment.can_become(Completed));
        assert!(!Cancelled.can_become(Paid), "a cancelled order is never revived");
        assert!(!Expired.can_become(Paid));
        assert!(Paid.can_become(Refunded));
        assert!(Paid.can_become(Completed), "a pickup order may be handed over without a separate prepare step");
        assert!(!Shipped.can_become(Refunded), "once shipped, refunds go through returns");
        assert!(Completed.can_become(PartiallyRefunded));
        assert!(!Refunded.can_become(PartiallyRefunded));
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
            if s.is_final() {
                assert!(OrderStatus::ALL.iter().all(|n| !s.can_become(*n)), "{s:?} is final");
            }
        }
    }

    #[test]
    fn discounts_spread_exactly() {
        assert_eq!(allocate_pro_rata(1000, &[3000, 3000, 4000]), vec![300, 300, 400]);
        assert_eq!(allocate_pro_rata(100, &[1, 1, 1]), vec![1, 1, 1], "capped at the amounts");
        let parts = allocate_pro_rata(1001, &[3333, 3333, 3334]);
        assert_eq!(parts.iter().sum::<i64>(), 1001);
        assert_eq!(parts, vec![333, 333, 335], "the remainder goes to the last line");
        assert_eq!(allocate_pro_rata(0, &[100, 200]), vec![0, 0]);
        assert_eq!(allocate_pro_rata(50, &[]), Vec::<i64>::new());
        // The last line is small: its share cannot exceed it.
        let parts = allocate_pro_rata(999, &[1000, 1]);
        assert_eq!(parts.iter().sum::<i64>(), 999);
        assert!(parts[1] <= 1);
    }

    #[test]
    fn partial_refunds_add_up_to_what_was_paid() {
        // 3 units for 1000 fen: refunds of 1, 1, 1 are 333, 333, 334.
        let steps: Vec<i64> = (0..3).map(|k| refund_for_units(1000, 3, k, 1)).collect();
        assert_eq!(steps, vec![333, 333, 334]);
        assert_eq!(refund_for_units(1000, 3, 0, 3), 1000);
        assert_eq!(refund_for_units(1000, 3, 2, 5), 334, "never more than what is left");
        for paid in [1, 7, 999, 12_345] {
            for quantity in 1..7 {
                let total: i64 = (0..quantity).map(|k| refund_for_units(paid, quantity, k, 1)).sum();
                assert_eq!(total, paid);
            }
        }
    }

    #[test]
    fn quantities_per_line_are_bounded() {
        assert!(line_quantity("q", 0).is_err());
        assert!(line_quantity("q", 1000).is_err());
        assert_eq!(line_quantity("q", 3), Ok(3));
    }
}

use crate::Timestamp;
use crate::channel::Channel;
use crate::ids::*;
use crate::location::GeoPoint;
use crate::shopper::Phone;
use crate::text::Localized;

/// Where a delivery goes, copied into the order so later edits of the address book do
/// not change history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAddress {
    pub recipient: String,
    pub phone: Phone,
    pub city: String,
    pub district: String,
    pub detail: String,
    pub point: GeoPoint,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    pub id: OrderId,
    pub merchant_id: MerchantId,
    /// For people: printed on receipts, read out at the counter.
    pub number: String,
    pub shopper_id: ShopperId,
    pub status: OrderStatus,
    pub fulfilment: Fulfilment,
    /// Where the order was placed.
    pub channel: Channel,
    /// The store whose display card or clerk brought the order, if any.
    pub influencer_store_id: Option<LocationId>,
    pub influencer_clerk_id: Option<StaffId>,
    /// The display card whose scan brought the order, and its campaign.
    pub card_id: Option<CardId>,
    pub campaign_id: Option<CampaignId>,
    /// The store the shopper picks up at (pickup orders).
    pub pickup_store_id: Option<LocationId>,
    pub address: Option<DeliveryAddress>,
    pub subtotal: Money,
    pub discount: Money,
    pub delivery_fee: Money,
    pub total: Money,
    pub paid: Money,
    pub refunded: Money,
    /// The coupon spent on the order and what it took off (part of `discount`).
    pub coupon_id: Option<CouponId>,
    pub coupon_discount: Money,
    /// Member points spent on the order; their value is part of `discount`.
    pub points_used: i64,
    /// Till sales: the id the till gave the sale, the till, and whether the till was
    /// offline when it rang the sale up.
    pub sale_id: Option<String>,
    pub till_id: Option<String>,
    pub offline: bool,
    /// The flash sale the order was placed in: its units come from (and go back to)
    /// the sale's pool.
    pub flash_sale_id: Option<FlashSaleId>,
    /// Unpaid orders expire at this time.
    pub pay_by: Timestamp,
    pub paid_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    /// Pickup orders not collected by then are cancelled and refunded.
    pub pickup_deadline: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub lines: Vec<OrderLine>,
    pub shipments: Vec<Shipment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLine {
    pub id: OrderLineId,
    pub shipment_id: ShipmentId,
    pub sku_id: SkuId,
    pub product_id: ProductId,
    pub name: Localized,
    /// The variant, e.g. "1.8m / 雾霾蓝".
    pub sku_label: String,
    pub unit_price: Money,
    /// The price before a member price.
    pub list_price: Money,
    pub quantity: i64,
    pub subtotal: Money,
    pub discount: Money,
    pub total: Money,
    pub returned_quantity: i64,
    pub refunded: Money,
}

impl OrderLine {
    /// A line of `quantity` units of `sku` at `price`, with no discount yet.
    pub fn new(
        shipment_id: ShipmentId,
        sku: &crate::catalog::Sku,
        product: &crate::catalog::Product,
        price: crate::pricing::ResolvedPrice,
        quantity: i64,
    ) -> Result<OrderLine, MoneyError> {
        let money = line_money(price.unit, quantity, 0)?;
        Ok(OrderLine {
            id: OrderLineId::new(),
            shipment_id,
            sku_id: sku.id,
            product_id: product.id,
            name: product.name.clone(),
            sku_label: sku.label(),
            unit_price: price.unit,
            list_price: price.list,
            quantity,
            subtotal: money.subtotal,
            discount: money.discount,
            total: money.total,
            returned_quantity: 0,
            refunded: Money::zero(price.unit.currency()),
        })
    }
}

/// Spreads an order-level discount (coupon, points) over the lines in proportion to
/// their amounts, so a later return refunds each line what was really paid for it.
pub fn spread_discount<'a>(
    lines: impl IntoIterator<Item = &'a mut OrderLine>,
    discount: Money,
) -> Result<(), MoneyError> {
    let mut lines: Vec<&mut OrderLine> = lines.into_iter().collect();
    let shares = allocate_pro_rata(discount.minor(), &lines.iter().map(|l| l.subtotal.minor()).collect::<Vec<_>>());
    for (line, share) in lines.iter_mut().zip(shares) {
        let money = line_money(line.unit_price, line.quantity, share)?;
        line.discount = money.discount;
        line.total = money.total;
    }
    Ok(())
}

/// The part of an order that one location fulfils.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shipment {
    pub id: ShipmentId,
    pub location_id: LocationId,
    pub status: ShipmentStatus,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipped_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderEvent {
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub actor_kind: ActorKind,
    pub actor_id: Option<String>,
    pub note: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentStatus {
    /// Created at the provider, not paid yet.
    Pending,
    /// The provider confirmed the money.
    Captured,
    /// Closed unpaid (the order expired or was cancelled).
    Closed,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Captured => "captured",
            PaymentStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [PaymentStatus::Pending, PaymentStatus::Captured, PaymentStatus::Closed].into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payment {
    pub id: PaymentId,
    pub merchant_id: MerchantId,
    pub order_id: OrderId,
    pub provider: String,
    /// Our reference at the provider (`out_trade_no`).
    pub out_trade_no: String,
    pub amount: Money,
    pub status: PaymentStatus,
    pub provider_txn_id: Option<String>,
    pub captured_at: Option<Timestamp>,
    pub refunded: Money,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RefundStatus {
    /// Recorded and counted against the payment; the provider has not confirmed yet.
    Pending,
    Succeeded,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [RefundStatus::Pending, RefundStatus::Succeeded].into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refund {
    pub id: RefundId,
    pub merchant_id: MerchantId,
    pub order_id: OrderId,
    pub payment_id: PaymentId,
    /// Our reference at the provider (`out_refund_no`), the idempotency key of the refund.
    pub out_refund_no: String,
    pub amount: Money,
    pub reason: String,
    pub status: RefundStatus,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReturnStatus {
    Requested,
    Approved,
    Rejected,
}

impl ReturnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Requested => "requested",
            ReturnStatus::Approved => "approved",
            ReturnStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ReturnStatus::Requested, ReturnStatus::Approved, ReturnStatus::Rejected].into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnLine {
    pub line_id: OrderLineId,
    pub quantity: i64,
}

/// A shopper's request to return part or all of a collected order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnRequest {
    pub id: ReturnId,
    pub merchant_id: MerchantId,
    pub order_id: OrderId,
    pub status: ReturnStatus,
    pub lines: Vec<ReturnLine>,
    /// What the return refunds, computed when it is requested.
    pub amount: Money,
    pub reason: String,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub decided_by: Option<StaffId>,
}
