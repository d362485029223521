//! The Sweep domain: plain types and rules, no async, no SQL, no HTTP.
//!
//! Everything here is deterministic and unit-tested; the use cases in `sweep-app`
//! combine these rules with storage and clocks.

pub mod card;
pub mod catalog;
pub mod channel;
pub mod coupon;
pub mod day;
pub mod error;
pub mod flash;
pub mod geo;
pub mod ids;
pub mod inventory;
pub mod location;
pub mod loyalty;
pub mod merchant;
pub mod money;
pub mod order;
pub mod pricing;
pub mod regions;
pub mod roles;
pub mod shopper;
pub mod staff;
pub mod text;
pub mod till;
pub mod time;

pub use error::FieldError;
pub use money::{Currency, Money, MoneyError};
pub use time::Timestamp;
