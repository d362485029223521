use serde::Deserialize;
use sweep_domain::Timestamp;
use sweep_domain::catalog::{Attributes, Product, RecordStatus, Sku, validate_attributes};
use sweep_domain::error::Validator;
use sweep_domain::ids::{ProductId, SkuId};
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::{Currency, Money, text};

use crate::page::{Page, PageRequest};
use crate::ports::SkuFilter;
use crate::{AppError, AppResult, SAVE_ATTEMPTS, Sweep, concurrent_edit, next_version, require, tenant};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateSkuInput {
    /// The merchant's SKU code, unique within the merchant.
    pub code: String,
    #[serde(default)]
    pub barcode: Option<String>,
    /// Variant attributes, e.g. `{"colour": "雾霾蓝", "size": "1.8m"}`.
    #[serde(default)]
    pub attributes: Attributes,
    /// In fen (minor units).
    pub base_price: i64,
    /// In fen; applies to members when lower than the list price.
    #[serde(default)]
    pub member_price: Option<i64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateSkuInput {
    #[serde(default)]
    pub code: Option<String>,
    /// `null` removes the barcode.
    #[serde(default, deserialize_with = "crate::serde_util::nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub barcode: Option<Option<String>>,
    #[serde(default)]
    pub attributes: Option<Attributes>,
    #[serde(default)]
    pub base_price: Option<i64>,
    /// `null` removes the member price.
    #[serde(default, deserialize_with = "crate::serde_util::nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, nullable))]
    pub member_price: Option<Option<i64>>,
    #[serde(default)]
    pub status: Option<RecordStatus>,
}

impl Sweep {
    pub async fn create_sku(&self, actor: &Actor, product_id: ProductId, input: CreateSkuInput) -> AppResult<Sku> {
        let product = self.get_product(actor, product_id).await?;
        require(actor, Permission::EditCatalog)?;
        let mut v = Validator::new();
        let sku = checked_sku(&mut v, &product, &input, self.now());
        v.finish()?;
        let sku = sku.expect("validated");
        self.repos.catalog.insert_sku(&sku).await?;
        Ok(sku)
    }

    pub async fn get_sku(&self, actor: &Actor, id: SkuId) -> AppResult<Sku> {
        require(actor, Permission::ViewCatalog)?;
        let merchant_id = tenant(actor)?;
        self.repos.catalog.sku(merchant_id, id).await?.ok_or(AppError::NotFound("sku"))
    }

    pub async fn list_skus(&self, actor: &Actor, filter: SkuFilter, page: &PageRequest) -> AppResult<Page<Sku>> {
        require(actor, Permission::ViewCatalog)?;
        let merchant_id = tenant(actor)?;
        Ok(self.repos.catalog.list_skus(merchant_id, &filter, page).await?)
    }

    pub async fn update_sku(&self, actor: &Actor, id: SkuId, input: UpdateSkuInput) -> AppResult<Sku> {
        for _ in 0..SAVE_ATTEMPTS {
            let current = self.get_sku(actor, id).await?;
            let mut sku = current.clone();
            require(actor, Permission::EditCatalog)?;
            let currency = sku.base_price.currency();
            let mut v = Validator::new();
            if let Some(code) = &input.code {
                sku.code = v.check(text::code("code", code, 64)).unwrap_or_default();
            }
            if let Some(barcode) = &input.barcode {
                sku.barcode = match barcode {
                    Some(b) => v.check(text::barcode("barcode", b)),
                    None => None,
                };
            }
            if let Some(attributes) = &input.attributes {
                sku.attributes = v.check(validate_attributes("attributes", attributes)).unwrap_or_default();
            }
            if let Some(p) = input.base_price
                && let Some(price) = v.check(Money::price("base_price", p, currency))
            {
                sku.base_price = price;
            }
            if let Some(p) = input.member_price {
                sku.member_price = match p {
                    Some(p) => v.check(Money::price("member_price", p, currency)),
                    None => None,
                };
            }
            if let Some(status) = input.status {
                sku.status = status;
            }
            v.finish()?;
            sku.updated_at = next_version(self.now(), current.updated_at);
            if !self.repos.catalog.update_sku(&sku, current.updated_at).await? {
                continue;
            }
            return Ok(sku);
        }
        Err(concurrent_edit())
    }
}

/// A new SKU of `product` from `input`, its problems recorded in `v` (then `None`).
pub(super) fn checked_sku(v: &mut Validator, product: &Product, input: &CreateSkuInput, now: Timestamp) -> Option<Sku> {
    let currency = Currency::Cny;
    let code = v.check(text::code("code", &input.code, 64));
    let barcode = match &input.barcode {
        Some(b) => v.check(text::barcode("barcode", b)),
        None => None,
    };
    let attributes = v.check(validate_attributes("attributes", &input.attributes)).unwrap_or_default();
    let base_price = v.check(Money::price("base_price", input.base_price, currency));
    let member_price = match input.member_price {
        Some(p) => v.check(Money::price("member_price", p, currency)),
        None => None,
    };
    Some(Sku {
        id: SkuId::new(),
        merchant_id: product.merchant_id,
        product_id: product.id,
        code: code?,
        barcode,
        attributes,
        base_price: base_price?,
        member_price,
        status: RecordStatus::Active,
        created_at: now,
        updated_at: now,
    })
}
