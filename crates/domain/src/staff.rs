//! Staff accounts, sessions and API tokens.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{ApiTokenId, LocationId, MerchantId, StaffId};
use crate::roles::Role;
use crate::text::Login;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StaffStatus {
    Active,
    Disabled,
}

impl StaffStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffStatus::Active => "active",
            StaffStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(StaffStatus::Active),
            "disabled" => Some(StaffStatus::Disabled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Staff {
    pub id: StaffId,
    /// `None` for platform admins, who belong to no merchant.
    pub merchant_id: Option<MerchantId>,
    pub login: Login,
    pub display_name: String,
    pub role: Role,
    pub status: StaffStatus,
    /// The stores a store manager or clerk works in.
    pub stores: Vec<LocationId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub merchant_id: Option<MerchantId>,
    pub staff_id: StaffId,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart in lists.
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}
