//! Checkout: from SKU ids and quantities to an order with reserved stock. Prices and
//! totals come from the server alone.

use std::collections::HashSet;

use serde::Deserialize;
use sweep_domain::channel::Channel;
use sweep_domain::geo::distance_m;
use sweep_domain::ids::{AddressId, CouponId, LocationId, MerchantId, OrderId, ShipmentId, ShopperId, SkuId};
use sweep_domain::inventory::{MovementKind, Quantity, StockChange, StockRow};
use sweep_domain::location::{Location, LocationKind};
use sweep_domain::order::*;
use sweep_domain::pricing::{PriceInputs, resolve_price};
use sweep_domain::{FieldError, Money, Timestamp};

use super::ShopContext;
use crate::loyalty::points::{points_value, redeem};
use crate::ports::{NewJob, StockLine, StoreError};
use crate::secrets::random_digits;
use crate::{AppError, AppResult, Sweep};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLineInput {
    pub sku_id: SkuId,
    pub quantity: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlaceOrderInput {
    pub fulfilment: Fulfilment,
    /// For pickup: the store.
    #[serde(default)]
    pub store_id: Option<LocationId>,
    /// For delivery: one of the shopper's addresses.
    #[serde(default)]
    pub address_id: Option<AddressId>,
    /// Buy these now; without it, the cart is ordered.
    #[serde(default)]
    pub lines: Option<Vec<OrderLineInput>>,
    /// Member points to spend on the order.
    #[serde(default)]
    pub points: Option<i64>,
    /// One of the member's coupons to spend on the order.
    #[serde(default)]
    pub coupon_id: Option<CouponId>,
}

pub const EXPIRE_ORDER: &str = "expire_order";

/// A line priced and ready to be placed.
struct Priced {
    line: OrderLine,
    location: Option<LocationId>,
}

impl Sweep {
    /// Places an order. With an idempotency key, a retry returns the order the first
    /// request made, whatever happened in between.
    pub async fn place_order(
        &self,
        ctx: &ShopContext,
        input: PlaceOrderInput,
        channel: Channel,
        idempotency_key: Option<&str>,
    ) -> AppResult<Order> {
        let shopper = ctx.shopper.as_ref().ok_or(AppError::Unauthenticated)?;
        let m = ctx.merchant.id;
        if let Some(key) = idempotency_key {
            if key.is_empty() || key.len() > 100 || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(AppError::invalid(
                    "Idempotency-Key",
                    "invalid_key",
                    "use 1 to 100 visible ASCII characters",
                ));
            }
            if let Some(order) = self.repos.orders.order_by_idempotency_key(m, shopper.id, key).await? {
                return Ok(order);
            }
        }
        let from_cart = input.lines.is_none();
        let wanted: Vec<OrderLineInput> = match input.lines {
            Some(lines) => lines,
            None => {
                let owner =
                    ctx.cart_owner().ok_or_else(|| AppError::invalid("lines", "empty_cart", "the cart is empty"))?;
                self.repos
                    .carts
                    .cart(m, &owner)
                    .await?
                    .into_iter()
                    .map(|(sku_id, quantity)| OrderLineInput { sku_id, quantity })
                    .collect()
            }
        };
        if wanted.is_empty() || wanted.len() > MAX_LINES {
            return Err(AppError::invalid(
                "lines",
                "invalid_length",
                format!("order 1 to {MAX_LINES} different items"),
            ));
        }
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        for (i, l) in wanted.iter().enumerate() {
            if let Err(e) = line_quantity(&format!("lines.{i}.quantity"), l.quantity) {
                errors.push(e);
            }
            if !seen.insert(l.sku_id) {
                errors.push(FieldError::new(format!("lines.{i}.sku_id"), "duplicate", "each item once"));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }

        let now = self.now();
        let order_id = OrderId::new();
        // A store's own prices hold for goods collected at that store; anything delivered
        // is priced for the channel (as `cart_totals` quoted each choice at checkout).
        let price_store = match input.fulfilment {
            Fulfilment::Pickup => input.store_id,
            Fulfilment::Delivery => None,
            Fulfilment::InStore => return Err(till_only()),
        };
        let wanted_ids: Vec<SkuId> = wanted.iter().map(|l| l.sku_id).collect();
        let overrides = self.repos.catalog.price_overrides_for(m, &wanted_ids).await?;
        let mut priced = Vec::with_capacity(wanted.len());
        for (i, l) in wanted.iter().enumerate() {
            let (sku, product) = match self.buyable_sku(ctx, l.sku_id).await {
                Ok(found) => found,
                // An item withdrawn since it went into the cart stays there, marked; the
                // rest of the cart can still be bought.
                Err(AppError::Invalid(_)) if from_cart => continue,
                // A SKU error names the line it came from.
                Err(AppError::Invalid(fields)) => {
                    let line = format!("lines.{i}");
                    return Err(AppError::Invalid(fields.into_iter().map(|f| f.under(&line)).collect()));
                }
                Err(e) => return Err(e),
            };
            let price = resolve_price(&PriceInputs::for_sku(&sku, &overrides, channel, price_store), ctx.member_prices);
            priced.push(Priced {
                line: OrderLine::new(ShipmentId::new(), &sku, &product, price, l.quantity)?,
                location: None,
            });
        }

        if priced.is_empty() {
            return Err(AppError::invalid("lines", "nothing_buyable", "nothing in the cart can be bought now"));
        }
        let ids: Vec<SkuId> = priced.iter().map(|p| p.line.sku_id).collect();
        let levels = self.repos.inventory.levels_of(m, &ids).await?;
        let locations = self.active_locations(&ctx.merchant).await?;
        let (address, pickup_store) = match input.fulfilment {
            Fulfilment::Pickup => {
                let store =
                    input.store_id.ok_or_else(|| AppError::invalid("store_id", "required", "choose a store"))?;
                let store = locations
                    .iter()
                    .find(|l| l.id == store && l.kind == LocationKind::Store && l.pickup_enabled)
                    .ok_or_else(|| {
                        AppError::invalid("store_id", "unknown_store", "this store does not offer pickup")
                    })?;
                for p in &mut priced {
                    p.location = Some(store.id);
                }
                (None, Some(store.id))
            }
            Fulfilment::Delivery => {
                let address = self.delivery_address(m, shopper.id, input.address_id).await?;
                let delivering: Vec<&Location> = locations.iter().filter(|l| l.delivery_enabled).collect();
                route_delivery(&mut priced, &delivering, &levels, address.point)?;
                (Some(address), None)
            }
            Fulfilment::InStore => return Err(till_only()),
        };

        // One shipment per fulfilling location.
        let mut shipments: Vec<Shipment> = Vec::new();
        for p in &mut priced {
            let location = p.location.expect("every line is routed");
            match shipments.iter().find(|s| s.location_id == location) {
                Some(s) => p.line.shipment_id = s.id,
                None => {
                    let s = Shipment {
                        id: p.line.shipment_id,
                        location_id: location,
                        status: ShipmentStatus::Pending,
                        carrier: None,
                        tracking_number: None,
                        shipped_at: None,
                        delivered_at: None,
                    };
                    shipments.push(s);
                }
            }
        }
        let currency = ctx.merchant.currency;
        let mut subtotal = Money::zero(currency);
        for p in &priced {
            subtotal = subtotal.checked_add(p.line.subtotal)?;
        }
        // Order-level discounts (a coupon, then points) are spread over the lines, so a
        // later return refunds each line what was really paid for it.
        let coupon_discount = match input.coupon_id {
            Some(coupon) => self.coupon_discount(m, shopper.id, coupon, channel, price_store, subtotal).await?,
            None => Money::zero(currency),
        };
        let points = input.points.unwrap_or(0);
        let points_value = match points {
            0 => Money::zero(currency),
            _ => points_value(&self.loyalty_program_of(m).await?, points, subtotal.checked_sub(coupon_discount)?)?,
        };
        let discount = coupon_discount.checked_add(points_value)?;
        spread_discount(priced.iter_mut().map(|p| &mut p.line), discount)?;
        let total = subtotal.checked_sub(discount)?;
        if total.minor() <= 0 {
            return Err(AppError::conflict(
                "nothing_to_pay",
                None,
                "the order comes to nothing; there is nothing to pay",
            ));
        }
        let reservations: Vec<StockLine> = priced
            .iter()
            .map(|p| StockLine {
                sku_id: p.line.sku_id,
                location_id: p.location.expect("routed"),
                change: StockChange::of(
                    MovementKind::Reserve,
                    Quantity::parse("quantity", p.line.quantity).expect("checked"),
                ),
                reason: None,
                note: String::new(),
                reference: Some(format!("order:{order_id}")),
            })
            .collect();
        let pay_by = now.plus_seconds(self.settings.unpaid_order_secs);
        let expire = NewJob {
            kind: EXPIRE_ORDER.into(),
            payload: serde_json::json!({"merchant_id": m, "order_id": order_id}).to_string(),
            run_at: pay_by,
            dedupe_key: Some(format!("{EXPIRE_ORDER}:{order_id}")),
        };
        // The display card this browser scanned lately credits its store and clerk,
        // whatever fulfilment the shopper picked.
        let card = self.current_card(ctx).await?;
        let mut order = Order {
            id: order_id,
            merchant_id: m,
            number: String::new(),
            shopper_id: shopper.id,
            status: OrderStatus::PendingPayment,
            fulfilment: input.fulfilment,
            channel,
            influencer_store_id: card.as_ref().map(|c| c.store_id),
            influencer_clerk_id: card.as_ref().and_then(|c| c.clerk_id),
            card_id: card.as_ref().map(|c| c.id),
            campaign_id: card.as_ref().and_then(|c| c.campaign_id),
            pickup_store_id: pickup_store,
            address,
            subtotal,
            discount,
            delivery_fee: Money::zero(currency),
            total,
            paid: Money::zero(currency),
            refunded: Money::zero(currency),
            coupon_id: input.coupon_id,
            coupon_discount,
            points_used: points,
            sale_id: None,
            till_id: None,
            offline: false,
            flash_sale_id: None,
            pay_by,
            paid_at: None,
            completed_at: None,
            pickup_deadline: None,
            created_at: now,
            updated_at: now,
            lines: priced.into_iter().map(|p| p.line).collect(),
            shipments,
        };
        let cart_owner = if from_cart { ctx.cart_owner() } else { None };
        for _ in 0..5 {
            order.number = self.order_number(&ctx.merchant, now)?;
            match self
                .repos
                .orders
                .place_order(
                    &order,
                    idempotency_key,
                    &reservations,
                    std::slice::from_ref(&expire),
                    cart_owner.as_deref(),
                    &redeem(&order, None).into_iter().collect::<Vec<_>>(),
                )
                .await
            {
                Ok(()) => {
                    tracing::info!(event = "order_placed", order = %order.id, merchant = %m, total = order.total.minor());
                    return Ok(order);
                }
                Err(StoreError::Duplicate { field: "idempotency_key" }) => {
                    let key = idempotency_key.expect("only keyed orders collide on the key");
                    return self
                        .repos
                        .orders
                        .order_by_idempotency_key(m, shopper.id, key)
                        .await?
                        .ok_or(AppError::NotFound("order"));
                }
                Err(StoreError::Duplicate { field: "number" }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal("could not find a free order number".into()))
    }

    /// The shopper's chosen address (required), as the order keeps it.
    pub(crate) async fn delivery_address(
        &self,
        merchant: MerchantId,
        shopper: ShopperId,
        id: Option<AddressId>,
    ) -> AppResult<DeliveryAddress> {
        let id = id.ok_or_else(|| AppError::invalid("address_id", "required", "choose an address"))?;
        let a = self
            .repos
            .shoppers
            .addresses(merchant, shopper)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| AppError::invalid("address_id", "unknown_address", "no such address"))?;
        Ok(DeliveryAddress {
            recipient: a.recipient,
            phone: a.phone,
            city: a.city,
            district: a.district,
            detail: a.detail,
            point: a.point,
        })
    }

    /// A number people can read out: the merchant's local date and eight random digits.
    pub(crate) fn order_number(
        &self,
        merchant: &sweep_domain::merchant::Merchant,
        now: Timestamp,
    ) -> AppResult<String> {
        let offset = merchant.time_zone().offset_minutes();
        let local = now.plus_seconds(i64::from(offset) * 60).to_offset_datetime();
        let digits = random_digits(8)?;
        Ok(format!("{:02}{:02}{:02}{digits}", local.year() % 100, u8::from(local.month()), local.day()))
    }

    /// The stores where every line of a cart can be picked up now.
    pub async fn pickup_options(&self, ctx: &ShopContext, lines: &[(SkuId, i64)]) -> AppResult<Vec<Location>> {
        let ids: Vec<SkuId> = lines.iter().map(|(s, _)| *s).collect();
        let levels = self.repos.inventory.levels_of(ctx.merchant.id, &ids).await?;
        Ok(self
            .pickup_stock(&ctx.merchant, &levels)
            .await?
            .into_iter()
            .filter(|s| lines.iter().all(|(sku, q)| s.available.get(sku).copied().unwrap_or(0) >= *q))
            .map(|s| s.store)
            .collect())
    }
}

fn till_only() -> AppError {
    AppError::invalid("fulfilment", "till_only", "in-store sales are rung up at the till")
}

/// Delivery routing: the nearest location that can fill the whole order; failing that,
/// for each line the nearest location that can fill the line, so the order becomes
/// several shipments under one payment.
fn route_delivery(
    priced: &mut [Priced],
    delivering: &[&Location],
    levels: &[StockRow],
    to: sweep_domain::location::GeoPoint,
) -> AppResult<()> {
    let mut by_distance: Vec<&Location> = delivering.to_vec();
    by_distance.sort_by(|a, b| distance_m(a.point, to).total_cmp(&distance_m(b.point, to)));
    let available = |location: LocationId, sku: SkuId| {
        levels.iter().find(|l| l.location_id == location && l.sku_id == sku).map(|l| l.level.available()).unwrap_or(0)
    };
    if let Some(one) =
        by_distance.iter().find(|l| priced.iter().all(|p| available(l.id, p.line.sku_id) >= p.line.quantity))
    {
        for p in priced.iter_mut() {
            p.location = Some(one.id);
        }
        return Ok(());
    }
    for (i, p) in priced.iter_mut().enumerate() {
        match by_distance.iter().find(|l| available(l.id, p.line.sku_id) >= p.line.quantity) {
            Some(l) => p.location = Some(l.id),
            None => {
                let best = by_distance.iter().map(|l| available(l.id, p.line.sku_id)).max().unwrap_or(0).max(0);
                return Err(AppError::InsufficientStock { field: format!("lines.{i}"), available: best });
            }
        }
    }
    Ok(())
}
