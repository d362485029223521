//! Ports of the till: sales recorded from tills, exactly once, and shift closes.

use async_trait::async_trait;
use sweep_domain::Timestamp;
use sweep_domain::ids::*;
use sweep_domain::order::{Order, Payment};
use sweep_domain::till::TillShift;

use super::{PointsChange, StockLine, StoreResult};
use crate::page::{Page, PageRequest};

/// A sale rung up at a till, with everything it changes.
#[derive(Debug, Clone)]
pub struct TillSale {
    /// Channel POS, completed, paid; `shopper_id` the member or the walk-in shopper.
    pub order: Order,
    pub sale_id: String,
    pub till_id: String,
    pub offline: bool,
    pub payments: Vec<Payment>,
    /// `Sell` lines. For an offline sale, what the level cannot cover is recorded as an
    /// offline-oversell movement instead of failing the sale.
    pub stock: Vec<StockLine>,
    pub points: Vec<PointsChange>,
    pub note: String,
    pub actor_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TillSaleOutcome {
    Recorded,
    /// The till sent this sale before: nothing more was written.
    AlreadyRecorded(OrderId),
}

/// Units a till sold while offline beyond what the stock record held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineOversell {
    pub merchant_id: String,
    pub sku_id: String,
    pub location_id: String,
    pub note: String,
    pub reference: Option<String>,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait TillRepo: Send + Sync {
    /// The shopper that stands for till customers without a member card.
    async fn walk_in_shopper(&self, merchant: MerchantId, now: Timestamp) -> StoreResult<ShopperId>;
    /// Records a till sale exactly once per (merchant, sale id), in one transaction.
    async fn record_till_sale(&self, sale: &TillSale) -> StoreResult<TillSaleOutcome>;
    async fn order_by_sale_id(&self, merchant: MerchantId, sale_id: &str) -> StoreResult<Option<Order>>;
    /// When the till's last shift was closed.
    async fn last_shift_close(
        &self,
        merchant: MerchantId,
        store: LocationId,
        till: &str,
    ) -> StoreResult<Option<Timestamp>>;
    /// The till's cash in and out after `since` up to `until`: cash taken by its sales,
    /// cash refunded on them, and how many sales it rang up.
    async fn till_takings(
        &self,
        merchant: MerchantId,
        store: LocationId,
        till: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> StoreResult<(i64, i64, i64)>;
    /// Records a shift close; a second close of the same shift fails with
    /// `Duplicate { field: "shift" }`.
    async fn insert_shift(&self, merchant: MerchantId, shift: &TillShift) -> StoreResult<()>;
    async fn shifts(&self, merchant: MerchantId, store: LocationId, page: &PageRequest)
    -> StoreResult<Page<TillShift>>;
    /// Every offline oversell recorded, oldest first.
    async fn offline_oversells(&self) -> StoreResult<Vec<OfflineOversell>>;
}
