use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::{Banner, CatalogImport, CatalogRepo, ProductFilter, SkuFilter, StoreResult};
use sweep_domain::Timestamp;
use sweep_domain::ids::StaffId;

use crate::inventory::apply_lines;
use sweep_domain::catalog::{Attributes, Category, Product, ProductImage, ProductStatus, RecordStatus, Sku};
use sweep_domain::channel::Channel;
use sweep_domain::ids::{BannerId, CategoryId, ImageId, MerchantId, ProductId, SkuId};
use sweep_domain::pricing::{PriceOverride, PriceScope};
use sweep_domain::text::Localized;
use sweep_domain::{Currency, Money};

use crate::Db;
use crate::sql::{Sql, bad_data, enum_col, err, get, map_err, parse, parse_opt, ts};

const CATEGORY_COLUMNS: &str =
    "id, merchant_id, parent_id, name_zh, name_en, sort_order, status, created_at, updated_at";
const PRODUCT_COLUMNS: &str =
    "id, merchant_id, category_id, name_zh, name_en, description_zh, description_en, status, created_at, updated_at";
const IMAGE_COLUMNS: &str = "id, merchant_id, product_id, file_key, content_type, byte_size, sort_order, created_at";
const SKU_COLUMNS: &str = "id, merchant_id, product_id, code, barcode, attributes, currency, base_price, member_price, \
     status, created_at, updated_at";
pub(crate) const SKU_UNIQUES: &[(&str, &str)] =
    &[("uq_skus_code", "code"), ("skus.code", "code"), ("uq_skus_barcode", "barcode"), ("skus.barcode", "barcode")];

