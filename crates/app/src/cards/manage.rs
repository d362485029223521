//! Creating, listing, disabling and printing display cards. Head office makes cards for
//! any store; a store manager for their own stores.

use serde::Deserialize;
use sweep_domain::card::{CARD_CODE_LEN, CardStatus, DisplayCard, card_code_from_random};
use sweep_domain::catalog::{ProductStatus, RecordStatus};
use sweep_domain::channel::Channel;
use sweep_domain::ids::{CampaignId, CardId, LocationId, SkuId, StaffId};
use sweep_domain::location::{LocationKind, LocationStatus};
use sweep_domain::pricing::{PriceInputs, resolve_price};
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::staff::StaffStatus;
use sweep_domain::text::Lang;

use crate::page::{Page, PageRequest};
use crate::ports::{CardFilter, StoreError};
use crate::{AppError, AppResult, Sweep, require, tenant};

/// The most cards made in one request (a few sheets' worth).
pub const MAX_CARDS_PER_REQUEST: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateCardsInput {
    pub store_id: LocationId,
    /// One card per SKU, 1 to 200.
    pub sku_ids: Vec<SkuId>,
    #[serde(default)]
    pub campaign_id: Option<CampaignId>,
    /// The clerk credited with the card's sales (one who works in the store).
    #[serde(default)]
    pub clerk_id: Option<StaffId>,
}

/// Everything printed on one card, in the store's context.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardPrint {
    pub card: DisplayCard,
    pub merchant_name: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub sku_label: String,
    /// The store's price for guests and members, in fen.
    pub price: sweep_domain::Money,
    pub member_price: Option<sweep_domain::Money>,
    pub store_name: String,
    pub campaign_name: Option<String>,
    /// What the QR code says: Sweep's own short URL for the card.
    pub url: String,
}

impl Sweep {
    /// The card's public URL, on Sweep's own domain (never a provider's expiring code).
    pub fn card_url(&self, code: &str) -> String {
        format!("{}/c/{code}", self.settings.public_url.trim_end_matches('/'))
    }

    async fn card_store(&self, actor: &Actor, store: LocationId) -> AppResult<sweep_domain::location::Location> {
        let m = tenant(actor)?;
        let location = self.repos.locations.location(m, store).await?.filter(|_| actor.can_see_location(store));
        match location {
            Some(l) if l.kind == LocationKind::Store && l.status == LocationStatus::Active => Ok(l),
            Some(_) => Err(AppError::invalid("store_id", "not_a_store", "cards are for active stores")),
            None => Err(AppError::invalid("store_id", "unknown_store", "no such store")),
        }
    }

