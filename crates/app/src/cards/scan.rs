//! A shopper scans a card: the scan is recorded (counted by the scan rule), the browser
//! remembers the card, and lands on the product in the card's store. Orders placed on
//! that browser soon after are credited to the card's store and clerk.

use sweep_domain::card::{BrowserClass, CardStatus, DisplayCard, clean_card_code, scan_rule};
use sweep_domain::catalog::{ProductStatus, RecordStatus};
use sweep_domain::channel::Channel;
use sweep_domain::ids::{LocationId, ProductId, SkuId};
use sweep_domain::location::LocationStatus;
use sweep_domain::merchant::{Merchant, MerchantStatus};

use crate::ports::{FunnelEvent, FunnelKind, ScanRecord, SessionScan};
use crate::shop::ShopContext;
use crate::{AppError, AppResult, Sweep};

/// Where a card leads.
#[derive(Debug, Clone)]
pub enum CardTarget {
    /// A live card: the product in the store's context.
    Live { merchant: Merchant, card: DisplayCard },
    /// A card taken off the shelf, or whose item or store is gone: the shop still
    /// welcomes the shopper.
    Retired { merchant: Merchant, code: String, product: Option<ProductId> },
}

/// What a scan did.
#[derive(Debug, Clone)]
pub struct Scanned {
    pub product_id: ProductId,
    pub sku_id: SkuId,
    pub store_id: LocationId,
    pub counted: bool,
    /// A new session cookie, when the browser had none.
    pub new_session_token: Option<String>,
}

impl Sweep {
    /// Finds where a card's code leads; `NotFound` for a code no card has.
    pub async fn card_target(&self, code: &str) -> AppResult<CardTarget> {
        let code = clean_card_code(code).ok_or(AppError::NotFound("card"))?;
        let card = self.repos.cards.card_by_code(&code).await?.ok_or(AppError::NotFound("card"))?;
        let merchant = self.repos.merchants.merchant(card.merchant_id).await?;
        let merchant = merchant.filter(|m| m.status == MerchantStatus::Active).ok_or(AppError::NotFound("card"))?;
        let m = merchant.id;
        let product =
            self.repos.catalog.product(m, card.product_id).await?.filter(|p| p.status == ProductStatus::Active);
        let sku = self.repos.catalog.sku(m, card.sku_id).await?.filter(|s| s.status == RecordStatus::Active);
        let store =
            self.repos.locations.location(m, card.store_id).await?.filter(|l| l.status == LocationStatus::Active);
        if card.status == CardStatus::Active && sku.is_some() && store.is_some() && product.is_some() {
            Ok(CardTarget::Live { merchant, card })
        } else {
            Ok(CardTarget::Retired { merchant, code: card.code, product: product.map(|p| p.id) })
        }
    }

