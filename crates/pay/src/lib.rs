//! Payment protocols as pure functions. Providers speak their own amount formats:
//! WeChat Pay v3 takes integer fen, Alipay a yuan string with two decimals. These
//! conversions are exact and refuse anything that is not a whole number of fen.

pub mod amount;
