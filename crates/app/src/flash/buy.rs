//! Buying in a flash sale: everything that can be answered from memory is (rate limit,
//! not started, over, sold out); the rest is built into a full order and queued for the
//! group commit, and the member is answered only once it is committed.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sweep_domain::channel::Channel;
use sweep_domain::flash::{FlashRefusal, FlashSale};
use sweep_domain::ids::*;
use sweep_domain::location::LocationKind;
use sweep_domain::merchant::Merchant;
use sweep_domain::order::*;
use sweep_domain::{Money, Timestamp};

use crate::ports::{FlashOutcome, FlashPurchase, NewJob, ShopperSession, StoreError};
use crate::secrets::token_digest;
use crate::shop::{EXPIRE_ORDER, ShopContext};
use crate::{AppError, AppResult, Sweep};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlashOrderInput {
    pub sku_id: SkuId,
    /// Units, within the sale's limit per member (default 1).
    #[serde(default)]
    pub quantity: Option<i64>,
    /// For a sale held at a warehouse: one of the member's addresses to deliver to.
    #[serde(default)]
    pub address_id: Option<AddressId>,
}

/// A flash order as placed: waiting for payment until `pay_by`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlashPlaced {
    pub order_id: OrderId,
    pub number: String,
    pub status: OrderStatus,
    pub total: Money,
    pub pay_by: Timestamp,
}

/// A signed-in member in a shop, as the flash checkout needs them.
#[derive(Debug, Clone)]
pub struct FlashBuyer {
    pub merchant: Merchant,
    pub shopper_id: ShopperId,
    pub member_since: Timestamp,
    pub session: ShopperSession,
}

impl FlashBuyer {
    /// The signed-in member of a shop context that has already read its session (a page).
    pub fn from_context(ctx: &ShopContext) -> Option<FlashBuyer> {
        let shopper = ctx.shopper.as_ref()?;
        Some(FlashBuyer {
            merchant: ctx.merchant.clone(),
            shopper_id: shopper.id,
            member_since: shopper.created_at,
            session: ctx.session.clone()?,
        })
    }

    pub fn csrf_token(&self) -> &str {
        &self.session.csrf_token
    }
}

#[derive(Debug, Clone)]
pub(super) struct CachedBuyer {
    shopper_id: ShopperId,
    member_since: Timestamp,
    session: ShopperSession,
}

/// What every purchase in a sale needs to build its order line, read once.
#[derive(Debug)]
pub(crate) struct SaleCard {
    pub sale: FlashSale,
    location_kind: LocationKind,
    lines: HashMap<SkuId, LineTemplate>,
}

struct FlashLine<'a> {
    sku_id: SkuId,
    template: &'a LineTemplate,
    price: Money,
    quantity: i64,
}

#[derive(Debug)]
struct LineTemplate {
    product_id: ProductId,
    name: sweep_domain::text::Localized,
    label: String,
    list_price: Money,
}

fn refused(r: FlashRefusal) -> AppError {
    AppError::conflict(r.code(), Some("sku_id"), r.message())
}

impl Sweep {
    /// The shop and signed-in member behind a flash request, from short-lived caches:
    /// a burst of thousands of requests reads each session once.
    pub async fn flash_buyer(&self, slug: &str, token: Option<&str>) -> AppResult<FlashBuyer> {
        let desk = &self.flash_desk;
        let merchant = self.cached_shop(slug).await?;
        let token = token.ok_or(AppError::Unauthenticated)?;
        let digest = token_digest(token);
        let now = self.now();
        let cached = match desk.buyers.get(&digest) {
            Some(c) => c,
            None => {
                let found = desk.member_session(&self.repos.shoppers, &self.clock, digest.clone()).await?.map(
                    |(session, member_since)| CachedBuyer {
                        shopper_id: session.shopper_id.expect("member sessions have a member"),
                        member_since,
                        session,
                    },
                );
                desk.buyers.put(digest, found.clone());
                found
            }
        };
        let c = cached.filter(|c| c.session.expires_at > now && c.session.merchant_id == merchant.id);
        let c = c.ok_or(AppError::Unauthenticated)?;
        Ok(FlashBuyer { merchant, shopper_id: c.shopper_id, member_since: c.member_since, session: c.session })
    }

