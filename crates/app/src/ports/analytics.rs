//! What the analytics pages read: day totals folded from the sales feed, and a few
//! counts over members and flash sales. Days are China Standard Time day numbers
//! (days since 1970-01-01 CST); ranges are inclusive.

use async_trait::async_trait;
use sweep_domain::ids::{CardId, FlashSaleId, LocationId, MerchantId, ProductId};

use super::StoreResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelDay {
    pub day: i64,
    pub channel: String,
    pub placed: i64,
    pub placed_amount: i64,
    pub paid: i64,
    pub paid_amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreDayTotal {
    pub day: i64,
    pub store_id: LocationId,
    pub placed: i64,
    pub paid: i64,
    pub paid_amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreTotal {
    pub store_id: LocationId,
    pub placed: i64,
    pub paid: i64,
    pub paid_amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductTotal {
    pub product_id: ProductId,
    pub units: i64,
    pub paid_amount: i64,
}

/// A display card's funnel over a range: scans, visitors who viewed the product and
/// who put it in the cart (once per visitor), orders credited to it and their money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardTotal {
    pub card_id: CardId,
    pub store_id: LocationId,
    pub scans: i64,
    pub views: i64,
    pub carts: i64,
    pub orders: i64,
    pub paid_orders: i64,
    pub paid_amount: i64,
}

/// Members and their points at the end of a day (or now, for today).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberDay {
    pub day: i64,
    pub members: i64,
    pub holding_points: i64,
    /// Points held by members: what the merchant owes.
    pub points_outstanding: i64,
}

/// A flash sale's paid orders and money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashTotal {
    pub sale_id: FlashSaleId,
    pub orders: i64,
    pub paid_orders: i64,
    pub paid_amount: i64,
}

#[async_trait]
pub trait AnalyticsRepo: Send + Sync {
    async fn channel_days(&self, merchant: MerchantId, from_day: i64, to_day: i64) -> StoreResult<Vec<ChannelDay>>;
    /// Per store and day; `stores` narrows to those stores.
    async fn store_days(
        &self,
        merchant: MerchantId,
        from_day: i64,
        to_day: i64,
        stores: Option<&[LocationId]>,
    ) -> StoreResult<Vec<StoreDayTotal>>;
    /// The stores with the most paid money over the range, best first.
    async fn store_totals(
        &self,
        merchant: MerchantId,
        from_day: i64,
        to_day: i64,
        stores: Option<&[LocationId]>,
        limit: u32,
    ) -> StoreResult<Vec<StoreTotal>>;
    async fn product_totals(
        &self,
        merchant: MerchantId,
        from_day: i64,
        to_day: i64,
        limit: u32,
    ) -> StoreResult<Vec<ProductTotal>>;
    /// Every card with any activity in the range; `stores` narrows to those stores.
    async fn card_totals(
        &self,
        merchant: MerchantId,
        from_day: i64,
        to_day: i64,
        stores: Option<&[LocationId]>,
    ) -> StoreResult<Vec<CardTotal>>;
    /// The days' member snapshots in the range, and the last one before it.
    async fn member_days(&self, merchant: MerchantId, from_day: i64, to_day: i64) -> StoreResult<Vec<MemberDay>>;
    /// Counts every merchant's members and their points now and records them as `day`'s.
    async fn snapshot_members(&self, day: i64) -> StoreResult<()>;
    async fn flash_totals(&self, merchant: MerchantId, sales: &[FlashSaleId]) -> StoreResult<Vec<FlashTotal>>;
}
