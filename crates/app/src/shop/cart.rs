//! The cart: SKU ids and quantities only. Prices are worked out when it is shown and
//! again, by the server alone, when the order is placed.

use sweep_domain::Money;
use sweep_domain::catalog::{Product, ProductStatus, RecordStatus, Sku};
use sweep_domain::channel::Channel;
use sweep_domain::ids::{LocationId, SkuId};
use sweep_domain::order::line_quantity;
use sweep_domain::pricing::{PriceInputs, ResolvedPrice, resolve_price};

use super::ShopContext;
use crate::{AppError, AppResult, Sweep};

/// The most units of one SKU a cart holds, and the most lines.
pub const MAX_LINE_QUANTITY: i64 = 99;
pub const MAX_CART_LINES: usize = 50;

#[derive(Debug, Clone)]
pub struct CartLine {
    pub sku: Sku,
    pub product: Product,
    pub quantity: i64,
    pub price: ResolvedPrice,
    pub line_total: Money,
    /// Units that can be delivered now.
    pub available: i64,
    /// False when the SKU or product was withdrawn since it went into the cart.
    pub buyable: bool,
    pub image_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CartView {
    pub lines: Vec<CartLine>,
    pub subtotal: Money,
    pub units: i64,
}

impl Sweep {
    pub async fn cart(&self, ctx: &ShopContext, channel: Channel) -> AppResult<CartView> {
        let m = ctx.merchant.id;
        let Some(owner) = ctx.cart_owner() else {
            return Ok(CartView { lines: vec![], subtotal: Money::zero(ctx.merchant.currency), units: 0 });
        };
        let items = self.repos.carts.cart(m, &owner).await?;
        let ids: Vec<SkuId> = items.iter().map(|(s, _)| *s).collect();
        let overrides = self.repos.catalog.price_overrides_for(m, &ids).await?;
        let levels = self.repos.inventory.levels_of(m, &ids).await?;
        let delivering: Vec<_> = self
            .active_locations(&ctx.merchant)
            .await?
            .into_iter()
            .filter(|l| l.delivery_enabled)
            .map(|l| l.id)
            .collect();
        let store = self.context_store(ctx).await?;
        let mut lines = Vec::new();
        let mut subtotal = Money::zero(ctx.merchant.currency);
        let mut units = 0;
        for (sku_id, quantity) in items {
            let Some(sku) = self.repos.catalog.sku(m, sku_id).await? else { continue };
            let Some(product) = self.repos.catalog.product(m, sku.product_id).await? else { continue };
            let price = resolve_price(&PriceInputs::for_sku(&sku, &overrides, channel, store), ctx.member_prices);
            let line_total = price.unit.checked_mul(quantity)?;
            let buyable = sku.status == RecordStatus::Active && product.status == ProductStatus::Active;
            if buyable {
                subtotal = subtotal.checked_add(line_total)?;
                units += quantity;
            }
            let available = levels
                .iter()
                .filter(|l| l.sku_id == sku.id && delivering.contains(&l.location_id))
                .map(|l| l.level.available().max(0))
                .sum();
            let image_key = self.repos.catalog.images(m, product.id).await?.first().map(|i| i.file_key.clone());
            lines.push(CartLine { sku, product, quantity, price, line_total, available, buyable, image_key });
        }
        Ok(CartView { lines, subtotal, units })
    }

    /// What the buyable part of the cart comes to for each way of getting it: picked up
    /// at each of `stores` (at that store's prices), or delivered (`None`: the channel's
    /// prices). Checkout charges exactly these.
    pub async fn cart_totals(
        &self,
        ctx: &ShopContext,
        channel: Channel,
        stores: &[Option<LocationId>],
    ) -> AppResult<Vec<Money>> {
        let m = ctx.merchant.id;
        let zero = Money::zero(ctx.merchant.currency);
        let Some(owner) = ctx.cart_owner() else { return Ok(vec![zero; stores.len()]) };
        let items = self.repos.carts.cart(m, &owner).await?;
        let ids: Vec<SkuId> = items.iter().map(|(s, _)| *s).collect();
        let overrides = self.repos.catalog.price_overrides_for(m, &ids).await?;
        let mut skus = Vec::with_capacity(items.len());
        for (sku_id, quantity) in items {
            let Some(sku) = self.repos.catalog.sku(m, sku_id).await? else { continue };
            let product = self.repos.catalog.product(m, sku.product_id).await?;
            if sku.status == RecordStatus::Active && product.is_some_and(|p| p.status == ProductStatus::Active) {
                skus.push((sku, quantity));
            }
        }
        let mut totals = Vec::with_capacity(stores.len());
        for store in stores {
            let mut total = zero;
            for (sku, quantity) in &skus {
                let price = resolve_price(&PriceInputs::for_sku(sku, &overrides, channel, *store), ctx.member_prices);
                total = total.checked_add(price.unit.checked_mul(*quantity)?)?;
            }
            totals.push(total);
        }
        Ok(totals)
    }

    /// Puts units of a SKU in the cart (creating the guest session if needed); returns a
    /// new session cookie when one was made.
    pub async fn add_to_cart(&self, ctx: &mut ShopContext, sku: SkuId, quantity: i64) -> AppResult<Option<String>> {
        let quantity = line_quantity("quantity", quantity)?.min(MAX_LINE_QUANTITY);
        self.buyable_sku(ctx, sku).await?;
        let new_cookie = self.ensure_shop_session(ctx).await?;
        let owner = ctx.cart_owner().expect("a session exists now");
        let items = self.repos.carts.cart(ctx.merchant.id, &owner).await?;
        if items.len() >= MAX_CART_LINES && !items.iter().any(|(s, _)| *s == sku) {
            return Err(AppError::conflict(
                "cart_full",
                None,
                format!("a cart holds at most {MAX_CART_LINES} different items"),
            ));
        }
        self.repos.carts.add_to_cart(ctx.merchant.id, &owner, sku, quantity, MAX_LINE_QUANTITY, self.now()).await?;
        self.note_funnel(ctx, crate::ports::FunnelKind::Cart, sku.to_string()).await;
        Ok(new_cookie)
    }

    /// Sets a line's quantity; 0 removes it.
    pub async fn set_cart_quantity(&self, ctx: &ShopContext, sku: SkuId, quantity: i64) -> AppResult<()> {
        if !(0..=MAX_LINE_QUANTITY).contains(&quantity) {
            return Err(AppError::invalid("quantity", "out_of_range", format!("0 to {MAX_LINE_QUANTITY}")));
        }
        let Some(owner) = ctx.cart_owner() else { return Err(AppError::NotFound("cart line")) };
        if quantity > 0 {
            self.buyable_sku(ctx, sku).await?;
        }
        self.repos.carts.set_cart_quantity(ctx.merchant.id, &owner, sku, quantity, self.now()).await?;
        Ok(())
    }

    /// A SKU shoppers can buy: active, of an active product, of this shop.
    pub(crate) async fn buyable_sku(&self, ctx: &ShopContext, sku: SkuId) -> AppResult<(Sku, Product)> {
        let m = ctx.merchant.id;
        let sku = self.repos.catalog.sku(m, sku).await?.filter(|s| s.status == RecordStatus::Active);
        let Some(sku) = sku else {
            return Err(AppError::invalid("sku_id", "unknown_sku", "no such item in this shop"));
        };
        let product =
            self.repos.catalog.product(m, sku.product_id).await?.filter(|p| p.status == ProductStatus::Active);
        let Some(product) = product else {
            return Err(AppError::invalid("sku_id", "unknown_sku", "no such item in this shop"));
        };
        Ok((sku, product))
    }
}
