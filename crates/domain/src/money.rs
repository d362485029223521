//! Money as integer minor units (fen for CNY) with checked arithmetic. Never floats.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// The currencies Sweep prices in. Every merchant prices in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Currency {
    #[default]
    Cny,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "CNY" => Some(Currency::Cny),
            _ => None,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Cny => "¥",
        }
    }
}

/// The most a single price may be: ¥10,000,000.00. Larger figures are typing mistakes.
pub const MAX_PRICE_MINOR: i64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amounts in different currencies")]
    CurrencyMismatch,
    #[error("amount overflow")]
    Overflow,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub const fn cny(fen: i64) -> Self {
        Money::new(fen, Currency::Cny)
    }

    pub const fn zero(currency: Currency) -> Self {
        Money::new(0, currency)
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor.checked_add(other.minor).map(|m| Money::new(m, self.currency)).ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor.checked_sub(other.minor).map(|m| Money::new(m, self.currency)).ok_or(MoneyError::Overflow)
    }

    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        self.minor.checked_mul(quantity).map(|m| Money::new(m, self.currency)).ok_or(MoneyError::Overflow)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency { Ok(()) } else { Err(MoneyError::CurrencyMismatch) }
    }

    /// A price as a merchant enters it: whole minor units, 0 ..= [`MAX_PRICE_MINOR`].
    pub fn price(field: &str, minor: i64, currency: Currency) -> Result<Money, FieldError> {
        if minor < 0 {
            return Err(FieldError::new(field, "negative", "a price cannot be negative"));
        }
        if minor > MAX_PRICE_MINOR {
            return Err(FieldError::new(
                field,
                "too_large",
                format!("a price cannot exceed {MAX_PRICE_MINOR} minor units"),
            ));
        }
        Ok(Money::new(minor, currency))
    }

    /// Parses a decimal amount in major units with at most two decimals ("129", "129.5",
    /// "129.50") into minor units, exactly.
    pub fn parse_major(text: &str, currency: Currency) -> Option<Money> {
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, frac) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        if whole.is_empty()
            || whole.len() > 15
            || frac.len() > 2
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (digits.contains('.') && frac.is_empty())
        {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let frac: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().ok()? * 10,
            _ => frac.parse().ok()?,
        };
        let minor = whole.checked_mul(100)?.checked_add(frac)?;
        Some(Money::new(if negative { -minor } else { minor }, currency))
    }

    /// Major units with two decimals and no symbol: "129.00".
    pub fn to_major_string(self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// Amounts compare only within one currency.
impl PartialOrd for Money {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        (self.currency == other.currency).then(|| self.minor.cmp(&other.minor))
    }
}

/// In JSON, money is `{"amount": 12900, "currency": "CNY"}`: integer minor units.
impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("amount", &self.minor)?;
        st.serialize_field("currency", &self.currency)?;
        st.end()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .description(Some("An amount in integer minor units (fen for CNY)."))
            .property(
                "amount",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64))),
            )
            .required("amount")
            .property("currency", Currency::schema())
            .required("currency")
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Money {}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.currency.symbol(), self.to_major_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major_units_exactly() {
        let c = Currency::Cny;
        assert_eq!(Money::parse_major("129", c), Some(Money::cny(12900)));
        assert_eq!(Money::parse_major("129.5", c), Some(Money::cny(12950)));
        assert_eq!(Money::parse_major("0.01", c), Some(Money::cny(1)));
        assert_eq!(Money::parse_major("-3.20", c), Some(Money::cny(-320)));
        for bad in ["", "1.234", "1,00", "abc", "1.", ".5", "1e3", "99999999999999999999"] {
            assert_eq!(Money::parse_major(bad, c), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn formats_two_decimals() {
        assert_eq!(Money::cny(12900).to_string(), "¥129.00");
        assert_eq!(Money::cny(5).to_major_string(), "0.05");
        assert_eq!(Money::cny(-150).to_major_string(), "-1.50");
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Money::cny(i64::MAX).checked_add(Money::cny(1)), Err(MoneyError::Overflow));
        assert_eq!(Money::cny(i64::MAX / 2).checked_mul(3), Err(MoneyError::Overflow));
        assert_eq!(Money::cny(100).checked_mul(3), Ok(Money::cny(300)));
        assert_eq!(Money::cny(100).checked_sub(Money::cny(250)), Ok(Money::cny(-150)));
    }

    #[test]
    fn prices_are_bounded() {
        assert!(Money::price("p", -1, Currency::Cny).is_err());
        assert!(Money::price("p", MAX_PRICE_MINOR + 1, Currency::Cny).is_err());
        assert_eq!(Money::price("p", 0, Currency::Cny), Ok(Money::cny(0)));
    }
}
