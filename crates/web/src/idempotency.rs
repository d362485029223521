//! `Idempotency-Key` on POST: a retry gets the first answer; the same key with a
//! different request is refused; a retry while the first is running gets 409.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use sweep_app::ports::IdempotencyStart;

use crate::auth::Principal;
use crate::error::{ApiError, ErrorCode};
use crate::extract::bytes_body::read_up_to;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
/// Largest request body kept for hashing (image uploads are the largest).
const BODY_LIMIT: usize = 8 * 1024 * 1024;

pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let key = match key.to_str() {
        Ok(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => k.to_string(),
        _ => {
            return ApiError::field(
                ErrorCode::ValidationFailed,
                "Idempotency-Key",
                "invalid_key",
                "use 1 to 255 visible ASCII characters",
            )
            .into_response();
        }
    };
    // Keys are scoped to the caller; anonymous requests (sign-in) create nothing to repeat.
    let Some(Principal(scope)) = req.extensions().get::<Principal>().cloned() else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let bytes = match read_up_to(Request::new(body), BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update(b" ");
    hasher.update(parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or_default());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let request_hash = hex::encode(hasher.finalize());

    match state.sweep.idempotency_start(&scope, &key, &request_hash).await {
        Err(e) => ApiError::from(e).into_response(),
        Ok(IdempotencyStart::Mismatch) => {
            ApiError::new(ErrorCode::IdempotencyKeyReused, "this Idempotency-Key was used for a different request")
                .into_response()
        }
        Ok(IdempotencyStart::InProgress) => ApiError::new(
            ErrorCode::IdempotencyInProgress,
            "the first request with this Idempotency-Key is still running",
        )
        .into_response(),
        Ok(IdempotencyStart::Replay { status, body }) => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
        }
        Ok(IdempotencyStart::Started) => {
            // The request runs to the end in its own task even if the client hangs up or
            // the request times out, so its outcome is always recorded against the key.
            let sweep = state.sweep.clone();
            let task = tokio::spawn(async move {
                let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
                let (parts, body) = response.into_parts();
                let body = match body.collect().await {
                    Ok(c) => c.to_bytes(),
                    Err(_) => {
                        let _ = sweep.idempotency_abandon(&scope, &key).await;
                        return ApiError::new(ErrorCode::Internal, "could not finish the response").into_response();
                    }
                };
                // Server errors are not remembered: the client should be able to retry them.
                let saved = if parts.status.is_server_error() {
                    sweep.idempotency_abandon(&scope, &key).await
                } else {
                    sweep.idempotency_complete(&scope, &key, parts.status.as_u16(), &body).await
                };
                if let Err(e) = saved {
                    tracing::error!(error = %e, "could not record an idempotent response");
                }
                Response::from_parts(parts, Body::from(body))
            });
            task.await.unwrap_or_else(|_| ApiError::new(ErrorCode::Internal, "the request failed").into_response())
        }
    }
}