    pub async fn create_cards(&self, actor: &Actor, input: CreateCardsInput) -> AppResult<Vec<DisplayCard>> {
        require(actor, Permission::ManageCards)?;
        let m = tenant(actor)?;
        if input.sku_ids.is_empty() || input.sku_ids.len() > MAX_CARDS_PER_REQUEST {
            return Err(AppError::invalid(
                "sku_ids",
                "invalid_length",
                format!("1 to {MAX_CARDS_PER_REQUEST} SKUs at a time"),
            ));
        }
        let store = self.card_store(actor, input.store_id).await?;
        if let Some(c) = input.campaign_id
            && self.repos.cards.campaign(m, c).await?.is_none()
        {
            return Err(AppError::invalid("campaign_id", "unknown_campaign", "no such campaign"));
        }
        if let Some(clerk) = input.clerk_id {
            let staff = self.repos.staff.staff(Some(m), clerk).await?;
            let works_here = staff.is_some_and(|s| {
                s.status == StaffStatus::Active && (!s.role.is_store_scoped() || s.stores.contains(&store.id))
            });
            if !works_here {
                return Err(AppError::invalid(
                    "clerk_id",
                    "unknown_clerk",
                    "no such active staff member in this store",
                ));
            }
        }
        let now = self.now();
        let mut cards = Vec::with_capacity(input.sku_ids.len());
        for (i, sku_id) in input.sku_ids.iter().enumerate() {
            let sku = self.repos.catalog.sku(m, *sku_id).await?.filter(|s| s.status == RecordStatus::Active);
            let Some(sku) = sku else {
                return Err(AppError::invalid(format!("sku_ids.{i}"), "unknown_sku", "no such active SKU"));
            };
            cards.push(DisplayCard {
                id: CardId::new(),
                merchant_id: m,
                code: String::new(),
                store_id: store.id,
                sku_id: sku.id,
                product_id: sku.product_id,
                campaign_id: input.campaign_id,
                clerk_id: input.clerk_id,
                status: CardStatus::Active,
                created_at: now,
                updated_at: now,
            });
        }
        // Codes are random; a collision (about one in 10^12 per pair) just draws again.
        for _ in 0..5 {
            for card in &mut cards {
                let mut random = [0u8; CARD_CODE_LEN];
                getrandom::fill(&mut random).map_err(|e| AppError::Internal(e.to_string()))?;
                card.code = card_code_from_random(&random);
            }
            match self.repos.cards.insert_cards(&cards).await {
                Ok(()) => {
                    tracing::info!(event = "cards_created", merchant = %m, store = %store.id, count = cards.len());
                    return Ok(cards);
                }
                Err(StoreError::Duplicate { field: "code" }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal("could not draw free card codes".into()))
    }

    pub async fn list_cards(
        &self,
        actor: &Actor,
        mut filter: CardFilter,
        page: &PageRequest,
    ) -> AppResult<Page<DisplayCard>> {
        require(actor, Permission::ViewCards)?;
        let m = tenant(actor)?;
        filter.stores = actor.narrow_stores(filter.stores.take());
        Ok(self.repos.cards.cards(m, &filter, page).await?)
    }

    pub async fn get_card(&self, actor: &Actor, id: CardId) -> AppResult<DisplayCard> {
        require(actor, Permission::ViewCards)?;
        let card = self.repos.cards.card(tenant(actor)?, id).await?;
        card.filter(|c| actor.can_see_location(c.store_id)).ok_or(AppError::NotFound("card"))
    }

    /// Takes a card off the shelf (or puts it back): a disabled card's scans lead to the
    /// shop but count for nothing.
    pub async fn set_card_status(&self, actor: &Actor, id: CardId, status: CardStatus) -> AppResult<DisplayCard> {
        let card = self.get_card(actor, id).await?;
        require(actor, Permission::ManageCards)?;
        self.repos.cards.set_card_status(card.merchant_id, card.id, status, self.now()).await?;
        self.get_card(actor, id).await
    }

    /// What to print on these cards, in the order given.
    pub async fn card_prints(&self, actor: &Actor, ids: &[CardId]) -> AppResult<Vec<CardPrint>> {
        require(actor, Permission::ViewCards)?;
        let m = tenant(actor)?;
        let merchant = self.repos.merchants.merchant(m).await?.ok_or(AppError::NotFound("merchant"))?;
        let mut cards = Vec::with_capacity(ids.len());
        for id in ids {
            cards.push(self.get_card(actor, *id).await?);
        }
        let sku_ids: Vec<SkuId> = cards.iter().map(|c| c.sku_id).collect();
        let overrides = self.repos.catalog.price_overrides_for(m, &sku_ids).await?;
        let mut prints = Vec::with_capacity(cards.len());
        for card in cards {
            let sku = self.repos.catalog.sku(m, card.sku_id).await?.ok_or(AppError::NotFound("sku"))?;
            let product = self.repos.catalog.product(m, card.product_id).await?.ok_or(AppError::NotFound("product"))?;
            let store = self.repos.locations.location(m, card.store_id).await?.ok_or(AppError::NotFound("store"))?;
            let campaign = match card.campaign_id {
                Some(c) => self.repos.cards.campaign(m, c).await?.map(|c| c.name),
                None => None,
            };
            // Printed cards hang in the store: its own price for pickup at its counter, as
            // the phone most shoppers scan with (WeChat) sees it.
            let inputs = PriceInputs::for_sku(&sku, &overrides, Channel::Wechat, Some(store.id));
            let guest = resolve_price(&inputs, false);
            let member = resolve_price(&inputs, true);
            let active = product.status == ProductStatus::Active && sku.status == RecordStatus::Active;
            if !active {
                tracing::info!(card = %card.id, "printing a card for a withdrawn item");
            }
            prints.push(CardPrint {
                url: self.card_url(&card.code),
                merchant_name: merchant.name.clone(),
                product_name_zh: product.name.get(Lang::Zh).to_string(),
                product_name_en: product.name.en.clone(),
                sku_label: sku.label(),
                price: guest.unit,
                member_price: (member.unit.minor() < guest.unit.minor()).then_some(member.unit),
                store_name: store.name.get(Lang::Zh).to_string(),
                campaign_name: campaign,
                card,
            });
        }
        Ok(prints)
    }
}
