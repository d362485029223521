//! Instants in UTC with microsecond precision, stored as integers so that both
//! databases sort and compare them the same way.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix_micros(micros: i64) -> Self {
        Timestamp(micros)
    }

    pub const fn unix_micros(self) -> i64 {
        self.0
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    pub fn from_offset_datetime(dt: OffsetDateTime) -> Self {
        let nanos = dt.unix_timestamp_nanos();
        Timestamp((nanos / 1000) as i64)
    }

    pub fn to_offset_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    pub fn plus_seconds(self, seconds: i64) -> Self {
        Timestamp(self.0.saturating_add(seconds.saturating_mul(1_000_000)))
    }

    pub fn minus_seconds(self, seconds: i64) -> Self {
        self.plus_seconds(-seconds)
    }

    pub fn to_rfc3339(self) -> String {
        self.to_offset_datetime().format(&Rfc3339).unwrap_or_else(|_| self.0.to_string())
    }

    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let t = OffsetDateTime::parse(text, &Rfc3339).ok().map(Self::from_offset_datetime)?;
        // An offset can move the instant out of the years RFC 3339 writes (0000 to 9999):
        // `0000-01-01T00:00:00+01:00` is in year -1 in UTC. Such an instant could not be
        // written back (`to_rfc3339` would give a bare number, or 1970), so it is refused.
        let utc = OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1000).ok()?;
        (0..=9999).contains(&utc.year()).then_some(t)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&text).ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 timestamp"))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::DateTime)))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc3339_in_utc() {
        let t = Timestamp::parse_rfc3339("2026-11-11T00:00:00+08:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-10T16:00:00Z");
        assert_eq!(t.unix_seconds(), 1_794_326_400);
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
    }

    #[test]
    fn refuses_instants_outside_the_years_it_can_write() {
        // Found by fuzzing (fuzz/ request_json): these parsed, then printed as
        // "-62167222800000000" and "1970-01-01T00:00:00Z".
        assert_eq!(Timestamp::parse_rfc3339("0000-01-01T00:00:00+01:00"), None);
        assert_eq!(Timestamp::parse_rfc3339("9999-12-31T23:59:59-01:00"), None);
        for edge in ["0000-01-01T00:00:00Z", "0000-01-01T01:00:00+01:00", "9999-12-31T23:59:59.999999Z"] {
            let t = Timestamp::parse_rfc3339(edge).unwrap();
            assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t), "{edge}");
        }
    }
}
