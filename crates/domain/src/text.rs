//! Validated text: names, codes, logins and passwords. Parse, don't validate.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Trims and checks a free-text field: length in characters, no control characters.
pub fn bounded_text(field: &str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    let len = trimmed.chars().count();
    if len < min {
        return Err(if min == 1 {
            FieldError::new(field, "required", "must not be empty")
        } else {
            FieldError::new(field, "too_short", format!("must be at least {min} characters"))
        });
    }
    if len > max {
        return Err(FieldError::new(field, "too_long", format!("must be at most {max} characters")));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new(field, "invalid_characters", "must not contain control characters"));
    }
    Ok(trimmed.to_string())
}

/// A short single-line label (names of things).
pub fn name(field: &str, value: &str) -> Result<String, FieldError> {
    let v = bounded_text(field, value, 1, 120)?;
    if v.contains('\n') || v.contains('\t') {
        return Err(FieldError::new(field, "invalid_characters", "must be a single line"));
    }
    Ok(v)
}

/// A machine code chosen by the merchant: SKU codes, location codes, slugs.
pub fn code(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if v.len() > max {
        return Err(FieldError::new(field, "too_long", format!("must be at most {max} characters")));
    }
    if !v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        return Err(FieldError::new(field, "invalid_characters", "may contain only letters, digits, '-', '_' and '.'"));
    }
    Ok(v.to_string())
}

/// A lower-case slug for URLs: `a-z`, `0-9` and `-`, 2..=40 characters.
pub fn slug(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.len() < 2 || v.len() > 40 {
        return Err(FieldError::new(field, "invalid_length", "must be 2 to 40 characters"));
    }
    if !v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || v.starts_with('-')
        || v.ends_with('-')
    {
        return Err(FieldError::new(field, "invalid_characters", "may contain only a-z, 0-9 and inner '-'"));
    }
    Ok(v.to_string())
}

/// A barcode as a scanner types it: printable ASCII without spaces (EAN-13, UPC, Code 128).
pub fn barcode(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() || v.len() > 48 {
        return Err(FieldError::new(field, "invalid_length", "must be 1 to 48 characters"));
    }
    if !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldError::new(field, "invalid_characters", "must be printable ASCII without spaces"));
    }
    Ok(v.to_string())
}

/// A staff login: an e-mail address or a phone number, compared case-insensitively.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String))]
pub struct Login(String);

impl Login {
    pub fn parse(field: &str, value: &str) -> Result<Login, FieldError> {
        let v = value.trim().to_lowercase();
        if v.len() < 3 || v.len() > 254 {
            return Err(FieldError::new(field, "invalid_length", "must be 3 to 254 characters"));
        }
        let is_email = match v.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
            }
            None => false,
        };
        let is_phone = v.strip_prefix('+').unwrap_or(&v).bytes().all(|b| b.is_ascii_digit()) && v.len() >= 5;
        if !(is_email || is_phone) || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new(field, "invalid_login", "must be an e-mail address or a phone number"));
        }
        Ok(Login(v))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Login({})", self.0)
    }
}

/// A password in clear text, on its way to the hasher. Never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 128;

    /// A new password must be long enough; an attempt at login is only bounded.
    pub fn new_password(field: &str, value: &str) -> Result<Password, FieldError> {
        let len = value.chars().count();
        if len < Self::MIN_LEN {
            return Err(FieldError::new(field, "too_short", format!("must be at least {} characters", Self::MIN_LEN)));
        }
        Self::attempt(field, value)
    }

    pub fn attempt(field: &str, value: &str) -> Result<Password, FieldError> {
        if value.is_empty() {
            return Err(FieldError::new(field, "required", "must not be empty"));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(field, "too_long", format!("must be at most {} characters", Self::MAX_LEN)));
        }
        Ok(Password(value.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Text in Chinese and English. At least one must be present; the other falls back to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Localized {
    pub zh: String,
    pub en: String,
}

impl Localized {
    /// Validates both languages with `check` and requires at least one non-empty.
    pub fn parse(
        field: &str,
        zh: &str,
        en: &str,
        required: bool,
        check: impl Fn(&str, &str) -> Result<String, FieldError>,
    ) -> Result<Localized, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut part = |lang: &str, value: &str| {
            if value.trim().is_empty() {
                return String::new();
            }
            match check(&format!("{field}.{lang}"), value) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(e);
                    String::new()
                }
            }
        };
        let zh = part("zh", zh);
        let en = part("en", en);
        if errors.is_empty() && required && zh.is_empty() && en.is_empty() {
            errors.push(FieldError::new(field, "required", "give a Chinese or an English text"));
        }
        if errors.is_empty() { Ok(Localized { zh, en }) } else { Err(errors) }
    }

    /// The text in the wanted language, falling back to the other one.
    pub fn get(&self, lang: Lang) -> &str {
        let (first, second) = match lang {
            Lang::Zh => (&self.zh, &self.en),
            Lang::En => (&self.en, &self.zh),
        };
        if first.is_empty() { second } else { first }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("n", "  纯棉四件套 ").unwrap(), "纯棉四件套");
        assert_eq!(name("n", "").unwrap_err().code, "required");
        assert_eq!(name("n", &"长".repeat(121)).unwrap_err().code, "too_long");
        assert!(name("n", &"长".repeat(120)).is_ok(), "limits count characters, not bytes");
        assert_eq!(name("n", "a\u{7}b").unwrap_err().code, "invalid_characters");
    }

    #[test]
    fn logins_are_emails_or_phones() {
        assert_eq!(Login::parse("l", " Owner@Example.COM ").unwrap().as_str(), "owner@example.com");
        assert!(Login::parse("l", "+8613800138000").is_ok());
        assert!(Login::parse("l", "not a login").is_err());
        assert!(Login::parse("l", "a@b").is_err());
    }

    #[test]
    fn passwords_never_print() {
        let p = Password::new_password("p", "correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert_eq!(Password::new_password("p", "short").unwrap_err().code, "too_short");
    }

    #[test]
    fn localized_needs_one_language() {
        let ok = Localized::parse("name", "毛巾", "", true, name).unwrap();
        assert_eq!(ok.get(Lang::En), "毛巾");
        let err = Localized::parse("name", " ", "", true, name).unwrap_err();
        assert_eq!(err[0].field, "name");
        let err = Localized::parse("name", "x", &"y".repeat(500), true, name).unwrap_err();
        assert_eq!(err[0].field, "name.en");
    }

    #[test]
    fn codes_and_slugs() {
        assert!(code("c", "SKU-001_a.b", 64).is_ok());
        assert!(code("c", "SKU 001", 64).is_err());
        assert!(slug("s", "yunmian-home").is_ok());
        assert!(slug("s", "Yunmian").is_err());
        assert!(slug("s", "-x").is_err());
    }
}
