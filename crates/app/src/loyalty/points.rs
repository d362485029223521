//! The points each order step earns, spends, gives back or takes back. Each change is
//! written in the step's own transaction, keyed by the event behind it.

use sweep_domain::ids::{LocationId, MerchantId, ShopperId};
use sweep_domain::loyalty::{LoyaltyProgram, PointsKind, RedeemError, Tier, points_to_expire, pro_rata_points};
use sweep_domain::order::{Order, Refund};
use sweep_domain::{Money, Timestamp};

use crate::ports::PointsChange;
use crate::{AppError, AppResult, Sweep};

/// Points spent on an order as it is placed.
pub(crate) fn redeem(order: &Order, store: Option<LocationId>) -> Option<PointsChange> {
    (order.points_used > 0).then(|| PointsChange {
        shopper_id: order.shopper_id,
        kind: PointsKind::Redeem,
        delta: -order.points_used,
        source: format!("redeem:{}", order.id),
        order_id: Some(order.id),
        store_id: store,
        note: order.number.clone(),
        expires_at: None,
        clamp: false,
    })
}

/// An unpaid order ended (cancelled or expired): the points it spent come back.
pub(crate) fn restore_unpaid(order: &Order, program: &LoyaltyProgram, now: Timestamp) -> Option<PointsChange> {
    (order.points_used > 0).then(|| PointsChange {
        shopper_id: order.shopper_id,
        kind: PointsKind::Restore,
        delta: order.points_used,
        source: format!("restore:{}", order.id),
        order_id: Some(order.id),
        store_id: None,
        note: order.number.clone(),
        expires_at: Some(program.expiry_for(now)),
        clamp: false,
    })
}

/// What `points` take off goods of `goods` (after any coupon); nothing for 0.
pub(crate) fn points_value(program: &LoyaltyProgram, points: i64, goods: Money) -> AppResult<Money> {
    if points == 0 {
        return Ok(Money::zero(goods.currency()));
    }
    program.redemption(points, goods).map_err(|e| match e {
        RedeemError::Invalid => AppError::invalid("points", "invalid", e.to_string()),
        RedeemError::AboveCap { .. } => AppError::invalid("points", "above_cap", e.to_string()),
    })
}

/// Points a member in `tier` earns on `paid` of this order; `None` for nothing.
pub(crate) fn earned(
    program: &LoyaltyProgram,
    tier: &Tier,
    order: &Order,
    paid: Money,
    store: Option<LocationId>,
    now: Timestamp,
) -> Option<PointsChange> {
    let points = program.points_for(paid, tier);
    (points > 0).then(|| PointsChange {
        shopper_id: order.shopper_id,
        kind: PointsKind::Earn,
        delta: points,
        source: format!("earn:{}", order.id),
        order_id: Some(order.id),
        store_id: store,
        note: order.number.clone(),
        expires_at: Some(program.expiry_for(now)),
        clamp: false,
    })
}

impl Sweep {
    /// The merchant's programme, or the default one until they set their own.
    pub async fn loyalty_program_of(&self, merchant: MerchantId) -> AppResult<LoyaltyProgram> {
        Ok(self.repos.loyalty.program(merchant).await?.unwrap_or_default())
    }

    /// Whether the member's tier gets member prices. Only looks at spend when some tier
    /// goes without them (the default programme gives them to every tier).
    pub(crate) async fn member_prices_for(&self, merchant: MerchantId, shopper: ShopperId) -> AppResult<bool> {
        let program = self.loyalty_program_of(merchant).await?;
        if program.tiers.iter().all(|t| t.member_prices) {
            return Ok(true);
        }
        Ok(self.standing(&program, merchant, shopper).await?.1.member_prices)
    }

    /// What the member spent over the programme's window, and the tier that gives.
    pub(crate) async fn standing(
        &self,
        program: &LoyaltyProgram,
        merchant: MerchantId,
        shopper: ShopperId,
    ) -> AppResult<(i64, Tier)> {
        let since = self.now().minus_seconds(program.tier_window_days * 86_400);
        let spend = self.repos.loyalty.rolling_spend(merchant, shopper, since).await?;
        Ok((spend, program.tier_for(spend).clone()))
    }

