//! Money: `Money::parse_major` (prices typed by merchants, CSV cells, Alipay amounts) and its
//! inverse `to_major_string`, the providers' amount formats, and checked arithmetic.
//!
//! The whole input is parsed as text; its first 16 bytes, read as two integers, also feed
//! the formatting and the arithmetic.

use afl::fuzz;
use sweep_domain::money::MAX_PRICE_MINOR;
use sweep_domain::{Currency, Money, MoneyError};
use sweep_pay::amount::{alipay_total, parse_alipay_amount, wechat_total};

fn main() {
    fuzz!(|data: &[u8]| {
        let text = String::from_utf8_lossy(data);
        let c = Currency::Cny;
        if let Some(m) = Money::parse_major(&text, c) {
            // What parsed prints and parses back to itself.
            let printed = m.to_major_string();
            assert_eq!(Money::parse_major(&printed, c), Some(m), "{text:?} -> {printed:?}");
            // At most two decimals: the value is exactly the digits, whatever the spelling.
            let t = text.trim();
            let digits: String = t.chars().filter(char::is_ascii_digit).collect();
            let frac = t.split_once('.').map_or(0, |(_, f)| f.len());
            let scaled = format!("{digits}{}", "0".repeat(2 - frac));
            let magnitude: i64 = scaled.parse().expect("at most 17 digits");
            assert_eq!(m.minor().abs(), magnitude, "{text:?}");
            assert_eq!(m.minor() < 0, t.starts_with('-') && magnitude != 0);
        }
        if let Some(m) = parse_alipay_amount(&text) {
            assert!(m.minor() >= 0, "{text:?}");
        }
        if data.len() >= 16 {
            let a = i64::from_le_bytes(data[..8].try_into().unwrap());
            let b = i64::from_le_bytes(data[8..16].try_into().unwrap());
            let (ma, mb) = (Money::cny(a), Money::cny(b));
            // Formatting: exactly two decimals, and back again while the whole part fits.
            let printed = ma.to_major_string();
            assert_eq!(printed.split_once('.').map(|(_, f)| f.len()), Some(2), "{printed}");
            if a.unsigned_abs() < 100_000_000_000_000_000 {
                assert_eq!(Money::parse_major(&printed, c), Some(ma), "{printed}");
            }
            assert_eq!(ma.to_string(), format!("¥{printed}"));
            // Checked arithmetic: right, or reported, never wrapped.
            let wide = |r: i128, got: Result<Money, MoneyError>| match i64::try_from(r) {
                Ok(v) => assert_eq!(got, Ok(Money::cny(v))),
                Err(_) => assert_eq!(got, Err(MoneyError::Overflow)),
            };
            wide(a as i128 + b as i128, ma.checked_add(mb));
            wide(a as i128 - b as i128, ma.checked_sub(mb));
            wide(a as i128 * b as i128, ma.checked_mul(b));
            // Prices: bounded and whole.
            match Money::price("p", a, c) {
                Ok(p) => assert!((0..=MAX_PRICE_MINOR).contains(&p.minor()) && p.minor() == a),
                Err(_) => assert!(!(0..=MAX_PRICE_MINOR).contains(&a)),
            }
            // Provider formats.
            assert_eq!(wechat_total(ma), (a > 0).then_some(a));
            if let Some(s) = alipay_total(ma) {
                assert_eq!(parse_alipay_amount(&s), Some(ma), "{s}");
            }
        }
    });
}
