//! Merchants: the tenants of a Sweep deployment.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A merchant's time zone. Times are stored in UTC and shown, bucketed and reported
/// in this zone. Sweep serves retail in East and South-East Asia, where no zone keeps
/// daylight saving time, so each zone is a fixed offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MerchantTimeZone {
    name: &'static str,
    offset_minutes: i32,
}

const ZONES: &[(&str, i32)] = &[
    ("Asia/Shanghai", 480),
    ("Asia/Chongqing", 480),
    ("Asia/Urumqi", 360),
    ("Asia/Hong_Kong", 480),
    ("Asia/Macau", 480),
    ("Asia/Taipei", 480),
    ("Asia/Singapore", 480),
    ("Asia/Kuala_Lumpur", 480),
    ("Asia/Manila", 480),
    ("Asia/Tokyo", 540),
    ("Asia/Seoul", 540),
    ("Asia/Bangkok", 420),
    ("Asia/Ho_Chi_Minh", 420),
    ("Asia/Jakarta", 420),
    ("Asia/Dubai", 240),
    ("UTC", 0),
];

impl MerchantTimeZone {
    pub const DEFAULT_NAME: &'static str = "Asia/Shanghai";

    pub fn parse(field: &str, name: &str) -> Result<Self, FieldError> {
        ZONES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, o)| MerchantTimeZone { name: n, offset_minutes: *o })
            .ok_or_else(|| {
                let known: Vec<&str> = ZONES.iter().map(|(n, _)| *n).collect();
                FieldError::new(field, "unknown_time_zone", format!("use one of: {}", known.join(", ")))
            })
    }

    pub fn shanghai() -> Self {
        MerchantTimeZone { name: "Asia/Shanghai", offset_minutes: 480 }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn offset_minutes(&self) -> i32 {
        self.offset_minutes
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MerchantStatus {
    Active,
    Suspended,
}

impl MerchantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MerchantStatus::Active => "active",
            MerchantStatus::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(MerchantStatus::Active),
            "suspended" => Some(MerchantStatus::Suspended),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_is_utc_plus_eight() {
        let tz = MerchantTimeZone::parse("tz", "Asia/Shanghai").unwrap();
        assert_eq!(tz.offset_minutes(), 480);
        assert_eq!(MerchantTimeZone::parse("tz", "Mars/Olympus").unwrap_err().code, "unknown_time_zone");
    }
}

/// A merchant as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Merchant {
    pub id: crate::ids::MerchantId,
    pub name: String,
    pub slug: String,
    pub time_zone: String,
    pub currency: crate::Currency,
    pub status: MerchantStatus,
    pub created_at: crate::Timestamp,
    pub updated_at: crate::Timestamp,
}

impl Merchant {
    /// The merchant's time zone; Shanghai when the stored name is not a known zone.
    pub fn time_zone(&self) -> MerchantTimeZone {
        MerchantTimeZone::parse("time_zone", &self.time_zone).unwrap_or_else(|_| MerchantTimeZone::shanghai())
    }
}
