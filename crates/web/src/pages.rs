//! Server-rendered pages: the home page and staff sign-in. Forms carry a CSRF token;
//! sign-in uses a double-submit cookie because there is no session yet.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use sweep_app::AppError;
use sweep_app::auth::LoginInput;
use sweep_app::secrets::{constant_time_eq, random_token};

use crate::api::session::session_cookie;
use crate::auth::{SESSION_COOKIE, cookie};
use crate::cookies::{SameSite, SetCookie};
use crate::extract::Peer;
use crate::state::{AppState, WebConfig, client_ip, same_origin};

const LOGIN_CSRF_COOKIE: &str = "sweep_login_csrf";

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    login: &'a str,
    error: Option<&'a str>,
    next: &'a str,
}

/// Where to go after signing in: the counter, or the console. Never anywhere else.
fn after_login(next: &str) -> &'static str {
    if next == "clerk" { "/clerk" } else { "/console" }
}

fn render(template: &impl Template, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "page failed to render").into_response()
        }
    }
}

pub async fn home() -> Response {
    render(&HomePage, StatusCode::OK)
}

fn login_csrf_cookie(config: &WebConfig, value: &str) -> HeaderValue {
    SetCookie::new(LOGIN_CSRF_COOKIE, value).path("/login").same_site(SameSite::Strict).max_age(3600).header(config)
}

fn login_form(s: &AppState, login: &str, next: &str, error: Option<&str>, status: StatusCode) -> Response {
    let csrf = match random_token("") {
        Ok(t) => t,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "no randomness").into_response(),
    };
    let next = if next == "clerk" { "clerk" } else { "" };
    let mut response = render(&LoginPage { csrf: &csrf, login, error, next }, status);
    response.headers_mut().insert(header::SET_COOKIE, login_csrf_cookie(&s.config, &csrf));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn login_page(State(s): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let next = if uri.query().unwrap_or("").contains("next=clerk") { "clerk" } else { "" };
    if signed_in(&s, &headers).await.is_some() {
        return Redirect::to(after_login(next)).into_response();
    }
    login_form(&s, "", next, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

pub async fn login_submit(State(s): State<AppState>, Peer(peer): Peer, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(form) = serde_urlencoded::from_bytes::<LoginForm>(&body) else {
        return login_form(
            &s,
            "",
            "",
            Some("请填写账号和密码 · Enter your login and password."),
            StatusCode::BAD_REQUEST,
        );
    };
    let cookie_csrf = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if cookie_csrf.is_empty() || !constant_time_eq(cookie_csrf, &form.csrf) || !same_origin(&s.config, &headers) {
        return login_form(
            &s,
            &form.login,
            &form.next,
            Some("页面已过期，请重试 · The page expired; please try again."),
            StatusCode::FORBIDDEN,
        );
    }
    let client = client_ip(&s.config, &headers, peer);
    match s.sweep.login(LoginInput { login: form.login.clone(), password: form.password }, &client).await {
        Ok(outcome) => {
            let mut response = Redirect::to(after_login(&form.next)).into_response();
            let ttl = s.sweep.settings().session_ttl_secs;
            response.headers_mut().insert(header::SET_COOKIE, session_cookie(&s.config, &outcome.session_token, ttl));
            response
        }
        Err(AppError::TooManyAttempts { retry_after_secs }) => {
            let minutes = (retry_after_secs + 59) / 60;
            let message =
                format!("尝试次数过多，请 {minutes} 分钟后再试 · Too many attempts; try again in {minutes} min.");
            login_form(&s, &form.login, &form.next, Some(&message), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(AppError::Invalid(_)) | Err(AppError::InvalidCredentials) => login_form(
            &s,
            &form.login,
            &form.next,
            Some("账号或密码错误 · Wrong login or password."),
            StatusCode::UNAUTHORIZED,
        ),
        Err(AppError::Conflict { .. }) => login_form(
            &s,
            &form.login,
            &form.next,
            Some("该商户已停用 · This merchant is suspended."),
            StatusCode::FORBIDDEN,
        ),
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            login_form(
                &s,
                &form.login,
                &form.next,
                Some("暂时无法登录 · Sign-in is unavailable; try again."),
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
    }
}

async fn signed_in(s: &AppState, headers: &HeaderMap) -> Option<sweep_app::auth::Authenticated> {
    let token = cookie(headers, SESSION_COOKIE)?;
    s.sweep.authenticate_session(token).await.ok().flatten()
}

#[derive(Template)]
#[template(path = "console_live.html")]
struct LivePage {
    merchant: String,
}

/// The big screen for campaign days: GMV, pace, mobile share, the per-minute chart and
/// the store leaderboard, fed by server-sent events (head office).
pub async fn console_live(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let Some(auth) = signed_in(&s, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    let Ok(actor) = s.sweep.actor_for(&auth, None).await else {
        return Redirect::to("/login").into_response();
    };
    // The same rule as the stream's: a refused caller gets a plain 403 page.
    if sweep_app::flash::may_watch_live(&actor).is_err() {
        return (StatusCode::FORBIDDEN, "403 · 仅总部可查看实时大屏 · Head office only").into_response();
    }
    let merchant = match actor.merchant_id {
        Some(id) => s.sweep.get_merchant(&actor, id).await.map(|m| m.name).unwrap_or_else(|_| id.to_string()),
        None => String::new(),
    };
    let mut response = render(&LivePage { merchant }, StatusCode::OK);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Deserialize, Default)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    // A form without its token is refused like one with a wrong token: signing someone
    // out (even only dropping their cookie) from another site's form is still CSRF.
    let form = serde_urlencoded::from_bytes::<LogoutForm>(&body).unwrap_or_default();
    if let (Some(auth), Some(token)) = (signed_in(&s, &headers).await, cookie(&headers, SESSION_COOKIE)) {
        let expected = auth.csrf_token.unwrap_or_default();
        if !constant_time_eq(&expected, &form.csrf) || !same_origin(&s.config, &headers) {
            return (StatusCode::FORBIDDEN, "page expired; go back and try again").into_response();
        }
        if let Err(e) = s.sweep.logout(token).await {
            tracing::error!(error = %e, "sign-out failed");
        }
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&s.config, "", 0));
    response
}
