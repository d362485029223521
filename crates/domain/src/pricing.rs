//! Which price a shopper pays, and why.
//!
//! Precedence: a flash-sale price, else a store override, else a channel override,
//! else the base price; a member price applies when it is lower. Coupons and then
//! points come off the resulting unit price later, at checkout.

use serde::{Deserialize, Serialize};

use crate::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PriceSource {
    FlashSale,
    StoreOverride,
    ChannelOverride,
    Base,
    MemberPrice,
}

/// Every price that could apply to one SKU in one context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceInputs {
    pub base: Money,
    pub member_price: Option<Money>,
    pub channel_override: Option<Money>,
    pub store_override: Option<Money>,
    pub flash_price: Option<Money>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ResolvedPrice {
    /// What the shopper pays per unit before coupons and points.
    pub unit: Money,
    /// The price before any member price (shown struck through when a member price wins).
    pub list: Money,
    pub source: PriceSource,
}

pub fn resolve_price(inputs: &PriceInputs, is_member: bool) -> ResolvedPrice {
    let (list, source) = if let Some(p) = inputs.flash_price {
        (p, PriceSource::FlashSale)
    } else if let Some(p) = inputs.store_override {
        (p, PriceSource::StoreOverride)
    } else if let Some(p) = inputs.channel_override {
        (p, PriceSource::ChannelOverride)
    } else {
        (inputs.base, PriceSource::Base)
    };
    match inputs.member_price {
        Some(member) if is_member && member < list => {
            ResolvedPrice { unit: member, list, source: PriceSource::MemberPrice }
        }
        _ => ResolvedPrice { unit: list, list, source },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> PriceInputs {
        PriceInputs {
            base: Money::cny(10000),
            member_price: None,
            channel_override: None,
            store_override: None,
            flash_price: None,
        }
    }

    #[test]
    fn precedence_flash_store_channel_base() {
        let mut i = inputs();
        assert_eq!(resolve_price(&i, false).source, PriceSource::Base);
        i.channel_override = Some(Money::cny(9500));
        assert_eq!(resolve_price(&i, false).unit, Money::cny(9500));
        i.store_override = Some(Money::cny(9900));
        let r = resolve_price(&i, false);
        assert_eq!(
            (r.unit, r.source),
            (Money::cny(9900), PriceSource::StoreOverride),
            "store beats channel even when dearer"
        );
        i.flash_price = Some(Money::cny(5000));
        assert_eq!(resolve_price(&i, false).source, PriceSource::FlashSale);
    }

    #[test]
    fn member_price_only_when_lower_and_only_for_members() {
        let mut i = inputs();
        i.member_price = Some(Money::cny(8800));
        assert_eq!(resolve_price(&i, false).unit, Money::cny(10000));
        let r = resolve_price(&i, true);
        assert_eq!((r.unit, r.list, r.source), (Money::cny(8800), Money::cny(10000), PriceSource::MemberPrice));
        i.store_override = Some(Money::cny(8000));
        assert_eq!(resolve_price(&i, true).source, PriceSource::StoreOverride, "a lower list price stays");
    }

    #[test]
    fn a_skus_inputs_take_only_its_own_overrides() {
        use crate::catalog::{RecordStatus, Sku};
        use crate::channel::Channel;
        use crate::ids::{LocationId, MerchantId, ProductId, SkuId};
        let now = crate::Timestamp::from_unix_micros(0);
        let sku = |base| Sku {
            id: SkuId::new(),
            merchant_id: MerchantId::new(),
            product_id: ProductId::new(),
            code: "S".into(),
            barcode: None,
            attributes: Default::default(),
            base_price: Money::cny(base),
            member_price: Some(Money::cny(8000)),
            status: RecordStatus::Active,
            created_at: now,
            updated_at: now,
        };
        let (a, b) = (sku(10000), sku(20000));
        let store = LocationId::new();
        let set = |sku: &Sku, scope, price| PriceOverride {
            sku_id: sku.id,
            scope,
            price: Money::cny(price),
            updated_at: now,
        };
        let overrides = [
            set(&b, PriceScope::Channel(Channel::Wechat), 100),
            set(&a, PriceScope::Channel(Channel::Wechat), 9500),
            set(&b, PriceScope::Store(store), 200),
        ];
        let i = PriceInputs::for_sku(&a, &overrides, Channel::Wechat, Some(store));
        assert_eq!((i.base, i.member_price), (Money::cny(10000), Some(Money::cny(8000))));
        assert_eq!((i.channel_override, i.store_override), (Some(Money::cny(9500)), None));
        let i = PriceInputs::for_sku(&b, &overrides, Channel::Pos, Some(store));
        assert_eq!((i.channel_override, i.store_override), (None, Some(Money::cny(200))));
    }
}

/// Where a price override applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PriceScope {
    Channel(crate::channel::Channel),
    Store(crate::ids::LocationId),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PriceOverride {
    pub sku_id: crate::ids::SkuId,
    pub scope: PriceScope,
    pub price: Money,
    pub updated_at: crate::Timestamp,
}

impl PriceInputs {
    /// Gathers the inputs for one SKU on one channel and, optionally, in one store's
    /// context. `overrides` may hold other SKUs' overrides too (a batch read for many
    /// SKUs): only this SKU's count.
    pub fn for_sku(
        sku: &crate::catalog::Sku,
        overrides: &[PriceOverride],
        channel: crate::channel::Channel,
        store: Option<crate::ids::LocationId>,
    ) -> PriceInputs {
        let find =
            |scope: PriceScope| overrides.iter().find(|o| o.sku_id == sku.id && o.scope == scope).map(|o| o.price);
        PriceInputs {
            base: sku.base_price,
            member_price: sku.member_price,
            channel_override: find(PriceScope::Channel(channel)),
            store_override: store.and_then(|s| find(PriceScope::Store(s))),
            flash_price: None,
        }
    }
}
