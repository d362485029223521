//! Small serde helpers for request bodies.

use serde::{Deserialize, Deserializer};

/// For PATCH fields that may be set to `null`: a missing field is `None`, an explicit
/// `null` is `Some(None)`. Use with `#[serde(default, deserialize_with = "...")]`.
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
