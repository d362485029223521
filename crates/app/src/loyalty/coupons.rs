//! Coupons: the merchant defines them in a campaign and issues them to members, or lets
//! members claim them; a member spends each once, online or at the till.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sweep_domain::channel::Channel;
use sweep_domain::coupon::{Coupon, CouponDef, CouponDefStatus, CouponRejection, CouponStatus, CouponValue};
use sweep_domain::ids::{CampaignId, CouponDefId, CouponId, LocationId, MerchantId, ShopperId};
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::shopper::Phone;
use sweep_domain::text::Localized;
use sweep_domain::{FieldError, Money, Timestamp};

use crate::page::{Page, PageRequest};
use crate::ports::IssueOutcome;
use crate::shop::ShopContext;
use crate::{AppError, AppResult, Sweep, require, tenant};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CouponDefInput {
    pub campaign_id: CampaignId,
    pub name: Localized,
    pub value: CouponValue,
    #[serde(default)]
    pub min_spend: i64,
    #[serde(default)]
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub stores: Vec<LocationId>,
    /// RFC 3339; default: the campaign's start and end.
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default)]
    pub total_limit: Option<i64>,
    /// Default 1.
    #[serde(default)]
    pub per_member_limit: Option<i64>,
    #[serde(default)]
    pub claimable: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssueCouponInput {
    /// The member, by phone or by id.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub shopper_id: Option<ShopperId>,
}

/// A member's coupon with what it is.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CouponView {
    pub coupon: Coupon,
    pub def: CouponDef,
    /// Can be spent now (available and within its dates).
    pub usable: bool,
}

fn time(field: &str, text: &Option<String>, default: Timestamp) -> Result<Timestamp, FieldError> {
    match text {
        None => Ok(default),
        Some(t) => Timestamp::parse_rfc3339(t).ok_or_else(|| FieldError::new(field, "invalid", "use RFC 3339")),
    }
}

fn issue_error(outcome: IssueOutcome) -> AppError {
    match outcome {
        IssueOutcome::NoneLeft => AppError::conflict("coupons_gone", None, "no coupons of this kind are left"),
        IssueOutcome::MemberLimit => {
            AppError::conflict("coupon_limit", None, "the member holds as many of this coupon as allowed")
        }
        IssueOutcome::Issued => AppError::Internal("issued is no error".into()),
    }
}

pub(crate) fn rejection(e: CouponRejection) -> AppError {
    AppError::invalid("coupon_id", e.code(), e.to_string())
}

