//! Property tests of the domain's money and state-machine rules: random inputs, real
//! outcomes checked against exact (i128) arithmetic or a model of the order's life.

use proptest::prelude::*;
use proptest::sample::select;
use sweep_domain::coupon::{CouponDef, CouponDefStatus, CouponValue};
use sweep_domain::flash;
use sweep_domain::ids::{CampaignId, CouponDefId, MerchantId, OrderLineId, ProductId, ShipmentId, SkuId};
use sweep_domain::inventory::{MAX_QUANTITY, MovementKind, Quantity, StockChange, StockLevel};
use sweep_domain::loyalty::{LoyaltyProgram, MAX_POINTS, RedeemError, points_to_expire, pro_rata_points};
use sweep_domain::money::MAX_PRICE_MINOR;
use sweep_domain::order::{
    ActorKind, Fulfilment, MAX_LINE_QUANTITY, MAX_LINES, OrderLine, OrderStatus, PaymentStatus, RefundStatus,
    ReturnStatus, ShipmentStatus, allocate_pro_rata, line_money, refund_for_units, spread_discount,
};
use sweep_domain::text::Localized;
use sweep_domain::till::expected_cash;
use sweep_domain::{Currency, Money, MoneyError, Timestamp};

/// Exactly `exact`, or `Overflow` when it does not fit: checked arithmetic never wraps.
fn exact_or_overflow(exact: i128, got: Result<Money, MoneyError>) {
    match i64::try_from(exact) {
        Ok(v) => assert_eq!(got, Ok(Money::cny(v))),
        Err(_) => assert_eq!(got, Err(MoneyError::Overflow)),
    }
}

/// Any amount, with the edges and small values drawn often.
fn any_minor() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -1_000_000i64..1_000_000,
        select(vec![i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX]),
    ]
}

// --- Money ------------------------------------------------------------------------------

