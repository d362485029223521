//! Sales rung up at a store's till. The till names each sale (`sale_id`), and that id
//! is the sale's idempotency key: a till that was offline sends its sales when it is
//! back, as often as it likes, and each is applied once. No `Idempotency-Key` header is
//! needed (one that is sent works as on any POST, on top of the sale id).
//!
//! Returns are taken against the sale they came from, and a till's shift is closed by
//! counting its cash drawer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use sweep_app::loyalty::{CloseShiftInput, TillReturnInput, TillSaleInput, TillSaleView};
use sweep_app::orders::OrderView;
use sweep_domain::ids::{LocationId, OrderId};
use sweep_domain::till::TillShift;
use utoipa::IntoParams;

use super::{PageBody, created, page};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, path_id};
use crate::state::AppState;

/// Records a till sale: a completed, paid order on channel `pos` at the store, taking
/// the units off the store's stock and earning (or spending) the member's points. 201
/// when recorded; 200 with the recorded sale and `replayed: true` when the till sent this
/// `sale_id` before (nothing more happens). Sales made offline are always accepted: stock
/// the record did not have shows as an `offline_oversell` movement, and points cannot be
/// spent offline.
#[utoipa::path(post, path = "/api/v1/pos/sales", tag = "pos", request_body = TillSaleInput,
    responses((status = 201, body = TillSaleView, description = "Recorded"),
        (status = 200, body = TillSaleView, description = "Sent before: the sale as recorded, `replayed: true`"),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_sale(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<TillSaleInput>,
) -> ApiResult<(StatusCode, Json<TillSaleView>)> {
    let view = s.sweep.record_till_sale(&actor, input).await?;
    let status = if view.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(view)))
}

/// Takes back units of a till sale at its store: `{"lines": [{"line_id", "quantity"}],
/// "reason"}`. The units go back on the store's shelf, the money back the way it was paid
/// (handed over at the counter, so the refund is `succeeded` at once) and the member's
/// points settle in proportion. The order becomes `partially_refunded`, or `refunded`
/// when nothing is left. Store staff take returns of their own stores' sales only
/// (another store's sale is `404`).
#[utoipa::path(post, path = "/api/v1/pos/sales/{order_id}/returns", tag = "pos", params(("order_id" = String, Path)),
    request_body = TillReturnInput,
    responses((status = 200, body = OrderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn return_sale(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<TillReturnInput>,
) -> ApiResult<Json<OrderView>> {
    let id: OrderId = path_id(&id)?;
    Ok(Json(s.sweep.return_at_till(&actor, id, input).await?))
}

/// Closes a till's shift: the clerk sends the opening float and the cash counted in the
/// drawer; Sweep adds the till's cash sales and takes off its cash refunds since the last
/// close, and records the difference (negative when cash is missing). The next shift
/// starts from this close: send its `closed_at` as `since` when closing that one. A close
/// of a shift that was closed already (two closes at once, a form sent twice, a `since`
/// that is not the till's last close) is `409 shift_closed` and writes nothing.
#[utoipa::path(post, path = "/api/v1/pos/shifts", tag = "pos", request_body = CloseShiftInput,
    responses((status = 201, body = TillShift), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn close_shift(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<CloseShiftInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.close_shift(&actor, input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ShiftQuery {
    /// The store whose tills' shifts to list.
    pub store_id: LocationId,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// A store's closed shifts, newest first, for every till of the store.
#[utoipa::path(get, path = "/api/v1/pos/shifts", tag = "pos", params(ShiftQuery),
    responses((status = 200, body = PageBody<TillShift>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn shifts(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<ShiftQuery>,
) -> ApiResult<Json<PageBody<TillShift>>> {
    let page = page(q.cursor.as_deref(), q.limit)?;
    Ok(Json(s.sweep.shifts(&actor, q.store_id, &page).await?.into()))
}
