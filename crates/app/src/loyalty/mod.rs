//! The member card across channels (points, tiers) and sales at the till.

pub mod coupons;
pub mod members;
pub(crate) mod points;
pub mod shifts;
pub mod till;
pub mod till_returns;

pub use coupons::{CouponDefInput, CouponView, IssueCouponInput};
pub use members::{EnrolInput, MemberCode, MemberCodeInput, MemberView};
pub use shifts::CloseShiftInput;
pub use till::{TillLineInput, TillPaymentInput, TillPaymentMethod, TillSaleInput, TillSaleView};
pub use till_returns::TillReturnInput;
