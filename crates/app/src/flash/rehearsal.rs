//! Rehearsing a sale: many signed-in members at once, for load tests on a dev server
//! (the web layer offers this only where the SMS outbox is open, never in production).

use serde::{Deserialize, Serialize};
use sweep_domain::ids::ShopperId;
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::shopper::{Phone, Shopper};

use crate::ports::ShopperSession;
use crate::secrets::{random_token, token_digest};
use crate::{AppError, AppResult, Sweep, require, tenant};

/// Most members one call makes.
pub const MAX_REHEARSAL_MEMBERS: i64 = 20_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RehearsalInput {
    /// The first member's mobile number; the others count up from it.
    pub first_phone: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RehearsalMember {
    pub shopper_id: ShopperId,
    pub phone: String,
    /// The shop session cookie's value (`sweep_shop`).
    pub session: String,
    pub csrf_token: String,
}

impl Sweep {
    pub async fn rehearsal_members(&self, actor: &Actor, input: RehearsalInput) -> AppResult<Vec<RehearsalMember>> {
        require(actor, Permission::ManageLoyalty)?;
        let m = tenant(actor)?;
        if !(1..=MAX_REHEARSAL_MEMBERS).contains(&input.count) {
            return Err(AppError::invalid("count", "out_of_range", format!("1 to {MAX_REHEARSAL_MEMBERS}")));
        }
        let first: i64 = Phone::parse("first_phone", &input.first_phone)?
            .as_str()
            .parse()
            .map_err(|_| AppError::invalid("first_phone", "invalid", "a mainland mobile number"))?;
        let now = self.now();
        let mut members = Vec::with_capacity(input.count as usize);
        let mut answer = Vec::with_capacity(input.count as usize);
        for i in 0..input.count {
            let phone = Phone::parse("first_phone", &(first + i).to_string())?;
            let shopper = Shopper {
                id: ShopperId::new(),
                merchant_id: m,
                phone: phone.clone(),
                display_name: String::new(),
                created_at: now,
            };
            let token = random_token("swp_")?;
            let session = ShopperSession {
                token_hash: token_digest(&token),
                merchant_id: m,
                shopper_id: Some(shopper.id),
                csrf_token: random_token("")?,
                created_at: now,
                expires_at: now.plus_seconds(self.settings.shopper_session_days * 86_400),
                visitor: random_token("v_")?,
                scan: None,
            };
            answer.push(RehearsalMember {
                shopper_id: shopper.id,
                phone: phone.as_str().to_string(),
                session: token,
                csrf_token: session.csrf_token.clone(),
            });
            members.push((shopper, session));
        }
        self.repos.shoppers.insert_members(&members).await?;
        Ok(answer)
    }
}