    /// An open shop by its slug, cached for a few seconds (flash traffic reads it on
    /// every request). A session signed out in another process is honoured here within
    /// the same few seconds; in this process at once.
    pub async fn cached_shop(&self, slug: &str) -> AppResult<Merchant> {
        self.flash_desk.shops.get_or_load(slug.to_string(), || self.shop(slug)).await
    }

    pub(crate) async fn sale_card(&self, merchant: MerchantId, id: FlashSaleId) -> AppResult<Arc<SaleCard>> {
        let card = self.flash_desk.sales.get_or_load((merchant, id), || self.load_sale_card(merchant, id)).await?;
        card.ok_or(AppError::NotFound("flash sale"))
    }

    async fn load_sale_card(&self, merchant: MerchantId, id: FlashSaleId) -> AppResult<Option<Arc<SaleCard>>> {
        let Some(sale) = self.repos.flash.flash_sale(merchant, id).await? else { return Ok(None) };
        let location = self.repos.locations.location(merchant, sale.location_id).await?;
        let lines = self
            .sale_products(&sale)
            .await?
            .into_iter()
            .map(|(_, sku, product)| {
                let label = sku.label();
                let template =
                    LineTemplate { product_id: product.id, name: product.name, label, list_price: sku.base_price };
                (sku.id, template)
            })
            .collect();
        Ok(Some(Arc::new(SaleCard {
            sale,
            location_kind: location.map(|l| l.kind).unwrap_or(LocationKind::Warehouse),
            lines,
        })))
    }

    /// Buys in a flash sale. Answers at once when the member or device is over its rate,
    /// the sale is not on, or the SKU was seen sold out within the last second; otherwise
    /// the purchase joins the next group commit and is answered after it.
    pub async fn buy_flash(
        &self,
        buyer: &FlashBuyer,
        sale_id: FlashSaleId,
        input: FlashOrderInput,
        channel: Channel,
    ) -> AppResult<FlashPlaced> {
        let desk = &self.flash_desk;
        if !desk.admit(buyer.shopper_id, &buyer.session.visitor) {
            return Err(AppError::TooManyAttempts { retry_after_secs: 1 });
        }
        let m = buyer.merchant.id;
        let card = self.sale_card(m, sale_id).await?;
        let now = self.now();
        let quantity = input.quantity.unwrap_or(1);
        if !(1..=sweep_domain::flash::MAX_PER_MEMBER).contains(&quantity) {
            return Err(AppError::invalid(
                "quantity",
                "out_of_range",
                format!("1 to {} units", sweep_domain::flash::MAX_PER_MEMBER),
            ));
        }
        let item = card.sale.check_purchase(input.sku_id, quantity, buyer.member_since, now).map_err(refused)?;
        if desk.is_sold_out(sale_id, input.sku_id) {
            return Err(refused(FlashRefusal::SoldOut));
        }
        let template = card.lines.get(&input.sku_id).ok_or(refused(FlashRefusal::NotInSale))?;
        let (pickup_store, fulfilment, address) = match card.location_kind {
            LocationKind::Store => (Some(card.sale.location_id), Fulfilment::Pickup, None),
            LocationKind::Warehouse => {
                let address = self.delivery_address(m, buyer.shopper_id, input.address_id).await?;
                (None, Fulfilment::Delivery, Some(address))
            }
        };
        let line = FlashLine { sku_id: input.sku_id, template, price: item.price, quantity };
        let order = self.flash_order(buyer, &card, line, now, channel).await?;
        let order = Order { pickup_store_id: pickup_store, fulfilment, address, ..order };
        let expire = NewJob {
            kind: EXPIRE_ORDER.into(),
            payload: serde_json::json!({"merchant_id": m, "order_id": order.id}).to_string(),
            run_at: order.pay_by,
            dedupe_key: Some(format!("{EXPIRE_ORDER}:{}", order.id)),
        };
        let placed = FlashPlaced {
            order_id: order.id,
            number: order.number.clone(),
            status: order.status,
            total: order.total,
            pay_by: order.pay_by,
        };
        let purchase =
            FlashPurchase { order, sale_id, sku_id: input.sku_id, quantity, cap: card.sale.per_member_limit, expire };
        let answer = desk
            .submit(&self.repos.flash, purchase)
            .ok_or_else(|| AppError::Unavailable("the flash checkout is at capacity; try again in a moment".into()))?;
        let outcome = answer.await.map_err(|_| AppError::Unavailable("the flash checkout restarted".into()))?;
        match outcome {
            Ok(FlashOutcome::Placed) => {
                tracing::debug!(event = "flash_order_placed", order = %placed.order_id, sale = %sale_id);
                Ok(placed)
            }
            Ok(FlashOutcome::SoldOut) => {
                desk.mark_sold_out(sale_id, input.sku_id);
                Err(refused(FlashRefusal::SoldOut))
            }
            Ok(FlashOutcome::OverLimit) => Err(refused(FlashRefusal::OverLimit)),
            Ok(FlashOutcome::NotOn) => {
                desk.sales.forget(&(m, sale_id));
                Err(refused(if now < card.sale.starts_at { FlashRefusal::NotStarted } else { FlashRefusal::Ended }))
            }
            Err(StoreError::Busy(e)) | Err(StoreError::Other(e)) => Err(AppError::Unavailable(e)),
            Err(e) => Err(e.into()),
        }
    }

