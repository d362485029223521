//! Stock per SKU and location, and the movements that explain every figure.
//!
//! `on_hand` is what is physically there, `reserved` what is promised to orders not yet
//! handed over or shipped, and `available = on_hand - reserved`. Every change is a
//! movement with a pair of deltas; a change is legal only if afterwards
//! `0 <= reserved <= on_hand`. The ledger of movements sums to the current figures.

use serde::{Deserialize, Serialize};

use crate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MovementKind {
    /// Goods arrive: on hand rises.
    Receive,
    /// A count or correction, with a reason: on hand rises or falls.
    Adjust,
    /// Sent to another location: on hand falls (only from what is available).
    TransferOut,
    /// Arrived from another location: on hand rises.
    TransferIn,
    /// Promised to an order: reserved rises (only from what is available).
    Reserve,
    /// An order let go of its promise: reserved falls.
    Release,
    /// Handed over or shipped: on hand and reserved both fall.
    Fulfil,
    /// Came back from a shopper: on hand rises.
    Return,
    /// Set aside for a flash-sale pool: on hand falls (only from what is available).
    PoolOut,
    /// Came back from a flash-sale pool: on hand rises.
    PoolIn,
    /// Sold at the till: on hand falls (only from what is available).
    Sell,
    /// Sold at a till while it was offline, beyond what the record held: changes no
    /// figure, but is kept (with the units in its note) for `sweep check` to report.
    OfflineOversell,
}

