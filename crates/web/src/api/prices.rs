//! Price overrides, quotes and the price-parity report.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sweep_app::pricing::SetPriceInput;
use sweep_domain::Money;
use sweep_domain::Timestamp;
use sweep_domain::channel::Channel;
use sweep_domain::ids::{LocationId, SkuId};
use sweep_domain::pricing::{PriceOverride, PriceScope, PriceSource};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, path_id};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct PriceOverrideBody {
    /// `channel` or `store`.
    pub scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<LocationId>,
    pub price: Money,
    pub updated_at: Timestamp,
}

impl From<PriceOverride> for PriceOverrideBody {
    fn from(o: PriceOverride) -> Self {
        let (scope, channel, location_id) = match o.scope {
            PriceScope::Channel(c) => ("channel", Some(c), None),
            PriceScope::Store(l) => ("store", None, Some(l)),
        };
        PriceOverrideBody { scope, channel, location_id, price: o.price, updated_at: o.updated_at }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SkuPricesBody {
    pub sku_id: SkuId,
    pub base_price: Money,
    pub member_price: Option<Money>,
    pub overrides: Vec<PriceOverrideBody>,
}

/// The SKU's base and member price and every override the caller may see.
#[utoipa::path(get, path = "/api/v1/skus/{id}/prices", tag = "prices", params(("id" = String, Path)),
    responses((status = 200, body = SkuPricesBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SkuPricesBody>> {
    let prices = s.sweep.sku_prices(&actor, path_id(&id)?).await?;
    Ok(Json(SkuPricesBody {
        sku_id: prices.sku.id,
        base_price: prices.sku.base_price,
        member_price: prices.sku.member_price,
        overrides: prices.overrides.into_iter().map(Into::into).collect(),
    }))
}

fn channel(text: &str) -> ApiResult<Channel> {
    Channel::parse(text).ok_or_else(ApiError::not_found)
}

/// Sets the SKU's price on one channel (used when no store override applies).
#[utoipa::path(put, path = "/api/v1/skus/{id}/prices/channels/{channel}", tag = "prices",
    params(("id" = String, Path), ("channel" = Channel, Path)), request_body = SetPriceInput,
    responses((status = 200, body = PriceOverrideBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_channel(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath((id, ch)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<SetPriceInput>,
) -> ApiResult<Json<PriceOverrideBody>> {
    let scope = PriceScope::Channel(channel(&ch)?);
    Ok(Json(s.sweep.set_price_override(&actor, path_id(&id)?, scope, input).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/skus/{id}/prices/channels/{channel}", tag = "prices",
    params(("id" = String, Path), ("channel" = Channel, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_channel(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath((id, ch)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let scope = PriceScope::Channel(channel(&ch)?);
    s.sweep.delete_price_override(&actor, path_id(&id)?, scope).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the SKU's price in one store, on every channel in that store's context.
#[utoipa::path(put, path = "/api/v1/skus/{id}/prices/stores/{location_id}", tag = "prices",
    params(("id" = String, Path), ("location_id" = String, Path)), request_body = SetPriceInput,
    responses((status = 200, body = PriceOverrideBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_store(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath((id, location)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<SetPriceInput>,
) -> ApiResult<Json<PriceOverrideBody>> {
    let scope = PriceScope::Store(path_id(&location)?);
    Ok(Json(s.sweep.set_price_override(&actor, path_id(&id)?, scope, input).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/skus/{id}/prices/stores/{location_id}", tag = "prices",
    params(("id" = String, Path), ("location_id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_store(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath((id, location)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let scope = PriceScope::Store(path_id(&location)?);
    s.sweep.delete_price_override(&actor, path_id(&id)?, scope).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuoteQuery {
    pub sku_id: String,
    pub channel: Channel,
    /// The store whose context applies (a scanned display card, a till).
    pub store_id: Option<String>,
    /// Price for a member.
    #[serde(default)]
    pub member: bool,
}

#[derive(Serialize, ToSchema)]
pub struct QuoteBody {
    pub sku_id: SkuId,
    pub channel: Channel,
    pub store_id: Option<LocationId>,
    pub member: bool,
    /// What one unit costs before coupons and points.
    pub unit_price: Money,
    /// The price before a member price.
    pub list_price: Money,
    pub source: PriceSource,
}

/// What one unit costs on a channel, in a store's context, for a member or not.
#[utoipa::path(get, path = "/api/v1/prices/quote", tag = "prices", params(QuoteQuery),
    responses((status = 200, body = QuoteBody), (status = 404, body = ErrorBody)))]
pub async fn quote(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<QuoteQuery>,
) -> ApiResult<Json<QuoteBody>> {
    let sku: SkuId = path_id(&q.sku_id)?;
    let store = q.store_id.as_deref().map(path_id::<LocationId>).transpose()?;
    let price = s.sweep.quote_price(&actor, sku, q.channel, store, q.member).await?;
    Ok(Json(QuoteBody {
        sku_id: sku,
        channel: q.channel,
        store_id: store,
        member: q.member,
        unit_price: price.unit,
        list_price: price.list,
        source: price.source,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ParityQuery {
    /// One store only.
    pub store_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelPrice {
    pub channel: Channel,
    pub price: Money,
}

#[derive(Serialize, ToSchema)]
pub struct ParityItem {
    pub store_id: LocationId,
    pub store_code: String,
    pub sku_id: SkuId,
    pub sku_code: String,
    pub till_price: Money,
    /// The phone channels whose price in this store's context differs from the till.
    pub phone_prices: Vec<ChannelPrice>,
}

#[derive(Serialize, ToSchema)]
pub struct ParityBody {
    pub items: Vec<ParityItem>,
}

/// Per store, the SKUs whose price on the phone in that store's context differs from the price at its till.
#[utoipa::path(get, path = "/api/v1/reports/price-parity", tag = "prices", params(ParityQuery),
    responses((status = 200, body = ParityBody), (status = 403, body = ErrorBody)))]
pub async fn parity(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<ParityQuery>,
) -> ApiResult<Json<ParityBody>> {
    let store = q.store_id.as_deref().map(path_id::<LocationId>).transpose()?;
    let issues = s.sweep.price_parity(&actor, store).await?;
    let items = issues
        .into_iter()
        .map(|i| ParityItem {
            store_id: i.store_id,
            store_code: i.store_code,
            sku_id: i.sku_id,
            sku_code: i.sku_code,
            till_price: i.till_price,
            phone_prices: i.phone_prices.into_iter().map(|(channel, price)| ChannelPrice { channel, price }).collect(),
        })
        .collect();
    Ok(Json(ParityBody { items }))
}
