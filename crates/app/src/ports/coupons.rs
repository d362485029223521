//! Ports of coupons: definitions, issuing within limits, and members' coupons.

use async_trait::async_trait;
use sweep_domain::coupon::{Coupon, CouponDef, CouponDefStatus};
use sweep_domain::ids::*;

use super::StoreResult;
use crate::page::{Page, PageRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueOutcome {
    Issued,
    /// The definition reached its total limit, or is disabled.
    NoneLeft,
    /// The member holds as many as they may.
    MemberLimit,
}

#[async_trait]
pub trait CouponRepo: Send + Sync {
    async fn insert_coupon_def(&self, def: &CouponDef) -> StoreResult<()>;
    async fn coupon_def(&self, merchant: MerchantId, id: CouponDefId) -> StoreResult<Option<CouponDef>>;
    async fn list_coupon_defs(
        &self,
        merchant: MerchantId,
        campaign: Option<CampaignId>,
        page: &PageRequest,
    ) -> StoreResult<Page<CouponDef>>;
    async fn set_coupon_def_status(
        &self,
        merchant: MerchantId,
        id: CouponDefId,
        status: CouponDefStatus,
    ) -> StoreResult<bool>;
    /// Gives the member one coupon, counted against the definition's total and the
    /// member's limit with conditional writes, in one transaction.
    async fn issue_coupon(
        &self,
        merchant: MerchantId,
        coupon: &Coupon,
        per_member_limit: i64,
    ) -> StoreResult<IssueOutcome>;
    async fn coupon(&self, merchant: MerchantId, id: CouponId) -> StoreResult<Option<Coupon>>;
    /// A member's coupons, newest first.
    async fn coupons_of(
        &self,
        merchant: MerchantId,
        shopper: ShopperId,
        page: &PageRequest,
    ) -> StoreResult<Page<Coupon>>;
}
