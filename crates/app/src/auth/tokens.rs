use serde::Deserialize;
use sweep_domain::ids::{ApiTokenId, StaffId};
use sweep_domain::roles::{Actor, Role};
use sweep_domain::staff::ApiToken;
use sweep_domain::text;

use crate::page::{Page, PageRequest};
use crate::secrets::{random_token, token_digest};
use crate::{AppError, AppResult, Sweep};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateTokenInput {
    /// What the token is for, e.g. "ERP sync".
    pub name: String,
    /// Days until the token stops working (1 to 3650); omit for no expiry.
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

/// A new token. The secret is shown this once and never again.
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
}

impl Sweep {
    /// Issues an API token that acts as the caller, with the caller's role and stores.
    pub async fn create_api_token(&self, actor: &Actor, input: CreateTokenInput) -> AppResult<IssuedToken> {
        let name = text::name("name", &input.name)?;
        let now = self.now();
        let expires_at = match input.expires_in_days {
            None => None,
            Some(d) if (1..=3650).contains(&d) => Some(now.plus_seconds(d * 86_400)),
            Some(_) => {
                return Err(AppError::invalid("expires_in_days", "out_of_range", "must be 1 to 3650"));
            }
        };
        let secret = random_token("swt_")?;
        let token = ApiToken {
            id: ApiTokenId::new(),
            // A platform admin's token stays a platform token whichever merchant it acts in.
            merchant_id: if actor.role == Role::PlatformAdmin { None } else { actor.merchant_id },
            staff_id: actor.staff_id,
            name,
            prefix: secret[..12].to_string(),
            created_at: now,
            expires_at,
            last_used_at: None,
            revoked_at: None,
        };
        self.repos.auth.insert_token(&token, &token_digest(&secret)).await?;
        tracing::info!(target: "security", event = "api_token_created", token_id = %token.id, staff_id = %actor.staff_id);
        Ok(IssuedToken { token, secret })
    }

    /// Owners (and platform admins) see every token of the merchant; others their own.
    pub async fn list_api_tokens(
        &self,
        actor: &Actor,
        staff: Option<StaffId>,
        page: &PageRequest,
    ) -> AppResult<Page<ApiToken>> {
        let staff = if sees_all_tokens(actor) { staff } else { Some(actor.staff_id) };
        Ok(self.repos.auth.list_tokens(actor.merchant_id, staff, page).await?)
    }

    pub async fn revoke_api_token(&self, actor: &Actor, id: ApiTokenId) -> AppResult<ApiToken> {
        let token = self
            .repos
            .auth
            .token(actor.merchant_id, id)
            .await?
            .filter(|t| sees_all_tokens(actor) || t.staff_id == actor.staff_id)
            .ok_or(AppError::NotFound("api token"))?;
        let now = self.now();
        self.repos.auth.revoke_token(id, now).await?;
        tracing::info!(target: "security", event = "api_token_revoked", token_id = %id, by = %actor.staff_id);
        Ok(ApiToken { revoked_at: token.revoked_at.or(Some(now)), ..token })
    }
}

fn sees_all_tokens(actor: &Actor) -> bool {
    matches!(actor.role, Role::PlatformAdmin | Role::MerchantOwner)
}
