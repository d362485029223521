//! Sales rung up at a store's till, recorded in the same ledger as online orders.
//!
//! The till names each sale (`sale_id`), so a till that was offline can send its sales
//! later, as often as it likes: each is applied once. A sale made offline is always
//! accepted, because the goods are gone; stock the record did not have is flagged as an
//! offline oversell for `sweep check`, and points cannot be spent offline (the balance
//! could not be checked), though they are earned when the sale arrives.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sweep_domain::channel::Channel;
use sweep_domain::ids::{CouponId, LocationId, MerchantId, OrderId, PaymentId, ShipmentId, ShopperId, SkuId};
use sweep_domain::inventory::{MovementKind, Quantity, StockChange};
use sweep_domain::location::{Location, LocationKind};
use sweep_domain::order::*;
use sweep_domain::pricing::{PriceInputs, resolve_price};
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::shopper::Phone;
use sweep_domain::{FieldError, Money, Timestamp};

use super::points::{earned, points_value, redeem};
use crate::page::PageRequest;
use crate::ports::{
    CodePayment, CodePaymentOutcome, GatewayError, RefundRequest, SkuFilter, StockLine, TillSale, TillSaleOutcome,
};
use crate::{AppError, AppResult, Sweep, require, tenant};

/// A payment code charged through the provider for a sale.
struct CodeCharge {
    provider: &'static str,
    out_trade_no: String,
    provider_txn_id: String,
    amount: Money,
}

/// The provider's number for a sale's payment code: the same for every send of the sale
/// (so the provider charges once), 32 characters at most as providers require.
fn code_trade_no(merchant: MerchantId, sale_id: &str, payment: usize) -> String {
    let digest = Sha256::digest(format!("{merchant}:{sale_id}:{payment}").as_bytes());
    format!("T{}", &hex::encode(digest)[..31])
}

/// How far back an offline till may date a sale.
const OFFLINE_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TillPaymentMethod {
    Cash,
    BankCard,
    /// The shopper's WeChat payment code, collected by the till's own terminal.
    WechatCode,
    /// The shopper's Alipay payment code, collected by the till's own terminal.
    AlipayCode,
}

