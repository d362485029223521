//! Orders for staff: the queue, the counter (pickup codes), shipping, cancelling,
//! refunds and returns. Store staff see only their stores' orders.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use sweep_app::orders::{OrderView, RefundInput, ShipInput};
use sweep_app::ports::OrderFilter;
use sweep_domain::ids::{LocationId, OrderId, ReturnId};
use sweep_domain::order::{Fulfilment, Order, OrderStatus};
use utoipa::{IntoParams, ToSchema};

use super::{PageBody, page};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, path_id};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    pub status: Option<OrderStatus>,
    pub fulfilment: Option<Fulfilment>,
    /// Orders fulfilled at this location.
    pub store_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderQuery), responses((status = 200, body = PageBody<Order>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Json<PageBody<Order>>> {
    let store = q.store_id.as_deref().map(path_id::<LocationId>).transpose()?;
    let filter = OrderFilter {
        status: q.status,
        locations: store.map(|s| vec![s]),
        fulfilment: q.fulfilment,
        ..Default::default()
    };
    Ok(Json(s.sweep.list_orders(&actor, filter, &page(q.cursor.as_deref(), q.limit)?).await?.into()))
}

/// An order with its history, payments, refunds and returns.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.get_order(&actor, path_id(&id)?).await?))
}

/// A pickup order is prepared at the store; the shopper is told.
#[utoipa::path(post, path = "/api/v1/orders/{id}/ready", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)))]
pub async fn ready(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.mark_ready(&actor, path_id(&id)?).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    /// The shopper's pickup code, scanned or typed.
    pub code: String,
}

/// Hands a pickup order over: the code must be the order's, live; it is used up.
#[utoipa::path(post, path = "/api/v1/orders/{id}/handover", tag = "orders", params(("id" = String, Path)), request_body = CodeInput,
    responses((status = 200, body = OrderView), (status = 422, body = ErrorBody)))]
pub async fn handover(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<CodeInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.hand_over(&actor, path_id(&id)?, &input.code).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupInput {
    pub store_id: LocationId,
    pub code: String,
}

/// Finds the order of a pickup code at a store. Failed lookups are limited per store.
#[utoipa::path(post, path = "/api/v1/pickup/lookup", tag = "orders", request_body = LookupInput,
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn lookup(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<LookupInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.find_by_pickup_code(&actor, input.store_id, &input.code).await?))
}

/// Ships one shipment of a delivery order with its carrier and tracking number.
#[utoipa::path(post, path = "/api/v1/orders/{id}/ship", tag = "orders", params(("id" = String, Path)), request_body = ShipInput,
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)))]
pub async fn ship(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ShipInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.ship(&actor, path_id(&id)?, input).await?))
}

/// A shipped order arrived.
#[utoipa::path(post, path = "/api/v1/orders/{id}/deliver", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)))]
pub async fn deliver(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.mark_delivered(&actor, path_id(&id)?).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    #[serde(default)]
    pub reason: String,
}

/// Cancels an order: unpaid ones are closed; paid ones not handed over or shipped are refunded.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", params(("id" = String, Path)), request_body = CancelInput,
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<CancelInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.cancel_order(&actor, path_id(&id)?, &input.reason).await?))
}

/// Refunds part or all of a completed order, never more than was paid.
#[utoipa::path(post, path = "/api/v1/orders/{id}/refunds", tag = "orders", params(("id" = String, Path)), request_body = RefundInput,
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refund(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<RefundInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.refund_order(&actor, path_id(&id)?, input).await?))
}

fn return_ids(params: &(String, String)) -> ApiResult<(OrderId, ReturnId)> {
    Ok((path_id(&params.0)?, path_id(&params.1)?))
}

/// Approves a return: money back pro rata, goods back on hand where they came from.
#[utoipa::path(post, path = "/api/v1/orders/{id}/returns/{return_id}/approve", tag = "orders",
    params(("id" = String, Path), ("return_id" = String, Path)), responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)))]
pub async fn approve_return(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(params): ApiPath<(String, String)>,
) -> ApiResult<Json<OrderView>> {
    let (order, ret) = return_ids(&params)?;
    Ok(Json(s.sweep.decide_return(&actor, order, ret, true).await?))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/returns/{return_id}/reject", tag = "orders",
    params(("id" = String, Path), ("return_id" = String, Path)), responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)))]
pub async fn reject_return(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(params): ApiPath<(String, String)>,
) -> ApiResult<Json<OrderView>> {
    let (order, ret) = return_ids(&params)?;
    Ok(Json(s.sweep.decide_return(&actor, order, ret, false).await?))
}
