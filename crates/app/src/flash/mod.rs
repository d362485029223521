//! Double 11 flash sales. The merchant sets a sale up (`sales`); members buy through a
//! per-process front desk (`desk`) that answers what it can from memory (sold out, over
//! the rate limit, not started) and hands the rest to one writer task that commits
//! purchases in batches (`buy`); live totals come from the sales feed (`live`).
//!
//! Nothing in memory decides correctness: the pool, the per-member limit and the sale's
//! window are decided by conditional writes in the database, so any number of `sweep
//! serve` processes can share one PostgreSQL.

mod buy;
mod desk;
mod live;
mod rehearsal;
mod sales;

pub use buy::{FlashBuyer, FlashOrderInput, FlashPlaced};
pub(crate) use desk::FlashDesk;
pub use live::{LiveBoard, LiveMinute, LiveProduct, LiveStore, LiveTotals, may_watch_live};
pub use rehearsal::{RehearsalInput, RehearsalMember};
pub use sales::{FlashItemInput, FlashProduct, FlashSaleInput, FlashSaleView};

pub const END_FLASH_SALE: &str = "end_flash_sale";
