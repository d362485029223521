//! Double 11 flash sales: a campaign's SKUs at a sale price, each with a pool of stock
//! set aside at one location, on sale between two instants, with a per-member limit.
//! The server's clock alone decides when a sale is on.

use serde::{Deserialize, Serialize};

use crate::ids::{CampaignId, FlashSaleId, LocationId, MerchantId, SkuId};
use crate::{FieldError, Money, Timestamp};

/// Most units one member may buy in one sale.
pub const MAX_PER_MEMBER: i64 = 99;
/// Most SKUs in one sale.
pub const MAX_ITEMS: usize = 50;
/// Default time a member has to pay for a flash order before its units go back.
pub const DEFAULT_PAY_WITHIN_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlashSale {
    pub id: FlashSaleId,
    pub merchant_id: MerchantId,
    pub campaign_id: CampaignId,
    pub name: String,
    /// Where the pool's units are held (and picked up or shipped from).
    pub location_id: LocationId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// Units one member may hold across all their orders in this sale.
    pub per_member_limit: i64,
    /// Only members who joined before the sale started may buy (fresh sign-ups made
    /// during the rush, as bots make them, are turned away).
    pub members_only: bool,
    /// Unpaid flash orders give their units back after this long.
    pub pay_within_secs: i64,
    /// Set when the sale was ended (at its end time, or early by the merchant) and its
    /// unsold units went back to the location's stock.
    pub ended_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub items: Vec<FlashItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlashItem {
    pub sku_id: SkuId,
    /// The sale price of one unit.
    pub price: Money,
    /// Units set aside for the sale.
    pub pool_size: i64,
    /// Units still for sale.
    pub pool_left: i64,
    /// Units given back to the location's stock when the sale ended.
    pub released: i64,
}

impl FlashItem {
    /// Units held by orders (paid or waiting for payment).
    pub fn taken(&self) -> i64 {
        self.pool_size - self.pool_left - self.released
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FlashPhase {
    /// Not started: the page counts down.
    Upcoming,
    Live,
    /// On, but every unit is taken (some may come back from unpaid orders).
    SoldOut,
    Ended,
}

impl FlashSale {
    pub fn is_on(&self, now: Timestamp) -> bool {
        self.ended_at.is_none() && self.starts_at <= now && now < self.ends_at
    }

    pub fn phase(&self, now: Timestamp) -> FlashPhase {
        if self.ended_at.is_some() || now >= self.ends_at {
            FlashPhase::Ended
        } else if now < self.starts_at {
            FlashPhase::Upcoming
        } else if self.items.iter().all(|i| i.pool_left == 0) {
            FlashPhase::SoldOut
        } else {
            FlashPhase::Live
        }
    }

    pub fn item(&self, sku: SkuId) -> Option<&FlashItem> {
        self.items.iter().find(|i| i.sku_id == sku)
    }

    /// Whether a member may try to buy `quantity` of `sku` now. The pool and the limit
    /// are decided by the database's conditional writes; this only turns away what can
    /// never succeed.
    pub fn check_purchase(
        &self,
        sku: SkuId,
        quantity: i64,
        member_since: Timestamp,
        now: Timestamp,
    ) -> Result<&FlashItem, FlashRefusal> {
        let item = self.item(sku).ok_or(FlashRefusal::NotInSale)?;
        if !(1..=self.per_member_limit).contains(&quantity) {
            return Err(FlashRefusal::OverLimit);
        }
        match self.phase(now) {
            FlashPhase::Upcoming => return Err(FlashRefusal::NotStarted),
            FlashPhase::Ended => return Err(FlashRefusal::Ended),
            FlashPhase::Live | FlashPhase::SoldOut => {}
        }
        if self.members_only && member_since >= self.starts_at {
            return Err(FlashRefusal::MembersOnly);
        }
        Ok(item)
    }
}

/// Why a flash purchase was turned away; each has a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashRefusal {
    NotInSale,
    NotStarted,
    Ended,
    SoldOut,
    /// The quantity, with what the member already holds, passes the limit.
    OverLimit,
    MembersOnly,
}

impl FlashRefusal {
    pub fn code(self) -> &'static str {
        match self {
            FlashRefusal::NotInSale => "not_in_sale",
            FlashRefusal::NotStarted => "sale_not_started",
            FlashRefusal::Ended => "sale_ended",
            FlashRefusal::SoldOut => "sold_out",
            FlashRefusal::OverLimit => "limit_reached",
            FlashRefusal::MembersOnly => "members_only",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            FlashRefusal::NotInSale => "this SKU is not in the sale",
            FlashRefusal::NotStarted => "the sale has not started yet",
            FlashRefusal::Ended => "the sale has ended",
            FlashRefusal::SoldOut => "sold out; units from unpaid orders may come back",
            FlashRefusal::OverLimit => "that would pass the sale's limit per member",
            FlashRefusal::MembersOnly => "this sale is for members who joined before it started",
        }
    }
}

/// A new sale as the merchant describes it, checked before anything is written.
#[derive(Debug, Clone)]
pub struct NewFlashSale {
    pub name: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub per_member_limit: i64,
    pub pay_within_secs: i64,
    pub items: Vec<(SkuId, Money, i64)>,
}

impl NewFlashSale {
    /// Checks the whole sale; `min_pay_secs` is the shortest time to pay the deployment
    /// allows (a minute in production).
    pub fn validate(&self, now: Timestamp, min_pay_secs: i64) -> Result<(), Vec<FieldError>> {
        let mut errors = vec![];
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            errors.push(FieldError::new("name", "invalid_name", "give the sale a name of 1 to 80 characters"));
        }
        if self.ends_at <= self.starts_at {
            errors.push(FieldError::new("ends_at", "invalid_window", "the sale must end after it starts"));
        }
        if self.ends_at <= now {
            errors.push(FieldError::new("ends_at", "in_the_past", "the sale would already be over"));
        }
        if self.ends_at.unix_seconds() - self.starts_at.unix_seconds() > 31 * 86_400 {
            errors.push(FieldError::new("ends_at", "too_long", "a flash sale lasts at most 31 days"));
        }
        if !(1..=MAX_PER_MEMBER).contains(&self.per_member_limit) {
            errors.push(FieldError::new(
                "per_member_limit",
                "out_of_range",
                format!("a limit per member of 1 to {MAX_PER_MEMBER}"),
            ));
        }
        if !(min_pay_secs..=86_400).contains(&self.pay_within_secs) {
            errors.push(FieldError::new(
                "pay_within_secs",
                "out_of_range",
                format!("between {min_pay_secs} seconds and one day"),
            ));
        }
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            errors.push(FieldError::new("items", "out_of_range", format!("1 to {MAX_ITEMS} SKUs")));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, (sku, price, pool)) in self.items.iter().enumerate() {
            if !seen.insert(*sku) {
                errors.push(FieldError::new(format!("items[{i}].sku_id"), "duplicate", "each SKU once"));
            }
            if price.minor() <= 0 {
                errors.push(FieldError::new(format!("items[{i}].price"), "out_of_range", "a price above zero"));
            }
            if !(1..=10_000_000).contains(pool) {
                errors.push(FieldError::new(format!("items[{i}].units"), "out_of_range", "1 to 10,000,000 units"));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// Hands `granted` units out to purchases in the order they came: each gets all it
/// asked for or nothing. Returns who got units, and the units nobody could take.
pub fn allocate(granted: i64, wanted: &[i64]) -> (Vec<bool>, i64) {
    let mut left = granted;
    let won = wanted
        .iter()
        .map(|&q| {
            if q <= left {
                left -= q;
                true
            } else {
                false
            }
        })
        .collect();
    (won, left)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_unix_micros(s * 1_000_000)
    }

    fn sale(left: i64) -> FlashSale {
        FlashSale {
            id: FlashSaleId::new(),
            merchant_id: MerchantId::new(),
            campaign_id: CampaignId::new(),
            name: "Double 11".into(),
            location_id: LocationId::new(),
            starts_at: at(1000),
            ends_at: at(2000),
            per_member_limit: 2,
            members_only: true,
            pay_within_secs: 300,
            ended_at: None,
            created_at: at(0),
            items: vec![FlashItem {
                sku_id: SkuId::new(),
                price: Money::cny(9900),
                pool_size: 10,
                pool_left: left,
                released: 0,
            }],
        }
    }

    #[test]
    fn the_clock_decides_the_phase() {
        let s = sale(3);
        assert_eq!(s.phase(at(999)), FlashPhase::Upcoming);
        assert_eq!(s.phase(at(1000)), FlashPhase::Live);
        assert_eq!(s.phase(at(2000)), FlashPhase::Ended);
        assert_eq!(sale(0).phase(at(1500)), FlashPhase::SoldOut);
        let ended = FlashSale { ended_at: Some(at(1200)), ..sale(3) };
        assert_eq!(ended.phase(at(1500)), FlashPhase::Ended);
    }

    #[test]
    fn purchases_are_checked_against_limit_window_and_membership() {
        let s = sale(3);
        let sku = s.items[0].sku_id;
        assert!(s.check_purchase(sku, 2, at(10), at(1500)).is_ok());
        assert_eq!(s.check_purchase(sku, 3, at(10), at(1500)).unwrap_err(), FlashRefusal::OverLimit);
        assert_eq!(s.check_purchase(sku, 0, at(10), at(1500)).unwrap_err(), FlashRefusal::OverLimit);
        assert_eq!(s.check_purchase(sku, 1, at(10), at(999)).unwrap_err(), FlashRefusal::NotStarted);
        assert_eq!(s.check_purchase(sku, 1, at(10), at(2000)).unwrap_err(), FlashRefusal::Ended);
        assert_eq!(s.check_purchase(sku, 1, at(1001), at(1500)).unwrap_err(), FlashRefusal::MembersOnly);
        assert_eq!(s.check_purchase(SkuId::new(), 1, at(10), at(1500)).unwrap_err(), FlashRefusal::NotInSale);
        let open = FlashSale { members_only: false, ..sale(3) };
        assert!(open.check_purchase(open.items[0].sku_id, 1, at(1001), at(1500)).is_ok());
    }

    #[test]
    fn allocation_is_all_or_nothing_in_arrival_order() {
        assert_eq!(allocate(3, &[1, 2, 1]), (vec![true, true, false], 0));
        assert_eq!(allocate(3, &[2, 2, 1]), (vec![true, false, true], 0));
        assert_eq!(allocate(3, &[2, 2]), (vec![true, false], 1));
        assert_eq!(allocate(0, &[1]), (vec![false], 0));
    }

    #[test]
    fn a_new_sale_is_checked_whole() {
        let sku = SkuId::new();
        let ok = NewFlashSale {
            name: "Double 11".into(),
            starts_at: at(1000),
            ends_at: at(2000),
            per_member_limit: 1,
            pay_within_secs: 300,
            items: vec![(sku, Money::cny(100), 10)],
        };
        assert!(ok.validate(at(500), 60).is_ok());
        let bad = NewFlashSale {
            name: " ".into(),
            ends_at: at(900),
            per_member_limit: 0,
            pay_within_secs: 5,
            items: vec![(sku, Money::cny(0), 0), (sku, Money::cny(100), 1)],
            ..ok
        };
        let errors = bad.validate(at(950), 60).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "name",
            "ends_at",
            "per_member_limit",
            "pay_within_secs",
            "items[0].price",
            "items[0].units",
            "items[1].sku_id",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }
}
