//! Members: the card on the phone, looking members up and enrolling them at the till,
//! and the merchant's programme.

use serde::{Deserialize, Serialize};
use sweep_domain::Timestamp;
use sweep_domain::ids::{LocationId, ShopperId};
use sweep_domain::loyalty::{LoyaltyProgram, PointsEntry, Tier};
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::shopper::Phone;

use crate::page::{Page, PageRequest};
use crate::ports::{MemberRecord, StoreError};
use crate::secrets::random_digits;
use crate::shop::ShopContext;
use crate::{AppError, AppResult, Sweep, require, tenant};

/// A member as the till and the phone see them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    pub shopper_id: ShopperId,
    /// Masked: 138****8000.
    pub phone: String,
    pub points: i64,
    /// What the points are worth now, in minor units.
    pub points_value: i64,
    pub tier: Tier,
    /// Spend over the tier window, in minor units.
    pub rolling_spend: i64,
    /// The next tier up and the spend still needed to reach it.
    pub next_tier: Option<Tier>,
    pub spend_to_next_tier: Option<i64>,
    pub joined_channel: String,
    pub joined_store_id: Option<LocationId>,
}

/// The code a member's phone shows for the till to scan: 18 digits, live for two
/// minutes, used once. The card page fetches a fresh one every minute.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberCode {
    pub code: String,
    pub expires_at: Timestamp,
    /// When the phone should ask for the next code.
    pub refresh_in_secs: i64,
}

