//! Ports of scan-to-buy: campaigns, display cards, scans and the funnel after them.

use async_trait::async_trait;
use sweep_domain::Timestamp;
use sweep_domain::card::{BrowserClass, Campaign, CardStatus, DisplayCard};
use sweep_domain::ids::*;

use super::StoreResult;
use crate::page::{Page, PageRequest};

#[derive(Debug, Clone, Default)]
pub struct CardFilter {
    /// `Some` limits to these stores (store staff see their own).
    pub stores: Option<Vec<LocationId>>,
    pub campaign: Option<CampaignId>,
    pub sku: Option<SkuId>,
    pub status: Option<CardStatus>,
}

/// One scan as recorded.
#[derive(Debug, Clone)]
pub struct ScanRecord {
    pub id: String,
    pub merchant_id: MerchantId,
    pub card_id: CardId,
    pub store_id: LocationId,
    pub campaign_id: Option<CampaignId>,
    pub browser: BrowserClass,
    /// Whether the scan counts in the figures (see `sweep_domain::card::scan_rule`).
    pub counted: bool,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunnelKind {
    View,
    Cart,
}

impl FunnelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FunnelKind::View => "view",
            FunnelKind::Cart => "cart",
        }
    }
}

/// A step a browser that came through a card took: recorded once per visitor, card and
/// subject (the product viewed, the SKU put in the cart).
#[derive(Debug, Clone)]
pub struct FunnelEvent {
    pub merchant_id: MerchantId,
    pub kind: FunnelKind,
    pub visitor: String,
    pub subject: String,
    pub card_id: CardId,
    pub store_id: LocationId,
    pub campaign_id: Option<CampaignId>,
    pub at: Timestamp,
}

/// What the funnel is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FunnelGroup {
    Card,
    Store,
    Campaign,
}

/// Figures of one card, store or campaign over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelCounts {
    /// The card, store or campaign id; empty for "no campaign".
    pub key: String,
    /// Counted scans.
    pub scans: i64,
    /// Browsers that viewed a product page after scanning.
    pub views: i64,
    /// Browsers that put something in the cart after scanning.
    pub carts: i64,
    /// Orders credited to the card.
    pub orders: i64,
    /// Of those, the ones paid.
    pub paid_orders: i64,
    /// What the paid ones brought in, net of refunds, in fen.
    pub paid_amount: i64,
}

#[async_trait]
pub trait CardRepo: Send + Sync {
    /// Fails with `Duplicate { field: "name" }` when the merchant has a campaign so named.
    async fn insert_campaign(&self, campaign: &Campaign) -> StoreResult<()>;
    async fn update_campaign(&self, campaign: &Campaign) -> StoreResult<()>;
    async fn campaign(&self, merchant: MerchantId, id: CampaignId) -> StoreResult<Option<Campaign>>;
    async fn campaigns(&self, merchant: MerchantId, page: &PageRequest) -> StoreResult<Page<Campaign>>;
    /// All or nothing; `Duplicate { field: "code" }` when a code is taken (draw again).
    async fn insert_cards(&self, cards: &[DisplayCard]) -> StoreResult<()>;
    async fn card(&self, merchant: MerchantId, id: CardId) -> StoreResult<Option<DisplayCard>>;
    async fn card_by_code(&self, code: &str) -> StoreResult<Option<DisplayCard>>;
    async fn cards(
        &self,
        merchant: MerchantId,
        filter: &CardFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<DisplayCard>>;
    async fn set_card_status(
        &self,
        merchant: MerchantId,
        id: CardId,
        status: CardStatus,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Records a scan and, in the same transaction, makes the card the session's last
    /// scanned one; `steps_count` says whether the browser's views and carts count.
    async fn record_scan(&self, scan: &ScanRecord, session_token_hash: &str, steps_count: bool) -> StoreResult<()>;
    /// Records a funnel step unless the visitor already took it.
    async fn record_funnel_event(&self, event: &FunnelEvent) -> StoreResult<()>;
    /// Funnel figures over `[from, to)`, by card, store or campaign; `stores` limits to
    /// those stores.
    async fn funnel(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
        group: FunnelGroup,
        stores: Option<&[LocationId]>,
    ) -> StoreResult<Vec<FunnelCounts>>;
}
