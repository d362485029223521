//! Stores and warehouses.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;
use sweep_app::locations::{CreateLocationInput, UpdateLocationInput};
use sweep_app::ports::LocationFilter;
use sweep_domain::ids::LocationId;
use sweep_domain::location::{Location, LocationKind, LocationStatus};
use utoipa::IntoParams;

use super::{PageBody, created, page};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, path_id};
use crate::state::AppState;

#[utoipa::path(post, path = "/api/v1/locations", tag = "locations", request_body = CreateLocationInput,
    responses((status = 201, body = Location), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<CreateLocationInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.create_location(&actor, input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LocationQuery {
    pub kind: Option<LocationKind>,
    pub status: Option<LocationStatus>,
    pub city: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Locations the caller may see: all for head office, their own stores for store staff.
#[utoipa::path(get, path = "/api/v1/locations", tag = "locations", params(LocationQuery),
    responses((status = 200, body = PageBody<Location>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<LocationQuery>,
) -> ApiResult<Json<PageBody<Location>>> {
    let filter = LocationFilter { kind: q.kind, status: q.status, city: q.city, only: None };
    Ok(Json(s.sweep.list_locations(&actor, filter, &page(q.cursor.as_deref(), q.limit)?).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/locations/{id}", tag = "locations", params(("id" = String, Path)),
    responses((status = 200, body = Location), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Location>> {
    let id: LocationId = path_id(&id)?;
    Ok(Json(s.sweep.get_location(&actor, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/locations/{id}", tag = "locations", params(("id" = String, Path)), request_body = UpdateLocationInput,
    responses((status = 200, body = Location), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<UpdateLocationInput>,
) -> ApiResult<Json<Location>> {
    let id: LocationId = path_id(&id)?;
    Ok(Json(s.sweep.update_location(&actor, id, input).await?))
}

/// Archives a location: hidden from pickers, history kept.
#[utoipa::path(post, path = "/api/v1/locations/{id}/archive", tag = "locations", params(("id" = String, Path)),
    responses((status = 200, body = Location), (status = 404, body = ErrorBody)))]
pub async fn archive(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Location>> {
    let id: LocationId = path_id(&id)?;
    let input = UpdateLocationInput { status: Some(LocationStatus::Archived), ..Default::default() };
    Ok(Json(s.sweep.update_location(&actor, id, input).await?))
}
