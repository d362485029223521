//! Price overrides per channel and store, price quotes, and the price-parity report.

use serde::Deserialize;
use sweep_domain::Money;
use sweep_domain::catalog::{ProductStatus, RecordStatus, Sku};
use sweep_domain::channel::Channel;
use sweep_domain::ids::{LocationId, SkuId};
use sweep_domain::location::{Location, LocationKind, LocationStatus};
use sweep_domain::pricing::{PriceInputs, PriceOverride, PriceScope, ResolvedPrice, resolve_price};
use sweep_domain::roles::{Actor, Permission};

use crate::page::all_pages;
use crate::ports::{LocationFilter, ProductFilter, SkuFilter};
use crate::{AppError, AppResult, Sweep, require, tenant};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetPriceInput {
    /// In fen (minor units).
    pub price: i64,
}

/// One SKU's prices in every context that has its own.
pub struct SkuPrices {
    pub sku: Sku,
    pub overrides: Vec<PriceOverride>,
}

/// A SKU whose price on the phone in a store's context differs from the till's.
#[derive(Debug, Clone, PartialEq)]
pub struct ParityIssue {
    pub store_id: LocationId,
    pub store_code: String,
    pub sku_id: SkuId,
    pub sku_code: String,
    pub till_price: Money,
    /// The phone channels whose price differs, with their price.
    pub phone_prices: Vec<(Channel, Money)>,
}

impl Sweep {
    pub async fn sku_prices(&self, actor: &Actor, sku: SkuId) -> AppResult<SkuPrices> {
        let sku = self.get_sku(actor, sku).await?;
        let mut overrides = self.repos.catalog.price_overrides(sku.merchant_id, sku.id).await?;
        // A store manager sees only their stores' overrides.
        overrides.retain(|o| match o.scope {
            PriceScope::Store(s) => actor.can_see_location(s),
            PriceScope::Channel(_) => true,
        });
        Ok(SkuPrices { sku, overrides })
    }

    pub async fn set_price_override(
        &self,
        actor: &Actor,
        sku: SkuId,
        scope: PriceScope,
        input: SetPriceInput,
    ) -> AppResult<PriceOverride> {
        let sku = self.get_sku(actor, sku).await?;
        require(actor, Permission::EditPrices)?;
        if let PriceScope::Store(store) = scope {
            let location = self.get_location(actor, store).await?;
            if location.kind != LocationKind::Store {
                return Err(AppError::invalid("location_id", "not_a_store", "only stores have their own prices"));
            }
        }
        let price = Money::price("price", input.price, sku.base_price.currency())?;
        let o = PriceOverride { sku_id: sku.id, scope, price, updated_at: self.now() };
        self.repos.catalog.set_price_override(sku.merchant_id, &o).await?;
        Ok(o)
    }

    pub async fn delete_price_override(&self, actor: &Actor, sku: SkuId, scope: PriceScope) -> AppResult<()> {
        let sku = self.get_sku(actor, sku).await?;
        require(actor, Permission::EditPrices)?;
        if let PriceScope::Store(store) = scope {
            self.get_location(actor, store).await?;
        }
        if self.repos.catalog.delete_price_override(sku.merchant_id, sku.id, scope).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("price override"))
        }
    }

    /// What one unit costs on a channel, in a store's context, for a member or not.
    pub async fn quote_price(
        &self,
        actor: &Actor,
        sku: SkuId,
        channel: Channel,
        store: Option<LocationId>,
        member: bool,
    ) -> AppResult<ResolvedPrice> {
        let prices = self.sku_prices(actor, sku).await?;
        if let Some(store) = store {
            self.get_location(actor, store).await?;
        }
        Ok(resolve_price(&PriceInputs::for_sku(&prices.sku, &prices.overrides, channel, store), member))
    }

    /// For each store in the caller's scope (or the one given), the active SKUs of
    /// active products whose phone price in that store's context differs from the price
    /// at its till.
    pub async fn price_parity(&self, actor: &Actor, store: Option<LocationId>) -> AppResult<Vec<ParityIssue>> {
        require(actor, Permission::ViewReports)?;
        let merchant_id = tenant(actor)?;
        let stores: Vec<Location> = match store {
            Some(id) => vec![self.get_location(actor, id).await?],
            None => {
                let filter = LocationFilter {
                    kind: Some(LocationKind::Store),
                    status: Some(LocationStatus::Active),
                    ..Default::default()
                };
                all_pages(|page| {
                    let filter = filter.clone();
                    async move { self.list_locations(actor, filter, &page).await }
                })
                .await?
            }
        };
        let active_products: std::collections::HashSet<_> = all_pages(|page| async move {
            let filter = ProductFilter { status: Some(ProductStatus::Active), ..Default::default() };
            self.repos.catalog.list_products(merchant_id, &filter, &page).await
        })
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
        let skus: Vec<Sku> = all_pages(|page| async move {
            let filter = SkuFilter { status: Some(RecordStatus::Active), ..Default::default() };
            self.repos.catalog.list_skus(merchant_id, &filter, &page).await
        })
        .await?
        .into_iter()
        .filter(|s| active_products.contains(&s.product_id))
        .collect();
        let mut issues = Vec::new();
        for chunk in skus.chunks(500) {
            let ids: Vec<SkuId> = chunk.iter().map(|s| s.id).collect();
            let overrides = self.repos.catalog.price_overrides_for(merchant_id, &ids).await?;
            for sku in chunk {
                for store in &stores {
                    let price_on = |channel| {
                        resolve_price(&PriceInputs::for_sku(sku, &overrides, channel, Some(store.id)), false).unit
                    };
                    let till = price_on(Channel::Pos);
                    let differing: Vec<(Channel, Money)> =
                        Channel::PHONE.into_iter().map(|c| (c, price_on(c))).filter(|(_, p)| *p != till).collect();
                    if !differing.is_empty() {
                        issues.push(ParityIssue {
                            store_id: store.id,
                            store_code: store.code.clone(),
                            sku_id: sku.id,
                            sku_code: sku.code.clone(),
                            till_price: till,
                            phone_prices: differing,
                        });
                    }
                }
            }
        }
        Ok(issues)
    }
}