proptest! {
    #[test]
    fn checked_arithmetic_is_exact_or_reports_overflow(a in any_minor(), b in any_minor()) {
        let (ma, mb) = (Money::cny(a), Money::cny(b));
        exact_or_overflow(i128::from(a) + i128::from(b), ma.checked_add(mb));
        exact_or_overflow(i128::from(a) - i128::from(b), ma.checked_sub(mb));
        exact_or_overflow(i128::from(a) * i128::from(b), ma.checked_mul(b));
        // The currency is kept.
        if let Ok(s) = ma.checked_add(mb) {
            prop_assert_eq!(s.currency(), Currency::Cny);
        }
    }

    #[test]
    fn addition_commutes_and_associates(a in any_minor(), b in any_minor(), c in any_minor()) {
        let (ma, mb, mc) = (Money::cny(a), Money::cny(b), Money::cny(c));
        prop_assert_eq!(ma.checked_add(mb), mb.checked_add(ma));
        let left = ma.checked_add(mb).and_then(|ab| ab.checked_add(mc));
        let right = mb.checked_add(mc).and_then(|bc| ma.checked_add(bc));
        if let (Ok(l), Ok(r)) = (left, right) {
            prop_assert_eq!(l, r);
        }
        // When the whole sum and both partial sums fit, both groupings give it.
        let fits = |x: i128| i64::try_from(x).is_ok();
        let (a, b, c) = (i128::from(a), i128::from(b), i128::from(c));
        if fits(a + b) && fits(b + c) && fits(a + b + c) {
            prop_assert_eq!(left, right);
            prop_assert_eq!(left.map(Money::minor), Ok((a + b + c) as i64));
        }
    }

    #[test]
    fn subtraction_undoes_addition(a in any_minor(), b in any_minor()) {
        let (ma, mb) = (Money::cny(a), Money::cny(b));
        if let Ok(sum) = ma.checked_add(mb) {
            prop_assert_eq!(sum.checked_sub(mb), Ok(ma));
        }
        if let Ok(diff) = ma.checked_sub(mb) {
            prop_assert_eq!(diff.checked_add(mb), Ok(ma));
        }
    }

    #[test]
    fn multiplication_distributes_over_addition(a in -MAX_PRICE_MINOR..=MAX_PRICE_MINOR, b in -MAX_PRICE_MINOR..=MAX_PRICE_MINOR, q in -1_000_000i64..=1_000_000) {
        let (ma, mb) = (Money::cny(a), Money::cny(b));
        let left = ma.checked_add(mb).and_then(|s| s.checked_mul(q)).unwrap();
        let right = ma.checked_mul(q).unwrap().checked_add(mb.checked_mul(q).unwrap()).unwrap();
        prop_assert_eq!(left, right);
        // Multiplying by a count is adding that many times.
        let q = q.rem_euclid(20);
        let repeated = (0..q).try_fold(Money::cny(0), |s, _| s.checked_add(ma)).unwrap();
        prop_assert_eq!(ma.checked_mul(q), Ok(repeated));
    }

    #[test]
    fn order_follows_the_amounts(a in any_minor(), b in any_minor()) {
        prop_assert_eq!(Money::cny(a).partial_cmp(&Money::cny(b)), Some(a.cmp(&b)));
    }

    #[test]
    fn formatting_parses_back(minor in -99_999_999_999_999_999i64..=99_999_999_999_999_999) {
        let m = Money::cny(minor);
        let text = m.to_major_string();
        let (whole, frac) = text.split_once('.').expect("a decimal point");
        prop_assert_eq!(frac.len(), 2, "two decimals: {}", text);
        prop_assert!(whole.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()));
        prop_assert_eq!(Money::parse_major(&text, Currency::Cny), Some(m), "{}", text);
        prop_assert_eq!(m.to_string(), format!("¥{text}"));
        // JSON is integer minor units.
        let json = serde_json::to_value(m).unwrap();
        prop_assert_eq!(json, serde_json::json!({"amount": minor, "currency": "CNY"}));
    }

    #[test]
    fn parsing_is_exact(negative: bool, whole in 0u64..1_000_000_000_000_000, frac in proptest::option::of(0u8..100), one_digit: bool, pad in "[ \t]{0,2}") {
        // "12", "12.3", "12.34", with or without a sign and surrounding blanks.
        let (frac_text, fen) = match frac {
            None => (String::new(), 0),
            Some(f) if one_digit => (format!(".{}", f / 10), i64::from(f / 10) * 10),
            Some(f) => (format!(".{f:02}"), i64::from(f)),
        };
        let sign = if negative { "-" } else { "" };
        let text = format!("{pad}{sign}{whole}{frac_text}{pad}");
        let magnitude = whole as i64 * 100 + fen;
        let expected = if negative { -magnitude } else { magnitude };
        prop_assert_eq!(Money::parse_major(&text, Currency::Cny), Some(Money::cny(expected)), "{:?}", text);
    }

    #[test]
    fn parsing_refuses_what_is_not_an_amount(text in "[-+0-9., a-z]{0,20}") {
        // Never panics; and whatever it accepts is a plain decimal of at most two places
        // that prints back the same value.
        if let Some(m) = Money::parse_major(&text, Currency::Cny) {
            let t = text.trim();
            let body = t.strip_prefix('-').unwrap_or(t);
            let (w, f) = body.split_once('.').unwrap_or((body, "00"));
            prop_assert!(!w.is_empty() && w.len() <= 15 && w.bytes().all(|b| b.is_ascii_digit()), "{:?}", text);
            prop_assert!((1..=2).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()), "{:?}", text);
            prop_assert_eq!(Money::parse_major(&m.to_major_string(), Currency::Cny), Some(m));
        }
    }

    #[test]
    fn prices_are_bounded(minor in any_minor()) {
        match Money::price("p", minor, Currency::Cny) {
            Ok(p) => prop_assert!(p.minor() == minor && (0..=MAX_PRICE_MINOR).contains(&minor)),
            Err(e) => {
                prop_assert!(!(0..=MAX_PRICE_MINOR).contains(&minor));
                prop_assert_eq!(e.field, "p");
            }
        }
    }

    #[test]
    fn the_drawer_is_float_plus_sales_less_refunds(float in any_minor(), sales in any_minor(), refunds in any_minor()) {
        let got = expected_cash(Money::cny(float), Money::cny(sales), Money::cny(refunds));
        let exact = i128::from(float) + i128::from(sales) - i128::from(refunds);
        // `Ok` is always exact; an overflow on the way may be reported even when the end fits.
        match got {
            Ok(m) => prop_assert_eq!(i128::from(m.minor()), exact),
            Err(e) => {
                prop_assert_eq!(e, MoneyError::Overflow);
                prop_assert!(i64::try_from(i128::from(float) + i128::from(sales)).is_err() || i64::try_from(exact).is_err());
            }
        }
    }
}

