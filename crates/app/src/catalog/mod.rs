//! The catalog: categories, products, their images, and SKUs.

mod banners;
mod categories;
mod images;
mod prices;
mod products;
mod skus;

pub use banners::CreateBannerInput;
pub use categories::{CreateCategoryInput, UpdateCategoryInput};
pub use prices::{MAX_PRICE_CHANGES, PriceChange};
pub use products::{CreateProductInput, ProductDetail, UpdateProductInput};
pub use skus::{CreateSkuInput, UpdateSkuInput};
