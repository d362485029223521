//! Merchants: platform admins create and suspend them; owners keep their settings.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Serialize;
use sweep_app::merchants::{CreateMerchantInput, UpdateMerchantInput};
use sweep_domain::ids::MerchantId;
use sweep_domain::merchant::Merchant;
use sweep_domain::staff::Staff;
use utoipa::ToSchema;

use super::{PageBody, PageQuery, created};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, path_id};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct CreatedMerchantBody {
    pub merchant: Merchant,
    pub owner: Staff,
}

/// Creates a merchant and its first owner (platform admins).
#[utoipa::path(post, path = "/api/v1/merchants", tag = "merchants", request_body = CreateMerchantInput,
    responses((status = 201, body = CreatedMerchantBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<CreateMerchantInput>,
) -> ApiResult<impl IntoResponse> {
    let done = s.sweep.create_merchant(&actor, input).await?;
    Ok(created(CreatedMerchantBody { merchant: done.merchant, owner: done.owner }))
}

/// Every merchant for platform admins; the caller's own for merchant staff.
#[utoipa::path(get, path = "/api/v1/merchants", tag = "merchants", params(PageQuery),
    responses((status = 200, body = PageBody<Merchant>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PageBody<Merchant>>> {
    Ok(Json(s.sweep.list_merchants(&actor, &q.page()?).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/merchants/{id}", tag = "merchants", params(("id" = String, Path)),
    responses((status = 200, body = Merchant), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Merchant>> {
    let id: MerchantId = path_id(&id)?;
    Ok(Json(s.sweep.get_merchant(&actor, id).await?))
}

/// Changes name and time zone (owners), or suspends and reactivates (platform admins).
#[utoipa::path(patch, path = "/api/v1/merchants/{id}", tag = "merchants", params(("id" = String, Path)),
    request_body = UpdateMerchantInput, responses((status = 200, body = Merchant), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<UpdateMerchantInput>,
) -> ApiResult<Json<Merchant>> {
    let id: MerchantId = path_id(&id)?;
    Ok(Json(s.sweep.update_merchant(&actor, id, input).await?))
}