proptest! {
    #[test]
    fn timestamps_that_parse_print_back(
        (year, month, day) in prop_oneof![
            (0i32..=9999, 1u8..=12, 1u8..=28),
            select(vec![(0, 1, 1), (0, 1, 2), (1970, 1, 1), (9999, 12, 30), (9999, 12, 31)]),
        ],
        (hour, minute, second) in (0u8..24, 0u8..60, 0u8..60),
        micros in 0u32..1_000_000,
        offset_minutes in -(23 * 60 + 59)..=(23i32 * 60 + 59),
    ) {
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let (oh, om) = (offset_minutes.abs() / 60, offset_minutes.abs() % 60);
        let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{micros:06}{sign}{oh:02}:{om:02}");
        // The instant falls outside the years 0000 to 9999 in UTC only at the two ends.
        let local = i32::from(hour) * 3600 + i32::from(minute) * 60 + i32::from(second);
        let utc = local - offset_minutes * 60;
        let outside = ((year, month, day) == (0, 1, 1) && utc < 0) || ((year, month, day) == (9999, 12, 31) && utc >= 86_400);
        match Timestamp::parse_rfc3339(&text) {
            Some(t) => {
                prop_assert!(!outside, "{} is outside the years RFC 3339 can write", text);
                // Written back as RFC 3339, it reads back as the same instant.
                let printed = t.to_rfc3339();
                prop_assert_eq!(Timestamp::parse_rfc3339(&printed), Some(t), "{} -> {}", text, printed);
                prop_assert_eq!(serde_json::from_value::<Timestamp>(serde_json::to_value(t).unwrap()).unwrap(), t);
            }
            None => prop_assert!(outside, "{} refused", text),
        }
    }
}

// --- Discounts, refunds, points ---------------------------------------------------------

/// Line amounts as checkout makes them: unit price × quantity, up to `MAX_LINES` lines.
fn line_amounts() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec((0..=MAX_PRICE_MINOR, 1..=MAX_LINE_QUANTITY).prop_map(|(p, q)| p * q), 1..=MAX_LINES)
}

fn small_line_amounts() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(0i64..50, 1..8)
}