impl Sweep {
    pub async fn create_coupon_def(&self, actor: &Actor, input: CouponDefInput) -> AppResult<CouponDef> {
        require(actor, Permission::ManageCampaigns)?;
        let m = tenant(actor)?;
        let campaign = self
            .repos
            .cards
            .campaign(m, input.campaign_id)
            .await?
            .ok_or_else(|| AppError::invalid("campaign_id", "unknown_campaign", "no such campaign"))?;
        let mut errors = Vec::new();
        let starts_at = time("starts_at", &input.starts_at, campaign.starts_at).map_err(|e| errors.push(e)).ok();
        let ends_at = time("ends_at", &input.ends_at, campaign.ends_at).map_err(|e| errors.push(e)).ok();
        for (i, store) in input.stores.iter().enumerate() {
            match self.repos.locations.location(m, *store).await? {
                Some(l) if l.kind == sweep_domain::location::LocationKind::Store => {}
                _ => errors.push(FieldError::new(format!("stores.{i}"), "unknown_store", "no such store")),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.now();
        let def = CouponDef {
            id: CouponDefId::new(),
            merchant_id: m,
            campaign_id: campaign.id,
            name: input.name,
            value: input.value,
            min_spend: input.min_spend,
            channels: input.channels,
            stores: input.stores,
            starts_at: starts_at.expect("checked"),
            ends_at: ends_at.expect("checked"),
            total_limit: input.total_limit,
            per_member_limit: input.per_member_limit.unwrap_or(1),
            claimable: input.claimable,
            issued: 0,
            status: CouponDefStatus::Active,
            created_at: now,
        };
        def.validate().map_err(AppError::Invalid)?;
        self.repos.coupons.insert_coupon_def(&def).await?;
        Ok(def)
    }

    pub async fn coupon_defs(
        &self,
        actor: &Actor,
        campaign: Option<CampaignId>,
        page: &PageRequest,
    ) -> AppResult<Page<CouponDef>> {
        require(actor, Permission::ViewCards)?;
        Ok(self.repos.coupons.list_coupon_defs(tenant(actor)?, campaign, page).await?)
    }

    pub async fn disable_coupon_def(&self, actor: &Actor, id: CouponDefId) -> AppResult<CouponDef> {
        require(actor, Permission::ManageCampaigns)?;
        let m = tenant(actor)?;
        if !self.repos.coupons.set_coupon_def_status(m, id, CouponDefStatus::Disabled).await? {
            return Err(AppError::NotFound("coupon"));
        }
        self.repos.coupons.coupon_def(m, id).await?.ok_or(AppError::NotFound("coupon"))
    }

    /// Gives a member one coupon of the definition.
    pub async fn issue_coupon(&self, actor: &Actor, def: CouponDefId, input: IssueCouponInput) -> AppResult<Coupon> {
        require(actor, Permission::ManageCampaigns)?;
        let m = tenant(actor)?;
        let member = match (input.phone, input.shopper_id) {
            (Some(phone), None) => {
                let phone = Phone::parse("phone", &phone).map_err(|e| AppError::Invalid(vec![e]))?;
                self.repos.loyalty.member_by_phone(m, &phone).await?
            }
            (None, Some(id)) => self.repos.loyalty.member(m, id).await?,
            _ => return Err(AppError::invalid("phone", "one_member", "give phone or shopper_id")),
        }
        .ok_or(AppError::NotFound("member"))?;
        let def = self.repos.coupons.coupon_def(m, def).await?.ok_or(AppError::NotFound("coupon"))?;
        self.give_coupon(m, &def, member.shopper_id).await
    }

    /// A member claims a claimable coupon for themselves.
    pub async fn claim_coupon(&self, ctx: &ShopContext, def: CouponDefId) -> AppResult<Coupon> {
        let shopper = ctx.shopper_id()?;
        let m = ctx.merchant.id;
        let def =
            self.repos.coupons.coupon_def(m, def).await?.filter(|d| d.claimable).ok_or(AppError::NotFound("coupon"))?;
        if self.now() >= def.ends_at {
            return Err(rejection(CouponRejection::Ended));
        }
        self.give_coupon(m, &def, shopper).await
    }

    async fn give_coupon(&self, m: MerchantId, def: &CouponDef, shopper: ShopperId) -> AppResult<Coupon> {
        let coupon = Coupon {
            id: CouponId::new(),
            def_id: def.id,
            shopper_id: shopper,
            status: CouponStatus::Available,
            order_id: None,
            issued_at: self.now(),
            used_at: None,
        };
        match self.repos.coupons.issue_coupon(m, &coupon, def.per_member_limit).await? {
            IssueOutcome::Issued => Ok(coupon),
            other => Err(issue_error(other)),
        }
    }

    /// Coupons members may claim now.
    pub async fn claimable_coupons(&self, ctx: &ShopContext) -> AppResult<Vec<CouponDef>> {
        let now = self.now();
        let defs = crate::page::all_pages(|page| async move {
            self.repos.coupons.list_coupon_defs(ctx.merchant.id, None, &page).await
        })
        .await?;
        Ok(defs
            .into_iter()
            .filter(|d| d.claimable && d.status == CouponDefStatus::Active && d.ends_at > now)
            .filter(|d| d.total_limit.is_none_or(|l| d.issued < l))
            .collect())
    }

    /// The signed-in member's coupons, newest first.
    pub async fn my_coupons(&self, ctx: &ShopContext, page: &PageRequest) -> AppResult<Page<CouponView>> {
        let shopper = ctx.shopper_id()?;
        self.coupon_views(ctx.merchant.id, shopper, page).await
    }

    /// A member's coupons, for the till.
    pub async fn member_coupons(
        &self,
        actor: &Actor,
        shopper: ShopperId,
        page: &PageRequest,
    ) -> AppResult<Page<CouponView>> {
        require(actor, Permission::ViewMembers)?;
        let m = tenant(actor)?;
        self.repos.loyalty.member(m, shopper).await?.ok_or(AppError::NotFound("member"))?;
        self.coupon_views(m, shopper, page).await
    }

    async fn coupon_views(&self, m: MerchantId, shopper: ShopperId, page: &PageRequest) -> AppResult<Page<CouponView>> {
        let coupons = self.repos.coupons.coupons_of(m, shopper, page).await?;
        let now = self.now();
        let mut items = Vec::with_capacity(coupons.items.len());
        // A member holds many coupons of few definitions: read each definition once.
        let mut defs: HashMap<CouponDefId, CouponDef> = HashMap::new();
        for coupon in coupons.items {
            let def = match defs.get(&coupon.def_id) {
                Some(def) => def.clone(),
                None => {
                    let def =
                        self.repos.coupons.coupon_def(m, coupon.def_id).await?.ok_or(AppError::NotFound("coupon"))?;
                    defs.insert(def.id, def.clone());
                    def
                }
            };
            let usable = coupon.status == CouponStatus::Available && def.starts_at <= now && now < def.ends_at;
            items.push(CouponView { coupon, def, usable });
        }
        Ok(Page { items, next_cursor: coupons.next_cursor })
    }

    /// What a member's coupon takes off an order of `goods` on `channel` at `store`, or
    /// why it cannot. The order's write spends it (once, under races).
    pub(crate) async fn coupon_discount(
        &self,
        m: MerchantId,
        shopper: ShopperId,
        coupon: CouponId,
        channel: Channel,
        store: Option<LocationId>,
        goods: Money,
    ) -> AppResult<Money> {
        let unavailable =
            || AppError::conflict("coupon_unavailable", Some("coupon_id"), "this coupon is used or not yours");
        let coupon =
            self.repos.coupons.coupon(m, coupon).await?.filter(|c| c.shopper_id == shopper).ok_or_else(unavailable)?;
        if coupon.status != CouponStatus::Available {
            return Err(unavailable());
        }
        let def = self.repos.coupons.coupon_def(m, coupon.def_id).await?.ok_or_else(unavailable)?;
        def.check(channel, store, goods, self.now()).map_err(rejection)?;
        Ok(def.discount(goods))
    }

    /// Whether an order's coupon comes back on a full refund: only while it is valid.
    pub(crate) async fn coupon_returns_on_refund(&self, order: &sweep_domain::order::Order) -> AppResult<bool> {
        let Some(id) = order.coupon_id else { return Ok(false) };
        let Some(coupon) = self.repos.coupons.coupon(order.merchant_id, id).await? else { return Ok(false) };
        let def = self.repos.coupons.coupon_def(order.merchant_id, coupon.def_id).await?;
        Ok(def.is_some_and(|d| self.now() < d.ends_at))
    }
}
