//! The pictures at the top of a shop's home feed, and uploaded media in general.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use sweep_domain::catalog::sniff_image;
use sweep_domain::error::Validator;
use sweep_domain::ids::BannerId;
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::text;

use crate::locations::{LocalizedInput, localized};
use crate::ports::Banner;
use crate::{AppError, AppResult, Sweep, require, tenant};

pub const MAX_BANNERS: usize = 10;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateBannerInput {
    pub title: LocalizedInput,
    /// A key from `POST /api/v1/media`.
    pub image_key: String,
    /// A path inside the shop, e.g. `/p/<product id>` or `/c/<category id>`.
    pub link: String,
    #[serde(default)]
    pub sort_order: i64,
}

impl Sweep {
    /// Stores an image (by the hash of its bytes) for use in banners and the like.
    pub async fn upload_media(&self, actor: &Actor, bytes: &[u8]) -> AppResult<String> {
        require(actor, Permission::EditCatalog)?;
        tenant(actor)?;
        if bytes.len() > self.settings.max_image_bytes {
            return Err(AppError::invalid(
                "body",
                "too_large",
                format!("images are at most {} bytes", self.settings.max_image_bytes),
            ));
        }
        let Some((_, ext)) = sniff_image(bytes) else {
            return Err(AppError::invalid("body", "unsupported_image", "upload a PNG, JPEG, WebP or GIF image"));
        };
        let key = format!("{}.{ext}", hex::encode(Sha256::digest(bytes)));
        self.repos.media.put(&key, bytes).await?;
        Ok(key)
    }

    pub async fn banners(&self, actor: &Actor) -> AppResult<Vec<Banner>> {
        require(actor, Permission::ViewCatalog)?;
        Ok(self.repos.catalog.banners(tenant(actor)?).await?)
    }

    pub async fn create_banner(&self, actor: &Actor, input: CreateBannerInput) -> AppResult<Banner> {
        require(actor, Permission::EditCatalog)?;
        let m = tenant(actor)?;
        let mut v = Validator::new();
        let title = localized(&mut v, "title", &input.title, true, 120);
        let link = v.check(text::bounded_text("link", &input.link, 1, 200)).unwrap_or_default();
        // Only paths inside the shop: a banner must not send shoppers elsewhere.
        if !link.starts_with('/') || link.starts_with("//") || link.contains(['\\', ':']) {
            v.push(sweep_domain::FieldError::new(
                "link",
                "not_a_shop_path",
                "use a path inside the shop, like /p/<product id>",
            ));
        }
        if self.media(&input.image_key).await?.is_none() {
            v.push(sweep_domain::FieldError::new("image_key", "unknown_media", "upload the image first"));
        }
        v.finish()?;
        if self.repos.catalog.banners(m).await?.len() >= MAX_BANNERS {
            return Err(AppError::conflict(
                "too_many_banners",
                None,
                format!("a shop has at most {MAX_BANNERS} banners"),
            ));
        }
        let banner = Banner {
            id: BannerId::new(),
            merchant_id: m,
            title,
            image_key: input.image_key,
            link,
            sort_order: input.sort_order.clamp(-1000, 1000),
            created_at: self.now(),
        };
        self.repos.catalog.insert_banner(&banner).await?;
        Ok(banner)
    }

    pub async fn delete_banner(&self, actor: &Actor, id: BannerId) -> AppResult<()> {
        require(actor, Permission::EditCatalog)?;
        if self.repos.catalog.delete_banner(tenant(actor)?, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("banner"))
        }
    }
}