proptest! {
    #[test]
    fn a_spread_discount_adds_up_exactly(amounts in prop_oneof![line_amounts(), small_line_amounts()], discount in any_minor()) {
        let total: i64 = amounts.iter().sum();
        let parts = allocate_pro_rata(discount, &amounts);
        prop_assert_eq!(parts.len(), amounts.len());
        let given: i64 = parts.iter().sum();
        let expected = if discount <= 0 || total <= 0 { 0 } else { discount.min(total) };
        prop_assert_eq!(given, expected, "parts {:?}", parts);
        for (i, (part, amount)) in parts.iter().zip(&amounts).enumerate() {
            // Never below zero nor above the line.
            prop_assert!((0..=*amount).contains(part), "line {}: {} of {}", i, part, amount);
            // Every line but the last gets at least its pro-rata share, rounded down.
            if expected > 0 && i + 1 < amounts.len() {
                let share = (i128::from(*amount) * i128::from(expected) / i128::from(total)) as i64;
                prop_assert!(*part >= share, "line {}: {} < share {}", i, part, share);
            }
        }
    }

    #[test]
    fn spreading_an_order_discount_keeps_the_lines_whole(
        lines in prop::collection::vec((0..=MAX_PRICE_MINOR, 1..=MAX_LINE_QUANTITY), 1..=20),
        fraction in 0.0f64..1.0,
    ) {
        let mut lines: Vec<OrderLine> = lines.into_iter().map(|(p, q)| line(p, q)).collect();
        let subtotal: i64 = lines.iter().map(|l| l.subtotal.minor()).sum();
        let discount = (subtotal as f64 * fraction) as i64;
        spread_discount(lines.iter_mut(), Money::cny(discount)).unwrap();
        let discounted: i64 = lines.iter().map(|l| l.discount.minor()).sum();
        let totals: i64 = lines.iter().map(|l| l.total.minor()).sum();
        prop_assert_eq!(discounted, discount.min(subtotal));
        prop_assert_eq!(totals, subtotal - discounted);
        for l in &lines {
            prop_assert_eq!(l.subtotal.checked_sub(l.discount), Ok(l.total));
            prop_assert!(l.total.minor() >= 0 && l.discount.minor() >= 0);
        }
    }

    #[test]
    fn line_money_is_exact_or_overflows(unit in any_minor(), quantity in any_minor(), discount in any_minor()) {
        match line_money(Money::cny(unit), quantity, discount) {
            Ok(m) => {
                prop_assert_eq!(i128::from(m.subtotal.minor()), i128::from(unit) * i128::from(quantity));
                prop_assert_eq!(i128::from(m.total.minor()), i128::from(m.subtotal.minor()) - i128::from(discount));
                prop_assert_eq!(m.discount, Money::cny(discount));
            }
            Err(e) => {
                prop_assert_eq!(e, MoneyError::Overflow);
                let sub = i128::from(unit) * i128::from(quantity);
                prop_assert!(i64::try_from(sub).is_err() || i64::try_from(sub - i128::from(discount)).is_err());
            }
        }
    }

    #[test]
    fn returns_refund_exactly_what_was_paid(
        paid in 0..=MAX_PRICE_MINOR * MAX_LINE_QUANTITY,
        quantity in 1..=MAX_LINE_QUANTITY,
        steps in prop::collection::vec(1i64..=MAX_LINE_QUANTITY, 1..30),
    ) {
        // Units come back in batches, the last batch possibly asking for more than is left.
        let mut back = 0;
        let mut refunded = 0;
        for units in steps {
            let step = refund_for_units(paid, quantity, back, units);
            prop_assert!(step >= 0);
            refunded += step;
            back = (back + units).min(quantity);
            prop_assert!(refunded <= paid, "refunded {} of {}", refunded, paid);
            // What came back so far is worth its cumulative share, rounded down.
            prop_assert_eq!(refunded, (i128::from(paid) * i128::from(back) / i128::from(quantity)) as i64);
        }
        // Whatever is left, in one go: the refunds add up to what was paid.
        refunded += refund_for_units(paid, quantity, back, quantity);
        prop_assert_eq!(refunded, paid);
        // Nothing more once all is back.
        prop_assert_eq!(refund_for_units(paid, quantity, quantity, 1), 0);
    }

    #[test]
    fn coupons_never_take_the_whole_bill(
        value in prop_oneof![
            (1i64..=100_000_000).prop_map(|amount| CouponValue::Fixed { amount }),
            (1i64..=99, proptest::option::of(1i64..=100_000_000))
                .prop_map(|(percent, max_discount)| CouponValue::Percent { percent, max_discount }),
        ],
        goods in any_minor(),
    ) {
        let def = coupon(value);
        prop_assert!(def.validate().is_ok());
        let off = def.discount(Money::cny(goods)).minor();
        if goods <= 1 {
            prop_assert_eq!(off, 0);
        } else {
            prop_assert!((0..goods).contains(&off), "{} off {}", off, goods);
        }
        match value {
            CouponValue::Fixed { amount } => prop_assert_eq!(off, amount.min(goods.max(1) - 1)),
            CouponValue::Percent { percent, max_discount } => {
                let pct = (i128::from(goods.max(0)) * i128::from(percent) / 100) as i64;
                prop_assert!(off <= pct && off <= max_discount.unwrap_or(i64::MAX));
            }
        }
    }

    #[test]
    fn points_never_pay_for_everything(
        point_value in 1i64..=10_000,
        percent in 0i64..=100,
        goods in any_minor(),
        points in any_minor(),
    ) {
        let program = LoyaltyProgram { point_value, max_redeem_percent: percent, ..LoyaltyProgram::default() };
        prop_assert!(program.validate().is_ok());
        let goods_money = Money::cny(goods);
        let max = program.max_points_for(goods_money);
        prop_assert!(max >= 0);
        match program.redemption(points, goods_money) {
            Ok(value) => {
                prop_assert!(points >= 1 && points <= max, "{} of at most {}", points, max);
                prop_assert_eq!(i128::from(value.minor()), i128::from(points) * i128::from(point_value));
                // Within the share the programme allows, and never the whole order.
                prop_assert!(i128::from(value.minor()) * 100 <= i128::from(goods) * i128::from(percent));
                prop_assert!(value.minor() < goods);
            }
            Err(RedeemError::Invalid) => prop_assert!(points <= 0 || points > MAX_POINTS || points.checked_mul(point_value).is_none()),
            Err(RedeemError::AboveCap { max_points }) => {
                prop_assert_eq!(max_points, max);
                prop_assert!(points > max);
            }
        }
        if max > 0 && max <= MAX_POINTS {
            prop_assert!(program.redemption(max, goods_money).is_ok());
        }
        prop_assert!(program.redemption(max + 1, goods_money).is_err());
    }

    #[test]
    fn points_given_back_pro_rata_add_up(
        points in 0i64..=MAX_POINTS,
        paid in 1i64..=MAX_PRICE_MINOR * 100,
        cuts in prop::collection::vec(0.0f64..=1.0, 0..6),
    ) {
        // Refunds at increasing running totals, ending with the full amount.
        let mut totals: Vec<i64> = cuts.iter().map(|c| (paid as f64 * c) as i64).collect();
        totals.sort_unstable();
        totals.push(paid);
        let mut given = 0;
        for refunded_total in totals {
            let due = pro_rata_points(points, Money::cny(refunded_total), Money::cny(paid), given).unwrap();
            prop_assert!(due >= 0);
            given += due;
            prop_assert!(given <= points);
        }
        prop_assert_eq!(given, points, "a full refund gives back every point");
    }

    #[test]
    fn expiry_stays_within_the_balance(expired_in in 0..=i64::MAX / 2, all_out in 0..=i64::MAX / 2, balance in any_minor()) {
        // Ledger sums: what came in and has expired, and everything that went out.
        let n = points_to_expire(expired_in, all_out, balance);
        prop_assert!(n >= 0 && n <= balance.max(0));
        prop_assert!(n <= (expired_in - all_out).max(0));
        // Idempotent: once written (out grows by n), nothing more expires.
        prop_assert_eq!(points_to_expire(expired_in, all_out + n, balance - n), 0);
    }

    #[test]
    fn points_earned_grow_with_the_spend(a in 0..=i64::MAX / 2, b in 0..=i64::MAX / 2, spend in any_minor()) {
        let p = LoyaltyProgram::default();
        let tier = p.tier_for(spend);
        prop_assert!(tier.min_spend <= spend.max(0));
        let (lo, hi) = (a.min(b), a.max(b));
        let (plo, phi) = (p.points_for(Money::cny(lo), tier), p.points_for(Money::cny(hi), tier));
        prop_assert!(0 <= plo && plo <= phi && phi <= MAX_POINTS);
    }
}

