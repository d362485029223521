use sweep_domain::ids::MerchantId;
use sweep_domain::roles::{Actor, Role};
use sweep_domain::staff::Staff;

use crate::secrets::token_digest;
use crate::{AppError, AppResult, Sweep};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    ApiToken,
}

/// A caller whose credentials checked out.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub staff: Staff,
    pub method: AuthMethod,
    /// For sessions: the token every state-changing request must echo.
    pub csrf_token: Option<String>,
}

impl Sweep {
    /// The staff member behind a session cookie, if the session is live.
    pub async fn authenticate_session(&self, session_token: &str) -> AppResult<Option<Authenticated>> {
        let now = self.now();
        let found = self.repos.auth.session(&token_digest(session_token), now).await?;
        Ok(found.map(|(session, staff)| Authenticated {
            staff,
            method: AuthMethod::Session,
            csrf_token: Some(session.csrf_token),
        }))
    }

    /// The staff member behind a bearer API token, if the token is live.
    pub async fn authenticate_token(&self, token: &str) -> AppResult<Option<Authenticated>> {
        let now = self.now();
        let Some((api_token, staff)) = self.repos.auth.token_by_hash(&token_digest(token), now).await? else {
            return Ok(None);
        };
        // Record use at most once a minute: a write per request would be wasted work.
        if api_token.last_used_at.is_none_or(|t| t < now.minus_seconds(60)) {
            self.repos.auth.touch_token(api_token.id, now).await?;
        }
        Ok(Some(Authenticated { staff, method: AuthMethod::ApiToken, csrf_token: None }))
    }

    /// Binds an authenticated caller to the merchant it acts in. Merchant staff always
    /// act in their own merchant; a platform admin may name one (`requested`).
    pub async fn actor_for(&self, auth: &Authenticated, requested: Option<&str>) -> AppResult<Actor> {
        let staff = &auth.staff;
        let merchant_id = if staff.role == Role::PlatformAdmin {
            match requested {
                None => None,
                Some(text) => {
                    let id: MerchantId = text
                        .trim()
                        .parse()
                        .map_err(|_| AppError::invalid("X-Merchant-Id", "invalid_id", "not a merchant id"))?;
                    // Admins may act in suspended merchants too: that is how they help them.
                    match self.repos.merchants.merchant(id).await? {
                        Some(m) => Some(m.id),
                        None => return Err(AppError::NotFound("merchant")),
                    }
                }
            }
        } else {
            staff.merchant_id
        };
        Ok(Actor { staff_id: staff.id, role: staff.role, merchant_id, stores: staff.stores.clone() })
    }
}
