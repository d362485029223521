//! Coupons: a definition belongs to a campaign (what it takes off, when and where it
//! applies, how many exist); members hold coupons of it and spend each once.

use serde::{Deserialize, Serialize};

use crate::channel::Channel;
use crate::ids::{CampaignId, CouponDefId, CouponId, LocationId, MerchantId, OrderId, ShopperId};
use crate::text::Localized;
use crate::{FieldError, Money, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CouponValue {
    /// A fixed amount off, in minor units.
    Fixed { amount: i64 },
    /// A percentage off the goods, optionally capped (minor units).
    Percent { percent: i64, max_discount: Option<i64> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CouponDefStatus {
    Active,
    /// No more issued or claimed; coupons already held still work until they end.
    Disabled,
}

impl CouponDefStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CouponDefStatus::Active => "active",
            CouponDefStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [CouponDefStatus::Active, CouponDefStatus::Disabled].into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CouponDef {
    pub id: CouponDefId,
    pub merchant_id: MerchantId,
    pub campaign_id: CampaignId,
    pub name: Localized,
    pub value: CouponValue,
    /// The goods must come to at least this (minor units).
    pub min_spend: i64,
    /// Where it can be spent; empty: every channel.
    pub channels: Vec<Channel>,
    /// At which stores (pickup or till); empty: everywhere, delivery included.
    pub stores: Vec<LocationId>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// How many may ever be issued; `None`: no limit.
    pub total_limit: Option<i64>,
    /// How many one member may hold in all.
    pub per_member_limit: i64,
    /// Members may claim it themselves (else only the merchant issues it).
    pub claimable: bool,
    pub issued: i64,
    pub status: CouponDefStatus,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CouponStatus {
    Available,
    /// Spent on `order_id`.
    Used,
}

impl CouponStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CouponStatus::Available => "available",
            CouponStatus::Used => "used",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [CouponStatus::Available, CouponStatus::Used].into_iter().find(|x| x.as_str() == s)
    }
}

/// One coupon a member holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coupon {
    pub id: CouponId,
    pub def_id: CouponDefId,
    pub shopper_id: ShopperId,
    pub status: CouponStatus,
    pub order_id: Option<OrderId>,
    pub issued_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// Why a coupon cannot go on an order; each has a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CouponRejection {
    #[error("the coupon is not valid yet")]
    NotStarted,
    #[error("the coupon has ended")]
    Ended,
    #[error("the coupon cannot be used on this channel")]
    WrongChannel,
    #[error("the coupon cannot be used at this store")]
    WrongStore,
    #[error("the goods must come to at least {0} minor units")]
    BelowMinimum(i64),
}

impl CouponRejection {
    pub fn code(self) -> &'static str {
        match self {
            CouponRejection::NotStarted => "coupon_not_started",
            CouponRejection::Ended => "coupon_ended",
            CouponRejection::WrongChannel => "coupon_wrong_channel",
            CouponRejection::WrongStore => "coupon_wrong_store",
            CouponRejection::BelowMinimum(_) => "coupon_below_minimum",
        }
    }
}

