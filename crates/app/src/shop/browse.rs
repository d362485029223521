//! What shoppers browse: the home feed, categories, search, product pages.

use std::collections::HashMap;

use sweep_domain::Money;
use sweep_domain::catalog::{Category, Product, ProductImage, ProductStatus, RecordStatus, Sku};
use sweep_domain::channel::Channel;
use sweep_domain::ids::{CategoryId, LocationId, ProductId, SkuId};
use sweep_domain::inventory::StockRow;
use sweep_domain::location::{Location, LocationKind, LocationStatus};
use sweep_domain::merchant::Merchant;
use sweep_domain::pricing::{PriceInputs, ResolvedPrice, resolve_price};

use super::ShopContext;
use crate::page::{Page, PageRequest, all_pages};
use crate::ports::{LocationFilter, ProductFilter, SkuFilter};
use crate::{AppError, AppResult, Sweep};

/// How a SKU's stock reads to a shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockState {
    InStock,
    /// Five or fewer left.
    Few(i64),
    SoldOut,
}

impl StockState {
    pub fn of(available: i64) -> StockState {
        match available {
            n if n <= 0 => StockState::SoldOut,
            n if n <= 5 => StockState::Few(n),
            _ => StockState::InStock,
        }
    }
}

/// A product in a grid: its cheapest price and its first picture.
#[derive(Debug, Clone)]
pub struct ProductCard {
    pub product: Product,
    pub price_from: Money,
    /// The list price when a member price makes `price_from` lower.
    pub list_from: Money,
    pub image_key: Option<String>,
    pub available: bool,
}

#[derive(Debug, Clone)]
pub struct HomeFeed {
    pub banners: Vec<crate::ports::Banner>,
    pub categories: Vec<Category>,
    pub hot: Vec<ProductCard>,
    pub new_arrivals: Vec<ProductCard>,
}

#[derive(Debug, Clone)]
pub struct SkuOffer {
    pub sku: Sku,
    pub price: ResolvedPrice,
    /// Units that can be delivered (every delivering location together).
    pub available: i64,
    pub state: StockState,
}

/// A store that has the product for pickup.
#[derive(Debug, Clone)]
pub struct StoreStock {
    pub store: Location,
    /// Available units per SKU at this store.
    pub available: HashMap<SkuId, i64>,
}

#[derive(Debug, Clone)]
pub struct ProductPage {
    pub product: Product,
    pub images: Vec<ProductImage>,
    pub offers: Vec<SkuOffer>,
    pub pickup_stores: Vec<StoreStock>,
    /// The store the browser stands in (it scanned one of its cards lately), with its stock.
    pub here: Option<StoreStock>,
}

const FEED_SIZE: u32 = 8;

impl Sweep {
    pub async fn home_feed(&self, ctx: &ShopContext, channel: Channel) -> AppResult<HomeFeed> {
        let m = ctx.merchant.id;
        let banners = self.repos.catalog.banners(m).await?;
        let categories = self
            .repos
            .catalog
            .list_categories(m, None, Some(RecordStatus::Active), &PageRequest::first(50))
            .await?
            .items
            .into_iter()
            .filter(|c| c.parent_id.is_none())
            .collect();
        let active = ProductFilter { status: Some(ProductStatus::Active), ..Default::default() };
        let best: Vec<ProductId> = self.repos.orders.best_sellers(m, FEED_SIZE).await?;
        let mut hot = Vec::new();
        for id in best {
            if let Some(p) = self.repos.catalog.product(m, id).await?.filter(|p| p.status == ProductStatus::Active) {
                hot.push(p);
            }
        }
        let newest = self.newest_products(ctx, &active, FEED_SIZE).await?;
        // Before anything has sold, the hot list is the catalogue's opening lines.
        if hot.is_empty() {
            hot = self.repos.catalog.list_products(m, &active, &PageRequest::first(FEED_SIZE)).await?.items;
        }
        Ok(HomeFeed {
            banners,
            categories,
            hot: self.cards(ctx, hot, channel).await?,
            new_arrivals: self.cards(ctx, newest, channel).await?,
        })
    }

    async fn newest_products(&self, ctx: &ShopContext, filter: &ProductFilter, n: u32) -> AppResult<Vec<Product>> {
        Ok(self.repos.catalog.newest_products(ctx.merchant.id, filter, n).await?)
    }

    /// Active products of a category (and its sub-categories), a page at a time.
    pub async fn category_page(
        &self,
        ctx: &ShopContext,
        category: CategoryId,
        channel: Channel,
        page: &PageRequest,
    ) -> AppResult<(Category, Page<ProductCard>)> {
        let m = ctx.merchant.id;
        let category = self
            .repos
            .catalog
            .category(m, category)
            .await?
            .filter(|c| c.status == RecordStatus::Active)
            .ok_or(AppError::NotFound("category"))?;
        let filter = ProductFilter { category: Some(category.id), status: Some(ProductStatus::Active), query: None };
        let products = self.repos.catalog.list_products(m, &filter, page).await?;
        let next = products.next_cursor.clone();
        let cards = self.cards(ctx, products.items, channel).await?;
        Ok((category, Page { items: cards, next_cursor: next }))
    }

