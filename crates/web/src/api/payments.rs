//! Payment providers' notifications. They are the only thing that marks an order paid.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiResult;
use crate::extract::ApiPath;
use crate::state::AppState;

/// Verifies and applies a provider's notification; answers exactly what the provider
/// expects, so it stops retrying once we have it.
#[utoipa::path(post, path = "/api/v1/payments/{provider}/notify", tag = "payments", params(("provider" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/json"),
    responses((status = 200, description = "Accepted (also for duplicates)"), (status = 401, description = "Signature or timestamp refused"),
        (status = 400, description = "Does not match the payment")),
    security(()))]
pub async fn notify(
    State(s): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let headers: Vec<(String, String)> =
        headers.iter().filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string()))).collect();
    let reply = s.sweep.handle_payment_notice(&provider, &headers, &body).await?;
    let mut response =
        (StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_REQUEST), reply.body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}
