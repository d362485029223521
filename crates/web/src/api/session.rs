//! Sign-in, the signed-in member, and API tokens.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sweep_app::auth::{Authenticated, CreateTokenInput, LoginInput};
use sweep_app::staff::ChangePasswordInput;
use sweep_domain::Timestamp;
use sweep_domain::ids::{ApiTokenId, StaffId};
use sweep_domain::merchant::Merchant;
use sweep_domain::staff::{ApiToken, Staff};
use utoipa::{IntoParams, ToSchema};

use super::{PageBody, created, page};
use crate::auth::{SESSION_COOKIE, cookie};
use crate::cookies::SetCookie;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Peer, path_id};
use crate::state::{AppState, WebConfig, client_ip};

#[derive(Serialize, ToSchema)]
pub struct LoginBody {
    pub staff: Staff,
    /// Send it as `X-CSRF-Token` on every state-changing request made with the cookie.
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

/// The staff session cookie: HttpOnly, SameSite=Lax, and Secure when served over https.
/// A max age of 0 ends it.
pub fn session_cookie(config: &WebConfig, value: &str, max_age_secs: i64) -> HeaderValue {
    SetCookie::new(SESSION_COOKIE, value).max_age(max_age_secs).header(config)
}

/// Signs a staff member in and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = LoginBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    ApiJson(input): ApiJson<LoginInput>,
) -> ApiResult<Response> {
    let client = client_ip(&s.config, &headers, peer);
    let outcome = s.sweep.login(input, &client).await?;
    let ttl = s.sweep.settings().session_ttl_secs;
    let body = LoginBody { staff: outcome.staff, csrf_token: outcome.csrf_token, expires_at: outcome.expires_at };
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&s.config, &outcome.session_token, ttl));
    Ok(response)
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(s): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        s.sweep.logout(token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&s.config, "", 0));
    Ok(response)
}

#[derive(Serialize, ToSchema)]
pub struct MeBody {
    pub staff: Staff,
    /// The merchant the caller acts in.
    pub merchant: Option<Merchant>,
    /// Present for cookie sessions.
    pub csrf_token: Option<String>,
}

/// The signed-in staff member.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = MeBody), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(s): State<AppState>,
    Caller(actor): Caller,
    auth: Option<axum::Extension<Authenticated>>,
) -> ApiResult<Json<MeBody>> {
    let staff = s.sweep.me(&actor).await?;
    let merchant = match actor.merchant_id {
        Some(id) => Some(s.sweep.get_merchant(&actor, id).await?),
        None => None,
    };
    Ok(Json(MeBody { staff, merchant, csrf_token: auth.and_then(|a| a.0.csrf_token) }))
}

/// Changes the caller's own password; every session of theirs ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePasswordInput,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<ChangePasswordInput>,
) -> ApiResult<StatusCode> {
    s.sweep.change_own_password(&actor, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct IssuedTokenBody {
    pub token: ApiToken,
    /// The bearer secret. Shown once; store it safely.
    pub secret: String,
}

/// Issues an API token acting as the caller.
#[utoipa::path(post, path = "/api/v1/api-tokens", tag = "auth", request_body = CreateTokenInput,
    responses((status = 201, body = IssuedTokenBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<CreateTokenInput>,
) -> ApiResult<impl IntoResponse> {
    let issued = s.sweep.create_api_token(&actor, input).await?;
    Ok(created(IssuedTokenBody { token: issued.token, secret: issued.secret }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    /// Owners only: the tokens of one staff member.
    pub staff_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// API tokens: the caller's own, or for owners the whole merchant's.
#[utoipa::path(get, path = "/api/v1/api-tokens", tag = "auth", params(TokenQuery),
    responses((status = 200, body = PageBody<ApiToken>)))]
pub async fn list_tokens(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> ApiResult<Json<PageBody<ApiToken>>> {
    let staff = q.staff_id.as_deref().map(path_id::<StaffId>).transpose()?;
    let tokens = s.sweep.list_api_tokens(&actor, staff, &page(q.cursor.as_deref(), q.limit)?).await?;
    Ok(Json(tokens.into()))
}

/// Revokes a token at once.
#[utoipa::path(post, path = "/api/v1/api-tokens/{id}/revoke", tag = "auth", params(("id" = String, Path)),
    responses((status = 200, body = ApiToken), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ApiToken>> {
    let id: ApiTokenId = path_id(&id)?;
    Ok(Json(s.sweep.revoke_api_token(&actor, id).await?))
}