    pub async fn search_shop(
        &self,
        ctx: &ShopContext,
        query: &str,
        channel: Channel,
        page: &PageRequest,
    ) -> AppResult<Page<ProductCard>> {
        let query = query.trim();
        if query.chars().count() > 50 {
            return Err(AppError::invalid("q", "too_long", "at most 50 characters"));
        }
        if query.is_empty() {
            return Ok(Page { items: vec![], next_cursor: None });
        }
        let filter =
            ProductFilter { category: None, status: Some(ProductStatus::Active), query: Some(query.to_string()) };
        let products = self.repos.catalog.list_products(ctx.merchant.id, &filter, page).await?;
        let next = products.next_cursor.clone();
        Ok(Page { items: self.cards(ctx, products.items, channel).await?, next_cursor: next })
    }

    /// Prices and stock of products for a grid.
    pub(crate) async fn cards(
        &self,
        ctx: &ShopContext,
        products: Vec<Product>,
        channel: Channel,
    ) -> AppResult<Vec<ProductCard>> {
        let mut cards = Vec::with_capacity(products.len());
        let store = self.context_store(ctx).await?;
        for product in products {
            let offers = self.offers(ctx, product.id, channel, store).await?;
            let Some(cheapest) = offers.iter().min_by_key(|o| o.price.unit.minor()) else { continue };
            let images = self.repos.catalog.images(ctx.merchant.id, product.id).await?;
            cards.push(ProductCard {
                price_from: cheapest.price.unit,
                list_from: cheapest.price.list,
                image_key: images.first().map(|i| i.file_key.clone()),
                available: offers.iter().any(|o| o.available > 0),
                product,
            });
        }
        Ok(cards)
    }

    /// The active SKUs of a product with the price this browser pays (in `store`'s context,
    /// when it stands in one) and what can be delivered.
    async fn offers(
        &self,
        ctx: &ShopContext,
        product: ProductId,
        channel: Channel,
        store: Option<LocationId>,
    ) -> AppResult<Vec<SkuOffer>> {
        let m = ctx.merchant.id;
        let skus = all_pages(|page| async move {
            let filter = SkuFilter { product: Some(product), status: Some(RecordStatus::Active), ..Default::default() };
            self.repos.catalog.list_skus(m, &filter, &page).await
        })
        .await?;
        let ids: Vec<SkuId> = skus.iter().map(|s| s.id).collect();
        let overrides = self.repos.catalog.price_overrides_for(m, &ids).await?;
        let levels = self.repos.inventory.levels_of(m, &ids).await?;
        let delivering = self.delivering_locations(&ctx.merchant).await?;
        Ok(skus
            .into_iter()
            .map(|sku| {
                let price = resolve_price(&PriceInputs::for_sku(&sku, &overrides, channel, store), ctx.member_prices);
                let available: i64 = levels
                    .iter()
                    .filter(|l| l.sku_id == sku.id && delivering.contains(&l.location_id))
                    .map(|l| l.level.available().max(0))
                    .sum();
                SkuOffer { price, available, state: StockState::of(available), sku }
            })
            .collect())
    }

    pub(crate) async fn active_locations(&self, merchant: &Merchant) -> AppResult<Vec<Location>> {
        let m = merchant.id;
        all_pages(|page| async move {
            let filter = LocationFilter { status: Some(LocationStatus::Active), ..Default::default() };
            self.repos.locations.list_locations(m, &filter, &page).await
        })
        .await
    }

    async fn delivering_locations(&self, merchant: &Merchant) -> AppResult<Vec<LocationId>> {
        Ok(self.active_locations(merchant).await?.into_iter().filter(|l| l.delivery_enabled).map(|l| l.id).collect())
    }

    /// Stores offering pickup, with their stock of `skus`.
    pub(crate) async fn pickup_stock(&self, merchant: &Merchant, levels: &[StockRow]) -> AppResult<Vec<StoreStock>> {
        let stores = self.active_locations(merchant).await?;
        Ok(stores
            .into_iter()
            .filter(|l| l.kind == LocationKind::Store && l.pickup_enabled)
            .map(|store| {
                let available = levels
                    .iter()
                    .filter(|l| l.location_id == store.id)
                    .map(|l| (l.sku_id, l.level.available().max(0)))
                    .collect();
                StoreStock { store, available }
            })
            .collect())
    }

    pub async fn product_page(
        &self,
        ctx: &ShopContext,
        product: ProductId,
        channel: Channel,
    ) -> AppResult<ProductPage> {
        let m = ctx.merchant.id;
        let product = self
            .repos
            .catalog
            .product(m, product)
            .await?
            .filter(|p| p.status == ProductStatus::Active)
            .ok_or(AppError::NotFound("product"))?;
        // A browser that scanned a card stands in that card's store: its price and stock first.
        let store = self.context_store(ctx).await?;
        let offers = self.offers(ctx, product.id, channel, store).await?;
        if offers.is_empty() {
            return Err(AppError::NotFound("product"));
        }
        let images = self.repos.catalog.images(m, product.id).await?;
        let ids: Vec<SkuId> = offers.iter().map(|o| o.sku.id).collect();
        let levels = self.repos.inventory.levels_of(m, &ids).await?;
        let here = match store {
            Some(id) => self.repos.locations.location(m, id).await?.filter(|l| l.status == LocationStatus::Active).map(
                |store| StoreStock {
                    available: levels
                        .iter()
                        .filter(|l| l.location_id == store.id)
                        .map(|l| (l.sku_id, l.level.available().max(0)))
                        .collect(),
                    store,
                },
            ),
            None => None,
        };
        let pickup_stores = self
            .pickup_stock(&ctx.merchant, &levels)
            .await?
            .into_iter()
            .filter(|s| s.available.values().any(|n| *n > 0))
            .collect();
        self.note_funnel(ctx, crate::ports::FunnelKind::View, product.id.to_string()).await;
        Ok(ProductPage { product, images, offers, pickup_stores, here })
    }
}