// --- Stock and flash pools --------------------------------------------------------------

fn movement() -> impl Strategy<Value = StockChange> {
    prop_oneof![
        (select(MovementKind::ALL.to_vec()), 1..=MAX_QUANTITY)
            .prop_map(|(k, q)| StockChange::of(k, Quantity::parse("q", q).unwrap())),
        (-MAX_QUANTITY..=MAX_QUANTITY)
            .prop_filter("non-zero", |d| *d != 0)
            .prop_map(|d| StockChange::adjust("d", d).unwrap()),
    ]
}

proptest! {
    #[test]
    fn stock_never_goes_illegal_and_the_ledger_adds_up(moves in prop::collection::vec(movement(), 0..60)) {
        let mut level = StockLevel::default();
        let (mut on_hand, mut reserved) = (0i64, 0i64);
        for change in moves {
            match level.apply(change) {
                Ok(next) => {
                    prop_assert!(next.is_legal());
                    on_hand += change.on_hand_delta;
                    reserved += change.reserved_delta;
                    level = next;
                }
                Err(e) => {
                    // Refused only when it would have been illegal; nothing changes.
                    prop_assert_eq!(e.available, level.available());
                    let after = StockLevel { on_hand: level.on_hand + change.on_hand_delta, reserved: level.reserved + change.reserved_delta };
                    prop_assert!(!after.is_legal());
                    prop_assert!(!change.only_adds());
                }
            }
            prop_assert_eq!(level, StockLevel { on_hand, reserved });
            prop_assert!(level.available() >= 0);
        }
    }

    #[test]
    fn flash_pools_are_handed_out_all_or_nothing(granted in 0i64..200, wanted in prop::collection::vec(1i64..=99, 0..40)) {
        let (won, left) = flash::allocate(granted, &wanted);
        prop_assert_eq!(won.len(), wanted.len());
        let given: i64 = wanted.iter().zip(&won).filter(|(_, w)| **w).map(|(q, _)| q).sum();
        prop_assert_eq!(given + left, granted);
        prop_assert!(left >= 0);
        // Arrival order: a request lost only if it wanted more than was left at its turn.
        let mut at_turn = granted;
        for (q, w) in wanted.iter().zip(&won) {
            prop_assert_eq!(*w, *q <= at_turn);
            if *w {
                at_turn -= q;
            }
        }
    }
}

// --- The order and its payment ----------------------------------------------------------

