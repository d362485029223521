//! Shoppers: phone numbers, one-time codes and pickup codes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A mainland China mobile number, normalised to its 11 digits.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "13800138000"))]
pub struct Phone(String);

impl Phone {
    pub fn parse(field: &str, text: &str) -> Result<Phone, FieldError> {
        let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")).unwrap_or(&digits);
        let bytes = digits.as_bytes();
        let valid = bytes.len() == 11
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1])
            && bytes.iter().all(u8::is_ascii_digit);
        if valid {
            Ok(Phone(digits.to_string()))
        } else {
            Err(FieldError::new(field, "invalid_phone", "enter an 11-digit mobile number"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 138****8000: what a page or a log may show.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Digits in a one-time sign-in code.
pub const OTP_DIGITS: usize = 6;
/// Digits in a pickup code: 10^10 possibilities against a few thousand live codes per store.
pub const PICKUP_CODE_DIGITS: usize = 10;

/// Turns random bytes into a code of `digits` decimal digits, without modulo bias.
pub fn digits_from_random(random: &[u8], digits: usize) -> Option<String> {
    let mut out = String::with_capacity(digits);
    for b in random {
        // 250 = 25 * 10: bytes at or above it would favour low digits.
        if *b < 250 {
            out.push(char::from(b'0' + b % 10));
            if out.len() == digits {
                return Some(out);
            }
        }
    }
    None
}

/// A code as someone types or scans it: only its digits count.
pub fn clean_code(text: &str, digits: usize) -> Option<String> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (cleaned.len() == digits && cleaned.bytes().all(|b| b.is_ascii_digit())).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise() {
        assert_eq!(Phone::parse("p", "138 0013 8000").unwrap().as_str(), "13800138000");
        assert_eq!(Phone::parse("p", "+86 138-0013-8000").unwrap().as_str(), "13800138000");
        assert_eq!(Phone::parse("p", "13800138000").unwrap().masked(), "138****8000");
        for bad in ["12800138000", "1380013800", "138001380001", "abc", ""] {
            assert!(Phone::parse("p", bad).is_err(), "{bad}");
        }
        assert_eq!(format!("{:?}", Phone::parse("p", "13800138000").unwrap()), "Phone(138****8000)");
    }

    #[test]
    fn codes_from_random_bytes() {
        assert_eq!(digits_from_random(&[0, 1, 255, 19, 249], 4).as_deref(), Some("0199"));
        assert_eq!(digits_from_random(&[255, 250], 1), None);
        assert_eq!(clean_code(" 1234-5678 90 ", 10).as_deref(), Some("1234567890"));
        assert_eq!(clean_code("12345", 10), None);
        assert_eq!(clean_code("12345abcde", 10), None);
    }
}

use crate::Timestamp;
use crate::ids::{AddressId, MerchantId, ShopperId};
use crate::location::GeoPoint;

/// A merchant's member: a shopper who signed in to its shop.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shopper {
    pub id: ShopperId,
    pub merchant_id: MerchantId,
    pub phone: Phone,
    pub display_name: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    pub id: AddressId,
    pub merchant_id: MerchantId,
    pub shopper_id: ShopperId,
    pub recipient: String,
    pub phone: Phone,
    pub city: String,
    pub district: String,
    pub detail: String,
    /// WGS-84, from a map pin, the browser's location or the district's centre.
    pub point: GeoPoint,
    pub is_default: bool,
    pub created_at: Timestamp,
}