impl TillPaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TillPaymentMethod::Cash => "cash",
            TillPaymentMethod::BankCard => "bank_card",
            TillPaymentMethod::WechatCode => "wechat_code",
            TillPaymentMethod::AlipayCode => "alipay_code",
        }
    }

    /// The method a payment's provider names, when the till took the money.
    pub fn parse(provider: &str) -> Option<Self> {
        [Self::Cash, Self::BankCard, Self::WechatCode, Self::AlipayCode].into_iter().find(|m| m.as_str() == provider)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TillLineInput {
    /// The SKU, by id or by the barcode the till scanned.
    #[serde(default)]
    pub sku_id: Option<SkuId>,
    #[serde(default)]
    pub barcode: Option<String>,
    pub quantity: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TillPaymentInput {
    pub method: TillPaymentMethod,
    /// Minor units.
    pub amount: i64,
    /// For `wechat_code` and `alipay_code`: the code the shopper's app shows, for Sweep to
    /// charge through the payment provider. Without it, the till's own terminal took
    /// the money and Sweep only records it.
    #[serde(default)]
    pub auth_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TillSaleInput {
    /// The till's own id for the sale (1 to 64 visible ASCII characters): sending the
    /// same sale again changes nothing.
    pub sale_id: String,
    pub store_id: LocationId,
    /// Which till at the store (1 to 32 characters).
    pub till_id: String,
    /// When the sale happened (RFC 3339), for sales sent after the fact; default now.
    #[serde(default)]
    pub occurred_at: Option<String>,
    /// The till was offline when it made the sale.
    #[serde(default)]
    pub offline: bool,
    pub lines: Vec<TillLineInput>,
    /// The member's phone: the sale earns points on their card (enrolling them if new).
    #[serde(default)]
    pub member_phone: Option<String>,
    /// Or the member, as found by scanning their card's code (online tills).
    #[serde(default)]
    pub member_id: Option<ShopperId>,
    /// Points to spend on the sale (members, online tills only).
    #[serde(default)]
    pub points: i64,
    /// One of the member's coupons to spend on the sale (online tills only).
    #[serde(default)]
    pub coupon_id: Option<CouponId>,
    pub payments: Vec<TillPaymentInput>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TillSaleView {
    pub order: Order,
    /// The till had sent this sale before; nothing more happened.
    pub replayed: bool,
    /// The member's balance after the sale.
    pub member_points: Option<i64>,
}

fn till_text(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.is_empty() || value.len() > max || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldError::new(field, "invalid", format!("use 1 to {max} visible ASCII characters")));
    }
    Ok(())
}

impl Sweep {
    /// A store of the caller's merchant that the caller works at.
    pub(crate) async fn till_store(&self, actor: &Actor, store: LocationId) -> AppResult<Location> {
        let m = tenant(actor)?;
        match self.repos.locations.location(m, store).await? {
            Some(l) if l.kind == LocationKind::Store && actor.can_see_location(l.id) => Ok(l),
            _ => Err(AppError::invalid("store_id", "unknown_store", "no such store of yours")),
        }
    }

    /// Records a till sale: an order on channel POS at the store, completed and paid,
    /// moving the store's stock and the member's points. Applied once per sale id.
    pub async fn record_till_sale(&self, actor: &Actor, input: TillSaleInput) -> AppResult<TillSaleView> {
        require(actor, Permission::SellAtTill)?;
        let m = tenant(actor)?;
        let mut errors = Vec::new();
        errors.extend(till_text("sale_id", &input.sale_id, 64).err());
        errors.extend(till_text("till_id", &input.till_id, 32).err());
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        // A resent sale is answered from what was recorded, before anything else is
        // checked: prices or stock may have changed since, the sale has not.
        if let Some(order) = self.repos.till.order_by_sale_id(m, &input.sale_id).await? {
            return self.replayed_sale(actor, order, input.store_id).await;
        }
        let store = self.till_store(actor, input.store_id).await?;
        let now = self.now();
        let at = match &input.occurred_at {
            None => now,
            Some(text) => {
                let at = Timestamp::parse_rfc3339(text).ok_or_else(|| {
                    AppError::invalid("occurred_at", "invalid", "use RFC 3339, like 2026-11-11T10:00:00+08:00")
                })?;
                if at > now.plus_seconds(300) || at < now.minus_seconds(OFFLINE_DAYS * 86_400) {
                    return Err(AppError::invalid(
                        "occurred_at",
                        "out_of_range",
                        format!("a sale from the last {OFFLINE_DAYS} days, not in the future"),
                    ));
                }
                at
            }
        };
        if input.lines.is_empty() || input.lines.len() > MAX_LINES {
            return Err(AppError::invalid("lines", "invalid_length", format!("1 to {MAX_LINES} items")));
        }
        if input.payments.is_empty() || input.payments.len() > 5 {
            return Err(AppError::invalid("payments", "invalid_length", "1 to 5 payments"));
        }
        let merchant = self.repos.merchants.merchant(m).await?.ok_or(AppError::NotFound("merchant"))?;
        let mut paid = Money::zero(merchant.currency);
        for (i, p) in input.payments.iter().enumerate() {
            if p.amount <= 0 {
                errors.push(FieldError::new(format!("payments.{i}.amount"), "not_positive", "must be more than 0"));
                continue;
            }
            match Money::price(&format!("payments.{i}.amount"), p.amount, paid.currency()) {
                Ok(amount) => paid = paid.checked_add(amount)?,
                Err(e) => errors.push(e),
            }
        }
        let member = match &input.member_phone {
            None => None,
            Some(phone) => match Phone::parse("member_phone", phone) {
                Ok(phone) => Some(phone),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        if input.points < 0 {
            errors.push(FieldError::new("points", "not_positive", "cannot be negative"));
        } else if input.points > 0 && input.offline {
            errors.push(FieldError::new("points", "offline", "points cannot be spent while the till is offline"));
        } else if input.points > 0 && input.member_phone.is_none() && input.member_id.is_none() {
            errors.push(FieldError::new("points", "member_required", "scan the member's card to spend points"));
        }
        if input.coupon_id.is_some() && input.offline {
            errors.push(FieldError::new("coupon_id", "offline", "coupons cannot be spent while the till is offline"));
        } else if input.coupon_id.is_some() && input.member_phone.is_none() && input.member_id.is_none() {
            errors.push(FieldError::new("coupon_id", "member_required", "scan the member's card to spend a coupon"));
        }

        // The SKUs, by id or barcode; each once.
        let mut skus = Vec::with_capacity(input.lines.len());
        let mut seen = HashSet::new();
        for (i, l) in input.lines.iter().enumerate() {
            if let Err(e) = line_quantity(&format!("lines.{i}.quantity"), l.quantity) {
                errors.push(e);
            }
            let sku = match (&l.sku_id, &l.barcode) {
                (Some(id), None) => self.repos.catalog.sku(m, *id).await?,
                (None, Some(code)) if !code.is_empty() && code.len() <= 64 => {
                    let filter = SkuFilter { barcode: Some(code.clone()), ..Default::default() };
                    self.repos.catalog.list_skus(m, &filter, &PageRequest::first(1)).await?.items.into_iter().next()
                }
                _ => {
                    errors.push(FieldError::new(
                        format!("lines.{i}"),
                        "sku_required",
                        "give sku_id or barcode, not both",
                    ));
                    continue;
                }
            };
            match sku {
                Some(sku) if seen.insert(sku.id) => skus.push((sku, l.quantity)),
                Some(_) => errors.push(FieldError::new(format!("lines.{i}"), "duplicate", "each item once")),
                None => errors.push(FieldError::new(format!("lines.{i}"), "unknown_sku", "no such item")),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }

        // A phone that is no member yet is enrolled only once the sale checks out: a
        // refused sale writes nothing.
        let (mut member, enrol_phone) = match (member, input.member_id) {
            (Some(_), Some(_)) => {
                return Err(AppError::invalid("member_id", "one_member", "give member_phone or member_id, not both"));
            }
            (Some(phone), None) => match self.repos.loyalty.member_by_phone(m, &phone).await? {
                Some(found) => (Some(found), None),
                None => (None, Some(phone)),
            },
            (None, Some(id)) => (
                Some(
                    self.repos
                        .loyalty
                        .member(m, id)
                        .await?
                        .ok_or_else(|| AppError::invalid("member_id", "unknown_member", "no such member"))?,
                ),
                None,
            ),
            (None, None) => (None, None),
        };
        // One read of the programme and the member's standing serves the whole sale:
        // member prices and the points rate follow the tier; a new member starts in the
        // first tier.
        let program = self.loyalty_program_of(m).await?;
        let tier = match (&member, &enrol_phone) {
            (Some(found), _) => Some(self.standing(&program, m, found.shopper_id).await?.1),
            (None, Some(_)) => program.tiers.first().cloned(),
            (None, None) => None,
        };
        let member_prices = tier.as_ref().is_some_and(|t| t.member_prices);

        // Priced for this store's till; members get member prices.
        let ids: Vec<SkuId> = skus.iter().map(|(s, _)| s.id).collect();
        let overrides = self.repos.catalog.price_overrides_for(m, &ids).await?;
        let shipment_id = ShipmentId::new();
        let order_id = OrderId::new();
        let mut lines = Vec::with_capacity(skus.len());
        let mut subtotal = Money::zero(paid.currency());
        for (sku, quantity) in &skus {
            let product = self.repos.catalog.product(m, sku.product_id).await?.ok_or(AppError::NotFound("product"))?;
            let price =
                resolve_price(&PriceInputs::for_sku(sku, &overrides, Channel::Pos, Some(store.id)), member_prices);
            let line = OrderLine::new(shipment_id, sku, &product, price, *quantity)?;
            subtotal = subtotal.checked_add(line.subtotal)?;
            lines.push(line);
        }
        let coupon_discount = match (input.coupon_id, &member) {
            (Some(coupon), Some(member)) => {
                self.coupon_discount(m, member.shopper_id, coupon, Channel::Pos, Some(store.id), subtotal).await?
            }
            // A phone about to be enrolled holds no coupons yet.
            (Some(_), None) if enrol_phone.is_some() => {
                return Err(AppError::conflict(
                    "coupon_unavailable",
                    Some("coupon_id"),
                    "this coupon is used or not yours",
                ));
            }
            _ => Money::zero(subtotal.currency()),
        };
        let points_value = points_value(&program, input.points, subtotal.checked_sub(coupon_discount)?)?;
        let discount = coupon_discount.checked_add(points_value)?;
        spread_discount(&mut lines, discount)?;
        let total = subtotal.checked_sub(discount)?;
        let mut note = String::new();
        if paid != total {
            if !input.offline {
                return Err(AppError::conflict(
                    "payment_mismatch",
                    Some("payments"),
                    format!(
                        "the sale comes to {}; the payments add up to {}",
                        total.to_major_string(),
                        paid.to_major_string()
                    ),
                ));
            }
            // Offline, the till charged from its own copy of the prices: the money it
            // took is what was paid; the difference is left for the merchant to see.
            note =
                format!("offline till took {} against a price of {}", paid.to_major_string(), total.to_major_string());
        }
        if let Some(phone) = &enrol_phone {
            if input.points > 0 {
                return Err(crate::ports::StoreError::InsufficientPoints { available: 0 }.into());
            }
            member = Some(self.repos.loyalty.enrol(m, phone, "pos", Some(store.id), now).await?);
        }
        let shopper_id: ShopperId = match &member {
            Some(member) => member.shopper_id,
            None => self.repos.till.walk_in_shopper(m, now).await?,
        };
        let mut order = Order {
            id: order_id,
            merchant_id: m,
            number: String::new(),
            shopper_id,
            status: OrderStatus::Completed,
            fulfilment: Fulfilment::InStore,
            channel: Channel::Pos,
            influencer_store_id: Some(store.id),
            influencer_clerk_id: Some(actor.staff_id),
            card_id: None,
            campaign_id: None,
            pickup_store_id: None,
            address: None,
            subtotal,
            discount,
            delivery_fee: Money::zero(subtotal.currency()),
            total,
            paid,
            refunded: Money::zero(subtotal.currency()),
            coupon_id: input.coupon_id,
            coupon_discount,
            points_used: input.points,
            sale_id: Some(input.sale_id.clone()),
            till_id: Some(input.till_id.clone()),
            offline: input.offline,
            flash_sale_id: None,
            pay_by: at,
            paid_at: Some(at),
            completed_at: Some(at),
            pickup_deadline: None,
            created_at: at,
            updated_at: now,
            lines,
            shipments: vec![Shipment {
                id: shipment_id,
                location_id: store.id,
                status: ShipmentStatus::Delivered,
                carrier: None,
                tracking_number: None,
                shipped_at: None,
                delivered_at: Some(at),
            }],
        };
        // Payment codes are charged last, once everything else checked out; should the
        // sale still fail to record, the charges are reversed.
        let charged = self.charge_codes(m, &input, paid.currency(), &store.name.zh).await?;
        let payments: Vec<Payment> = input
            .payments
            .iter()
            .zip(&charged)
            .enumerate()
            .map(|(i, (p, charge))| Payment {
                id: PaymentId::new(),
                merchant_id: m,
                order_id,
                provider: charge.as_ref().map_or(p.method.as_str().to_string(), |c| c.provider.to_string()),
                out_trade_no: charge
                    .as_ref()
                    .map_or(format!("till-{}-{i}", order_id.uuid().simple()), |c| c.out_trade_no.clone()),
                amount: Money::new(p.amount, paid.currency()),
                status: PaymentStatus::Captured,
                provider_txn_id: charge.as_ref().map(|c| c.provider_txn_id.clone()),
                captured_at: Some(at),
                refunded: Money::zero(paid.currency()),
                created_at: at,
            })
            .collect();
        let stock: Vec<StockLine> = order
            .lines
            .iter()
            .map(|l| StockLine {
                sku_id: l.sku_id,
                location_id: store.id,
                change: StockChange::of(MovementKind::Sell, Quantity::parse("quantity", l.quantity).expect("checked")),
                reason: None,
                note: String::new(),
                reference: Some(format!("order:{order_id}")),
            })
            .collect();
        let mut sale = TillSale {
            order: order.clone(),
            sale_id: input.sale_id.clone(),
            till_id: input.till_id.clone(),
            offline: input.offline,
            payments,
            stock,
            points: vec![],
            note,
            actor_id: Some(actor.staff_id.to_string()),
        };
        for _ in 0..5 {
            order.number = self.order_number(&merchant, at)?;
            sale.order.number = order.number.clone();
            sale.points = redeem(&order, Some(store.id)).into_iter().collect();
            sale.points
                .extend(tier.as_ref().and_then(|t| earned(&program, t, &order, order.paid, Some(store.id), now)));
            match self.repos.till.record_till_sale(&sale).await {
                Ok(TillSaleOutcome::Recorded) => {
                    tracing::info!(event = "till_sale", order = %order.id, store = %store.id, total = order.total.minor(), offline = input.offline);
                    let member_points = match &member {
                        Some(mb) => self.repos.loyalty.member(m, mb.shopper_id).await?.map(|x| x.points),
                        None => None,
                    };
                    return Ok(TillSaleView { order, replayed: false, member_points });
                }
                Ok(TillSaleOutcome::AlreadyRecorded(id)) => {
                    let order = self.repos.orders.order(m, id).await?.ok_or(AppError::NotFound("order"))?;
                    return self.replayed_sale(actor, order, input.store_id).await;
                }
                Err(crate::ports::StoreError::Duplicate { field: "number" }) => continue,
                Err(e) => {
                    self.reverse_codes(m, &charged).await;
                    return Err(e.into());
                }
            }
        }
        self.reverse_codes(m, &charged).await;
        Err(AppError::Internal("could not find a free order number".into()))
    }

    /// Charges the sale's payment codes through the payment provider. Each charge's
    /// number comes from the sale id, so a resent sale is charged once.
    async fn charge_codes(
        &self,
        m: MerchantId,
        input: &TillSaleInput,
        currency: sweep_domain::Currency,
        store_name: &str,
    ) -> AppResult<Vec<Option<CodeCharge>>> {
        let mut charged: Vec<Option<CodeCharge>> = Vec::with_capacity(input.payments.len());
        for (i, p) in input.payments.iter().enumerate() {
            let Some(code) = &p.auth_code else {
                charged.push(None);
                continue;
            };
            let field = format!("payments.{i}.auth_code");
            let outcome = async {
                if !matches!(p.method, TillPaymentMethod::WechatCode | TillPaymentMethod::AlipayCode) || input.offline {
                    return Err(AppError::invalid(
                        &field,
                        "not_a_code_payment",
                        "only WeChat and Alipay codes are charged, and only while the till is online",
                    ));
                }
                let gateway = self.code_gateway(m, code).await?;
                let out_trade_no = code_trade_no(m, &input.sale_id, i);
                let request = CodePayment {
                    merchant_id: m,
                    out_trade_no: out_trade_no.clone(),
                    auth_code: code.trim().to_string(),
                    amount: Money::new(p.amount, currency),
                    description: format!("{store_name} {}", input.sale_id),
                };
                match gateway.pay_with_code(&request).await {
                    Ok(CodePaymentOutcome::Paid { provider_txn_id }) => Ok(CodeCharge {
                        provider: gateway.provider(),
                        out_trade_no,
                        provider_txn_id,
                        amount: request.amount,
                    }),
                    Ok(CodePaymentOutcome::Declined(why)) => {
                        Err(AppError::conflict("payment_declined", Some(&field), format!("the wallet declined: {why}")))
                    }
                    Err(GatewayError::Unavailable(why)) => Err(AppError::Unavailable(why)),
                    Err(GatewayError::Refused(why)) => Err(AppError::conflict("payment_declined", Some(&field), why)),
                }
            }
            .await;
            match outcome {
                Ok(charge) => charged.push(Some(charge)),
                Err(e) => {
                    self.reverse_codes(m, &charged).await;
                    return Err(e);
                }
            }
        }
        Ok(charged)
    }

    /// Gives back what was charged for a sale that did not go through.
    async fn reverse_codes(&self, merchant: MerchantId, charged: &[Option<CodeCharge>]) {
        for c in charged.iter().flatten() {
            let refund = RefundRequest {
                out_trade_no: c.out_trade_no.clone(),
                out_refund_no: format!("{}R", c.out_trade_no),
                amount: c.amount,
                total: c.amount,
                reason: "till sale did not go through".into(),
                notify_url: self.notify_url(c.provider, merchant),
            };
            let done = match self.gateway_for(merchant, c.provider).await {
                Ok(g) => g.refund(&refund).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match done {
                Ok(_) => {
                    tracing::warn!(event = "till_code_reversed", out_trade_no = %c.out_trade_no, amount = c.amount.minor())
                }
                Err(e) => {
                    tracing::error!(event = "till_code_reversal_failed", out_trade_no = %c.out_trade_no, error = %e)
                }
            }
        }
    }

    async fn replayed_sale(&self, actor: &Actor, order: Order, store: LocationId) -> AppResult<TillSaleView> {
        let at_store = order.shipments.iter().any(|s| s.location_id == store);
        if !at_store || !order.shipments.iter().all(|s| actor.can_see_location(s.location_id)) {
            return Err(AppError::conflict("sale_id_taken", Some("sale_id"), "another store's sale has this id"));
        }
        let member_points = self.repos.loyalty.member(order.merchant_id, order.shopper_id).await?.map(|m| m.points);
        Ok(TillSaleView { order, replayed: true, member_points })
    }
}