/// What can happen to an order, from the shopper, the staff, the jobs or the provider.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// The provider's notification that the payment was captured.
    Pay,
    Cancel,
    Expire,
    /// Prepared at the store, ready for pickup.
    Prepare,
    Ship,
    /// Handed over, or delivered.
    Complete,
    /// Everything paid is given back (a paid order cancelled, or the rest refunded).
    RefundAll,
    /// Units of a line come back and are refunded.
    Return {
        line: usize,
        units: i64,
    },
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Pay),
        Just(Event::Cancel),
        Just(Event::Expire),
        Just(Event::Prepare),
        Just(Event::Ship),
        Just(Event::Complete),
        Just(Event::RefundAll),
        (0usize..8, 1i64..5).prop_map(|(line, units)| Event::Return { line, units }),
    ]
}

/// An order as the use cases keep it: status, money, returned units, stock promised.
#[derive(Debug)]
struct Model {
    status: OrderStatus,
    lines: Vec<OrderLine>,
    payment: PaymentStatus,
    paid: i64,
    refunded: i64,
    refunds: usize,
    level: StockLevel,
    history: Vec<(OrderStatus, OrderStatus)>,
}

impl Model {
    fn new(lines: Vec<OrderLine>) -> Model {
        let units: i64 = lines.iter().map(|l| l.quantity).sum();
        // Stock received, then reserved by checkout.
        let mut level = StockLevel::default();
        level = level.apply(StockChange::of(MovementKind::Receive, Quantity::parse("q", units + 10).unwrap())).unwrap();
        level = level.apply(StockChange::of(MovementKind::Reserve, Quantity::parse("q", units).unwrap())).unwrap();
        Model {
            status: OrderStatus::PendingPayment,
            lines,
            payment: PaymentStatus::Pending,
            paid: 0,
            refunded: 0,
            refunds: 0,
            level,
            history: vec![],
        }
    }

    fn total(&self) -> i64 {
        self.lines.iter().map(|l| l.total.minor()).sum()
    }

