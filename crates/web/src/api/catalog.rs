//! Categories, products, product images and SKUs.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use sweep_app::catalog::*;
use sweep_app::ports::{ProductFilter, SkuFilter};
use sweep_domain::catalog::{Category, Product, ProductImage, ProductStatus, RecordStatus, Sku};
use sweep_domain::ids::{CategoryId, ImageId, ProductId, SkuId};
use utoipa::{IntoParams, ToSchema};

use super::{PageBody, created, page};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::bytes_body::read_up_to;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, path_id};
use crate::state::AppState;

// ----- categories -----

#[utoipa::path(post, path = "/api/v1/categories", tag = "catalog", request_body = CreateCategoryInput,
    responses((status = 201, body = Category), (status = 422, body = ErrorBody)))]
pub async fn create_category(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<CreateCategoryInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.create_category(&actor, input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CategoryQuery {
    /// Only the children of this category.
    pub parent_id: Option<String>,
    pub status: Option<RecordStatus>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog", params(CategoryQuery),
    responses((status = 200, body = PageBody<Category>)))]
pub async fn list_categories(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<CategoryQuery>,
) -> ApiResult<Json<PageBody<Category>>> {
    let parent = q.parent_id.as_deref().map(path_id::<CategoryId>).transpose()?;
    Ok(Json(s.sweep.list_categories(&actor, parent, q.status, &page(q.cursor.as_deref(), q.limit)?).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/categories/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Category), (status = 404, body = ErrorBody)))]
pub async fn show_category(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Category>> {
    Ok(Json(s.sweep.get_category(&actor, path_id(&id)?).await?))
}

#[utoipa::path(patch, path = "/api/v1/categories/{id}", tag = "catalog", params(("id" = String, Path)),
    request_body = UpdateCategoryInput, responses((status = 200, body = Category), (status = 404, body = ErrorBody)))]
pub async fn update_category(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<UpdateCategoryInput>,
) -> ApiResult<Json<Category>> {
    Ok(Json(s.sweep.update_category(&actor, path_id(&id)?, input).await?))
}

#[utoipa::path(post, path = "/api/v1/categories/{id}/archive", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Category), (status = 404, body = ErrorBody)))]
pub async fn archive_category(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Category>> {
    let input = UpdateCategoryInput { status: Some(RecordStatus::Archived), ..Default::default() };
    Ok(Json(s.sweep.update_category(&actor, path_id(&id)?, input).await?))
}

// ----- products -----

#[derive(Serialize, ToSchema)]
pub struct ImageBody {
    #[serde(flatten)]
    pub image: ProductImage,
    /// Where the image is served.
    pub url: String,
}

/// A product with its SKUs and images.
#[derive(Serialize, ToSchema)]
pub struct ProductBody {
    #[serde(flatten)]
    pub product: Product,
    pub skus: Vec<Sku>,
    pub images: Vec<ImageBody>,
}

fn image_body(s: &AppState, image: ProductImage) -> ImageBody {
    let url = format!("{}/media/{}", s.config.public_url, image.file_key);
    ImageBody { image, url }
}

#[utoipa::path(post, path = "/api/v1/products", tag = "catalog", request_body = CreateProductInput,
    responses((status = 201, body = Product), (status = 422, body = ErrorBody)))]
pub async fn create_product(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<CreateProductInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.create_product(&actor, input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductQuery {
    pub category_id: Option<String>,
    pub status: Option<ProductStatus>,
    /// Part of the Chinese or English name.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(ProductQuery),
    responses((status = 200, body = PageBody<Product>)))]
pub async fn list_products(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> ApiResult<Json<PageBody<Product>>> {
    let filter = ProductFilter {
        category: q.category_id.as_deref().map(path_id::<CategoryId>).transpose()?,
        status: q.status,
        query: q.q,
    };
    Ok(Json(s.sweep.list_products(&actor, filter, &page(q.cursor.as_deref(), q.limit)?).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = ProductBody), (status = 404, body = ErrorBody)))]
pub async fn show_product(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ProductBody>> {
    let detail = s.sweep.product_detail(&actor, path_id(&id)?).await?;
    let images = detail.images.into_iter().map(|i| image_body(&s, i)).collect();
    Ok(Json(ProductBody { product: detail.product, skus: detail.skus, images }))
}

#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "catalog", params(("id" = String, Path)),
    request_body = UpdateProductInput, responses((status = 200, body = Product), (status = 404, body = ErrorBody)))]
pub async fn update_product(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<UpdateProductInput>,
) -> ApiResult<Json<Product>> {
    Ok(Json(s.sweep.update_product(&actor, path_id(&id)?, input).await?))
}

