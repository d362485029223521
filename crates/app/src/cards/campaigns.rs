//! Campaigns: named marketing events with dates, which cards (and later coupons and
//! flash sales) belong to.

use serde::Deserialize;
use sweep_domain::Timestamp;
use sweep_domain::card::{Campaign, validate_campaign_dates};
use sweep_domain::error::Validator;
use sweep_domain::ids::CampaignId;
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::text;

use crate::page::{Page, PageRequest};
use crate::ports::StoreError;
use crate::{AppError, AppResult, Sweep, require, tenant};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignInput {
    /// Unique within the merchant, e.g. "Double 11 2026".
    pub name: String,
    /// RFC 3339, e.g. `2026-11-01T00:00:00+08:00`.
    pub starts_at: String,
    pub ends_at: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateCampaignInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
}

fn instant(v: &mut Validator, field: &str, text: &str) -> Option<Timestamp> {
    let parsed = Timestamp::parse_rfc3339(text.trim());
    if parsed.is_none() {
        v.push(sweep_domain::FieldError::new(
            field,
            "invalid_time",
            "an RFC 3339 time, e.g. 2026-11-11T00:00:00+08:00",
        ));
    }
    parsed
}

fn duplicate_name(e: StoreError) -> AppError {
    match e {
        StoreError::Duplicate { .. } => {
            AppError::conflict("duplicate", Some("name"), "a campaign has this name already")
        }
        other => other.into(),
    }
}

impl Sweep {
    pub async fn create_campaign(&self, actor: &Actor, input: CampaignInput) -> AppResult<Campaign> {
        require(actor, Permission::ManageCampaigns)?;
        let merchant_id = tenant(actor)?;
        let mut v = Validator::new();
        let name = v.check(text::name("name", &input.name));
        let starts_at = instant(&mut v, "starts_at", &input.starts_at);
        let ends_at = instant(&mut v, "ends_at", &input.ends_at);
        if let (Some(s), Some(e)) = (starts_at, ends_at) {
            v.check(validate_campaign_dates(s, e));
        }
        v.finish()?;
        let now = self.now();
        let campaign = Campaign {
            id: CampaignId::new(),
            merchant_id,
            name: name.expect("validated"),
            starts_at: starts_at.expect("validated"),
            ends_at: ends_at.expect("validated"),
            created_at: now,
            updated_at: now,
        };
        self.repos.cards.insert_campaign(&campaign).await.map_err(duplicate_name)?;
        Ok(campaign)
    }

    pub async fn list_campaigns(&self, actor: &Actor, page: &PageRequest) -> AppResult<Page<Campaign>> {
        require(actor, Permission::ViewCards)?;
        Ok(self.repos.cards.campaigns(tenant(actor)?, page).await?)
    }

    pub async fn get_campaign(&self, actor: &Actor, id: CampaignId) -> AppResult<Campaign> {
        require(actor, Permission::ViewCards)?;
        self.repos.cards.campaign(tenant(actor)?, id).await?.ok_or(AppError::NotFound("campaign"))
    }

    /// Renames or re-dates a campaign; its cards and figures follow.
    pub async fn update_campaign(
        &self,
        actor: &Actor,
        id: CampaignId,
        input: UpdateCampaignInput,
    ) -> AppResult<Campaign> {
        require(actor, Permission::ManageCampaigns)?;
        let mut campaign = self.get_campaign(actor, id).await?;
        let mut v = Validator::new();
        if let Some(name) = input.name.as_deref().and_then(|n| v.check(text::name("name", n))) {
            campaign.name = name;
        }
        if let Some(t) = input.starts_at.as_deref().and_then(|t| instant(&mut v, "starts_at", t)) {
            campaign.starts_at = t;
        }
        if let Some(t) = input.ends_at.as_deref().and_then(|t| instant(&mut v, "ends_at", t)) {
            campaign.ends_at = t;
        }
        v.check(validate_campaign_dates(campaign.starts_at, campaign.ends_at));
        v.finish()?;
        campaign.updated_at = self.now();
        self.repos.cards.update_campaign(&campaign).await.map_err(duplicate_name)?;
        Ok(campaign)
    }
}