impl MovementKind {
    pub const ALL: [MovementKind; 12] = [
        MovementKind::Receive,
        MovementKind::Adjust,
        MovementKind::TransferOut,
        MovementKind::TransferIn,
        MovementKind::Reserve,
        MovementKind::Release,
        MovementKind::Fulfil,
        MovementKind::Return,
        MovementKind::PoolOut,
        MovementKind::PoolIn,
        MovementKind::Sell,
        MovementKind::OfflineOversell,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receive => "receive",
            MovementKind::Adjust => "adjust",
            MovementKind::TransferOut => "transfer_out",
            MovementKind::TransferIn => "transfer_in",
            MovementKind::Reserve => "reserve",
            MovementKind::Release => "release",
            MovementKind::Fulfil => "fulfil",
            MovementKind::Return => "return",
            MovementKind::PoolOut => "pool_out",
            MovementKind::PoolIn => "pool_in",
            MovementKind::Sell => "sell",
            MovementKind::OfflineOversell => "offline_oversell",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        MovementKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The most units one movement may carry; more is a typing mistake.
pub const MAX_QUANTITY: i64 = 1_000_000;

/// A positive, bounded number of units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    pub fn parse(field: &str, value: i64) -> Result<Quantity, FieldError> {
        if value <= 0 {
            return Err(FieldError::new(field, "not_positive", "must be at least 1"));
        }
        if value > MAX_QUANTITY {
            return Err(FieldError::new(field, "too_large", format!("must be at most {MAX_QUANTITY}")));
        }
        Ok(Quantity(value))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AdjustReason {
    /// A stock count found a different figure.
    CountCorrection,
    Damaged,
    Lost,
    Found,
    /// Anything else; a note is required.
    Other,
}

impl AdjustReason {
    pub fn as_str(self) -> &'static str {
        match self {
            AdjustReason::CountCorrection => "count_correction",
            AdjustReason::Damaged => "damaged",
            AdjustReason::Lost => "lost",
            AdjustReason::Found => "found",
            AdjustReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AdjustReason::CountCorrection,
            AdjustReason::Damaged,
            AdjustReason::Lost,
            AdjustReason::Found,
            AdjustReason::Other,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// One change to one stock level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockChange {
    pub kind: MovementKind,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
}

impl StockChange {
    /// The change a movement of `quantity` units makes. For [`MovementKind::Adjust`] use
    /// [`StockChange::adjust`], which is signed.
    pub fn of(kind: MovementKind, quantity: Quantity) -> StockChange {
        let q = quantity.get();
        let (on_hand_delta, reserved_delta) = match kind {
            MovementKind::Receive | MovementKind::TransferIn | MovementKind::Return | MovementKind::PoolIn => (q, 0),
            MovementKind::Adjust => (q, 0),
            MovementKind::TransferOut | MovementKind::PoolOut | MovementKind::Sell => (-q, 0),
            MovementKind::OfflineOversell => (0, 0),
            MovementKind::Reserve => (0, q),
            MovementKind::Release => (0, -q),
            MovementKind::Fulfil => (-q, -q),
        };
        StockChange { kind, on_hand_delta, reserved_delta }
    }

    /// An adjustment by a signed, non-zero delta within ±[`MAX_QUANTITY`].
    pub fn adjust(field: &str, delta: i64) -> Result<StockChange, FieldError> {
        if delta == 0 {
            return Err(FieldError::new(field, "zero", "an adjustment must change the figure"));
        }
        if delta.unsigned_abs() > MAX_QUANTITY as u64 {
            return Err(FieldError::new(field, "too_large", format!("must be within ±{MAX_QUANTITY}")));
        }
        Ok(StockChange { kind: MovementKind::Adjust, on_hand_delta: delta, reserved_delta: 0 })
    }

    /// A change that cannot make any level illegal: it only adds to on hand. Such a
    /// change may create a level that does not exist yet.
    pub fn only_adds(&self) -> bool {
        self.on_hand_delta >= 0 && self.reserved_delta == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockLevel {
    pub on_hand: i64,
    pub reserved: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not enough stock: {available} available")]
pub struct InsufficientStock {
    pub available: i64,
}

impl StockLevel {
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }

    pub fn is_legal(&self) -> bool {
        0 <= self.reserved && self.reserved <= self.on_hand
    }

    /// The level after `change`, if legal. The database applies the same rule in one
    /// conditional write; this is its specification.
    pub fn apply(&self, change: StockChange) -> Result<StockLevel, InsufficientStock> {
        let next = StockLevel {
            on_hand: self.on_hand.saturating_add(change.on_hand_delta),
            reserved: self.reserved.saturating_add(change.reserved_delta),
        };
        if next.is_legal() { Ok(next) } else { Err(InsufficientStock { available: self.available() }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64) -> Quantity {
        Quantity::parse("q", n).unwrap()
    }

    #[test]
    fn quantities_are_positive_and_bounded() {
        assert_eq!(Quantity::parse("q", 0).unwrap_err().code, "not_positive");
        assert_eq!(Quantity::parse("q", -5).unwrap_err().code, "not_positive");
        assert_eq!(Quantity::parse("q", MAX_QUANTITY + 1).unwrap_err().code, "too_large");
    }

    #[test]
    fn reservation_lifecycle() {
        let mut level = StockLevel::default();
        level = level.apply(StockChange::of(MovementKind::Receive, q(5))).unwrap();
        level = level.apply(StockChange::of(MovementKind::Reserve, q(3))).unwrap();
        assert_eq!(level.available(), 2);
        assert!(
            level.apply(StockChange::of(MovementKind::Reserve, q(3))).is_err(),
            "cannot promise more than available"
        );
        assert!(level.apply(StockChange::of(MovementKind::TransferOut, q(3))).is_err(), "reserved units cannot leave");
        level = level.apply(StockChange::of(MovementKind::Fulfil, q(2))).unwrap();
        assert_eq!(level, StockLevel { on_hand: 3, reserved: 1 });
        level = level.apply(StockChange::of(MovementKind::Release, q(1))).unwrap();
        assert_eq!(level, StockLevel { on_hand: 3, reserved: 0 });
        assert!(level.apply(StockChange::of(MovementKind::Release, q(1))).is_err());
    }

    #[test]
    fn adjustments_cannot_eat_reserved_units() {
        let level = StockLevel { on_hand: 5, reserved: 4 };
        assert!(level.apply(StockChange::adjust("d", -1).unwrap()).is_ok());
        assert_eq!(level.apply(StockChange::adjust("d", -2).unwrap()), Err(InsufficientStock { available: 1 }));
        assert!(StockChange::adjust("d", 0).is_err());
    }

    #[test]
    fn only_pure_additions_may_create_levels() {
        assert!(StockChange::of(MovementKind::Receive, q(1)).only_adds());
        assert!(!StockChange::of(MovementKind::Reserve, q(1)).only_adds());
        assert!(!StockChange::adjust("d", -1).unwrap().only_adds());
    }
}

use crate::Timestamp;
use crate::ids::{LocationId, MerchantId, MovementId, SkuId, StaffId};

/// The stock of one SKU at one location.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockRow {
    pub merchant_id: MerchantId,
    pub sku_id: SkuId,
    pub location_id: LocationId,
    pub level: StockLevel,
    pub updated_at: Timestamp,
}

/// One line of the append-only movement ledger.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Movement {
    pub id: MovementId,
    pub merchant_id: MerchantId,
    pub sku_id: SkuId,
    pub location_id: LocationId,
    pub kind: MovementKind,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    /// The level right after this movement.
    pub after: StockLevel,
    pub reason: Option<AdjustReason>,
    pub note: String,
    /// What caused it: a transfer id, later an order id.
    pub reference: Option<String>,
    pub actor_id: Option<StaffId>,
    pub created_at: Timestamp,
}
