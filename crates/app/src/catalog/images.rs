use sha2::{Digest, Sha256};
use sweep_domain::catalog::{ProductImage, sniff_image};
use sweep_domain::ids::{ImageId, ProductId};
use sweep_domain::roles::{Actor, Permission};

use crate::{AppError, AppResult, Sweep, require};

/// Most images one product may carry.
const MAX_IMAGES: usize = 12;

impl Sweep {
    /// Stores an uploaded image under the hash of its bytes and attaches it to the
    /// product. The kind comes from the bytes, never from what the client claims.
    pub async fn add_product_image(
        &self,
        actor: &Actor,
        product_id: ProductId,
        bytes: &[u8],
    ) -> AppResult<ProductImage> {
        let product = self.get_product(actor, product_id).await?;
        require(actor, Permission::EditCatalog)?;
        if bytes.len() > self.settings.max_image_bytes {
            return Err(AppError::invalid(
                "body",
                "too_large",
                format!("images are at most {} bytes", self.settings.max_image_bytes),
            ));
        }
        let Some((content_type, ext)) = sniff_image(bytes) else {
            return Err(AppError::invalid("body", "unsupported_image", "upload a PNG, JPEG, WebP or GIF image"));
        };
        let existing = self.repos.catalog.images(product.merchant_id, product_id).await?;
        if existing.len() >= MAX_IMAGES {
            return Err(AppError::conflict(
                "too_many_images",
                None,
                format!("a product has at most {MAX_IMAGES} images"),
            ));
        }
        let file_key = format!("{}.{ext}", hex::encode(Sha256::digest(bytes)));
        self.repos.media.put(&file_key, bytes).await?;
        let image = ProductImage {
            id: ImageId::new(),
            merchant_id: product.merchant_id,
            product_id,
            file_key,
            content_type: content_type.to_string(),
            byte_size: bytes.len() as i64,
            sort_order: existing.iter().map(|i| i.sort_order + 1).max().unwrap_or(0),
            created_at: self.now(),
        };
        self.repos.catalog.insert_image(&image).await?;
        Ok(image)
    }

    pub async fn delete_product_image(&self, actor: &Actor, product_id: ProductId, image: ImageId) -> AppResult<()> {
        let product = self.get_product(actor, product_id).await?;
        require(actor, Permission::EditCatalog)?;
        if self.repos.catalog.delete_image(product.merchant_id, product_id, image).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("image"))
        }
    }

    /// An image file by key, for serving. Product images are public, like the shop.
    pub async fn media(&self, key: &str) -> AppResult<Option<(Vec<u8>, &'static str)>> {
        let Some((stem, ext)) = key.split_once('.') else {
            return Ok(None);
        };
        let content_type = match ext {
            "png" => "image/png",
            "jpg" => "image/jpeg",
            "webp" => "image/webp",
            "gif" => "image/gif",
            _ => return Ok(None),
        };
        if stem.len() != 64 || !stem.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Ok(None);
        }
        Ok(self.repos.media.get(key).await?.map(|bytes| (bytes, content_type)))
    }
}
