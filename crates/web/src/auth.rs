//! Who is calling: a bearer API token, or a session cookie plus a CSRF token on every
//! state-changing request.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sweep_app::auth::{AuthMethod, Authenticated};
use sweep_app::secrets::constant_time_eq;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "sweep_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const MERCHANT_HEADER: &str = "x-merchant-id";

/// The idempotency scope of a caller: keys are per staff member and merchant.
#[derive(Debug, Clone)]
pub struct Principal(pub String);

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Resolves the caller and puts an `Actor` in the request's extensions. Requests
/// without credentials pass on anonymous; handlers that need a caller answer 401.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Signing in needs no caller (and signing in again, with an old cookie still set,
    // must not trip over that cookie's CSRF token). A JSON body cannot be sent across
    // sites without the browser asking first, so this opens no CSRF hole.
    if req.uri().path().ends_with("/auth/login") {
        return next.run(req).await;
    }
    let headers = req.headers().clone();
    match resolve(&state, &headers).await {
        Ok(Some(auth)) => {
            if auth.method == AuthMethod::Session && is_state_changing(req.method()) {
                let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
                let expected = auth.csrf_token.as_deref().unwrap_or_default();
                if expected.is_empty() || !constant_time_eq(sent, expected) {
                    return ApiError::new(ErrorCode::CsrfFailed, "send the session's CSRF token in X-CSRF-Token")
                        .into_response();
                }
            }
            let requested = headers.get(MERCHANT_HEADER).and_then(|v| v.to_str().ok());
            let actor = match state.sweep.actor_for(&auth, requested).await {
                Ok(actor) => actor,
                Err(e) => return ApiError::from(e).into_response(),
            };
            let principal = Principal(format!(
                "staff:{}:merchant:{}",
                actor.staff_id,
                actor.merchant_id.map(|m| m.to_string()).unwrap_or_default()
            ));
            req.extensions_mut().insert(actor);
            req.extensions_mut().insert(principal);
            req.extensions_mut().insert(auth);
            next.run(req).await
        }
        Ok(None) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Option<Authenticated>, ApiError> {
    if let Some(token) = bearer(headers) {
        // A bad token is an error, not a fallback to the cookie.
        return match state.sweep.authenticate_token(token).await? {
            Some(auth) => Ok(Some(auth)),
            None => Err(ApiError::new(ErrorCode::Unauthenticated, "the API token is unknown, expired or revoked")),
        };
    }
    if let Some(session) = cookie(headers, SESSION_COOKIE) {
        // A stale cookie just means "not signed in".
        return Ok(state.sweep.authenticate_session(session).await?);
    }
    Ok(None)
}
