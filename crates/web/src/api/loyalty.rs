//! The member card for staff: the merchant's loyalty programme, members looked up and
//! enrolled by phone at the till, and a member's points history.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use sweep_app::AppError;
use sweep_app::loyalty::{EnrolInput, MemberCodeInput, MemberView};
use sweep_domain::ids::ShopperId;
use sweep_domain::loyalty::{LoyaltyProgram, PointsEntry};
use utoipa::IntoParams;

use super::{PageBody, PageQuery};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, path_id};
use crate::state::AppState;

/// The merchant's loyalty programme (the default one until the merchant sets their own).
#[utoipa::path(get, path = "/api/v1/loyalty/program", tag = "loyalty", responses((status = 200, body = LoyaltyProgram)))]
pub async fn show_program(State(s): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<LoyaltyProgram>> {
    Ok(Json(s.sweep.loyalty_program(&actor).await?))
}

/// Sets the programme: earning rate, what a point is worth, the cap on spending, expiry
/// and tiers. It applies to points earned and spent from now on.
#[utoipa::path(put, path = "/api/v1/loyalty/program", tag = "loyalty", request_body = LoyaltyProgram,
    responses((status = 200, body = LoyaltyProgram), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_program(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(program): ApiJson<LoyaltyProgram>,
) -> ApiResult<Json<LoyaltyProgram>> {
    Ok(Json(s.sweep.set_loyalty_program(&actor, program).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MemberQuery {
    /// The member's mainland mobile number, as scanned or typed at the till.
    pub phone: String,
}

/// A member by phone number: their card, points and tier.
#[utoipa::path(get, path = "/api/v1/members", tag = "loyalty", params(MemberQuery),
    responses((status = 200, body = MemberView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn find_member(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<MemberQuery>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.sweep.find_member(&actor, &q.phone).await?))
}

/// The member whose phone shows `code` (the 18-digit code on the card page, starting 99),
/// as the till scans it. A code works once and for two minutes: a used, expired or
/// unknown one is `422 invalid_member_code` on field `code`. Sell to the member with
/// `member_id` on the sale.
#[utoipa::path(post, path = "/api/v1/members/by-code", tag = "loyalty", request_body = MemberCodeInput,
    responses((status = 200, body = MemberView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn member_by_code(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<MemberCodeInput>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.sweep.member_by_code(&actor, input).await?))
}

/// Enrols a phone number as a member at a store's till: 201 with the new card, or 200
/// with the card as it is when the phone is a member already (enrolling is safe to repeat).
#[utoipa::path(post, path = "/api/v1/members", tag = "loyalty", request_body = EnrolInput,
    responses((status = 201, body = MemberView, description = "Enrolled"), (status = 200, body = MemberView, description = "Already a member"),
        (status = 422, body = ErrorBody)))]
pub async fn enrol_member(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<EnrolInput>,
) -> ApiResult<(StatusCode, Json<MemberView>)> {
    let existed = match s.sweep.find_member(&actor, &input.phone).await {
        Ok(_) => true,
        Err(AppError::NotFound(_)) => false,
        Err(e) => return Err(e.into()),
    };
    let member = s.sweep.enrol_member(&actor, input).await?;
    Ok((if existed { StatusCode::OK } else { StatusCode::CREATED }, Json(member)))
}

/// A member's points, newest first: earned, spent, given back, taken back and expired,
/// online and at the till alike.
#[utoipa::path(get, path = "/api/v1/members/{shopper_id}/points", tag = "loyalty", params(("shopper_id" = String, Path), PageQuery),
    responses((status = 200, body = PageBody<PointsEntry>), (status = 404, body = ErrorBody)))]
pub async fn member_points(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PageBody<PointsEntry>>> {
    let shopper: ShopperId = path_id(&id)?;
    Ok(Json(s.sweep.member_points(&actor, shopper, &q.page()?).await?.into()))
}
