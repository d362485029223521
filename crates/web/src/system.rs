//! Health, readiness, metrics, the OpenAPI document, uploaded media and static assets.

use std::sync::LazyLock;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::ApiPath;
use crate::state::AppState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers.
pub async fn readyz(State(s): State<AppState>) -> Response {
    if s.sweep.ready().await {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

/// Prometheus metrics; behind a bearer token when the deployment set one.
pub async fn metrics(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &s.config.metrics_token {
        let sent = crate::auth::bearer(&headers);
        if !sent.is_some_and(|sent| bool::from(sent.as_bytes().ct_eq(token.as_bytes()))) {
            let mut refused =
                ApiError::new(ErrorCode::Unauthenticated, "send the metrics token as a bearer token").into_response();
            refused.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return refused;
        }
    }
    let mut response = s.metrics.render().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    response
}

pub async fn openapi() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(crate::openapi::document())
}

/// Uploaded images, named by content hash, so they can be cached for ever.
pub async fn media(State(s): State<AppState>, ApiPath(key): ApiPath<String>) -> ApiResult<Response> {
    let Some((bytes, content_type)) = s.sweep.media(&key).await? else {
        return Err(ApiError::not_found());
    };
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    Ok(response)
}

const SHOP_CSS: &str = include_str!("../static/shop.css");
const SHOP_JS: &str = include_str!("../static/shop.js");
const LIVE_CSS: &str = include_str!("../static/live.css");
const LIVE_JS: &str = include_str!("../static/live.js");
const CONSOLE_CSS: &str = include_str!("../static/console.css");
const CONSOLE_JS: &str = include_str!("../static/console.js");
/// Apache ECharts, from npm (see static/vendor/README.md).
const ECHARTS_JS: &str = include_str!("../static/vendor/echarts.min.js");

static ASSET_VERSION: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::new()
        .chain_update(SHOP_CSS)
        .chain_update(SHOP_JS)
        .chain_update(LIVE_CSS)
        .chain_update(LIVE_JS)
        .chain_update(ECHARTS_JS)
        .chain_update(CONSOLE_CSS)
        .chain_update(CONSOLE_JS)
        .finalize();
    hex::encode(&digest[..4])
});

/// The version in the static assets' links (`/static/shop.css?v=…`): a hash of their
/// contents, so a changed file gets a new link and no browser keeps the old one.
/// Templates call it as `crate::system::asset_version()`.
pub fn asset_version() -> &'static str {
    &ASSET_VERSION
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Links carry a version (`?v=`), so the files may be cached for a long time.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=604800"));
    response
}

pub async fn shop_css() -> Response {
    asset(SHOP_CSS, "text/css; charset=utf-8")
}

pub async fn shop_js() -> Response {
    asset(SHOP_JS, "text/javascript; charset=utf-8")
}

pub async fn live_css() -> Response {
    asset(LIVE_CSS, "text/css; charset=utf-8")
}

pub async fn live_js() -> Response {
    asset(LIVE_JS, "text/javascript; charset=utf-8")
}

pub async fn console_css() -> Response {
    asset(CONSOLE_CSS, "text/css; charset=utf-8")
}

pub async fn console_js() -> Response {
    asset(CONSOLE_JS, "text/javascript; charset=utf-8")
}

pub async fn echarts_js() -> Response {
    asset(ECHARTS_JS, "text/javascript; charset=utf-8")
}

#[derive(askama::Template)]
#[template(path = "dev_sms.html")]
struct OutboxPage {
    messages: Vec<(String, String, String)>,
}

/// The development SMS outbox: what the demo "sent" (sign-in codes, pickup notices).
/// Only when enabled (`--demo`, tests): it shows everyone's codes.
pub async fn sms_outbox(State(s): State<AppState>) -> ApiResult<Response> {
    if !s.config.sms_outbox_page {
        return Err(ApiError::not_found());
    }
    let messages = s.sweep.sms_outbox(50).await?;
    let page =
        OutboxPage { messages: messages.into_iter().map(|m| (m.created_at.to_rfc3339(), m.phone, m.body)).collect() };
    let html =
        askama::Template::render(&page).map_err(|e| ApiError::from(sweep_app::AppError::Internal(e.to_string())))?;
    let mut response = axum::response::Html(html).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_asset_version_is_a_short_hash() {
        let v = super::asset_version();
        assert_eq!(v.len(), 8);
        assert!(v.bytes().all(|b| b.is_ascii_hexdigit()), "{v}");
        assert_eq!(v, super::asset_version(), "computed once");
    }
}
