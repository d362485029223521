//! Stores and warehouses: kinds, coordinates and opening hours.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LocationKind {
    Store,
    Warehouse,
}

impl LocationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationKind::Store => "store",
            LocationKind::Warehouse => "warehouse",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "store" => Some(LocationKind::Store),
            "warehouse" => Some(LocationKind::Warehouse),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LocationStatus {
    Active,
    Archived,
}

impl LocationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationStatus::Active => "active",
            LocationStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(LocationStatus::Active),
            "archived" => Some(LocationStatus::Archived),
            _ => None,
        }
    }
}

/// A point on the WGS-84 ellipsoid (what GPS and browsers report), in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoPoint {
    pub lat: f64,
    pub lng: f64,
}

impl GeoPoint {
    pub fn parse(field: &str, lat: f64, lng: f64) -> Result<GeoPoint, FieldError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(FieldError::new(format!("{field}.lat"), "out_of_range", "latitude must be within -90..90"));
        }
        if !lng.is_finite() || !(-180.0..=180.0).contains(&lng) {
            return Err(FieldError::new(format!("{field}.lng"), "out_of_range", "longitude must be within -180..180"));
        }
        Ok(GeoPoint { lat, lng })
    }
}

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Weekly opening hours: for each day, a list of `HH:MM-HH:MM` ranges in the
/// merchant's local time. A day that is missing or empty is closed. A range may end
/// at `24:00`; ranges within a day must not overlap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, Vec<String>>, example = json!({"mon": ["10:00-22:00"], "sat": ["09:30-22:30"]})))]
pub struct OpeningHours(BTreeMap<String, Vec<String>>);

impl OpeningHours {
    pub fn parse(field: &str, days: &BTreeMap<String, Vec<String>>) -> Result<OpeningHours, FieldError> {
        let mut normalised = BTreeMap::new();
        for (day, ranges) in days {
            if !WEEKDAYS.contains(&day.as_str()) {
                return Err(FieldError::new(
                    format!("{field}.{day}"),
                    "unknown_day",
                    "days are mon, tue, wed, thu, fri, sat, sun",
                ));
            }
            if ranges.len() > 4 {
                return Err(FieldError::new(format!("{field}.{day}"), "too_many", "at most 4 ranges a day"));
            }
            let mut parsed: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
            for (i, range) in ranges.iter().enumerate() {
                let at = format!("{field}.{day}.{i}");
                let (open, close) = parse_range(range)
                    .ok_or_else(|| FieldError::new(&at, "invalid_range", "use HH:MM-HH:MM, opening before closing"))?;
                parsed.push((open, close));
            }
            parsed.sort();
            if parsed.windows(2).any(|w| w[1].0 < w[0].1) {
                return Err(FieldError::new(format!("{field}.{day}"), "overlapping", "ranges must not overlap"));
            }
            if !parsed.is_empty() {
                normalised
                    .insert(day.clone(), parsed.iter().map(|(o, c)| format!("{}-{}", hhmm(*o), hhmm(*c))).collect());
            }
        }
        Ok(OpeningHours(normalised))
    }

    /// Ten to ten every day, the usual mall hours.
    pub fn mall_hours() -> OpeningHours {
        OpeningHours(WEEKDAYS.iter().map(|d| (d.to_string(), vec!["10:00-22:00".to_string()])).collect())
    }

    pub fn days(&self) -> &BTreeMap<String, Vec<String>> {
        &self.0
    }

    /// Whether the location is open at `minute_of_day` (0..1440) on weekday `day` (0 = Monday).
    pub fn is_open(&self, day: usize, minute_of_day: u16) -> bool {
        let Some(ranges) = WEEKDAYS.get(day).and_then(|d| self.0.get(*d)) else {
            return false;
        };
        ranges.iter().filter_map(|r| parse_range(r)).any(|(open, close)| open <= minute_of_day && minute_of_day < close)
    }
}

fn parse_range(text: &str) -> Option<(u16, u16)> {
    let (open, close) = text.trim().split_once('-')?;
    let open = parse_hhmm(open)?;
    let close = parse_hhmm(close)?;
    (open < close).then_some((open, close))
}

fn parse_hhmm(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs.iter().map(|(d, r)| (d.to_string(), r.iter().map(|s| s.to_string()).collect())).collect()
    }

    #[test]
    fn parses_and_answers_open_questions() {
        let h = OpeningHours::parse("h", &hours(&[("mon", &["14:00-22:00", "09:00-12:00"]), ("sun", &[])])).unwrap();
        assert_eq!(h.days()["mon"], vec!["09:00-12:00", "14:00-22:00"]);
        assert!(!h.days().contains_key("sun"), "an empty day is closed and dropped");
        assert!(h.is_open(0, 9 * 60));
        assert!(!h.is_open(0, 12 * 60 + 30));
        assert!(!h.is_open(6, 10 * 60));
    }

    #[test]
    fn refuses_bad_hours() {
        assert_eq!(OpeningHours::parse("h", &hours(&[("xyz", &[])])).unwrap_err().code, "unknown_day");
        assert_eq!(OpeningHours::parse("h", &hours(&[("mon", &["22:00-09:00"])])).unwrap_err().code, "invalid_range");
        assert_eq!(OpeningHours::parse("h", &hours(&[("mon", &["9:00-10:00"])])).unwrap_err().code, "invalid_range");
        assert_eq!(
            OpeningHours::parse("h", &hours(&[("mon", &["09:00-12:00", "11:00-13:00"])])).unwrap_err().code,
            "overlapping"
        );
        assert!(OpeningHours::parse("h", &hours(&[("fri", &["10:00-24:00"])])).is_ok());
    }

    #[test]
    fn coordinates_are_range_checked() {
        assert!(GeoPoint::parse("p", 30.25, 120.16).is_ok());
        assert_eq!(GeoPoint::parse("p", 91.0, 0.0).unwrap_err().field, "p.lat");
        assert_eq!(GeoPoint::parse("p", 0.0, f64::NAN).unwrap_err().field, "p.lng");
    }
}

/// A store or warehouse as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    pub id: crate::ids::LocationId,
    pub merchant_id: crate::ids::MerchantId,
    pub code: String,
    pub kind: LocationKind,
    pub name: crate::text::Localized,
    pub address: String,
    pub city: String,
    pub district: String,
    pub phone: String,
    pub point: GeoPoint,
    pub opening_hours: OpeningHours,
    pub pickup_enabled: bool,
    pub delivery_enabled: bool,
    pub status: LocationStatus,
    pub created_at: crate::Timestamp,
    pub updated_at: crate::Timestamp,
}