#[utoipa::path(post, path = "/api/v1/products/{id}/archive", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody)))]
pub async fn archive_product(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Product>> {
    let input = UpdateProductInput { status: Some(ProductStatus::Archived), ..Default::default() };
    Ok(Json(s.sweep.update_product(&actor, path_id(&id)?, input).await?))
}

/// Uploads an image: the raw bytes of a PNG, JPEG, WebP or GIF as the body.
#[utoipa::path(post, path = "/api/v1/products/{id}/images", tag = "catalog", params(("id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "image/*"),
    responses((status = 201, body = ImageBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_image(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    req: Request,
) -> ApiResult<impl IntoResponse> {
    let product: ProductId = path_id(&id)?;
    let bytes = read_up_to(req, s.sweep.settings().max_image_bytes).await?;
    let image = s.sweep.add_product_image(&actor, product, &bytes).await?;
    Ok(created(image_body(&s, image)))
}

#[utoipa::path(delete, path = "/api/v1/products/{id}/images/{image_id}", tag = "catalog",
    params(("id" = String, Path), ("image_id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_image(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath((id, image_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let image: ImageId = path_id(&image_id)?;
    s.sweep.delete_product_image(&actor, path_id(&id)?, image).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- SKUs -----

#[utoipa::path(post, path = "/api/v1/products/{id}/skus", tag = "catalog", params(("id" = String, Path)),
    request_body = CreateSkuInput, responses((status = 201, body = Sku), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_sku(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<CreateSkuInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.create_sku(&actor, path_id(&id)?, input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SkuQuery {
    pub product_id: Option<String>,
    pub code: Option<String>,
    /// Exact barcode, as a scanner types it.
    pub barcode: Option<String>,
    pub status: Option<RecordStatus>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/skus", tag = "catalog", params(SkuQuery), responses((status = 200, body = PageBody<Sku>)))]
pub async fn list_skus(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<SkuQuery>,
) -> ApiResult<Json<PageBody<Sku>>> {
    let filter = SkuFilter {
        product: q.product_id.as_deref().map(path_id::<ProductId>).transpose()?,
        code: q.code,
        barcode: q.barcode,
        status: q.status,
    };
    Ok(Json(s.sweep.list_skus(&actor, filter, &page(q.cursor.as_deref(), q.limit)?).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/skus/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Sku), (status = 404, body = ErrorBody)))]
pub async fn show_sku(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Sku>> {
    let id: SkuId = path_id(&id)?;
    Ok(Json(s.sweep.get_sku(&actor, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/skus/{id}", tag = "catalog", params(("id" = String, Path)), request_body = UpdateSkuInput,
    responses((status = 200, body = Sku), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_sku(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<UpdateSkuInput>,
) -> ApiResult<Json<Sku>> {
    Ok(Json(s.sweep.update_sku(&actor, path_id(&id)?, input).await?))
}

#[utoipa::path(post, path = "/api/v1/skus/{id}/archive", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = Sku), (status = 404, body = ErrorBody)))]
pub async fn archive_sku(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Sku>> {
    let input = UpdateSkuInput { status: Some(RecordStatus::Archived), ..Default::default() };
    Ok(Json(s.sweep.update_sku(&actor, path_id(&id)?, input).await?))
}

// ----- media and banners -----

#[derive(Serialize, ToSchema)]
pub struct MediaBody {
    pub key: String,
    pub url: String,
}

/// Uploads an image (raw bytes as the body) for banners and the like.
#[utoipa::path(post, path = "/api/v1/media", tag = "catalog", request_body(content = Vec<u8>, content_type = "image/*"),
    responses((status = 201, body = MediaBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_media(
    State(s): State<AppState>,
    Caller(actor): Caller,
    req: Request,
) -> ApiResult<impl IntoResponse> {
    let bytes = read_up_to(req, s.sweep.settings().max_image_bytes).await?;
    let key = s.sweep.upload_media(&actor, &bytes).await?;
    let url = format!("{}/media/{key}", s.config.public_url);
    Ok(created(MediaBody { key, url }))
}

/// The pictures at the top of the shop's home feed.
#[utoipa::path(get, path = "/api/v1/banners", tag = "catalog", responses((status = 200, body = Vec<sweep_app::ports::Banner>)))]
pub async fn list_banners(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Json<Vec<sweep_app::ports::Banner>>> {
    Ok(Json(s.sweep.banners(&actor).await?))
}

#[utoipa::path(post, path = "/api/v1/banners", tag = "catalog", request_body = CreateBannerInput,
    responses((status = 201, body = sweep_app::ports::Banner), (status = 422, body = ErrorBody)))]
pub async fn create_banner(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<CreateBannerInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.create_banner(&actor, input).await?))
}

#[utoipa::path(delete, path = "/api/v1/banners/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_banner(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    s.sweep.delete_banner(&actor, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
