//! Products, SKUs and categories: statuses and attribute rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ProductStatus {
    /// Being prepared; not shown to shoppers.
    Draft,
    /// On sale.
    Active,
    /// Withdrawn; kept for history.
    Archived,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(ProductStatus::Draft),
            "active" => Some(ProductStatus::Active),
            "archived" => Some(ProductStatus::Archived),
            _ => None,
        }
    }
}

/// Status of categories and SKUs, which are either in use or archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RecordStatus {
    Active,
    Archived,
}

impl RecordStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Active => "active",
            RecordStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(RecordStatus::Active),
            "archived" => Some(RecordStatus::Archived),
            _ => None,
        }
    }
}

/// Variant attributes of a SKU, such as `{"colour": "雾霾蓝", "size": "1.8m"}`.
pub type Attributes = BTreeMap<String, String>;

pub const MAX_ATTRIBUTES: usize = 8;

pub fn validate_attributes(field: &str, attributes: &Attributes) -> Result<Attributes, FieldError> {
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(FieldError::new(field, "too_many", format!("at most {MAX_ATTRIBUTES} attributes")));
    }
    let mut out = Attributes::new();
    for (key, value) in attributes {
        let k = crate::text::bounded_text(&format!("{field}.{key}"), key, 1, 32)?;
        let v = crate::text::name(&format!("{field}.{key}"), value)?;
        if v.chars().count() > 64 {
            return Err(FieldError::new(format!("{field}.{key}"), "too_long", "must be at most 64 characters"));
        }
        out.insert(k, v);
    }
    Ok(out)
}

/// The deepest a category tree may go (root = 1).
pub const MAX_CATEGORY_DEPTH: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_bounded() {
        let mut a = Attributes::new();
        a.insert("colour".into(), " 雾霾蓝 ".into());
        assert_eq!(validate_attributes("attributes", &a).unwrap()["colour"], "雾霾蓝");
        for i in 0..MAX_ATTRIBUTES {
            a.insert(format!("k{i}"), "v".into());
        }
        assert_eq!(validate_attributes("attributes", &a).unwrap_err().code, "too_many");
        let mut b = Attributes::new();
        b.insert("size".into(), "x".repeat(65));
        assert_eq!(validate_attributes("attributes", &b).unwrap_err().field, "attributes.size");
    }
}

use crate::Timestamp;
use crate::ids::{CategoryId, ImageId, MerchantId, ProductId, SkuId};
use crate::text::Localized;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub id: CategoryId,
    pub merchant_id: MerchantId,
    pub parent_id: Option<CategoryId>,
    pub name: Localized,
    pub sort_order: i64,
    pub status: RecordStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Product {
    pub id: ProductId,
    pub merchant_id: MerchantId,
    pub category_id: Option<CategoryId>,
    pub name: Localized,
    pub description: Localized,
    pub status: ProductStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An image file stored by Sweep, addressed by the hash of its bytes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductImage {
    pub id: ImageId,
    pub merchant_id: MerchantId,
    pub product_id: ProductId,
    /// `<sha256>.<ext>`: the file's name in the media directory.
    pub file_key: String,
    pub content_type: String,
    pub byte_size: i64,
    pub sort_order: i64,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sku {
    pub id: SkuId,
    pub merchant_id: MerchantId,
    pub product_id: ProductId,
    pub code: String,
    pub barcode: Option<String>,
    pub attributes: Attributes,
    pub base_price: crate::Money,
    pub member_price: Option<crate::Money>,
    pub status: RecordStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Sku {
    /// The variant as shoppers and cards show it: the attribute values in key order,
    /// joined with " / " (`雾霾蓝 / 1.8m`); empty for a SKU without attributes.
    pub fn label(&self) -> String {
        self.attributes.values().map(String::as_str).collect::<Vec<_>>().join(" / ")
    }
}

/// Kinds of image Sweep accepts, recognised by their first bytes, not by what the
/// client claims.
pub fn sniff_image(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", "webp"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("image/gif", "gif"))
    } else {
        None
    }
}
