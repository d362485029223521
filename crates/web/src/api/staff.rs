//! Staff accounts and their stores.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;
use sweep_app::ports::StaffFilter;
use sweep_app::staff::{CreateStaffInput, UpdateStaffInput};
use sweep_domain::ids::{LocationId, StaffId};
use sweep_domain::roles::Role;
use sweep_domain::staff::{Staff, StaffStatus};
use utoipa::IntoParams;

use super::{PageBody, created, page};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, path_id};
use crate::state::AppState;

/// Creates a staff member in a role the caller may manage.
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = CreateStaffInput,
    responses((status = 201, body = Staff), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<CreateStaffInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.create_staff(&actor, input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StaffQuery {
    pub role: Option<Role>,
    pub status: Option<StaffStatus>,
    /// Only staff working in this store.
    pub store_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Staff the caller may see: the whole merchant for head office, their stores' for a store manager.
#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", params(StaffQuery), responses((status = 200, body = PageBody<Staff>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<StaffQuery>,
) -> ApiResult<Json<PageBody<Staff>>> {
    let store = q.store_id.as_deref().map(path_id::<LocationId>).transpose()?;
    let filter = StaffFilter { role: q.role, status: q.status, stores: store.map(|s| vec![s]) };
    Ok(Json(s.sweep.list_staff(&actor, filter, &page(q.cursor.as_deref(), q.limit)?).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = String, Path)),
    responses((status = 200, body = Staff), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Staff>> {
    let id: StaffId = path_id(&id)?;
    Ok(Json(s.sweep.get_staff(&actor, id).await?))
}

/// Changes name, role, status, stores or password. Disabling or a new password signs the member out.
#[utoipa::path(patch, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = String, Path)), request_body = UpdateStaffInput,
    responses((status = 200, body = Staff), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<UpdateStaffInput>,
) -> ApiResult<Json<Staff>> {
    let id: StaffId = path_id(&id)?;
    Ok(Json(s.sweep.update_staff(&actor, id, input).await?))
}
