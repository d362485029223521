//! The catalog: categories, products, their images, and SKUs.

mod banners;
mod categories;
mod images;
mod products;
mod skus;

pub use banners::CreateBannerInput;
pub use categories::{CreateCategoryInput, UpdateCategoryInput};
pub use products::{CreateProductInput, ProductDetail, UpdateProductInput};
pub use skus::{CreateSkuInput, UpdateSkuInput};
