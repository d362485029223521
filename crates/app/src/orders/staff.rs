//! What staff do with orders: find them, prepare, hand over at the counter, ship,
//! cancel, refund and decide returns. Store staff act only on their stores' orders.

use serde::Deserialize;
use sweep_domain::ids::{LocationId, OrderId, ReturnId, ShipmentId};
use sweep_domain::order::*;
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::shopper::{PICKUP_CODE_DIGITS, clean_code};
use sweep_domain::{Money, text};

use super::OrderView;
use super::lifecycle::{fulfil, returned};
use crate::page::{Page, PageRequest};
use crate::ports::{OrderChange, OrderFilter, PickupCodeChange, ShipmentChange};
use crate::{AppError, AppResult, Sweep, require, tenant};

/// Failed pickup-code lookups a store may make per window before it has to wait.
const PICKUP_FAILURES_PER_STORE: i64 = 20;
const PICKUP_WINDOW_SECS: i64 = 600;

fn pickup_attempts_key(store: LocationId) -> String {
    format!("pickup:store:{store}")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShipInput {
    pub shipment_id: ShipmentId,
    pub carrier: String,
    pub tracking_number: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundInput {
    /// In fen; at most what was paid and not yet refunded.
    pub amount: i64,
    pub reason: String,
}

impl Sweep {
    pub async fn list_orders(
        &self,
        actor: &Actor,
        mut filter: OrderFilter,
        page: &PageRequest,
    ) -> AppResult<Page<Order>> {
        require(actor, Permission::ViewOrders)?;
        let m = tenant(actor)?;
        filter.locations = actor.narrow_stores(filter.locations.take());
        if let Some(phone) = filter.phone.take() {
            let found = self.repos.loyalty.member_by_phone(m, &phone).await?.map(|member| member.shopper_id);
            match found {
                Some(shopper) if filter.shopper.is_none_or(|s| s == shopper) => filter.shopper = Some(shopper),
                _ => return Ok(Page { items: vec![], next_cursor: None }),
            }
        }
        Ok(self.repos.orders.list_orders(m, &filter, page).await?)
    }

    /// As [`Sweep::list_orders`], each order with its shopper's masked phone (`138****8000`),
    /// looked up for the whole page at once.
    pub async fn list_orders_with_phones(
        &self,
        actor: &Actor,
        filter: OrderFilter,
        page: &PageRequest,
    ) -> AppResult<Page<(Order, Option<String>)>> {
        let orders = self.list_orders(actor, filter, page).await?;
        let mut shoppers: Vec<_> = orders.items.iter().map(|o| o.shopper_id).collect();
        shoppers.sort();
        shoppers.dedup();
        let phones: std::collections::HashMap<_, _> = match orders.items.first() {
            Some(first) => self.repos.orders.shopper_phones(first.merchant_id, &shoppers).await?.into_iter().collect(),
            None => Default::default(),
        };
        Ok(orders.map(|o| {
            let phone = phones.get(&o.shopper_id).map(|p| p.masked());
            (o, phone)
        }))
    }

    /// An order the caller may see: head office sees all; store staff the orders their
    /// stores fulfil. Staff never see the pickup code: the shopper brings it.
    pub async fn get_order(&self, actor: &Actor, id: OrderId) -> AppResult<OrderView> {
        let order = self.staff_order(actor, id).await?;
        self.order_view(in_scope(actor, order), false).await
    }

    /// An order the caller may act on as a whole (cancel, refund, prepare, hand over):
    /// every part of it is fulfilled at one of their stores.
    async fn whole_order(&self, actor: &Actor, id: OrderId) -> AppResult<Order> {
        let order = self.staff_order(actor, id).await?;
        if actor.is_head_office() || order.shipments.iter().all(|s| actor.stores.contains(&s.location_id)) {
            Ok(order)
        } else {
            Err(AppError::Forbidden)
        }
    }

    async fn staff_order(&self, actor: &Actor, id: OrderId) -> AppResult<Order> {
        require(actor, Permission::ViewOrders)?;
        let m = tenant(actor)?;
        let order = self.repos.orders.order(m, id).await?.ok_or(AppError::NotFound("order"))?;
        let visible = actor.is_head_office() || order.shipments.iter().any(|s| actor.stores.contains(&s.location_id));
        if visible { Ok(order) } else { Err(AppError::NotFound("order")) }
    }

    /// The store has prepared a pickup order; the shopper is told.
    pub async fn mark_ready(&self, actor: &Actor, id: OrderId) -> AppResult<OrderView> {
        let order = self.whole_order(actor, id).await?;
        require(actor, Permission::FulfilOrders)?;
        if order.fulfilment != Fulfilment::Pickup || order.status != OrderStatus::Paid {
            return Err(AppError::conflict("not_preparable", None, "only paid pickup orders are prepared"));
        }
        let now = self.now();
        let mut change =
            OrderChange::new(&order, &[OrderStatus::Paid], OrderStatus::ReadyForPickup, ActorKind::Staff, now);
        change.actor_id = Some(actor.staff_id.to_string());
        change.shipments = ShipmentChange::all(&order, &[ShipmentStatus::Pending], ShipmentStatus::Ready, now);
        self.apply(&order, &change).await?;
        self.tell_shopper_ready(&order).await;
        self.get_order(actor, id).await
    }

    async fn tell_shopper_ready(&self, order: &Order) {
        let sent = async {
            let shopper = self.repos.shoppers.shopper(order.merchant_id, order.shopper_id).await?;
            let store = match order.pickup_store_id {
                Some(s) => self.repos.locations.location(order.merchant_id, s).await?,
                None => None,
            };
            if let (Some(shopper), Some(store)) = (shopper, store) {
                let body = format!(
                    "您的订单 {} 已备好，请凭取货码到{}取货。Order {} is ready for pickup at {}.",
                    order.number,
                    store.name.zh,
                    order.number,
                    store.name.get(sweep_domain::text::Lang::En)
                );
                self.repos.sms.send(order.merchant_id, &shopper.phone, &body).await?;
            }
            Ok::<(), crate::ports::StoreError>(())
        };
        // The order is ready whether or not the text goes out; the page shows it too.
        if let Err(e) = sent.await {
            tracing::warn!(order = %order.id, error = %e, "could not send the ready message");
        }
    }

    /// Finds the order a shopper's pickup code belongs to, at one of the caller's stores.
    /// Failed lookups are counted per store, so codes cannot be guessed.
    pub async fn find_by_pickup_code(&self, actor: &Actor, store: LocationId, code: &str) -> AppResult<OrderView> {
        require(actor, Permission::FulfilOrders)?;
        let m = tenant(actor)?;
        if !actor.can_see_location(store) || self.repos.locations.location(m, store).await?.is_none() {
            return Err(AppError::NotFound("location"));
        }
        let now = self.now();
        let key = pickup_attempts_key(store);
        self.count_pickup_attempt(&key).await?;
        let found = match clean_code(code, PICKUP_CODE_DIGITS) {
            Some(code) => self.repos.orders.order_by_pickup_code(store, &code, now).await?,
            None => None,
        };
        let order = match found {
            Some(id) => self.repos.orders.order(m, id).await?,
            None => None,
        };
        match order {
            Some(order) => {
                self.repos.auth.uncount_attempt(&key).await?;
                self.order_view(in_scope(actor, order), false).await
            }
            None => Err(AppError::NotFound("pickup code")),
        }
    }

    /// Every code tried at a store counts before it is checked, so parallel guesses
    /// cannot slip past the limit; a right code takes its count back.
    async fn count_pickup_attempt(&self, key: &str) -> AppResult<()> {
        let now = self.now();
        let counted = self.repos.auth.count_attempt(key, now, PICKUP_WINDOW_SECS).await?;
        if counted.count > PICKUP_FAILURES_PER_STORE {
            tracing::warn!(target: "security", event = "pickup_code_throttled", key = %key);
            return Err(AppError::TooManyAttempts {
                retry_after_secs: counted.retry_after_secs(PICKUP_WINDOW_SECS, now),
            });
        }
        Ok(())
    }

    /// Hands a pickup order over at the counter: the code is used up, the stock leaves.
    pub async fn hand_over(&self, actor: &Actor, id: OrderId, code: &str) -> AppResult<OrderView> {
        let order = self.whole_order(actor, id).await?;
        require(actor, Permission::FulfilOrders)?;
        let store = order.pickup_store_id.filter(|_| order.fulfilment == Fulfilment::Pickup);
        let Some(store) = store else { return Err(AppError::conflict("not_pickup", None, "not a pickup order")) };
        if !actor.can_see_location(store) {
            return Err(AppError::NotFound("order"));
        }
        let key = pickup_attempts_key(store);
        self.count_pickup_attempt(&key).await?;
        let Some(code) = clean_code(code, PICKUP_CODE_DIGITS) else {
            return Err(AppError::invalid("code", "wrong_code", "this is not the order's pickup code"));
        };
        let now = self.now();
        let from = [OrderStatus::Paid, OrderStatus::ReadyForPickup];
        let mut change = OrderChange::new(&order, &from, OrderStatus::Completed, ActorKind::Staff, now);
        change.actor_id = Some(actor.staff_id.to_string());
        change.completed = true;
        change.pickup_code = Some(PickupCodeChange::Use { store, code });
        change.stock = order.shipments.iter().flat_map(|s| fulfil(&order, s.id)).collect();
        change.shipments = ShipmentChange::all(
            &order,
            &[ShipmentStatus::Pending, ShipmentStatus::Ready],
            ShipmentStatus::Delivered,
            now,
        );
        let handed_over = self.apply(&order, &change).await;
        if !matches!(handed_over, Err(AppError::Invalid(_))) {
            self.repos.auth.uncount_attempt(&key).await?;
        }
        handed_over?;
        self.get_order(actor, id).await
    }

    /// Ships one shipment of a delivery order; the order is shipped when all are.
    pub async fn ship(&self, actor: &Actor, id: OrderId, input: ShipInput) -> AppResult<OrderView> {
        let order = self.staff_order(actor, id).await?;
        require(actor, Permission::FulfilOrders)?;
        let carrier = text::name("carrier", &input.carrier)?;
        let tracking = text::code("tracking_number", &input.tracking_number, 64)?;
        let shipment =
            order.shipments.iter().find(|s| s.id == input.shipment_id).ok_or_else(|| {
                AppError::invalid("shipment_id", "unknown_shipment", "no such shipment in this order")
            })?;
        if !actor.can_see_location(shipment.location_id) {
            return Err(AppError::NotFound("order"));
        }
        if order.fulfilment != Fulfilment::Delivery
            || order.status != OrderStatus::Paid
            || shipment.status != ShipmentStatus::Pending
        {
            return Err(AppError::conflict("not_shippable", None, "only unshipped parts of paid delivery orders ship"));
        }
        let now = self.now();
        // The order stays paid here; the store promotes it to shipped once every shipment
        // has gone, judged on committed rows so two shipments shipped at once both count.
        let mut change = OrderChange::new(&order, &[OrderStatus::Paid], OrderStatus::Paid, ActorKind::Staff, now);
        change.actor_id = Some(actor.staff_id.to_string());
        change.note = format!("{carrier} {tracking}");
        change.stock = fulfil(&order, shipment.id);
        change.promote_when_all_shipped = true;
        change.shipments.push(ShipmentChange {
            id: shipment.id,
            expected: vec![ShipmentStatus::Pending],
            status: ShipmentStatus::Shipped,
            carrier: Some(carrier),
            tracking_number: Some(tracking),
            at: now,
        });
        self.apply(&order, &change).await?;
        self.get_order(actor, id).await
    }

    /// A shipped delivery order arrived.
    pub async fn mark_delivered(&self, actor: &Actor, id: OrderId) -> AppResult<OrderView> {
        let order = self.whole_order(actor, id).await?;
        require(actor, Permission::FulfilOrders)?;
        self.complete_delivery(&order, ActorKind::Staff, Some(actor.staff_id.to_string())).await?;
        self.get_order(actor, id).await
    }

    pub(crate) async fn complete_delivery(
        &self,
        order: &Order,
        by: ActorKind,
        actor_id: Option<String>,
    ) -> AppResult<()> {
        if order.status != OrderStatus::Shipped {
            return Err(AppError::conflict("not_shipped", None, "only shipped orders are delivered"));
        }
        let now = self.now();
        let mut change = OrderChange::new(order, &[OrderStatus::Shipped], OrderStatus::Completed, by, now);
        change.actor_id = actor_id;
        change.completed = true;
        change.shipments = ShipmentChange::all(order, &[ShipmentStatus::Shipped], ShipmentStatus::Delivered, now);
        self.apply(order, &change).await
    }

    pub async fn cancel_order(&self, actor: &Actor, id: OrderId, reason: &str) -> AppResult<OrderView> {
        let order = self.whole_order(actor, id).await?;
        let reason = text::bounded_text("reason", reason, 0, 200)?;
        if order.status != OrderStatus::PendingPayment {
            require(actor, Permission::RefundOrders)?;
        } else {
            require(actor, Permission::FulfilOrders)?;
        }
        self.cancel(&order, ActorKind::Staff, Some(actor.staff_id.to_string()), &reason).await?;
        self.get_order(actor, id).await
    }

    /// A goodwill refund on a completed order: money back, no goods back.
    pub async fn refund_order(&self, actor: &Actor, id: OrderId, input: RefundInput) -> AppResult<OrderView> {
        let order = self.whole_order(actor, id).await?;
        require(actor, Permission::RefundOrders)?;
        let reason = text::bounded_text("reason", &input.reason, 1, 200)?;
        let left = order.paid.minor() - order.refunded.minor();
        if input.amount <= 0 || input.amount > left {
            return Err(AppError::invalid("amount", "out_of_range", format!("1 to {left} fen can still be refunded")));
        }
        if !matches!(order.status, OrderStatus::Completed | OrderStatus::PartiallyRefunded) {
            return Err(AppError::conflict("not_refundable", None, "cancel orders that are not completed instead"));
        }
        let now = self.now();
        let amount = Money::new(input.amount, order.paid.currency());
        let to = if input.amount == left { OrderStatus::Refunded } else { OrderStatus::PartiallyRefunded };
        let mut change = OrderChange::new(&order, &[order.status], to, ActorKind::Staff, now);
        change.actor_id = Some(actor.staff_id.to_string());
        change.note = reason.clone();
        let (refund, job) = self.refund_of(&order, amount, &reason, now).await?;
        change.refunds.push(refund);
        change.jobs.push(job);
        self.apply(&order, &change).await?;
        self.get_order(actor, id).await
    }

    /// Approves a return (the money goes back pro rata, the goods back on hand where they
    /// came from) or rejects it.
    pub async fn decide_return(
        &self,
        actor: &Actor,
        id: OrderId,
        return_id: ReturnId,
        approve: bool,
    ) -> AppResult<OrderView> {
        let order = self.whole_order(actor, id).await?;
        require(actor, Permission::RefundOrders)?;
        let request = self
            .repos
            .orders
            .returns(order.merchant_id, order.id)
            .await?
            .into_iter()
            .find(|r| r.id == return_id)
            .ok_or(AppError::NotFound("return"))?;
        if request.status != ReturnStatus::Requested {
            return Err(AppError::conflict("already_decided", None, "this return was decided already"));
        }
        let now = self.now();
        let decision = if approve { ReturnStatus::Approved } else { ReturnStatus::Rejected };
        let mut change = OrderChange::new(&order, &[order.status], order.status, ActorKind::Staff, now);
        change.actor_id = Some(actor.staff_id.to_string());
        change.return_decision = Some((return_id, decision, Some(actor.staff_id)));
        if approve {
            let mut amount = 0;
            for r in &request.lines {
                let line = order.lines.iter().find(|l| l.id == r.line_id).ok_or(AppError::NotFound("order line"))?;
                let money = refund_for_units(line.total.minor(), line.quantity, line.returned_quantity, r.quantity);
                change.line_returns.push((line.id, r.quantity, money));
                change.stock.push(returned(&order, line, r.quantity));
                amount += money;
            }
            let left = order.paid.minor() - order.refunded.minor();
            change.to = if amount >= left { OrderStatus::Refunded } else { OrderStatus::PartiallyRefunded };
            change.note = format!("return {return_id}: {}", request.reason);
            if amount > 0 {
                let (refund, job) =
                    self.refund_of(&order, Money::new(amount, order.paid.currency()), "return", now).await?;
                change.refunds.push(refund);
                change.jobs.push(job);
            }
        }
        self.apply(&order, &change).await?;
        self.get_order(actor, id).await
    }
}

/// Store staff see the parts of an order their stores fulfil; head office sees it all.
fn in_scope(actor: &Actor, mut order: Order) -> Order {
    if !actor.is_head_office() {
        order.shipments.retain(|s| actor.stores.contains(&s.location_id));
        let shown: Vec<ShipmentId> = order.shipments.iter().map(|s| s.id).collect();
        order.lines.retain(|l| shown.contains(&l.shipment_id));
    }
    order
}
