//! A till's shift: the cash drawer counted at the close against what the till's sales
//! say should be in it.

use serde::Serialize;

use crate::ids::{LocationId, StaffId};
use crate::{Money, MoneyError, Timestamp};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TillShift {
    pub id: String,
    pub store_id: LocationId,
    pub till_id: String,
    /// The previous close of this till (the shift's start); `None` for its first.
    pub since: Option<Timestamp>,
    pub closed_at: Timestamp,
    pub closed_by: StaffId,
    /// Cash in the drawer when the shift began.
    pub opening_float: Money,
    /// Cash taken by the till's sales in the shift.
    pub cash_sales: Money,
    /// Cash handed back for returns of those sales in the shift.
    pub cash_refunds: Money,
    /// How many sales the till rang up in the shift.
    pub sales: i64,
    pub expected_cash: Money,
    pub counted_cash: Money,
    /// Counted less expected: negative when cash is missing.
    pub difference: Money,
    pub note: String,
}

/// What the drawer should hold: the float, plus cash in, less cash out.
pub fn expected_cash(opening_float: Money, cash_sales: Money, cash_refunds: Money) -> Result<Money, MoneyError> {
    opening_float.checked_add(cash_sales)?.checked_sub(cash_refunds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_is_float_plus_sales_less_refunds() {
        let e = expected_cash(Money::cny(50_000), Money::cny(123_400), Money::cny(9_900)).unwrap();
        assert_eq!(e, Money::cny(163_500));
    }
}
