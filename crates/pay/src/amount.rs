//! Amounts as the providers want them.

use sweep_domain::Money;

/// WeChat Pay v3 `amount.total`: positive integer fen.
pub fn wechat_total(amount: Money) -> Option<i64> {
    (amount.minor() > 0).then_some(amount.minor())
}

/// Alipay `total_amount`: yuan with exactly two decimals, e.g. `"88.00"`, within
/// Alipay's range of 0.01 to 100000000.00.
pub fn alipay_total(amount: Money) -> Option<String> {
    (1..=10_000_000_000).contains(&amount.minor()).then(|| amount.to_major_string())
}

/// Reads an Alipay amount (as in a notification's `total_amount`) back into fen,
/// exactly: "88.8" and "88.80" are 8880 fen, "88.888" is refused.
pub fn parse_alipay_amount(text: &str) -> Option<Money> {
    Money::parse_major(text, sweep_domain::Currency::Cny).filter(|m| m.minor() >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alipay_amounts_round_trip_exactly() {
        assert_eq!(alipay_total(Money::cny(8800)).as_deref(), Some("88.00"));
        assert_eq!(alipay_total(Money::cny(1)).as_deref(), Some("0.01"));
        assert_eq!(alipay_total(Money::cny(0)), None);
        assert_eq!(parse_alipay_amount("88.8"), Some(Money::cny(8880)));
        assert_eq!(parse_alipay_amount("88.888"), None);
        assert_eq!(parse_alipay_amount("-1.00"), None);
        for fen in [1, 99, 100, 12345, 9_999_999_999] {
            let text = alipay_total(Money::cny(fen)).unwrap();
            assert_eq!(parse_alipay_amount(&text), Some(Money::cny(fen)));
        }
    }

    #[test]
    fn wechat_amounts_are_positive_fen() {
        assert_eq!(wechat_total(Money::cny(8800)), Some(8800));
        assert_eq!(wechat_total(Money::cny(0)), None);
    }
}
