//! Ports of flash sales: the pool, per-member quotas, group-committed flash orders, and
//! the sales feed behind live totals.

use async_trait::async_trait;
use sweep_domain::Timestamp;
use sweep_domain::flash::FlashSale;
use sweep_domain::ids::*;
use sweep_domain::order::Order;

use super::{NewJob, StockLine, StoreResult};
use crate::page::{Page, PageRequest};

/// One member's flash purchase, built in full (order, line, shipment) before it reaches
/// the database; the batch decides whether it happens.
#[derive(Debug, Clone)]
pub struct FlashPurchase {
    pub order: Order,
    pub sale_id: FlashSaleId,
    pub sku_id: SkuId,
    pub quantity: i64,
    /// The sale's limit per member.
    pub cap: i64,
    pub expire: NewJob,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashOutcome {
    Placed,
    SoldOut,
    /// The member's units in the sale would pass the limit.
    OverLimit,
    /// The sale is not on (not started, over, or ended early).
    NotOn,
}

/// Orders and money of one minute, per channel, folded from the sales feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesMinute {
    pub minute: i64,
    pub channel: String,
    pub placed: i64,
    pub placed_amount: i64,
    pub paid: i64,
    pub paid_amount: i64,
}

/// Gives a purchase whose order number collided a fresh number.
pub type Renumber = dyn Fn(&Order) -> String + Send + Sync;

#[async_trait]
pub trait FlashRepo: Send + Sync {
    /// Writes the sale and sets its pools aside (`hold`: reservations at the sale's
    /// location), in one transaction. Too little stock fails with `InsufficientStock`.
    async fn create_flash_sale(&self, sale: &FlashSale, hold: &[StockLine], end_job: &NewJob) -> StoreResult<()>;
    async fn flash_sale(&self, merchant: MerchantId, id: FlashSaleId) -> StoreResult<Option<FlashSale>>;
    async fn list_flash_sales(&self, merchant: MerchantId, page: &PageRequest) -> StoreResult<Page<FlashSale>>;
    /// Commits a batch of purchases in one transaction (group commit): each either gets
    /// its units from the pool within the member's limit and its order is written, or
    /// nothing of it is. Outcomes come back in the batch's order. A batch must not hold
    /// two purchases of one member in one sale.
    async fn place_flash_orders(&self, batch: &[FlashPurchase], renumber: &Renumber) -> StoreResult<Vec<FlashOutcome>>;
    /// Ends the sale (if it has not ended) and gives what is left of its pools back to
    /// the location's stock; `None` when it had already ended.
    async fn end_flash_sale(
        &self,
        merchant: MerchantId,
        id: FlashSaleId,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<(SkuId, i64)>>>;
    /// Folds up to `limit` sales-feed rows into per-minute totals and deletes them, in one
    /// transaction; returns how many it folded. Safe from several processes at once.
    async fn fold_sales_feed(&self, limit: i64) -> StoreResult<usize>;
    /// Per-minute totals of a merchant from `since` (unix minute) on.
    async fn sales_minutes(&self, merchant: MerchantId, since: i64) -> StoreResult<Vec<SalesMinute>>;
}
