//! Flash sales in the shop, as JSON: the sale by the server's clock, and buying in it.
//! The purchase path reads nothing from the database that it can keep for a few seconds
//! (shop, session, sale), so a Double 11 burst costs the database only the group commit.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use sweep_app::flash::{FlashOrderInput, FlashPlaced, FlashSaleView};
use sweep_app::secrets::constant_time_eq;
use sweep_domain::channel::Channel;
use sweep_domain::ids::FlashSaleId;

use super::SHOP_COOKIE;
use crate::api::created;
use crate::auth::{CSRF_HEADER, cookie};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ApiJson, ApiPath, path_id};
use crate::state::{AppState, same_origin};

#[utoipa::path(get, path = "/s/{slug}/api/flash/{sale_id}", tag = "shop",
    params(("slug" = String, Path), ("sale_id" = String, Path)),
    responses((status = 200, body = FlashSaleView), (status = 404, body = ErrorBody)), security(()))]
/// A flash sale: its phase by the server's clock (upcoming, live, sold out, ended), the
/// server's time to count down against, and each SKU's price and units left (at most a
/// second old).
pub async fn sale(
    State(s): State<AppState>,
    ApiPath((slug, sale_id)): ApiPath<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let merchant = s.sweep.cached_shop(&slug).await?;
    let view = s.sweep.flash_sale_public(merchant.id, path_id(&sale_id)?).await?;
    let mut response = Json(view).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

#[utoipa::path(post, path = "/s/{slug}/api/flash/{sale_id}/orders", tag = "shop",
    params(("slug" = String, Path), ("sale_id" = String, Path)),
    request_body = FlashOrderInput,
    responses((status = 201, body = FlashPlaced),
        (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "sold_out, limit_reached, sale_not_started, sale_ended, members_only or not_in_sale"),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(()))]
/// Buys in a flash sale: a pending order, to pay within the sale's time (5 minutes by
/// default) before its units go back. Answered only once the order is committed.
pub async fn buy(
    State(s): State<AppState>,
    ApiPath((slug, sale_id)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<FlashOrderInput>,
) -> ApiResult<impl IntoResponse> {
    let sale: FlashSaleId = path_id(&sale_id)?;
    if !same_origin(&s.config, &headers) {
        tracing::warn!(target: "security", event = "cross_site_request", path = "flash");
        return Err(ApiError::new(ErrorCode::CsrfFailed, "this request did not come from the shop's own pages"));
    }
    let buyer = s.sweep.flash_buyer(&slug, cookie(&headers, SHOP_COOKIE)).await?;
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !constant_time_eq(buyer.csrf_token(), sent) {
        return Err(ApiError::new(ErrorCode::CsrfFailed, "send the session's CSRF token in X-CSRF-Token"));
    }
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let channel = if user_agent.contains("Mozilla") { Channel::from_user_agent(user_agent) } else { Channel::Api };
    Ok(created(s.sweep.buy_flash(&buyer, sale, input, channel).await?))
}