pub const MEMBER_CODE_TTL_SECS: i64 = 120;
/// Member codes start with 99: a scanner at the till tells them from product barcodes
/// (EAN-13) and from WeChat (10-15) and Alipay (25-30) payment codes.
const MEMBER_CODE_PREFIX: &str = "99";
/// Unknown member codes one staff member may scan per window before they have to wait:
/// a till that guesses codes is held back; the member's own code still takes nothing
/// off the allowance.
const MEMBER_CODE_MISSES_PER_STAFF: i64 = 20;
const MEMBER_CODE_WINDOW_SECS: i64 = 600;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberCodeInput {
    pub code: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolInput {
    pub phone: String,
    /// The store whose till enrols the member.
    pub store_id: LocationId,
}

impl Sweep {
    async fn member_view(&self, member: MemberRecord) -> AppResult<MemberView> {
        let merchant = member.merchant_id;
        let program = self.loyalty_program_of(merchant).await?;
        let (spend, tier) = self.standing(&program, merchant, member.shopper_id).await?;
        let next = program.tiers.iter().find(|t| t.min_spend > spend).cloned();
        Ok(MemberView {
            shopper_id: member.shopper_id,
            phone: member.phone.masked(),
            points: member.points,
            points_value: member.points.saturating_mul(program.point_value),
            tier,
            rolling_spend: spend,
            spend_to_next_tier: next.as_ref().map(|t| t.min_spend - spend),
            next_tier: next,
            joined_channel: member.joined_channel,
            joined_store_id: member.joined_store_id,
        })
    }

    /// The signed-in shopper's member card.
    pub async fn my_member_card(&self, ctx: &ShopContext) -> AppResult<MemberView> {
        let id = ctx.shopper_id()?;
        let member = self.repos.loyalty.member(ctx.merchant.id, id).await?.ok_or(AppError::Unauthenticated)?;
        self.member_view(member).await
    }

    /// The signed-in shopper's points, newest first: online and in store alike.
    pub async fn my_points(&self, ctx: &ShopContext, page: &PageRequest) -> AppResult<Page<PointsEntry>> {
        let id = ctx.shopper_id()?;
        Ok(self.repos.loyalty.points_history(ctx.merchant.id, id, page).await?)
    }

    /// A fresh code for the member's card on the phone.
    pub async fn my_member_code(&self, ctx: &ShopContext) -> AppResult<MemberCode> {
        let id = ctx.shopper_id()?;
        let now = self.now();
        let expires_at = now.plus_seconds(MEMBER_CODE_TTL_SECS);
        for _ in 0..3 {
            let code = format!("{MEMBER_CODE_PREFIX}{}", random_digits(16)?);
            match self.repos.loyalty.insert_member_code(ctx.merchant.id, id, &code, expires_at, now).await {
                Ok(()) => return Ok(MemberCode { code, expires_at, refresh_in_secs: MEMBER_CODE_TTL_SECS / 2 }),
                Err(StoreError::Duplicate { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal("could not draw a free member code".into()))
    }

    /// The member whose phone shows `code`, for the till. A code works once, while live.
    pub async fn member_by_code(&self, actor: &Actor, input: MemberCodeInput) -> AppResult<MemberView> {
        require(actor, Permission::ViewMembers)?;
        let m = tenant(actor)?;
        let code = input.code.trim();
        let well_formed =
            code.len() == 18 && code.starts_with(MEMBER_CODE_PREFIX) && code.bytes().all(|b| b.is_ascii_digit());
        let expired = || {
            AppError::invalid(
                "code",
                "invalid_member_code",
                "not a live member code; ask the member to refresh the card",
            )
        };
        if !well_formed {
            return Err(expired());
        }
        // Every code tried counts before it is checked, so parallel guesses cannot slip
        // past the limit; a right code takes its count back.
        let now = self.now();
        let key = format!("member-code:staff:{}", actor.staff_id);
        let counted = self.repos.auth.count_attempt(&key, now, MEMBER_CODE_WINDOW_SECS).await?;
        if counted.count > MEMBER_CODE_MISSES_PER_STAFF {
            tracing::warn!(target: "security", event = "member_code_throttled", staff = %actor.staff_id);
            return Err(AppError::TooManyAttempts {
                retry_after_secs: counted.retry_after_secs(MEMBER_CODE_WINDOW_SECS, now),
            });
        }
        let Some(shopper) = self.repos.loyalty.use_member_code(m, code, now).await? else {
            return Err(expired());
        };
        self.repos.auth.uncount_attempt(&key).await?;
        let member = self.repos.loyalty.member(m, shopper).await?.ok_or(AppError::NotFound("member"))?;
        self.member_view(member).await
    }

    /// A member by phone number, for the till.
    pub async fn find_member(&self, actor: &Actor, phone: &str) -> AppResult<MemberView> {
        require(actor, Permission::ViewMembers)?;
        let m = tenant(actor)?;
        let phone = Phone::parse("phone", phone).map_err(|e| AppError::Invalid(vec![e]))?;
        let member = self.repos.loyalty.member_by_phone(m, &phone).await?.ok_or(AppError::NotFound("member"))?;
        self.member_view(member).await
    }

    /// Enrols a phone number as a member at a store's till; an existing member is
    /// returned as they are.
    pub async fn enrol_member(&self, actor: &Actor, input: EnrolInput) -> AppResult<MemberView> {
        require(actor, Permission::ViewMembers)?;
        let m = tenant(actor)?;
        let phone = Phone::parse("phone", &input.phone).map_err(|e| AppError::Invalid(vec![e]))?;
        self.till_store(actor, input.store_id).await?;
        let member = self.repos.loyalty.enrol(m, &phone, "pos", Some(input.store_id), self.now()).await?;
        tracing::info!(event = "member_enrolled", merchant = %m, store = %input.store_id, phone = %phone.masked());
        self.member_view(member).await
    }

    /// A member's points history, for staff.
    pub async fn member_points(
        &self,
        actor: &Actor,
        shopper: ShopperId,
        page: &PageRequest,
    ) -> AppResult<Page<PointsEntry>> {
        require(actor, Permission::ViewMembers)?;
        let m = tenant(actor)?;
        self.repos.loyalty.member(m, shopper).await?.ok_or(AppError::NotFound("member"))?;
        Ok(self.repos.loyalty.points_history(m, shopper, page).await?)
    }

    pub async fn loyalty_program(&self, actor: &Actor) -> AppResult<LoyaltyProgram> {
        require(actor, Permission::ViewMerchant)?;
        self.loyalty_program_of(tenant(actor)?).await
    }

    pub async fn set_loyalty_program(&self, actor: &Actor, program: LoyaltyProgram) -> AppResult<LoyaltyProgram> {
        require(actor, Permission::ManageLoyalty)?;
        let m = tenant(actor)?;
        program.validate().map_err(AppError::Invalid)?;
        self.repos.loyalty.save_program(m, &program, self.now()).await?;
        Ok(program)
    }
}
