//! Ports of the member card and the till: the points ledger, the loyalty programme,
//! and sales recorded from tills.

use async_trait::async_trait;
use sweep_domain::Timestamp;
use sweep_domain::ids::*;
use sweep_domain::loyalty::{LoyaltyProgram, PointsEntry, PointsKind};
use sweep_domain::shopper::Phone;

use super::StoreResult;
use crate::page::{Page, PageRequest};

/// One change to a member's points, written with the step that causes it. `source`
/// is unique per merchant: a second change with the same source is skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct PointsChange {
    pub shopper_id: ShopperId,
    pub kind: PointsKind,
    /// Positive in, negative out; never 0.
    pub delta: i64,
    pub source: String,
    pub order_id: Option<OrderId>,
    pub store_id: Option<LocationId>,
    pub note: String,
    pub expires_at: Option<Timestamp>,
    /// For points out: take what is there when the balance is short (points earned on
    /// a refunded order that were spent meanwhile) instead of refusing.
    pub clamp: bool,
}

/// A member's card as the till and the phone show it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRecord {
    pub merchant_id: MerchantId,
    pub shopper_id: ShopperId,
    pub phone: Phone,
    pub display_name: String,
    pub points: i64,
    pub joined_channel: String,
    pub joined_store_id: Option<LocationId>,
    pub created_at: Timestamp,
}

/// A member whose balance is not the sum of their points ledger (or is negative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsMismatch {
    pub merchant_id: String,
    pub shopper_id: String,
    pub points: i64,
    pub ledger: i64,
}

#[async_trait]
pub trait LoyaltyRepo: Send + Sync {
    async fn program(&self, merchant: MerchantId) -> StoreResult<Option<LoyaltyProgram>>;
    async fn save_program(&self, merchant: MerchantId, program: &LoyaltyProgram, now: Timestamp) -> StoreResult<()>;
    async fn member(&self, merchant: MerchantId, shopper: ShopperId) -> StoreResult<Option<MemberRecord>>;
    async fn member_by_phone(&self, merchant: MerchantId, phone: &Phone) -> StoreResult<Option<MemberRecord>>;
    /// Makes the phone a member (joined at `store` through the till when given), or
    /// returns the member it already is.
    async fn enrol(
        &self,
        merchant: MerchantId,
        phone: &Phone,
        channel: &str,
        store: Option<LocationId>,
        now: Timestamp,
    ) -> StoreResult<MemberRecord>;
    async fn points_history(
        &self,
        merchant: MerchantId,
        shopper: ShopperId,
        page: &PageRequest,
    ) -> StoreResult<Page<PointsEntry>>;
    async fn order_points(&self, merchant: MerchantId, order: OrderId) -> StoreResult<Vec<PointsEntry>>;
    /// What the member paid, net of refunds, on orders paid since `since`.
    async fn rolling_spend(&self, merchant: MerchantId, shopper: ShopperId, since: Timestamp) -> StoreResult<i64>;
    /// Writes points changes outside an order step (expiry), in one transaction.
    async fn apply_points(&self, merchant: MerchantId, changes: &[PointsChange], now: Timestamp) -> StoreResult<()>;
    /// Points in that have passed their expiry (`expired_in`), all points out so far,
    /// and the balance, read together.
    async fn expiry_figures(
        &self,
        merchant: MerchantId,
        shopper: ShopperId,
        now: Timestamp,
    ) -> StoreResult<(i64, i64, i64)>;
    /// Members with points in that expired by `now`, after `after`.
    async fn members_with_expired_points(
        &self,
        now: Timestamp,
        after: Option<ShopperId>,
        limit: u32,
    ) -> StoreResult<Vec<(MerchantId, ShopperId)>>;

    async fn insert_member_code(
        &self,
        merchant: MerchantId,
        shopper: ShopperId,
        code: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Uses a live member code: the member it names, once; `None` for a code that is
    /// unknown, expired or used.
    async fn use_member_code(&self, merchant: MerchantId, code: &str, now: Timestamp)
    -> StoreResult<Option<ShopperId>>;

    /// Every member, across merchants, whose balance the ledger does not explain.
    async fn points_mismatches(&self) -> StoreResult<Vec<PointsMismatch>>;
}
