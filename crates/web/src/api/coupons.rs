//! Coupons for staff: definitions in a campaign, issuing them to members, and a member's
//! coupons as the till sees them. A member spends a coupon once, online
//! (`coupon_id` on `POST /s/{slug}/api/orders`) or at the till (`coupon_id` on a sale).

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;
use sweep_app::loyalty::{CouponDefInput, CouponView, IssueCouponInput};
use sweep_domain::coupon::{Coupon, CouponDef};
use sweep_domain::ids::{CampaignId, CouponDefId, ShopperId};
use utoipa::IntoParams;

use super::{PageBody, PageQuery, created, page};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, path_id};
use crate::state::AppState;

/// Defines a coupon in a campaign: what it takes off (`fixed` minor units, or a `percent`
/// with an optional cap), the minimum spend, where and when it applies, and how many
/// exist. Dates default to the campaign's.
#[utoipa::path(post, path = "/api/v1/coupons", tag = "coupons", request_body = CouponDefInput,
    responses((status = 201, body = CouponDef), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<CouponDefInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.create_coupon_def(&actor, input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CouponDefQuery {
    /// Only this campaign's coupons.
    pub campaign_id: Option<CampaignId>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The merchant's coupon definitions, newest first, with how many were issued.
#[utoipa::path(get, path = "/api/v1/coupons", tag = "coupons", params(CouponDefQuery),
    responses((status = 200, body = PageBody<CouponDef>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<CouponDefQuery>,
) -> ApiResult<Json<PageBody<CouponDef>>> {
    let page = page(q.cursor.as_deref(), q.limit)?;
    Ok(Json(s.sweep.coupon_defs(&actor, q.campaign_id, &page).await?.into()))
}

/// Stops issuing and claiming a coupon; coupons members hold still work until they end.
#[utoipa::path(post, path = "/api/v1/coupons/{id}/disable", tag = "coupons", params(("id" = String, Path)),
    responses((status = 200, body = CouponDef), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn disable(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CouponDef>> {
    let id: CouponDefId = path_id(&id)?;
    Ok(Json(s.sweep.disable_coupon_def(&actor, id).await?))
}

/// Gives a member (by `phone` or `shopper_id`) one coupon of the definition, within its
/// total and per-member limits (`409 coupons_gone`, `409 coupon_limit`).
#[utoipa::path(post, path = "/api/v1/coupons/{id}/issue", tag = "coupons", params(("id" = String, Path)), request_body = IssueCouponInput,
    responses((status = 201, body = Coupon), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<IssueCouponInput>,
) -> ApiResult<impl IntoResponse> {
    let id: CouponDefId = path_id(&id)?;
    Ok(created(s.sweep.issue_coupon(&actor, id, input).await?))
}

/// A member's coupons, newest first, each with its definition and whether it can be
/// spent now: what the till offers at checkout.
#[utoipa::path(get, path = "/api/v1/members/{shopper_id}/coupons", tag = "coupons", params(("shopper_id" = String, Path), PageQuery),
    responses((status = 200, body = PageBody<CouponView>), (status = 404, body = ErrorBody)))]
pub async fn member_coupons(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PageBody<CouponView>>> {
    let shopper: ShopperId = path_id(&id)?;
    Ok(Json(s.sweep.member_coupons(&actor, shopper, &q.page()?).await?.into()))
}
