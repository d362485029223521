//! Sweep's web layer: the JSON API under `/api/v1` (documented at `/api/openapi.json`),
//! staff sign-in pages, health, readiness and metrics.

pub mod api;
pub mod auth;
pub mod clerk;
pub mod console;
pub mod cookies;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod security;
pub mod serve;
pub mod shop;
pub mod state;
pub mod system;

use std::any::Any;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use state::{AppState, WebConfig};

use crate::error::{ApiError, ErrorCode};

/// How long one request may take before the client gets 503 and the work is dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The router with `extra` routes mounted inside the common layers (the sandbox
/// provider's cashier, for one).
pub fn router_with(state: AppState, extra: Router) -> Router {
    let api = api::routes()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), idempotency::idempotency))
        .layer(from_fn_with_state(state.clone(), auth::authenticate));
    let app = Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_page).post(pages::login_submit))
        .route("/console/live", get(pages::console_live))
        .route("/logout", post(pages::logout))
        .route("/clerk", get(clerk::counter))
        .route("/clerk/lookup", post(clerk::lookup))
        .route("/clerk/orders/{id}/ready", post(clerk::ready))
        .route("/clerk/orders/{id}/handover", post(clerk::hand_over))
        .route("/clerk/till", get(clerk::till::till).post(clerk::till::till_submit))
        .route("/clerk/returns", get(clerk::returns::find))
        .route("/clerk/returns/{id}", get(clerk::returns::show).post(clerk::returns::submit))
        .route("/clerk/shift", get(clerk::shift::show).post(clerk::shift::submit))
        .route("/healthz", get(system::healthz))
        .route("/readyz", get(system::readyz))
        .route("/metrics", get(system::metrics))
        .route("/api/openapi.json", get(system::openapi))
        .route("/media/{key}", get(system::media))
        .route("/static/shop.css", get(system::shop_css))
        .route("/static/shop.js", get(system::shop_js))
        .route("/static/live.css", get(system::live_css))
        .route("/static/live.js", get(system::live_js))
        .route("/static/console.css", get(system::console_css))
        .route("/static/console.js", get(system::console_js))
        .route("/static/vendor/echarts.min.js", get(system::echarts_js))
        .route("/dev/sms", get(system::sms_outbox))
        .merge(shop::routes())
        .merge(console::routes())
        .nest("/api/v1", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn(metrics::track))
        .with_state(state.clone())
        .merge(extra);
    // From the inside out: panics and slow handlers become JSON errors; then every
    // response, errors included, gets the security headers; then tracing and request ids.
    let mut app =
        app.layer(from_fn(stable_too_large)).layer(CatchPanicLayer::custom(panic_response)).layer(from_fn(time_limit));
    for header in security::headers(state.config.is_https()) {
        app = app.layer(header);
    }
    app.layer(
        TraceLayer::new_for_http()
            // The path, never the query or body: those may carry what people typed.
            .make_span_with(|req: &Request<Body>| {
                let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            })
            .on_request(())
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
    )
    .layer(PropagateRequestIdLayer::x_request_id())
    .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "this route does not take that method")
}

/// Answers 503 when a handler takes longer than [`REQUEST_TIMEOUT`].
async fn time_limit(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out");
            ApiError {
                retry_after_secs: Some(5),
                ..ApiError::new(ErrorCode::ServiceUnavailable, "this took too long; try again")
            }
            .into_response()
        }
    }
}

/// Axum's own body extractors (the forms' `Bytes`, past its 2 MiB default) answer an
/// oversized body in plain text: it gets the stable error every other oversized body gets.
async fn stable_too_large(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(req).await;
    let plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE && plain {
        return ApiError::new(ErrorCode::PayloadTooLarge, "the body is too large").into_response();
    }
    response
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(ErrorCode::Internal, "something went wrong on our side").into_response()
}
