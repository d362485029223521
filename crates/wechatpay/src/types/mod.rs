//! API v3 JSON bodies as serde types, with the exact field names WeChat Pay uses.
//!
//! Optional fields are left out when `None`; unknown fields in received JSON are ignored, so
//! WeChat Pay adding a field never breaks parsing.

pub mod notify;
pub mod pay;
pub mod refund;

pub use notify::*;
pub use pay::*;
pub use refund::*;
