//! "In stock near you" for any client: no sign-in needed, scoped to one shop.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use sweep_app::AppError;
use sweep_app::shop::{MAX_NEARBY, NearbyStore, Whereabouts};
use sweep_domain::geo::Datum;
use sweep_domain::ids::SkuId;
use sweep_domain::merchant::Merchant;
use utoipa::IntoParams;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NearbyQuery {
    /// The shop's slug (the `{slug}` of `/s/{slug}`).
    pub shop: String,
    pub sku: SkuId,
    /// The shopper's position; or `city` instead.
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// The datum of `lat`/`lng`: `wgs84` (GPS, browsers; default) or `gcj02` (maps
    /// published in mainland China, the WeChat location picker).
    pub coord: Option<Datum>,
    /// A city from the bundled table (Chinese or English name), when there is no position.
    pub city: Option<String>,
    /// At most 20; default 10.
    pub limit: Option<usize>,
}

/// The query without the shop, for the storefront's own endpoint.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopNearbyQuery {
    pub sku: SkuId,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub coord: Option<Datum>,
    pub city: Option<String>,
    pub limit: Option<usize>,
}

pub async fn nearby_for(s: &AppState, merchant: &Merchant, q: ShopNearbyQuery) -> ApiResult<Vec<NearbyStore>> {
    let whereabouts = match (q.lat, q.lng, q.city.as_deref()) {
        (Some(lat), Some(lng), _) => Whereabouts::Point { lat, lng, datum: q.coord.unwrap_or_default() },
        (None, None, Some(city)) => Whereabouts::City(city),
        _ => return Err(AppError::invalid("lat", "required", "send lat and lng, or a city").into()),
    };
    let limit = q.limit.unwrap_or(10);
    if !(1..=MAX_NEARBY).contains(&limit) {
        return Err(AppError::invalid("limit", "out_of_range", format!("1 to {MAX_NEARBY}")).into());
    }
    Ok(s.sweep.nearby_stores(merchant, q.sku, whereabouts, limit).await?)
}

/// The shop's stores that have the SKU now, nearest first, with distance (great-circle,
/// in metres), today's hours and whether they are open.
#[utoipa::path(get, path = "/api/v1/stores/nearby", tag = "shop", params(NearbyQuery),
    responses((status = 200, body = Vec<NearbyStore>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(()))]
pub async fn nearby(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<NearbyQuery>,
) -> ApiResult<Json<Vec<NearbyStore>>> {
    let merchant = s.sweep.shop(&q.shop).await?;
    let q = ShopNearbyQuery { sku: q.sku, lat: q.lat, lng: q.lng, coord: q.coord, city: q.city, limit: q.limit };
    Ok(Json(nearby_for(&s, &merchant, q).await?))
}