    /// The pending order of a flash purchase: one line at the sale price, one shipment
    /// from the sale's location.
    async fn flash_order(
        &self,
        buyer: &FlashBuyer,
        card: &SaleCard,
        l: FlashLine<'_>,
        now: Timestamp,
        channel: Channel,
    ) -> AppResult<Order> {
        let shipment = ShipmentId::new();
        let price = l.price;
        let amount = price.checked_mul(l.quantity)?;
        let line = OrderLine {
            id: OrderLineId::new(),
            shipment_id: shipment,
            sku_id: l.sku_id,
            product_id: l.template.product_id,
            name: l.template.name.clone(),
            sku_label: l.template.label.clone(),
            unit_price: price,
            list_price: l.template.list_price,
            quantity: l.quantity,
            subtotal: amount,
            discount: Money::zero(price.currency()),
            total: amount,
            returned_quantity: 0,
            refunded: Money::zero(price.currency()),
        };
        // The display card this browser scanned lately credits its store and clerk.
        let ctx = ShopContext {
            merchant: buyer.merchant.clone(),
            session: Some(buyer.session.clone()),
            shopper: None,
            member_prices: false,
        };
        let scanned = match buyer.session.scan {
            Some(_) => self.current_card(&ctx).await?,
            None => None,
        };
        let zero = Money::zero(price.currency());
        Ok(Order {
            id: OrderId::new(),
            merchant_id: buyer.merchant.id,
            number: self.order_number(&buyer.merchant, now)?,
            shopper_id: buyer.shopper_id,
            status: OrderStatus::PendingPayment,
            fulfilment: Fulfilment::Pickup,
            channel,
            influencer_store_id: scanned.as_ref().map(|c| c.store_id),
            influencer_clerk_id: scanned.as_ref().and_then(|c| c.clerk_id),
            card_id: scanned.as_ref().map(|c| c.id),
            campaign_id: Some(card.sale.campaign_id),
            pickup_store_id: None,
            address: None,
            subtotal: line.subtotal,
            discount: zero,
            delivery_fee: zero,
            total: line.total,
            paid: zero,
            refunded: zero,
            coupon_id: None,
            coupon_discount: zero,
            points_used: 0,
            sale_id: None,
            till_id: None,
            offline: false,
            flash_sale_id: Some(card.sale.id),
            pay_by: now.plus_seconds(card.sale.pay_within_secs),
            paid_at: None,
            completed_at: None,
            pickup_deadline: None,
            created_at: now,
            updated_at: now,
            lines: vec![line],
            shipments: vec![Shipment {
                id: shipment,
                location_id: card.sale.location_id,
                status: ShipmentStatus::Pending,
                carrier: None,
                tracking_number: None,
                shipped_at: None,
                delivered_at: None,
            }],
        })
    }
}