    /// Records a scan of a live card from `client` on the browser of `ctx` (a guest
    /// session is started if there is none) and makes it the browser's current card.
    pub async fn scan_card(
        &self,
        ctx: &mut ShopContext,
        card: &DisplayCard,
        channel: Channel,
        client: &str,
    ) -> AppResult<Scanned> {
        let now = self.now();
        let auth = &self.repos.auth;
        // A flood of one card from one address is refused outright (and recorded nowhere).
        // Per card: a mall's Wi-Fi or a carrier's NAT puts many real shoppers behind one
        // address, and they scan many different cards.
        let burst = auth.count_attempt(&format!("scan:card:{}:client:{client}:minute", card.id), now, 60).await?;
        if burst.count > scan_rule::SCANS_PER_ADDRESS_PER_MINUTE {
            tracing::warn!(target: "security", event = "scan_flood", client = %client, card = %card.id);
            return Err(AppError::TooManyAttempts { retry_after_secs: burst.retry_after_secs(60, now) });
        }
        let new_session_token = self.ensure_shop_session(ctx).await?;
        let session = ctx.session.as_ref().expect("a session exists now");
        // The scan rule: once per browser per card per half hour, and at most ten an hour
        // per address per card. Both counters are single atomic writes.
        let device_key = format!("scan:card:{}:visitor:{}", card.id, session.visitor);
        let device = auth.count_attempt(&device_key, now, scan_rule::SAME_DEVICE_SECS).await?;
        let counted = if device.count == 1 {
            let address = auth.count_attempt(&format!("scan:card:{}:client:{client}", card.id), now, 3_600).await?;
            let within = address.count <= scan_rule::PER_ADDRESS_PER_HOUR;
            if !within {
                // Not counted for the address's sake: this browser's next scan may still count.
                auth.uncount_attempt(&device_key).await?;
            }
            within
        } else {
            false
        };
        let scan = ScanRecord {
            id: uuid::Uuid::now_v7().to_string(),
            merchant_id: card.merchant_id,
            card_id: card.id,
            store_id: card.store_id,
            campaign_id: card.campaign_id,
            browser: BrowserClass::of(channel),
            counted,
            at: now,
        };
        // A browser scanning the same card again within its window was counted the first
        // time: its views and carts still count. One whose scans never counted, do not.
        let steps_count = counted || session.scan.is_some_and(|s| s.card_id == card.id && s.steps_count);
        self.repos.cards.record_scan(&scan, &session.token_hash, steps_count).await?;
        if let Some(s) = ctx.session.as_mut() {
            s.scan = Some(SessionScan { card_id: card.id, at: now, steps_count });
        }
        tracing::info!(event = "card_scanned", card = %card.id, store = %card.store_id, counted, browser = scan.browser.as_str());
        Ok(Scanned {
            product_id: card.product_id,
            sku_id: card.sku_id,
            store_id: card.store_id,
            counted,
            new_session_token,
        })
    }

    /// The card this browser scanned within the attribution window, if it is still on
    /// the shelf of an open store.
    pub async fn current_card(&self, ctx: &ShopContext) -> AppResult<Option<DisplayCard>> {
        Ok(self.current_scan(ctx).await?.map(|(card, _)| card))
    }

    async fn current_scan(&self, ctx: &ShopContext) -> AppResult<Option<(DisplayCard, SessionScan)>> {
        let Some(scan) = ctx.session.as_ref().and_then(|s| s.scan) else { return Ok(None) };
        if scan.at.plus_seconds(self.settings.scan_attribution_secs) <= self.now() {
            return Ok(None);
        }
        let m = ctx.merchant.id;
        let Some(card) = self.repos.cards.card(m, scan.card_id).await?.filter(|c| c.status == CardStatus::Active)
        else {
            return Ok(None);
        };
        let store = self.repos.locations.location(m, card.store_id).await?;
        Ok(store.filter(|s| s.status == LocationStatus::Active).map(|_| (card, scan)))
    }

    /// The store whose prices and stock a browser sees first: the store of the card it
    /// scanned lately.
    pub async fn context_store(&self, ctx: &ShopContext) -> AppResult<Option<LocationId>> {
        Ok(self.current_card(ctx).await?.map(|c| c.store_id))
    }

    /// Notes a funnel step of a browser that came through a card. Figures are a side
    /// line: a failure to note one never stops the shopper.
    pub(crate) async fn note_funnel(&self, ctx: &ShopContext, kind: FunnelKind, subject: String) {
        let noted = async {
            // Only a counted scan's browser counts: a flood's views are no views.
            let Some((card, scan)) = self.current_scan(ctx).await? else { return Ok(()) };
            if !scan.steps_count {
                return Ok(());
            }
            let Some(session) = ctx.session.as_ref() else { return Ok(()) };
            let event = FunnelEvent {
                merchant_id: card.merchant_id,
                kind,
                visitor: session.visitor.clone(),
                subject,
                card_id: card.id,
                store_id: card.store_id,
                campaign_id: card.campaign_id,
                at: self.now(),
            };
            self.repos.cards.record_funnel_event(&event).await?;
            Ok::<(), AppError>(())
        };
        if let Err(e) = noted.await {
            tracing::warn!(error = %e, kind = kind.as_str(), "could not note a funnel step");
        }
    }
}
