//! API request bodies: `sweep_web::extract::parse_json` (what the `ApiJson` extractor runs on
//! every JSON body: serde with field paths, error classification and messages) into the
//! main request types, then the domain's own checks of what parsed.
//!
//! The first byte picks the type; the rest is the body.

use std::collections::BTreeMap;

use afl::fuzz;
use serde::de::DeserializeOwned;
use sweep_app::catalog::CreateSkuInput;
use sweep_app::flash::FlashSaleInput;
use sweep_app::locations::CreateLocationInput;
use sweep_app::loyalty::{CloseShiftInput, CouponDefInput, TillReturnInput, TillSaleInput};
use sweep_app::orders::RefundInput;
use sweep_app::shop::{AddressInput, PlaceOrderInput, ReturnInput};
use sweep_domain::coupon::{CouponDef, CouponDefStatus};
use sweep_domain::flash::NewFlashSale;
use sweep_domain::geo::{Datum, distance_m, to_wgs84};
use sweep_domain::ids::{CampaignId, CouponDefId, MerchantId, SkuId};
use sweep_domain::location::{GeoPoint, OpeningHours};
use sweep_domain::loyalty::LoyaltyProgram;
use sweep_domain::order::line_quantity;
use sweep_domain::shopper::Phone;
use sweep_domain::text::{self, Localized};
use sweep_domain::till::expected_cash;
use sweep_domain::{Money, Timestamp};
use sweep_web::error::ErrorCode;
use sweep_web::extract::parse_json;

/// Parses as the API does; checks the error is one the API can answer with.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    let direct = serde_json::from_slice::<T>(body).is_ok();
    match parse_json::<T>(body) {
        Ok(value) => {
            assert!(direct, "parse_json accepted what serde_json refuses");
            Some(value)
        }
        Err(e) => {
            assert!(!direct, "parse_json refused what serde_json accepts: {e:?}");
            match e.code {
                ErrorCode::InvalidJson => assert!(e.fields.is_empty()),
                ErrorCode::ValidationFailed => {
                    assert_eq!(e.fields.len(), 1, "{e:?}");
                    let f = &e.fields[0];
                    assert!(["unknown_field", "missing_field", "invalid_type"].contains(&f.code), "{e:?}");
                    assert!(!f.message.contains(" at line "), "positions are stripped: {e:?}");
                }
                other => panic!("unexpected error code {other:?}"),
            }
            None
        }
    }
}

fn at(text: &str) -> Option<Timestamp> {
    let t = Timestamp::parse_rfc3339(text)?;
    // What parsed prints and parses back to the same instant.
    assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t), "{text:?}");
    Some(t)
}

fn point(lat: f64, lng: f64) {
    if let Ok(p) = GeoPoint::parse("point", lat, lng) {
        for datum in [Datum::Wgs84, Datum::Gcj02] {
            let w = to_wgs84(p, datum);
            assert!(w.lat.is_finite() && w.lng.is_finite(), "{p:?} -> {w:?}");
            let d = distance_m(p, w);
            assert!(d.is_finite() && d >= 0.0, "{p:?} -> {w:?}: {d}");
        }
    }
}