fn category(row: &AnyRow) -> StoreResult<Category> {
    Ok(Category {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        parent_id: parse_opt(row, "parent_id")?,
        name: Localized { zh: get(row, "name_zh")?, en: get(row, "name_en")? },
        sort_order: get(row, "sort_order")?,
        status: enum_col(row, "status", RecordStatus::parse)?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn product(row: &AnyRow) -> StoreResult<Product> {
    Ok(Product {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        category_id: parse_opt(row, "category_id")?,
        name: Localized { zh: get(row, "name_zh")?, en: get(row, "name_en")? },
        description: Localized { zh: get(row, "description_zh")?, en: get(row, "description_en")? },
        status: enum_col(row, "status", ProductStatus::parse)?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn image(row: &AnyRow) -> StoreResult<ProductImage> {
    Ok(ProductImage {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        product_id: parse(row, "product_id")?,
        file_key: get(row, "file_key")?,
        content_type: get(row, "content_type")?,
        byte_size: get(row, "byte_size")?,
        sort_order: get(row, "sort_order")?,
        created_at: ts(row, "created_at")?,
    })
}

fn sku(row: &AnyRow) -> StoreResult<Sku> {
    let currency = enum_col(row, "currency", Currency::parse)?;
    let attributes: String = get(row, "attributes")?;
    Ok(Sku {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        product_id: parse(row, "product_id")?,
        code: get(row, "code")?,
        barcode: get(row, "barcode")?,
        attributes: serde_json::from_str::<Attributes>(&attributes).map_err(|e| bad_data("attributes", e))?,
        base_price: Money::new(get(row, "base_price")?, currency),
        member_price: get::<Option<i64>>(row, "member_price")?.map(|p| Money::new(p, currency)),
        status: enum_col(row, "status", RecordStatus::parse)?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn scope_parts(scope: PriceScope) -> (&'static str, String) {
    match scope {
        PriceScope::Channel(c) => ("channel", c.as_str().to_string()),
        PriceScope::Store(l) => ("store", l.to_string()),
    }
}

fn price_override(row: &AnyRow) -> StoreResult<PriceOverride> {
    let kind: String = get(row, "scope_kind")?;
    let key: String = get(row, "scope_key")?;
    let scope = match kind.as_str() {
        "channel" => PriceScope::Channel(Channel::parse(&key).ok_or_else(|| bad_data("scope_key", &key))?),
        "store" => PriceScope::Store(key.parse().map_err(|_| bad_data("scope_key", &key))?),
        other => return Err(bad_data("scope_kind", other)),
    };
    let currency = enum_col(row, "currency", Currency::parse)?;
    Ok(PriceOverride {
        sku_id: parse(row, "sku_id")?,
        scope,
        price: Money::new(get(row, "price")?, currency),
        updated_at: ts(row, "updated_at")?,
    })
}

/// Turns a search text into a LIKE pattern that matches it literally, anywhere.
fn like_pattern(text: &str) -> String {
    let escaped = text.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

pub(crate) async fn insert_category_row<'e, E: Executor<'e, Database = Any>>(
    executor: E,
    c: &Category,
) -> Result<(), sqlx::Error> {
    sqlx::query(
            "INSERT INTO categories (id, merchant_id, parent_id, name_zh, name_en, sort_order, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(c.id.to_string())
        .bind(c.merchant_id.to_string())
        .bind(c.parent_id.map(|p| p.to_string()))
        .bind(c.name.zh.clone())
        .bind(c.name.en.clone())
        .bind(c.sort_order)
        .bind(c.status.as_str())
        .bind(c.created_at.unix_micros())
        .bind(c.updated_at.unix_micros())
        .execute(executor)
        .await?;
    Ok(())
}

pub(crate) async fn insert_product_row<'e, E: Executor<'e, Database = Any>>(
    executor: E,
    p: &Product,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO products (id, merchant_id, category_id, name_zh, name_en, description_zh, description_en,
                 status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(p.id.to_string())
    .bind(p.merchant_id.to_string())
    .bind(p.category_id.map(|c| c.to_string()))
    .bind(p.name.zh.clone())
    .bind(p.name.en.clone())
    .bind(p.description.zh.clone())
    .bind(p.description.en.clone())
    .bind(p.status.as_str())
    .bind(p.created_at.unix_micros())
    .bind(p.updated_at.unix_micros())
    .execute(executor)
    .await?;
    Ok(())
}

pub(crate) async fn insert_sku_row<'e, E: Executor<'e, Database = Any>>(
    executor: E,
    s: &Sku,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO skus (id, merchant_id, product_id, code, barcode, attributes, currency, base_price, member_price,
                 status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(s.id.to_string())
    .bind(s.merchant_id.to_string())
    .bind(s.product_id.to_string())
    .bind(s.code.clone())
    .bind(s.barcode.clone())
    .bind(serde_json::to_string(&s.attributes).expect("attributes serialise"))
    .bind(s.base_price.currency().code())
    .bind(s.base_price.minor())
    .bind(s.member_price.map(|m| m.minor()))
    .bind(s.status.as_str())
    .bind(s.created_at.unix_micros())
    .bind(s.updated_at.unix_micros())
    .execute(executor)
    .await?;
    Ok(())
}

#[async_trait]
impl CatalogRepo for Db {
    async fn insert_category(&self, c: &Category) -> StoreResult<()> {
        insert_category_row(self.writer(), c).await.map_err(err)
    }

    async fn category(&self, merchant: MerchantId, id: CategoryId) -> StoreResult<Option<Category>> {
        let mut q = Sql::new("SELECT ");
        q.push(CATEGORY_COLUMNS)
            .push(" FROM categories WHERE merchant_id = ")
            .bind(merchant.to_string())
            .push(" AND id = ")
            .bind(id.to_string());
        q.query().fetch_optional(self.reader()).await.map_err(err)?.as_ref().map(category).transpose()
    }

    async fn list_categories(
        &self,
        merchant: MerchantId,
        parent: Option<CategoryId>,
        status: Option<RecordStatus>,
        page: &PageRequest,
    ) -> StoreResult<Page<Category>> {
        let mut q = Sql::new("SELECT ");
        q.push(CATEGORY_COLUMNS).push(" FROM categories WHERE merchant_id = ").bind(merchant.to_string());
        if let Some(p) = parent {
            q.push(" AND parent_id = ").bind(p.to_string());
        }
        if let Some(s) = status {
            q.push(" AND status = ").bind(s.as_str());
        }
        q.page("id", page, false);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(category).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |c| c.id.to_string()))
    }

    async fn update_category(&self, c: &Category, expected: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE categories SET parent_id = $3, name_zh = $4, name_en = $5, sort_order = $6, status = $7, updated_at = $8
             WHERE merchant_id = $1 AND id = $2 AND updated_at = $9",
        )
        .bind(c.merchant_id.to_string())
        .bind(c.id.to_string())
        .bind(c.parent_id.map(|p| p.to_string()))
        .bind(c.name.zh.clone())
        .bind(c.name.en.clone())
        .bind(c.sort_order)
        .bind(c.status.as_str())
        .bind(c.updated_at.unix_micros())
        .bind(expected.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_product(&self, p: &Product) -> StoreResult<()> {
        insert_product_row(self.writer(), p).await.map_err(err)
    }

    async fn product(&self, merchant: MerchantId, id: ProductId) -> StoreResult<Option<Product>> {
        let mut q = Sql::new("SELECT ");
        q.push(PRODUCT_COLUMNS)
            .push(" FROM products WHERE merchant_id = ")
            .bind(merchant.to_string())
            .push(" AND id = ")
            .bind(id.to_string());
        q.query().fetch_optional(self.reader()).await.map_err(err)?.as_ref().map(product).transpose()
    }

    async fn list_products(
        &self,
        merchant: MerchantId,
        f: &ProductFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Product>> {
        let mut q = Sql::new("SELECT ");
        q.push(PRODUCT_COLUMNS).push(" FROM products WHERE merchant_id = ").bind(merchant.to_string());
        if let Some(c) = f.category {
            q.push(" AND category_id = ").bind(c.to_string());
        }
        if let Some(s) = f.status {
            q.push(" AND status = ").bind(s.as_str());
        }
        if let Some(text) = f.query.as_deref().filter(|t| !t.trim().is_empty()) {
            let pattern = like_pattern(text);
            q.push(" AND (LOWER(name_zh) LIKE ")
                .bind(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(name_en) LIKE ")
                .bind(pattern)
                .push(" ESCAPE '\\')");
        }
        q.page("id", page, false);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(product).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |p| p.id.to_string()))
    }

    async fn update_product(&self, p: &Product, expected: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE products SET category_id = $3, name_zh = $4, name_en = $5, description_zh = $6, description_en = $7,
                 status = $8, updated_at = $9
             WHERE merchant_id = $1 AND id = $2 AND updated_at = $10",
        )
        .bind(p.merchant_id.to_string())
        .bind(p.id.to_string())
        .bind(p.category_id.map(|c| c.to_string()))
        .bind(p.name.zh.clone())
        .bind(p.name.en.clone())
        .bind(p.description.zh.clone())
        .bind(p.description.en.clone())
        .bind(p.status.as_str())
        .bind(p.updated_at.unix_micros())
        .bind(expected.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_image(&self, i: &ProductImage) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO product_images (id, merchant_id, product_id, file_key, content_type, byte_size, sort_order, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(i.id.to_string())
        .bind(i.merchant_id.to_string())
        .bind(i.product_id.to_string())
        .bind(i.file_key.clone())
        .bind(i.content_type.clone())
        .bind(i.byte_size)
        .bind(i.sort_order)
        .bind(i.created_at.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn images(&self, merchant: MerchantId, product: ProductId) -> StoreResult<Vec<ProductImage>> {
        let mut q = Sql::new("SELECT ");
        q.push(IMAGE_COLUMNS)
            .push(" FROM product_images WHERE merchant_id = ")
            .bind(merchant.to_string())
            .push(" AND product_id = ")
            .bind(product.to_string())
            .push(" ORDER BY sort_order, id");
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(image).collect()
    }

    async fn delete_image(&self, merchant: MerchantId, product: ProductId, id: ImageId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM product_images WHERE merchant_id = $1 AND product_id = $2 AND id = $3")
            .bind(merchant.to_string())
            .bind(product.to_string())
            .bind(id.to_string())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_sku(&self, s: &Sku) -> StoreResult<()> {
        insert_sku_row(self.writer(), s).await.map_err(|e| map_err(e, SKU_UNIQUES))
    }

    async fn sku(&self, merchant: MerchantId, id: SkuId) -> StoreResult<Option<Sku>> {
        let mut q = Sql::new("SELECT ");
        q.push(SKU_COLUMNS)
            .push(" FROM skus WHERE merchant_id = ")
            .bind(merchant.to_string())
            .push(" AND id = ")
            .bind(id.to_string());
        q.query().fetch_optional(self.reader()).await.map_err(err)?.as_ref().map(sku).transpose()
    }

    async fn list_skus(&self, merchant: MerchantId, f: &SkuFilter, page: &PageRequest) -> StoreResult<Page<Sku>> {
        let mut q = Sql::new("SELECT ");
        q.push(SKU_COLUMNS).push(" FROM skus WHERE merchant_id = ").bind(merchant.to_string());
        if let Some(p) = f.product {
            q.push(" AND product_id = ").bind(p.to_string());
        }
        if let Some(c) = &f.code {
            q.push(" AND code = ").bind(c.clone());
        }
        if let Some(b) = &f.barcode {
            q.push(" AND barcode = ").bind(b.clone());
        }
        if let Some(s) = f.status {
            q.push(" AND status = ").bind(s.as_str());
        }
        q.page("id", page, false);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(sku).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |s| s.id.to_string()))
    }

    async fn update_sku(&self, s: &Sku, expected: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE skus SET code = $3, barcode = $4, attributes = $5, base_price = $6, member_price = $7, status = $8,
                 updated_at = $9
             WHERE merchant_id = $1 AND id = $2 AND updated_at = $10",
        )
        .bind(s.merchant_id.to_string())
        .bind(s.id.to_string())
        .bind(s.code.clone())
        .bind(s.barcode.clone())
        .bind(serde_json::to_string(&s.attributes).expect("attributes serialise"))
        .bind(s.base_price.minor())
        .bind(s.member_price.map(|m| m.minor()))
        .bind(s.status.as_str())
        .bind(s.updated_at.unix_micros())
        .bind(expected.unix_micros())
        .execute(self.writer())
        .await
        .map_err(|e| map_err(e, SKU_UNIQUES))?;
        Ok(done.rows_affected() == 1)
    }

    async fn update_sku_prices(&self, merchant: MerchantId, skus: &[(Sku, Timestamp)]) -> StoreResult<bool> {
        let mut tx = self.begin().await.map_err(err)?;
        for (s, expected) in skus {
            let done = sqlx::query(
                "UPDATE skus SET base_price = $3, member_price = $4, updated_at = $5
                 WHERE merchant_id = $1 AND id = $2 AND updated_at = $6",
            )
            .bind(merchant.to_string())
            .bind(s.id.to_string())
            .bind(s.base_price.minor())
            .bind(s.member_price.map(|m| m.minor()))
            .bind(s.updated_at.unix_micros())
            .bind(expected.unix_micros())
            .execute(&mut *tx)
            .await
            .map_err(err)?;
            if done.rows_affected() != 1 {
                // Dropping the transaction rolls back the rows already updated.
                return Ok(false);
            }
        }
        tx.commit().await.map_err(err)?;
        Ok(true)
    }

    async fn price_overrides(&self, merchant: MerchantId, sku: SkuId) -> StoreResult<Vec<PriceOverride>> {
        self.price_overrides_for(merchant, &[sku]).await
    }

    async fn price_overrides_for(&self, merchant: MerchantId, skus: &[SkuId]) -> StoreResult<Vec<PriceOverride>> {
        let mut q = Sql::new(
            "SELECT o.sku_id, o.scope_kind, o.scope_key, o.price, o.updated_at, s.currency
             FROM price_overrides o JOIN skus s ON s.id = o.sku_id
             WHERE o.merchant_id = ",
        );
        q.bind(merchant.to_string()).push(" AND o.sku_id IN ").bind_list(skus.iter().map(|s| s.to_string()));
        q.push(" ORDER BY o.sku_id, o.scope_kind, o.scope_key");
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(price_override).collect()
    }

    async fn set_price_override(&self, merchant: MerchantId, o: &PriceOverride) -> StoreResult<()> {
        let (kind, key) = scope_parts(o.scope);
        sqlx::query(
            "INSERT INTO price_overrides (merchant_id, sku_id, scope_kind, scope_key, price, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (sku_id, scope_kind, scope_key) DO UPDATE SET price = excluded.price, updated_at = excluded.updated_at",
        )
        .bind(merchant.to_string())
        .bind(o.sku_id.to_string())
        .bind(kind)
        .bind(key)
        .bind(o.price.minor())
        .bind(o.updated_at.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn newest_products(&self, merchant: MerchantId, f: &ProductFilter, limit: u32) -> StoreResult<Vec<Product>> {
        let mut q = Sql::new("SELECT ");
        q.push(PRODUCT_COLUMNS).push(" FROM products WHERE merchant_id = ").bind(merchant.to_string());
        if let Some(s) = f.status {
            q.push(" AND status = ").bind(s.as_str());
        }
        q.push(" ORDER BY id DESC LIMIT ").bind(limit as i64);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(product).collect()
    }

    async fn banners(&self, merchant: MerchantId) -> StoreResult<Vec<Banner>> {
        let rows = sqlx::query(
            "SELECT id, merchant_id, title_zh, title_en, image_key, link, sort_order, created_at FROM shop_banners
             WHERE merchant_id = $1 ORDER BY sort_order, id",
        )
        .bind(merchant.to_string())
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(Banner {
                    id: parse(r, "id")?,
                    merchant_id: parse(r, "merchant_id")?,
                    title: Localized { zh: get(r, "title_zh")?, en: get(r, "title_en")? },
                    image_key: get(r, "image_key")?,
                    link: get(r, "link")?,
                    sort_order: get(r, "sort_order")?,
                    created_at: ts(r, "created_at")?,
                })
            })
            .collect()
    }

    async fn insert_banner(&self, b: &Banner) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO shop_banners (id, merchant_id, title_zh, title_en, image_key, link, sort_order, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(b.id.to_string())
        .bind(b.merchant_id.to_string())
        .bind(b.title.zh.clone())
        .bind(b.title.en.clone())
        .bind(b.image_key.clone())
        .bind(b.link.clone())
        .bind(b.sort_order)
        .bind(b.created_at.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn delete_banner(&self, merchant: MerchantId, id: BannerId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM shop_banners WHERE merchant_id = $1 AND id = $2")
            .bind(merchant.to_string())
            .bind(id.to_string())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn import_catalog(
        &self,
        merchant: MerchantId,
        batch: &CatalogImport,
        actor: Option<StaffId>,
        now: Timestamp,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        let mut written = 0;
        let mut tick = |n: usize| {
            written += n;
            if written % 100 < n {
                progress(written);
            }
        };
        for c in &batch.categories {
            insert_category_row(&mut *tx, c).await.map_err(err)?;
            tick(1);
        }
        for p in &batch.products {
            insert_product_row(&mut *tx, p).await.map_err(err)?;
            tick(1);
        }
        for s in &batch.skus {
            insert_sku_row(&mut *tx, s).await.map_err(|e| map_err(e, SKU_UNIQUES))?;
            tick(1);
        }
        for chunk in batch.stock.chunks(100) {
            apply_lines(&mut tx, merchant, chunk, actor, now).await?;
            tick(chunk.len());
        }
        tx.commit().await.map_err(err)?;
        progress(batch.records());
        Ok(())
    }

    async fn delete_price_override(&self, merchant: MerchantId, sku: SkuId, scope: PriceScope) -> StoreResult<bool> {
        let (kind, key) = scope_parts(scope);
        let done = sqlx::query(
            "DELETE FROM price_overrides WHERE merchant_id = $1 AND sku_id = $2 AND scope_kind = $3 AND scope_key = $4",
        )
        .bind(merchant.to_string())
        .bind(sku.to_string())
        .bind(kind)
        .bind(key)
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }
}
