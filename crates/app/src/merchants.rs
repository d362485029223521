//! Merchants: created and suspended by platform admins; settings kept by owners.

use serde::Deserialize;
use sweep_domain::Currency;
use sweep_domain::error::Validator;
use sweep_domain::ids::{MerchantId, StaffId};
use sweep_domain::merchant::{Merchant, MerchantStatus, MerchantTimeZone};
use sweep_domain::roles::{Actor, Permission, Role};
use sweep_domain::staff::{Staff, StaffStatus};
use sweep_domain::text::{self, Login, Password};

use crate::page::{Page, PageRequest};
use crate::secrets::hash_password;
use crate::{AppError, AppResult, SAVE_ATTEMPTS, Sweep, concurrent_edit, next_version, require};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateMerchantInput {
    pub name: String,
    /// Lower-case, for URLs: `a-z`, `0-9`, `-`.
    pub slug: String,
    /// IANA name; default Asia/Shanghai.
    #[serde(default)]
    pub time_zone: Option<String>,
    pub owner: NewOwnerInput,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewOwnerInput {
    pub login: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateMerchantInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Platform admins only: `active` or `suspended`.
    #[serde(default)]
    pub status: Option<MerchantStatus>,
}

pub struct CreatedMerchant {
    pub merchant: Merchant,
    pub owner: Staff,
}

impl Sweep {
    pub async fn create_merchant(&self, actor: &Actor, input: CreateMerchantInput) -> AppResult<CreatedMerchant> {
        require(actor, Permission::ManageMerchants)?;
        let mut v = Validator::new();
        let name = v.check(text::name("name", &input.name));
        let slug = v.check(text::slug("slug", &input.slug));
        let tz = v.check(MerchantTimeZone::parse(
            "time_zone",
            input.time_zone.as_deref().unwrap_or(MerchantTimeZone::DEFAULT_NAME),
        ));
        let login = v.check(Login::parse("owner.login", &input.owner.login));
        let owner_name = v.check(text::name("owner.display_name", &input.owner.display_name));
        let password = v.check(Password::new_password("owner.password", &input.owner.password));
        v.finish()?;
        let (Some(name), Some(slug), Some(tz), Some(login), Some(owner_name), Some(password)) =
            (name, slug, tz, login, owner_name, password)
        else {
            unreachable!("validated above")
        };

        let now = self.now();
        let merchant = Merchant {
            id: MerchantId::new(),
            name,
            slug,
            time_zone: tz.name().to_string(),
            currency: Currency::Cny,
            status: MerchantStatus::Active,
            created_at: now,
            updated_at: now,
        };
        let owner = Staff {
            id: StaffId::new(),
            merchant_id: Some(merchant.id),
            login,
            display_name: owner_name,
            role: Role::MerchantOwner,
            status: StaffStatus::Active,
            stores: vec![],
            created_at: now,
            updated_at: now,
        };
        let hash = hash_password(password.expose()).await?;
        self.repos.merchants.create_merchant(&merchant, &owner, &hash).await?;
        Ok(CreatedMerchant { merchant, owner })
    }

    /// Platform admins see any merchant; merchant staff only their own.
    pub async fn get_merchant(&self, actor: &Actor, id: MerchantId) -> AppResult<Merchant> {
        let visible = actor.role == Role::PlatformAdmin || actor.merchant_id == Some(id);
        if !visible {
            return Err(AppError::NotFound("merchant"));
        }
        self.repos.merchants.merchant(id).await?.ok_or(AppError::NotFound("merchant"))
    }

    pub async fn list_merchants(&self, actor: &Actor, page: &PageRequest) -> AppResult<Page<Merchant>> {
        if actor.role == Role::PlatformAdmin {
            return Ok(self.repos.merchants.list_merchants(page).await?);
        }
        let own = match actor.merchant_id {
            Some(id) => self.repos.merchants.merchant(id).await?.into_iter().collect(),
            None => vec![],
        };
        Ok(Page { items: own, next_cursor: None })
    }

    pub async fn update_merchant(
        &self,
        actor: &Actor,
        id: MerchantId,
        input: UpdateMerchantInput,
    ) -> AppResult<Merchant> {
        for _ in 0..SAVE_ATTEMPTS {
            let current = self.get_merchant(actor, id).await?;
            let mut merchant = current.clone();
            require(actor, Permission::EditMerchantSettings)?;
            let mut v = Validator::new();
            if let Some(name) = &input.name {
                merchant.name = v.check(text::name("name", name)).unwrap_or_default();
            }
            if let Some(tz) = &input.time_zone
                && let Some(tz) = v.check(MerchantTimeZone::parse("time_zone", tz))
            {
                merchant.time_zone = tz.name().to_string();
            }
            if let Some(status) = input.status {
                if actor.role != Role::PlatformAdmin {
                    return Err(AppError::Forbidden);
                }
                merchant.status = status;
            }
            v.finish()?;
            merchant.updated_at = next_version(self.now(), current.updated_at);
            if !self.repos.merchants.update_merchant(&merchant, current.updated_at).await? {
                continue;
            }
            if input.status == Some(MerchantStatus::Suspended) {
                tracing::warn!(target: "security", event = "merchant_suspended", merchant_id = %merchant.id, by = %actor.staff_id);
            }
            return Ok(merchant);
        }
        Err(concurrent_edit())
    }
}