fn main() {
    let now = Timestamp::from_unix_micros(1_767_225_600_000_000);
    fuzz!(|data: &[u8]| {
        let Some((&kind, body)) = data.split_first() else { return };
        match kind % 11 {
            0 => {
                let Some(input) = parse::<PlaceOrderInput>(body) else { return };
                for (i, l) in input.lines.iter().flatten().enumerate() {
                    if let Ok(q) = line_quantity(&format!("lines.{i}.quantity"), l.quantity) {
                        assert_eq!(q, l.quantity);
                    }
                }
            }
            1 => {
                let Some(input) = parse::<TillSaleInput>(body) else { return };
                if let Some(t) = &input.occurred_at {
                    at(t);
                }
                if let Some(p) = &input.member_phone
                    && let Ok(phone) = Phone::parse("member_phone", p)
                {
                    assert_eq!(phone.as_str().len(), 11);
                    assert_eq!(phone.masked().len(), 11);
                }
                let total =
                    input.payments.iter().try_fold(Money::cny(0), |sum, p| sum.checked_add(Money::cny(p.amount)));
                if let Ok(total) = total {
                    let exact: i128 = input.payments.iter().map(|p| i128::from(p.amount)).sum();
                    assert_eq!(i128::from(total.minor()), exact);
                }
            }
            2 => {
                let Some(input) = parse::<AddressInput>(body) else { return };
                let _ = Phone::parse("phone", &input.phone);
                let _ = text::name("recipient", &input.recipient);
                let _ = text::bounded_text("detail", &input.detail, 1, 200);
                if let (Some(lat), Some(lng)) = (input.lat, input.lng) {
                    point(lat, lng);
                }
            }
            3 => {
                let Some(input) = parse::<CouponDefInput>(body) else { return };
                let starts_at = input.starts_at.as_deref().and_then(at).unwrap_or(now);
                let ends_at = input.ends_at.as_deref().and_then(at).unwrap_or(now.plus_seconds(86_400));
                let def = CouponDef {
                    id: CouponDefId::new(),
                    merchant_id: MerchantId::new(),
                    campaign_id: input.campaign_id,
                    name: input.name,
                    value: input.value,
                    min_spend: input.min_spend,
                    channels: input.channels,
                    stores: input.stores,
                    starts_at,
                    ends_at,
                    total_limit: input.total_limit,
                    per_member_limit: input.per_member_limit.unwrap_or(1),
                    claimable: input.claimable,
                    issued: 0,
                    status: CouponDefStatus::Active,
                    created_at: now,
                };
                let valid = def.validate().is_ok();
                for goods in [0, 1, 2, 99, 100, 12_345, input.min_spend, i64::MAX, i64::MIN] {
                    let off = def.discount(Money::cny(goods));
                    // Never below zero, never the whole bill (valid or not).
                    assert!(off.minor() >= 0, "{def:?} {goods}");
                    assert!(off.minor() <= goods.max(1) - 1, "{def:?} {goods} {off:?}");
                    if valid {
                        assert!(off.minor() <= 100_000_000.max(goods / 100 * 99 + 99), "{def:?} {goods}");
                    }
                }
            }
            4 => {
                let Some(input) = parse::<FlashSaleInput>(body) else { return };
                let (Some(starts_at), Some(ends_at)) = (at(&input.starts_at), at(&input.ends_at)) else { return };
                let sale = NewFlashSale {
                    name: input.name,
                    starts_at,
                    ends_at,
                    per_member_limit: input.per_member_limit,
                    pay_within_secs: input.pay_within_secs.unwrap_or(300),
                    items: input.items.iter().map(|i| (i.sku_id, Money::cny(i.price), i.units)).collect(),
                };
                let _ = sale.validate(now, 60);
            }
            5 => {
                let Some(program) = parse::<LoyaltyProgram>(body) else { return };
                if program.validate().is_err() {
                    return;
                }
                for spend in [0, 1, 199_999, 200_000, i64::MAX] {
                    let tier = program.tier_for(spend);
                    assert!(tier.min_spend <= spend.max(0), "{spend}");
                    let points = program.points_for(Money::cny(spend), tier);
                    assert!((0..=sweep_domain::loyalty::MAX_POINTS).contains(&points));
                }
                for goods in [1, 2, 100, 10_000, 1_000_000_000] {
                    let max = program.max_points_for(Money::cny(goods));
                    assert!(max >= 0);
                    if max > 0 {
                        let value = program.redemption(max, Money::cny(goods)).expect("the maximum is allowed");
                        assert!(value.minor() < goods, "points never pay for everything");
                    }
                    assert!(program.redemption(max + 1, Money::cny(goods)).is_err());
                }
            }
            6 => {
                let Some(input) = parse::<CreateSkuInput>(body) else { return };
                let _ = text::code("code", &input.code, 64);
                if let Some(b) = &input.barcode {
                    let _ = text::barcode("barcode", b);
                }
                let _ = sweep_domain::catalog::validate_attributes("attributes", &input.attributes);
                let _ = Money::price("base_price", input.base_price, sweep_domain::Currency::Cny);
            }
            7 => {
                let Some(input) = parse::<CreateLocationInput>(body) else { return };
                let _ = text::code("code", &input.code, 32);
                let _ = Localized::parse("name", &input.name.zh, &input.name.en, true, text::name);
                point(input.point.lat, input.point.lng);
                if let Ok(hours) = OpeningHours::parse("opening_hours", &input.opening_hours) {
                    // Normalised hours are accepted again as they are.
                    let again: BTreeMap<String, Vec<String>> = hours.days().clone();
                    assert_eq!(OpeningHours::parse("opening_hours", &again).as_ref(), Ok(&hours));
                    for day in 0..7 {
                        for minute in [0, 1, 599, 600, 1320, 1439, 1440] {
                            let _ = hours.is_open(day, minute);
                        }
                    }
                }
            }
            8 => {
                let Some(input) = parse::<CloseShiftInput>(body) else { return };
                if let Some(since) = &input.since {
                    at(since);
                }
                let float = Money::cny(input.opening_float);
                if let Ok(e) = expected_cash(float, Money::cny(input.counted_cash), Money::cny(0)) {
                    assert_eq!(i128::from(e.minor()), i128::from(input.opening_float) + i128::from(input.counted_cash));
                }
            }
            9 => {
                let Some(input) = parse::<ReturnInput>(body) else { return };
                let _ = text::bounded_text("reason", &input.reason, 0, 500);
                let _ = parse::<TillReturnInput>(body);
            }
            _ => {
                let _ = parse::<RefundInput>(body);
                let _ = parse::<sweep_app::flash::FlashOrderInput>(body);
                let _ = parse::<Vec<SkuId>>(body);
                let _ = parse::<CampaignId>(body);
            }
        }
    });
}
