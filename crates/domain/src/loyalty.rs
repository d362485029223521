//! The member card: points earned and spent online and at the till, tiers by rolling
//! spend, and the rules that give points back when an order is cancelled or refunded.
//!
//! A member's balance is the sum of their points ledger and never negative. Every
//! ledger entry has a `source` naming the one event that made it (`earn:<order>`,
//! `reverse:<refund>`, ...), unique per merchant, so no effect is ever applied twice.

use serde::{Deserialize, Serialize};

use crate::ids::{LocationId, OrderId, ShopperId};
use crate::text::Localized;
use crate::{FieldError, Money, MoneyError, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PointsKind {
    /// Earned on a paid order.
    Earn,
    /// Spent as a discount on an order.
    Redeem,
    /// Spent points given back (order cancelled or expired unpaid, or refunded).
    Restore,
    /// Earned points taken back because the order was refunded.
    Reverse,
    /// Points older than the programme's validity, gone.
    Expire,
}

impl PointsKind {
    pub const ALL: [PointsKind; 5] =
        [PointsKind::Earn, PointsKind::Redeem, PointsKind::Restore, PointsKind::Reverse, PointsKind::Expire];

    pub fn as_str(self) -> &'static str {
        match self {
            PointsKind::Earn => "earn",
            PointsKind::Redeem => "redeem",
            PointsKind::Restore => "restore",
            PointsKind::Reverse => "reverse",
            PointsKind::Expire => "expire",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        PointsKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One line of a member's points ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsEntry {
    pub id: String,
    pub shopper_id: ShopperId,
    pub kind: PointsKind,
    /// Positive for points in, negative for points out.
    pub delta: i64,
    pub order_id: Option<OrderId>,
    /// The store where it happened, for till sales.
    pub store_id: Option<LocationId>,
    pub note: String,
    /// Points in: when they expire.
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A membership level, reached by what the member spent over the rolling window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tier {
    /// A short stable name (`silver`).
    pub code: String,
    pub name: Localized,
    /// Spend over the window, in minor units, that reaches this tier.
    pub min_spend: i64,
    /// Points earned per point of the base rate, in percent (150 = one and a half).
    pub points_percent: i64,
    /// Members in the tier pay SKUs' member prices (default: yes).
    #[serde(default = "yes")]
    pub member_prices: bool,
}

fn yes() -> bool {
    true
}

/// A merchant's loyalty programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoyaltyProgram {
    /// Minor units paid per point earned at the base rate (100: a point per yuan).
    pub spend_per_point: i64,
    /// What one point is worth when spent, in minor units (1: 100 points make a yuan).
    pub point_value: i64,
    /// At most this percentage of an order's goods may be paid with points.
    pub max_redeem_percent: i64,
    /// Points expire this many days after they were earned.
    pub points_valid_days: i64,
    /// Tiers look at spend over this many days.
    pub tier_window_days: i64,
    /// From the lowest (`min_spend` 0) up.
    pub tiers: Vec<Tier>,
}

pub const MAX_POINTS: i64 = 1_000_000_000;

impl Default for LoyaltyProgram {
    fn default() -> Self {
        let tier = |code: &str, zh: &str, en: &str, min_spend: i64, points_percent: i64| Tier {
            code: code.into(),
            name: Localized { zh: zh.into(), en: en.into() },
            min_spend,
            points_percent,
            member_prices: true,
        };
        LoyaltyProgram {
            spend_per_point: 100,
            point_value: 1,
            max_redeem_percent: 50,
            points_valid_days: 365,
            tier_window_days: 365,
            tiers: vec![
                tier("member", "普通会员", "Member", 0, 100),
                tier("silver", "银卡会员", "Silver", 200_000, 150),
                tier("gold", "金卡会员", "Gold", 1_000_000, 200),
            ],
        }
    }
}

impl LoyaltyProgram {
    /// Checks a programme a merchant sent.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut range = |field: &str, value: i64, min: i64, max: i64| {
            if !(min..=max).contains(&value) {
                errors.push(FieldError::new(field, "out_of_range", format!("must be from {min} to {max}")));
            }
        };
        range("spend_per_point", self.spend_per_point, 1, 1_000_000);
        range("point_value", self.point_value, 1, 10_000);
        range("max_redeem_percent", self.max_redeem_percent, 0, 100);
        range("points_valid_days", self.points_valid_days, 1, 3650);
        range("tier_window_days", self.tier_window_days, 1, 3650);
        if self.tiers.is_empty() || self.tiers.len() > 10 {
            errors.push(FieldError::new("tiers", "invalid_length", "from 1 to 10 tiers"));
        }
        for (i, t) in self.tiers.iter().enumerate() {
            let field = |f: &str| format!("tiers.{i}.{f}");
            if t.code.is_empty() || t.code.len() > 32 || !t.code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                errors.push(FieldError::new(field("code"), "invalid", "1 to 32 letters, digits or _"));
            }
            if t.name.zh.trim().is_empty() && t.name.en.trim().is_empty() {
                errors.push(FieldError::new(field("name"), "required", "name the tier"));
            }
            if !(0..=1_000).contains(&t.points_percent) {
                errors.push(FieldError::new(field("points_percent"), "out_of_range", "must be from 0 to 1000"));
            }
            let expected_order = match i {
                0 => t.min_spend == 0,
                _ => t.min_spend > self.tiers[i - 1].min_spend,
            };
            if !expected_order {
                errors.push(FieldError::new(
                    field("min_spend"),
                    "out_of_order",
                    "the first tier starts at 0 and each next one needs more spend",
                ));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// The tier a member with this rolling spend stands in.
    pub fn tier_for(&self, spend: i64) -> &Tier {
        self.tiers.iter().rev().find(|t| spend >= t.min_spend).unwrap_or(&self.tiers[0])
    }

    /// Points earned on `paid`, in the member's tier. Whole points, rounded down.
    pub fn points_for(&self, paid: Money, tier: &Tier) -> i64 {
        let base = i128::from(paid.minor().max(0)) / i128::from(self.spend_per_point.max(1));
        let points = base * i128::from(tier.points_percent) / 100;
        i64::try_from(points).unwrap_or(MAX_POINTS).min(MAX_POINTS)
    }

    /// What `points` take off an order whose goods come to `goods`, or why they cannot.
    pub fn redemption(&self, points: i64, goods: Money) -> Result<Money, RedeemError> {
        if points <= 0 || points > MAX_POINTS {
            return Err(RedeemError::Invalid);
        }
        let value = points.checked_mul(self.point_value).ok_or(RedeemError::Invalid)?;
        let cap = self.max_redeemable_value(goods);
        if value > cap {
            return Err(RedeemError::AboveCap { max_points: cap / self.point_value.max(1) });
        }
        Ok(Money::new(value, goods.currency()))
    }

    /// The most points (whole) an order of `goods` can take.
    pub fn max_points_for(&self, goods: Money) -> i64 {
        self.max_redeemable_value(goods) / self.point_value.max(1)
    }

    fn max_redeemable_value(&self, goods: Money) -> i64 {
        let cap = i128::from(goods.minor().max(0)) * i128::from(self.max_redeem_percent) / 100;
        // Something is always left to pay, so every order has a payment behind it.
        let cap = cap.min(i128::from(goods.minor().max(1) - 1));
        i64::try_from(cap).unwrap_or(0)
    }

    pub fn expiry_for(&self, earned_at: Timestamp) -> Timestamp {
        earned_at.plus_seconds(self.points_valid_days * 86_400)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RedeemError {
    #[error("points must be a positive whole number")]
    Invalid,
    #[error("at most {max_points} points on this order")]
    AboveCap { max_points: i64 },
}

/// What is owed back once `refunded_total` (all refunds so far, this one included) of
/// `paid` has been refunded, for a quantity of `points` tied to the order, less what was
/// given back already. Rounded down, so the full refund gives back exactly all of it.
pub fn pro_rata_points(points: i64, refunded_total: Money, paid: Money, already: i64) -> Result<i64, MoneyError> {
    if points <= 0 || paid.minor() <= 0 {
        return Ok(0);
    }
    let refunded = refunded_total.minor().clamp(0, paid.minor());
    let due = i128::from(points) * i128::from(refunded) / i128::from(paid.minor());
    let due = i64::try_from(due).map_err(|_| MoneyError::Overflow)?;
    Ok((due - already).max(0))
}

/// Points that expire now, first in first out: everything that came in and has passed
/// its expiry, less everything that has gone out (spent, reversed or expired before).
/// Recomputing after the expiry is written gives 0, so the rule is safe to run again.
pub fn points_to_expire(expired_in: i64, all_out: i64, balance: i64) -> i64 {
    (expired_in - all_out).clamp(0, balance.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_programme_is_valid() {
        LoyaltyProgram::default().validate().unwrap();
    }

    #[test]
    fn tiers_must_climb() {
        let mut p = LoyaltyProgram::default();
        p.tiers[2].min_spend = 100;
        let errors = p.validate().unwrap_err();
        assert_eq!(errors[0].field, "tiers.2.min_spend");
        p.tiers[2].min_spend = 2_000_000;
        p.tiers[0].min_spend = 5;
        assert_eq!(p.validate().unwrap_err()[0].field, "tiers.0.min_spend");
    }

    #[test]
    fn tier_by_spend() {
        let p = LoyaltyProgram::default();
        assert_eq!(p.tier_for(0).code, "member");
        assert_eq!(p.tier_for(199_999).code, "member");
        assert_eq!(p.tier_for(200_000).code, "silver");
        assert_eq!(p.tier_for(5_000_000).code, "gold");
    }

    #[test]
    fn points_per_yuan_times_the_tier() {
        let p = LoyaltyProgram::default();
        assert_eq!(p.points_for(Money::cny(35_999), p.tier_for(0)), 359);
        assert_eq!(p.points_for(Money::cny(35_999), p.tier_for(200_000)), 538);
        assert_eq!(p.points_for(Money::cny(99), p.tier_for(0)), 0);
    }

    #[test]
    fn redemption_is_capped_and_leaves_something_to_pay() {
        let p = LoyaltyProgram::default();
        assert_eq!(p.redemption(500, Money::cny(10_000)), Ok(Money::cny(500)));
        assert_eq!(p.redemption(5_001, Money::cny(10_000)), Err(RedeemError::AboveCap { max_points: 5_000 }));
        assert_eq!(p.redemption(0, Money::cny(10_000)), Err(RedeemError::Invalid));
        let all = LoyaltyProgram { max_redeem_percent: 100, ..LoyaltyProgram::default() };
        assert_eq!(all.max_points_for(Money::cny(10_000)), 9_999);
    }

    #[test]
    fn refunds_give_points_back_pro_rata_and_whole_at_the_end() {
        let paid = Money::cny(30_000);
        let first = pro_rata_points(301, Money::cny(10_000), paid, 0).unwrap();
        assert_eq!(first, 100);
        let second = pro_rata_points(301, Money::cny(20_000), paid, first).unwrap();
        assert_eq!(second, 100);
        let last = pro_rata_points(301, paid, paid, first + second).unwrap();
        assert_eq!(first + second + last, 301);
    }

    #[test]
    fn expiry_is_first_in_first_out_and_idempotent() {
        // 300 in that has expired, 120 spent since: 180 of the old points are left.
        assert_eq!(points_to_expire(300, 120, 500), 180);
        // After writing the expiry, the out side grew by 180.
        assert_eq!(points_to_expire(300, 300, 320), 0);
        // Never more than the balance.
        assert_eq!(points_to_expire(300, 0, 50), 50);
    }
}