    fn units(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// Moves to `next` if the status machine allows it; returns whether it did.
    fn step(&mut self, next: OrderStatus) -> bool {
        let from = self.status;
        if !from.can_become(next) {
            return false;
        }
        assert!(OrderStatus::transitions().any(|t| t == (from, next)), "{from:?} -> {next:?} not listed");
        // Stock follows the promise: kept while the status holds it, handed over or let
        // go when it stops, never taken again.
        assert!(from.holds_reservation() || !next.holds_reservation(), "{from:?} -> {next:?} re-reserves");
        if from.holds_reservation() && !next.holds_reservation() {
            let q = Quantity::parse("q", self.units()).unwrap();
            let kind = match next {
                OrderStatus::Shipped | OrderStatus::Completed => MovementKind::Fulfil,
                _ => MovementKind::Release,
            };
            self.level = self.level.apply(StockChange::of(kind, q)).expect("the reservation is there to release");
        }
        self.history.push((from, next));
        self.status = next;
        true
    }

    fn apply(&mut self, event: Event) -> bool {
        match event {
            Event::Pay => {
                let ok = self.step(OrderStatus::Paid);
                if ok {
                    assert_eq!(self.payment, PaymentStatus::Pending, "paid twice");
                    assert_eq!(self.paid, 0, "paid twice");
                    self.payment = PaymentStatus::Captured;
                    self.paid = self.total();
                }
                ok
            }
            Event::Cancel | Event::Expire => {
                let next = if matches!(event, Event::Cancel) { OrderStatus::Cancelled } else { OrderStatus::Expired };
                let ok = self.step(next);
                if ok {
                    assert_eq!(self.payment, PaymentStatus::Pending, "a paid order is refunded, not cancelled");
                    self.payment = PaymentStatus::Closed;
                }
                ok
            }
            Event::Prepare => self.step(OrderStatus::ReadyForPickup),
            Event::Ship => self.step(OrderStatus::Shipped),
            Event::Complete => self.step(OrderStatus::Completed),
            Event::RefundAll => {
                let ok = self.step(OrderStatus::Refunded);
                if ok {
                    self.refunded = self.paid;
                    self.refunds += 1;
                    for l in &mut self.lines {
                        l.returned_quantity = l.quantity;
                        l.refunded = l.total;
                    }
                }
                ok
            }
            Event::Return { line, units } => {
                // Only delivered goods come back.
                if !matches!(self.status, OrderStatus::Completed | OrderStatus::PartiallyRefunded) {
                    return false;
                }
                let Some(l) = self.lines.get(line) else { return false };
                let units = units.min(l.quantity - l.returned_quantity);
                if units <= 0 {
                    return false;
                }
                let amount = refund_for_units(l.total.minor(), l.quantity, l.returned_quantity, units);
                let all_back = self
                    .lines
                    .iter()
                    .enumerate()
                    .all(|(i, x)| x.returned_quantity + if i == line { units } else { 0 } == x.quantity);
                let next = if all_back { OrderStatus::Refunded } else { OrderStatus::PartiallyRefunded };
                let ok = self.step(next);
                if ok {
                    let l = &mut self.lines[line];
                    l.returned_quantity += units;
                    l.refunded = l.refunded.checked_add(Money::cny(amount)).unwrap();
                    self.refunded += amount;
                    self.refunds += 1;
                }
                ok
            }
        }
    }

    fn check(&self) {
        let s = self.status;
        // Money: never more back than was taken, and all of it once refunded.
        assert!(0 <= self.refunded && self.refunded <= self.paid, "{self:?}");
        assert_eq!(s.was_paid(), self.payment == PaymentStatus::Captured, "{self:?}");
        assert_eq!(s.was_paid(), self.history.iter().any(|t| t.1 == OrderStatus::Paid), "{self:?}");
        assert_eq!(s.keeps_all_it_took(), s.was_paid() && self.refunds == 0, "{self:?}");
        if s == OrderStatus::Refunded {
            assert_eq!(self.refunded, self.paid, "{self:?}");
        }
        for l in &self.lines {
            assert!((0..=l.quantity).contains(&l.returned_quantity));
            assert!(l.refunded.minor() <= l.total.minor());
            if l.returned_quantity == l.quantity && s.was_paid() {
                assert_eq!(l.refunded, l.total, "a line fully back is fully refunded: {l:?}");
            }
        }
        assert_eq!(self.refunded, self.lines.iter().map(|l| l.refunded.minor()).sum::<i64>());
        // Paid at most once, and never back to waiting for payment.
        assert!(self.history.iter().filter(|t| t.1 == OrderStatus::Paid).count() <= 1);
        assert!(self.history.iter().all(|t| t.1 != OrderStatus::PendingPayment));
        // Stock: promised exactly while the status says so, and always a legal level.
        assert!(self.level.is_legal());
        let promised = if s.holds_reservation() { self.units() } else { 0 };
        assert_eq!(self.level.reserved, promised, "{self:?}");
        // Independently of `holds_reservation`: units are promised until the goods leave
        // (shipped or handed over) or the order ends, and not after.
        let waiting = matches!(s, OrderStatus::PendingPayment | OrderStatus::Paid | OrderStatus::ReadyForPickup);
        assert_eq!(self.level.reserved, if waiting { self.units() } else { 0 }, "{self:?}");
        let left = self.history.iter().any(|t| matches!(t.1, OrderStatus::Shipped | OrderStatus::Completed));
        assert_eq!(self.level.on_hand, self.units() + 10 - if left { self.units() } else { 0 }, "{self:?}");
    }
}

fn line(unit: i64, quantity: i64) -> OrderLine {
    let unit = Money::cny(unit);
    let money = line_money(unit, quantity, 0).unwrap();
    OrderLine {
        id: OrderLineId::new(),
        shipment_id: ShipmentId::new(),
        sku_id: SkuId::new(),
        product_id: ProductId::new(),
        name: Localized { zh: "沙发".into(), en: "Sofa".into() },
        sku_label: "1.8m".into(),
        unit_price: unit,
        list_price: unit,
        quantity,
        subtotal: money.subtotal,
        discount: money.discount,
        total: money.total,
        returned_quantity: 0,
        refunded: Money::zero(Currency::Cny),
    }
}

fn order_lines() -> impl Strategy<Value = Vec<OrderLine>> {
    (prop::collection::vec((1i64..=MAX_PRICE_MINOR, 1i64..=6), 1..=5), 0.0f64..1.0).prop_map(|(lines, fraction)| {
        let mut lines: Vec<OrderLine> = lines.into_iter().map(|(p, q)| line(p, q)).collect();
        // A coupon or points off the order: never all of it.
        let subtotal: i64 = lines.iter().map(|l| l.subtotal.minor()).sum();
        let discount = ((subtotal - 1) as f64 * fraction) as i64;
        spread_discount(lines.iter_mut(), Money::cny(discount)).unwrap();
        lines
    })
}

proptest! {
    #[test]
    fn random_events_keep_the_order_consistent(lines in order_lines(), events in prop::collection::vec(event(), 0..40)) {
        let mut order = Model::new(lines);
        order.check();
        for e in events {
            let before = order.status;
            let moved = order.apply(e);
            if before.is_final() {
                // Final stays final, whatever happens.
                prop_assert!(!moved, "{:?} moved on {:?}", before, e);
                prop_assert_eq!(order.status, before);
            }
            if !moved {
                prop_assert_eq!(order.status, before);
            }
            order.check();
        }
    }

    #[test]
    fn returning_everything_refunds_everything(lines in order_lines(), delivery: bool, order_seed in any::<u64>()) {
        let mut order = Model::new(lines);
        prop_assert!(order.apply(Event::Pay));
        if delivery {
            prop_assert!(order.apply(Event::Ship));
        } else {
            prop_assert!(order.apply(Event::Prepare));
        }
        prop_assert!(order.apply(Event::Complete));
        // Every unit back, one at a time, lines in a shuffled order.
        let mut units: Vec<usize> =
            order.lines.iter().enumerate().flat_map(|(i, l)| std::iter::repeat_n(i, l.quantity as usize)).collect();
        let mut seed = order_seed;
        for i in (1..units.len()).rev() {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            units.swap(i, (seed >> 33) as usize % (i + 1));
        }
        let n = units.len();
        for (k, line) in units.into_iter().enumerate() {
            let back = order.apply(Event::Return { line, units: 1 });
            prop_assert!(back, "unit {} of line {} refused", k, line);
            order.check();
            let expected = if k + 1 == n { OrderStatus::Refunded } else { OrderStatus::PartiallyRefunded };
            prop_assert_eq!(order.status, expected);
        }
        prop_assert_eq!(order.refunded, order.paid);
        prop_assert_eq!(order.paid, order.total());
        prop_assert!(!order.apply(Event::Return { line: 0, units: 1 }), "nothing more to return");
    }

    #[test]
    fn statuses_parse_back_and_match_their_json(i in 0usize..OrderStatus::ALL.len()) {
        let s = OrderStatus::ALL[i];
        prop_assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        prop_assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        prop_assert_eq!(serde_json::from_value::<OrderStatus>(serde_json::json!(s.as_str())).unwrap(), s);
        // A final status has no way out, and only final statuses are dead ends.
        let exits = OrderStatus::transitions().filter(|(from, _)| *from == s).count();
        prop_assert_eq!(exits == 0, s.is_final(), "{:?}", s);
    }
}

#[test]
fn every_status_enum_round_trips() {
    fn check<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug + Copy>(
        all: &[T],
        as_str: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) {
        for &x in all {
            assert_eq!(parse(as_str(x)), Some(x));
            assert_eq!(serde_json::to_value(x).unwrap(), serde_json::json!(as_str(x)));
            assert_eq!(serde_json::from_value::<T>(serde_json::json!(as_str(x))).unwrap(), x);
        }
        assert_eq!(parse(""), None);
    }
    use PaymentStatus as P;
    check(&[P::Pending, P::Captured, P::Closed], P::as_str, P::parse);
    check(&[RefundStatus::Pending, RefundStatus::Succeeded], RefundStatus::as_str, RefundStatus::parse);
    use ReturnStatus as R;
    check(&[R::Requested, R::Approved, R::Rejected], R::as_str, R::parse);
    use ShipmentStatus as S;
    check(&[S::Pending, S::Ready, S::Shipped, S::Delivered, S::Cancelled], S::as_str, S::parse);
    check(&[Fulfilment::Delivery, Fulfilment::Pickup, Fulfilment::InStore], Fulfilment::as_str, Fulfilment::parse);
    use ActorKind as A;
    check(&[A::Shopper, A::Staff, A::System, A::Provider], A::as_str, A::parse);
    check(&MovementKind::ALL, MovementKind::as_str, MovementKind::parse);
}

fn coupon(value: CouponValue) -> CouponDef {
    CouponDef {
        id: CouponDefId::new(),
        merchant_id: MerchantId::new(),
        campaign_id: CampaignId::new(),
        name: Localized { zh: "券".into(), en: "Coupon".into() },
        value,
        min_spend: 0,
        channels: vec![],
        stores: vec![],
        starts_at: Timestamp::from_unix_micros(0),
        ends_at: Timestamp::from_unix_micros(1_000_000),
        total_limit: None,
        per_member_limit: 1,
        claimable: true,
        issued: 0,
        status: CouponDefStatus::Active,
        created_at: Timestamp::from_unix_micros(0),
    }
}
