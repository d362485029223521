//! Payment protocols as pure functions, and the providers built on them.
//!
//! Providers speak their own amount formats: WeChat Pay v3 takes integer fen, Alipay a
//! yuan string with two decimals ([`amount`]). The [`sandbox`] provider behaves like a
//! real one, for demos and tests: it keeps its own books, shows a cashier page, and
//! confirms payments only through signed asynchronous notifications.

pub(crate) mod account;
pub mod alipay;
pub mod amount;
pub mod sandbox;
pub mod wechat;

pub use account::{CodeWait, ProviderOptions};
