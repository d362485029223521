use serde::Deserialize;
use sweep_domain::catalog::{Product, ProductImage, ProductStatus, Sku};
use sweep_domain::error::Validator;
use sweep_domain::ids::{CategoryId, MerchantId, ProductId};
use sweep_domain::roles::{Actor, Permission};

use super::CreateSkuInput;
use crate::locations::{LocalizedInput, localized};
use crate::page::{Page, PageRequest};
use crate::ports::{CatalogImport, ProductFilter, SkuFilter};
use crate::{AppError, AppResult, SAVE_ATTEMPTS, Sweep, concurrent_edit, next_version, require, tenant};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateProductInput {
    pub name: LocalizedInput,
    #[serde(default)]
    pub description: Option<LocalizedInput>,
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    /// Default `draft`.
    #[serde(default)]
    pub status: Option<ProductStatus>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateProductInput {
    #[serde(default)]
    pub name: Option<LocalizedInput>,
    #[serde(default)]
    pub description: Option<LocalizedInput>,
    /// `null` removes the product from its category.
    #[serde(default, deserialize_with = "crate::serde_util::nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub category_id: Option<Option<CategoryId>>,
    #[serde(default)]
    pub status: Option<ProductStatus>,
}

/// A product with its SKUs and images, as a product page or editor needs it.
pub struct ProductDetail {
    pub product: Product,
    pub skus: Vec<Sku>,
    pub images: Vec<ProductImage>,
}

const MAX_DESCRIPTION: usize = 5000;

impl Sweep {
    pub async fn create_product(&self, actor: &Actor, input: CreateProductInput) -> AppResult<Product> {
        require(actor, Permission::EditCatalog)?;
        let merchant_id = tenant(actor)?;
        let mut v = Validator::new();
        let name = localized(&mut v, "name", &input.name, true, 120);
        let description = match &input.description {
            Some(d) => localized(&mut v, "description", d, false, MAX_DESCRIPTION),
            None => Default::default(),
        };
        v.finish()?;
        if let Some(category) = input.category_id {
            self.check_category(merchant_id, category).await?;
        }
        let now = self.now();
        let product = Product {
            id: ProductId::new(),
            merchant_id,
            category_id: input.category_id,
            name,
            description,
            status: input.status.unwrap_or(ProductStatus::Draft),
            created_at: now,
            updated_at: now,
        };
        self.repos.catalog.insert_product(&product).await?;
        Ok(product)
    }

    /// A new product with its first SKU, both checked before either is written, and
    /// written together in one transaction.
    pub async fn create_product_with_sku(
        &self,
        actor: &Actor,
        input: CreateProductInput,
        first: CreateSkuInput,
    ) -> AppResult<(Product, Sku)> {
        require(actor, Permission::EditCatalog)?;
        let merchant_id = tenant(actor)?;
        let mut v = Validator::new();
        let name = localized(&mut v, "name", &input.name, true, 120);
        let description = match &input.description {
            Some(d) => localized(&mut v, "description", d, false, MAX_DESCRIPTION),
            None => Default::default(),
        };
        if let Some(category) = input.category_id
            && self.repos.catalog.category(merchant_id, category).await?.is_none()
        {
            v.push(sweep_domain::FieldError::new("category_id", "unknown_category", "no such category"));
        }
        let now = self.now();
        let product = Product {
            id: ProductId::new(),
            merchant_id,
            category_id: input.category_id,
            name,
            description,
            status: input.status.unwrap_or(ProductStatus::Draft),
            created_at: now,
            updated_at: now,
        };
        let sku = super::skus::checked_sku(&mut v, &product, &first, now);
        v.finish()?;
        let sku = sku.expect("validated");
        let batch = CatalogImport { products: vec![product.clone()], skus: vec![sku.clone()], ..Default::default() };
        self.repos.catalog.import_catalog(merchant_id, &batch, Some(actor.staff_id), now, &|_| {}).await?;
        Ok((product, sku))
    }

    pub async fn get_product(&self, actor: &Actor, id: ProductId) -> AppResult<Product> {
        require(actor, Permission::ViewCatalog)?;
        let merchant_id = tenant(actor)?;
        self.repos.catalog.product(merchant_id, id).await?.ok_or(AppError::NotFound("product"))
    }

    pub async fn product_detail(&self, actor: &Actor, id: ProductId) -> AppResult<ProductDetail> {
        let product = self.get_product(actor, id).await?;
        let merchant_id = product.merchant_id;
        let skus = crate::page::all_pages(|page| async move {
            let filter = SkuFilter { product: Some(id), ..Default::default() };
            self.repos.catalog.list_skus(merchant_id, &filter, &page).await
        })
        .await?;
        let images = self.repos.catalog.images(product.merchant_id, id).await?;
        Ok(ProductDetail { product, skus, images })
    }

    pub async fn list_products(
        &self,
        actor: &Actor,
        filter: ProductFilter,
        page: &PageRequest,
    ) -> AppResult<Page<Product>> {
        require(actor, Permission::ViewCatalog)?;
        let merchant_id = tenant(actor)?;
        if let Some(q) = &filter.query
            && q.chars().count() > 100
        {
            return Err(AppError::invalid("q", "too_long", "must be at most 100 characters"));
        }
        Ok(self.repos.catalog.list_products(merchant_id, &filter, page).await?)
    }

    pub async fn update_product(&self, actor: &Actor, id: ProductId, input: UpdateProductInput) -> AppResult<Product> {
        for _ in 0..SAVE_ATTEMPTS {
            let current = self.get_product(actor, id).await?;
            let mut product = current.clone();
            require(actor, Permission::EditCatalog)?;
            let mut v = Validator::new();
            if let Some(name) = &input.name {
                product.name = localized(&mut v, "name", name, true, 120);
            }
            if let Some(d) = &input.description {
                product.description = localized(&mut v, "description", d, false, MAX_DESCRIPTION);
            }
            if let Some(status) = input.status {
                product.status = status;
            }
            v.finish()?;
            if let Some(category) = input.category_id {
                if let Some(c) = category {
                    self.check_category(product.merchant_id, c).await?;
                }
                product.category_id = category;
            }
            product.updated_at = next_version(self.now(), current.updated_at);
            if !self.repos.catalog.update_product(&product, current.updated_at).await? {
                continue;
            }
            return Ok(product);
        }
        Err(concurrent_edit())
    }

    async fn check_category(&self, merchant_id: MerchantId, id: CategoryId) -> AppResult<()> {
        match self.repos.catalog.category(merchant_id, id).await? {
            Some(_) => Ok(()),
            None => Err(AppError::invalid("category_id", "unknown_category", "no such category")),
        }
    }
}
