//! Stock levels, movements, and the operations that move stock.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use sweep_app::inventory::{AdjustInput, ReceiveInput, StockResult, TransferInput};
use sweep_app::ports::StockFilter;
use sweep_domain::ids::{LocationId, SkuId};
use sweep_domain::inventory::{Movement, MovementKind, StockRow};
use utoipa::{IntoParams, ToSchema};

use super::{PageBody, created, page};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Caller, path_id};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct StockResultBody {
    /// Ties the two halves of a transfer together.
    pub reference: Option<String>,
    /// The ledger lines written, each with the level right after it.
    pub movements: Vec<Movement>,
}

impl From<StockResult> for StockResultBody {
    fn from(r: StockResult) -> Self {
        StockResultBody { reference: r.reference, movements: r.movements }
    }
}

/// Goods arrived at a location.
#[utoipa::path(post, path = "/api/v1/stock/receipts", tag = "stock", request_body = ReceiveInput,
    responses((status = 201, body = StockResultBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<ReceiveInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(StockResultBody::from(s.sweep.receive_stock(&actor, input).await?)))
}

/// A count correction, damage or loss: on hand changes by a signed amount, never below what is reserved.
#[utoipa::path(post, path = "/api/v1/stock/adjustments", tag = "stock", request_body = AdjustInput,
    responses((status = 201, body = StockResultBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn adjust(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<AdjustInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(StockResultBody::from(s.sweep.adjust_stock(&actor, input).await?)))
}

/// Moves stock from one location to another at once, only from what is available.
#[utoipa::path(post, path = "/api/v1/stock/transfers", tag = "stock", request_body = TransferInput,
    responses((status = 201, body = StockResultBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<TransferInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(StockResultBody::from(s.sweep.transfer_stock(&actor, input).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StockQuery {
    pub sku_id: Option<String>,
    pub location_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct StockLevelBody {
    #[serde(flatten)]
    pub row: StockRow,
    /// on_hand - reserved.
    pub available: i64,
}

/// Stock by SKU and location, within the caller's locations.
#[utoipa::path(get, path = "/api/v1/stock", tag = "stock", params(StockQuery), responses((status = 200, body = PageBody<StockLevelBody>)))]
pub async fn levels(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<StockQuery>,
) -> ApiResult<Json<PageBody<StockLevelBody>>> {
    let filter = StockFilter {
        sku: q.sku_id.as_deref().map(path_id::<SkuId>).transpose()?,
        location: q.location_id.as_deref().map(path_id::<LocationId>).transpose()?,
        ..Default::default()
    };
    let page = s.sweep.stock_levels(&actor, filter, &page(q.cursor.as_deref(), q.limit)?).await?;
    Ok(Json(page.map(|row| StockLevelBody { available: row.level.available(), row }).into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MovementQuery {
    pub sku_id: Option<String>,
    pub location_id: Option<String>,
    pub kind: Option<MovementKind>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The movement ledger, newest first.
#[utoipa::path(get, path = "/api/v1/stock/movements", tag = "stock", params(MovementQuery), responses((status = 200, body = PageBody<Movement>)))]
pub async fn movements(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<MovementQuery>,
) -> ApiResult<Json<PageBody<Movement>>> {
    let filter = StockFilter {
        sku: q.sku_id.as_deref().map(path_id::<SkuId>).transpose()?,
        location: q.location_id.as_deref().map(path_id::<LocationId>).transpose()?,
        kind: q.kind,
        only: None,
    };
    Ok(Json(s.sweep.stock_movements(&actor, filter, &page(q.cursor.as_deref(), q.limit)?).await?.into()))
}
