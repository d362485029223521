//! Setting flash sales up and ending them (merchant side), and the sale as shoppers see
//! it (phase, prices, units left).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sweep_domain::catalog::{Product, Sku};
use sweep_domain::flash::{DEFAULT_PAY_WITHIN_SECS, FlashItem, FlashPhase, FlashSale, NewFlashSale};
use sweep_domain::ids::*;
use sweep_domain::inventory::{MovementKind, Quantity, StockChange};
use sweep_domain::location::LocationStatus;
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::{FieldError, Money, Timestamp};

use super::END_FLASH_SALE;
use crate::page::{Page, PageRequest};
use crate::ports::{NewJob, StockLine, StoreError};
use crate::{AppError, AppResult, Sweep, require, tenant};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlashSaleInput {
    pub campaign_id: CampaignId,
    pub name: String,
    /// The store or warehouse whose stock the pools are taken from.
    pub location_id: LocationId,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339.
    pub ends_at: String,
    pub per_member_limit: i64,
    #[serde(default)]
    pub members_only: bool,
    /// Unpaid orders give their units back after this long (default 300).
    #[serde(default)]
    pub pay_within_secs: Option<i64>,
    pub items: Vec<FlashItemInput>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlashItemInput {
    pub sku_id: SkuId,
    /// Sale price of one unit, in fen.
    pub price: i64,
    /// Units set aside for the sale from the location's available stock.
    pub units: i64,
}

/// A sale with its phase by the server's clock, and what shoppers need to show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlashSaleView {
    #[serde(flatten)]
    pub sale: FlashSale,
    pub phase: FlashPhase,
    /// The server's clock when this was read: pages count down against it, not the phone's.
    pub server_time: Timestamp,
    pub products: Vec<FlashProduct>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlashProduct {
    pub sku_id: SkuId,
    pub product_id: ProductId,
    pub name: sweep_domain::text::Localized,
    pub sku_label: String,
    pub list_price: Money,
    pub price: Money,
    pub left: i64,
    pub taken: i64,
}

fn parse_time(field: &str, text: &str) -> Result<Timestamp, FieldError> {
    Timestamp::parse_rfc3339(text).ok_or_else(|| FieldError::new(field, "invalid", "use RFC 3339"))
}

impl Sweep {
    pub async fn create_flash_sale(&self, actor: &Actor, input: FlashSaleInput) -> AppResult<FlashSaleView> {
        require(actor, Permission::ManageCampaigns)?;
        let m = tenant(actor)?;
        let mut errors = vec![];
        if self.repos.cards.campaign(m, input.campaign_id).await?.is_none() {
            errors.push(FieldError::new("campaign_id", "unknown_campaign", "no such campaign"));
        }
        match self.repos.locations.location(m, input.location_id).await? {
            Some(l) if l.status == LocationStatus::Active => {}
            _ => errors.push(FieldError::new("location_id", "unknown_location", "no such active location")),
        }
        for (i, item) in input.items.iter().enumerate() {
            if self.repos.catalog.sku(m, item.sku_id).await?.is_none() {
                errors.push(FieldError::new(format!("items[{i}].sku_id"), "unknown_sku", "no such SKU"));
            }
        }
        let starts_at = parse_time("starts_at", &input.starts_at).map_err(|e| errors.push(e)).ok();
        let ends_at = parse_time("ends_at", &input.ends_at).map_err(|e| errors.push(e)).ok();
        let (Some(starts_at), Some(ends_at), true) = (starts_at, ends_at, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let now = self.now();
        let new = NewFlashSale {
            name: input.name.trim().to_string(),
            starts_at,
            ends_at,
            per_member_limit: input.per_member_limit,
            pay_within_secs: input.pay_within_secs.unwrap_or(DEFAULT_PAY_WITHIN_SECS),
            items: input.items.iter().map(|i| (i.sku_id, Money::cny(i.price), i.units)).collect(),
        };
        new.validate(now, self.settings.flash_min_pay_secs)?;
        let sale = FlashSale {
            id: FlashSaleId::new(),
            merchant_id: m,
            campaign_id: input.campaign_id,
            name: new.name,
            location_id: input.location_id,
            starts_at,
            ends_at,
            per_member_limit: new.per_member_limit,
            members_only: input.members_only,
            pay_within_secs: new.pay_within_secs,
            ended_at: None,
            created_at: now,
            items: new
                .items
                .iter()
                .map(|&(sku_id, price, units)| FlashItem {
                    sku_id,
                    price,
                    pool_size: units,
                    pool_left: units,
                    released: 0,
                })
                .collect(),
        };
        let hold: Vec<StockLine> = sale
            .items
            .iter()
            .map(|i| StockLine {
                sku_id: i.sku_id,
                location_id: sale.location_id,
                change: StockChange::of(MovementKind::Reserve, Quantity::parse("units", i.pool_size).expect("checked")),
                reason: None,
                note: format!("flash sale {}", sale.name),
                reference: Some(format!("flash:{}", sale.id)),
            })
            .collect();
        let end = NewJob {
            kind: END_FLASH_SALE.into(),
            payload: serde_json::json!({"merchant_id": m, "sale_id": sale.id}).to_string(),
            run_at: ends_at,
            dedupe_key: Some(format!("{END_FLASH_SALE}:{}", sale.id)),
        };
        match self.repos.flash.create_flash_sale(&sale, &hold, &end).await {
            Ok(()) => {}
            Err(StoreError::InsufficientStock { line, available }) => {
                return Err(AppError::InsufficientStock { field: format!("items[{line}].units"), available });
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(event = "flash_sale_created", sale = %sale.id, merchant = %m);
        self.flash_view(m, sale.id).await
    }

    pub async fn flash_sales(&self, actor: &Actor, page: &PageRequest) -> AppResult<Page<FlashSale>> {
        require(actor, Permission::ViewCards)?;
        Ok(self.repos.flash.list_flash_sales(tenant(actor)?, page).await?)
    }

    pub async fn flash_sale(&self, actor: &Actor, id: FlashSaleId) -> AppResult<FlashSaleView> {
        require(actor, Permission::ViewCards)?;
        self.flash_view(tenant(actor)?, id).await
    }

    /// Ends a sale now; what is left of its pools goes back to the location's stock.
    pub async fn end_flash_sale(&self, actor: &Actor, id: FlashSaleId) -> AppResult<FlashSaleView> {
        require(actor, Permission::ManageCampaigns)?;
        let m = tenant(actor)?;
        self.repos.flash.flash_sale(m, id).await?.ok_or(AppError::NotFound("flash sale"))?;
        if self.repos.flash.end_flash_sale(m, id, self.now()).await?.is_none() {
            return Err(AppError::conflict("sale_ended", None, "the sale has already ended"));
        }
        self.flash_desk.sales.forget(&(m, id));
        self.flash_desk.views.forget(&(m, id));
        tracing::info!(event = "flash_sale_ended", sale = %id, merchant = %m, early = true);
        self.flash_view(m, id).await
    }

    /// The job at a sale's end time.
    pub(crate) async fn run_end_flash_sale(&self, payload: &str) -> Result<(), String> {
        let v: serde_json::Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
        let (Some(m), Some(id)) = (
            v["merchant_id"].as_str().and_then(|s| s.parse::<MerchantId>().ok()),
            v["sale_id"].as_str().and_then(|s| s.parse::<FlashSaleId>().ok()),
        ) else {
            return Err(format!("bad payload {payload}"));
        };
        if let Some(released) = self.repos.flash.end_flash_sale(m, id, self.now()).await.map_err(|e| e.to_string())? {
            let units: i64 = released.iter().map(|(_, u)| u).sum();
            tracing::info!(event = "flash_sale_ended", sale = %id, merchant = %m, units_back = units);
        }
        Ok(())
    }

    /// A sale as shoppers see it; its figures are cached for a second, as whole pages of
    /// phones poll it during the countdown.
    pub async fn flash_sale_public(&self, merchant: MerchantId, id: FlashSaleId) -> AppResult<FlashSaleView> {
        let load = || async { Ok::<_, AppError>(Arc::new(self.flash_view(merchant, id).await?)) };
        let cached = self.flash_desk.views.get_or_load((merchant, id), load).await?;
        // Units left may be a second old; the phase and the time to count down against
        // are always now.
        let now = self.now();
        let mut view = FlashSaleView::clone(&cached);
        view.server_time = now;
        view.phase = view.sale.phase(now);
        Ok(view)
    }

    /// Each item of the sale with its SKU and product (items whose SKU or product is
    /// gone are left out).
    pub(crate) async fn sale_products(&self, sale: &FlashSale) -> AppResult<Vec<(FlashItem, Sku, Product)>> {
        let m = sale.merchant_id;
        let mut out = vec![];
        for item in &sale.items {
            let Some(sku) = self.repos.catalog.sku(m, item.sku_id).await? else { continue };
            let Some(product) = self.repos.catalog.product(m, sku.product_id).await? else { continue };
            out.push((item.clone(), sku, product));
        }
        Ok(out)
    }

    async fn flash_view(&self, m: MerchantId, id: FlashSaleId) -> AppResult<FlashSaleView> {
        let sale = self.repos.flash.flash_sale(m, id).await?.ok_or(AppError::NotFound("flash sale"))?;
        let products = self
            .sale_products(&sale)
            .await?
            .into_iter()
            .map(|(item, sku, product)| FlashProduct {
                sku_id: sku.id,
                product_id: product.id,
                name: product.name,
                sku_label: sku.label(),
                list_price: sku.base_price,
                price: item.price,
                left: item.pool_left,
                taken: item.taken(),
            })
            .collect();
        let now = self.now();
        Ok(FlashSaleView { phase: sale.phase(now), server_time: now, sale, products })
    }
}