impl CouponDef {
    /// Checks a definition a merchant sent.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        match self.value {
            CouponValue::Fixed { amount } if !(1..=100_000_000).contains(&amount) => {
                errors.push(FieldError::new("value.amount", "out_of_range", "1 to 100000000 minor units"));
            }
            CouponValue::Percent { percent, max_discount } => {
                if !(1..=99).contains(&percent) {
                    errors.push(FieldError::new("value.percent", "out_of_range", "1 to 99 percent"));
                }
                if max_discount.is_some_and(|m| m < 1) {
                    errors.push(FieldError::new("value.max_discount", "not_positive", "must be more than 0"));
                }
            }
            CouponValue::Fixed { .. } => {}
        }
        if !(0..=100_000_000).contains(&self.min_spend) {
            errors.push(FieldError::new("min_spend", "out_of_range", "0 to 100000000 minor units"));
        }
        if self.ends_at <= self.starts_at {
            errors.push(FieldError::new("ends_at", "before_start", "must be after starts_at"));
        }
        if self.total_limit.is_some_and(|l| !(1..=100_000_000).contains(&l)) {
            errors.push(FieldError::new("total_limit", "out_of_range", "1 to 100000000"));
        }
        if !(1..=100).contains(&self.per_member_limit) {
            errors.push(FieldError::new("per_member_limit", "out_of_range", "1 to 100"));
        }
        if self.name.zh.trim().is_empty() && self.name.en.trim().is_empty() {
            errors.push(FieldError::new("name", "required", "name the coupon"));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// Whether the coupon can go on an order of `goods` on `channel`, fulfilled at
    /// `store` (pickup or till; `None` for delivery), at `now`.
    pub fn check(
        &self,
        channel: Channel,
        store: Option<LocationId>,
        goods: Money,
        now: Timestamp,
    ) -> Result<(), CouponRejection> {
        if now < self.starts_at {
            return Err(CouponRejection::NotStarted);
        }
        if now >= self.ends_at {
            return Err(CouponRejection::Ended);
        }
        if !self.channels.is_empty() && !self.channels.contains(&channel) {
            return Err(CouponRejection::WrongChannel);
        }
        if !self.stores.is_empty() && !store.is_some_and(|s| self.stores.contains(&s)) {
            return Err(CouponRejection::WrongStore);
        }
        if goods.minor() < self.min_spend {
            return Err(CouponRejection::BelowMinimum(self.min_spend));
        }
        Ok(())
    }

    /// What the coupon takes off goods of `goods`: never all of it, so every order
    /// still has a payment behind it.
    pub fn discount(&self, goods: Money) -> Money {
        let g = goods.minor().max(0);
        let off = match self.value {
            CouponValue::Fixed { amount } => amount,
            CouponValue::Percent { percent, max_discount } => {
                let off = i64::try_from(i128::from(g) * i128::from(percent) / 100).unwrap_or(i64::MAX);
                max_discount.map_or(off, |m| off.min(m))
            }
        };
        Money::new(off.min(g - 1).max(0), goods.currency())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(value: CouponValue) -> CouponDef {
        CouponDef {
            id: CouponDefId::new(),
            merchant_id: MerchantId::new(),
            campaign_id: CampaignId::new(),
            name: Localized { zh: "满200减30".into(), en: "30 off 200".into() },
            value,
            min_spend: 20_000,
            channels: vec![],
            stores: vec![],
            starts_at: Timestamp::from_unix_micros(1_000_000),
            ends_at: Timestamp::from_unix_micros(10_000_000),
            total_limit: Some(100),
            per_member_limit: 1,
            claimable: true,
            issued: 0,
            status: CouponDefStatus::Active,
            created_at: Timestamp::from_unix_micros(0),
        }
    }

    #[test]
    fn fixed_and_percent_discounts() {
        assert_eq!(def(CouponValue::Fixed { amount: 3000 }).discount(Money::cny(25_000)), Money::cny(3000));
        let pct = def(CouponValue::Percent { percent: 15, max_discount: Some(4000) });
        assert_eq!(pct.discount(Money::cny(20_000)), Money::cny(3000));
        assert_eq!(pct.discount(Money::cny(100_000)), Money::cny(4000), "capped");
        // Never the whole order.
        assert_eq!(def(CouponValue::Fixed { amount: 3000 }).discount(Money::cny(2000)), Money::cny(1999));
    }

    #[test]
    fn where_and_when_it_applies() {
        let mut d = def(CouponValue::Fixed { amount: 3000 });
        let now = Timestamp::from_unix_micros(5_000_000);
        assert_eq!(d.check(Channel::Mobile, None, Money::cny(20_000), now), Ok(()));
        assert_eq!(d.check(Channel::Mobile, None, Money::cny(19_999), now), Err(CouponRejection::BelowMinimum(20_000)));
        assert_eq!(
            d.check(Channel::Mobile, None, Money::cny(20_000), Timestamp::from_unix_micros(10)),
            Err(CouponRejection::NotStarted)
        );
        assert_eq!(d.check(Channel::Mobile, None, Money::cny(20_000), d.ends_at), Err(CouponRejection::Ended));
        d.channels = vec![Channel::Pos];
        assert_eq!(d.check(Channel::Mobile, None, Money::cny(20_000), now), Err(CouponRejection::WrongChannel));
        let store = LocationId::new();
        d.stores = vec![store];
        assert_eq!(d.check(Channel::Pos, None, Money::cny(20_000), now), Err(CouponRejection::WrongStore));
        assert_eq!(d.check(Channel::Pos, Some(store), Money::cny(20_000), now), Ok(()));
    }

    #[test]
    fn validation_names_the_fields() {
        let mut d = def(CouponValue::Percent { percent: 100, max_discount: None });
        d.per_member_limit = 0;
        d.ends_at = d.starts_at;
        let fields: Vec<String> = d.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["value.percent", "ends_at", "per_member_limit"]);
    }
}
