//! Flash sales for the merchant: set one up (its pools are set aside from a location's
//! stock at once), follow it, end it early; live totals; and rehearsal members for load
//! tests on dev servers.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;
use sweep_app::flash::{FlashSaleInput, FlashSaleView, LiveTotals, RehearsalInput, RehearsalMember};
use sweep_domain::flash::FlashSale;
use sweep_domain::ids::FlashSaleId;
use utoipa::IntoParams;

use crate::api::{PageBody, PageQuery, created, page};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Caller;
use crate::extract::{ApiJson, ApiPath, ApiQuery, path_id};
use crate::state::AppState;

/// Sets a flash sale up: SKUs at a sale price, each with units set aside from the
/// location's available stock (`409 insufficient_stock` when there are not enough),
/// a window, a limit per member, and how long members have to pay.
#[utoipa::path(post, path = "/api/v1/flash-sales", tag = "flash", request_body = FlashSaleInput,
    responses((status = 201, body = FlashSaleView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<FlashSaleInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.create_flash_sale(&actor, input).await?))
}

/// The merchant's flash sales, newest first.
#[utoipa::path(get, path = "/api/v1/flash-sales", tag = "flash", params(PageQuery),
    responses((status = 200, body = PageBody<FlashSale>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PageBody<FlashSale>>> {
    let page = page(q.cursor.as_deref(), q.limit)?;
    Ok(Json(s.sweep.flash_sales(&actor, &page).await?.into()))
}

/// A flash sale with its phase and, per SKU, units left and taken.
#[utoipa::path(get, path = "/api/v1/flash-sales/{id}", tag = "flash", params(("id" = String, Path)),
    responses((status = 200, body = FlashSaleView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<FlashSaleView>> {
    let id: FlashSaleId = path_id(&id)?;
    Ok(Json(s.sweep.flash_sale(&actor, id).await?))
}

/// Ends a sale now: nobody can buy any more, and what is left of its pools goes back to
/// the location's stock (`409 sale_ended` when it had already ended).
#[utoipa::path(post, path = "/api/v1/flash-sales/{id}/end", tag = "flash", params(("id" = String, Path)),
    responses((status = 200, body = FlashSaleView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn end(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<FlashSaleView>> {
    let id: FlashSaleId = path_id(&id)?;
    Ok(Json(s.sweep.end_flash_sale(&actor, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LiveQuery {
    /// The last this many minutes (1 to 1440; default 60).
    pub minutes: Option<i64>,
}

/// Orders placed and paid per minute and channel, GMV and the mobile share, at most a
/// second behind the orders.
#[utoipa::path(get, path = "/api/v1/live", tag = "flash", params(LiveQuery),
    responses((status = 200, body = LiveTotals)))]
pub async fn live(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<LiveQuery>,
) -> ApiResult<Json<LiveTotals>> {
    Ok(Json(s.sweep.live_totals(&actor, q.minutes.unwrap_or(60)).await?))
}

/// Dev servers only (where the SMS outbox is open): members signed in in bulk, to
/// rehearse a sale under load. Answers 404 elsewhere.
#[utoipa::path(post, path = "/api/v1/dev/rehearsal-members", tag = "flash", request_body = RehearsalInput,
    responses((status = 201, body = Vec<RehearsalMember>), (status = 404, body = ErrorBody)))]
pub async fn rehearsal_members(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<RehearsalInput>,
) -> ApiResult<impl IntoResponse> {
    if !s.config.sms_outbox_page {
        return Err(ApiError::not_found());
    }
    Ok(created(s.sweep.rehearsal_members(&actor, input).await?))
}

/// The big screen's figures: today's totals (China Standard Time) with their minutes,
/// the last minute's pace and the store leaderboard (head office).
#[utoipa::path(get, path = "/api/v1/live/board", tag = "flash",
    responses((status = 200, body = sweep_app::flash::LiveBoard), (status = 403, body = ErrorBody)))]
pub async fn board(State(s): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<sweep_app::flash::LiveBoard>> {
    Ok(Json(s.sweep.live_board(&actor).await?))
}

/// The board as server-sent events: an `event: board` with the same JSON twice a
/// second while the connection lasts, so the big screen updates without reloading and
/// trails the orders by under a second (the feed is folded four times a second).
#[utoipa::path(get, path = "/api/v1/live/stream", tag = "flash",
    responses((status = 200, description = "text/event-stream of `board` events"), (status = 403, body = ErrorBody)))]
pub async fn stream(State(s): State<AppState>, Caller(actor): Caller) -> ApiResult<impl IntoResponse> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    // Refused at once (403) rather than as an empty stream.
    sweep_app::flash::may_watch_live(&actor)?;
    let events = futures::stream::unfold((s, actor, true), |(s, actor, first)| async move {
        if !first {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        let event = match s.sweep.live_board(&actor).await {
            Ok(board) => Event::default().event("board").json_data(&board).unwrap_or_else(|_| Event::default()),
            // A passing storage error: the screen keeps its figures and hears again soon.
            Err(e) => {
                tracing::warn!(error = %e, "live board not read");
                Event::default().event("busy").data("")
            }
        };
        Some((Ok::<_, std::convert::Infallible>(event), (s, actor, false)))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