    /// Points a member earns on `paid` of this order, in their tier as it stands now
    /// (before this order counts). `None` for shoppers without a card and for nothing.
    pub(crate) async fn earn(
        &self,
        order: &Order,
        paid: Money,
        store: Option<LocationId>,
        now: Timestamp,
    ) -> AppResult<Option<PointsChange>> {
        if self.repos.loyalty.member(order.merchant_id, order.shopper_id).await?.is_none() {
            return Ok(None);
        }
        let program = self.loyalty_program_of(order.merchant_id).await?;
        let (_, tier) = self.standing(&program, order.merchant_id, order.shopper_id).await?;
        Ok(earned(&program, &tier, order, paid, store, now))
    }

    /// A refund takes back earned points and gives back spent points, both in proportion
    /// to the money refunded (all refunds so far), so a full refund settles exactly.
    pub(crate) async fn points_for_refunds(
        &self,
        order: &Order,
        refunds: &[Refund],
        now: Timestamp,
    ) -> AppResult<Vec<PointsChange>> {
        let Some(first) = refunds.first() else { return Ok(vec![]) };
        let entries = self.repos.loyalty.order_points(order.merchant_id, order.id).await?;
        let sum = |kind: PointsKind| entries.iter().filter(|e| e.kind == kind).map(|e| e.delta.abs()).sum::<i64>();
        let (earned, reversed, restored) = (sum(PointsKind::Earn), sum(PointsKind::Reverse), sum(PointsKind::Restore));
        let mut refunded = order.refunded;
        for r in refunds {
            refunded = refunded.checked_add(r.amount)?;
        }
        let reverse = pro_rata_points(earned, refunded, order.paid, reversed)?;
        let restore = pro_rata_points(order.points_used, refunded, order.paid, restored)?;
        let program = self.loyalty_program_of(order.merchant_id).await?;
        let mut changes = Vec::new();
        if reverse > 0 {
            changes.push(PointsChange {
                shopper_id: order.shopper_id,
                kind: PointsKind::Reverse,
                delta: -reverse,
                source: format!("reverse:{}", first.id),
                order_id: Some(order.id),
                store_id: None,
                note: order.number.clone(),
                expires_at: None,
                // Points earned on the order may have been spent since: take what is there.
                clamp: true,
            });
        }
        if restore > 0 {
            changes.push(PointsChange {
                shopper_id: order.shopper_id,
                kind: PointsKind::Restore,
                delta: restore,
                source: format!("restore:{}", first.id),
                order_id: Some(order.id),
                store_id: None,
                note: order.number.clone(),
                expires_at: Some(program.expiry_for(now)),
                clamp: false,
            });
        }
        Ok(changes)
    }

    /// Expires points past their validity, oldest first, for every member holding some.
    /// Safe to run from several processes at once: an expiry is keyed by how many points
    /// had expired in all, so two runs that read the same ledger write it once.
    pub async fn expire_points(&self) -> AppResult<u64> {
        let now = self.now();
        let mut after = None;
        let mut expired = 0u64;
        loop {
            let batch = self.repos.loyalty.members_with_expired_points(now, after, 200).await?;
            let Some(last) = batch.last() else { break };
            after = Some(last.1);
            for (merchant, shopper) in &batch {
                let (expired_in, all_out, balance) =
                    self.repos.loyalty.expiry_figures(*merchant, *shopper, now).await?;
                let points = points_to_expire(expired_in, all_out, balance);
                if points == 0 {
                    continue;
                }
                let change = PointsChange {
                    shopper_id: *shopper,
                    kind: PointsKind::Expire,
                    delta: -points,
                    source: format!("expire:{shopper}:{expired_in}"),
                    order_id: None,
                    store_id: None,
                    note: String::new(),
                    expires_at: None,
                    clamp: true,
                };
                self.repos.loyalty.apply_points(*merchant, &[change], now).await?;
                expired += 1;
            }
        }
        Ok(expired)
    }
}
