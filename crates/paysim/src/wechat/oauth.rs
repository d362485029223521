//! Official-account OAuth (`snsapi_base`): the authorize redirect and the code exchange that
//! give a JSAPI merchant the payer's openid.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::OAuthCode;
use super::pages::{browser_openid, oauth_error_page};
use crate::{Simulator, lock, util};

/// How long a `code` can be exchanged.
const CODE_SECS: i64 = 300;

pub(super) fn routes() -> Router<Arc<Simulator>> {
    Router::new()
        .route("/wechat/connect/oauth2/authorize", get(authorize))
        .route("/wechat/sns/oauth2/access_token", get(access_token))
}

/// `GET /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state`: the user
/// silently consents (`snsapi_base`); the browser goes back with `code` and `state`.
async fn authorize(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map_or("", String::as_str);
    let appid = get("appid");
    if lock(&sim.wx).account_by_appid(appid).is_none() {
        return (StatusCode::BAD_REQUEST, oauth_error_page("appid 参数错误", "Unknown appid")).into_response();
    }
    if get("response_type") != "code" {
        return (StatusCode::BAD_REQUEST, oauth_error_page("response_type 参数错误", "response_type must be code"))
            .into_response();
    }
    let scope = get("scope");
    if scope != "snsapi_base" && scope != "snsapi_userinfo" {
        return (StatusCode::BAD_REQUEST, oauth_error_page("scope 参数错误", "scope must be snsapi_base"))
            .into_response();
    }
    let redirect_uri = get("redirect_uri");
    if !util::is_http_url(redirect_uri) {
        return (
            StatusCode::BAD_REQUEST,
            oauth_error_page("redirect_uri 参数错误", "redirect_uri must be an http(s) URL"),
        )
            .into_response();
    }
    let (openid, cookie) = browser_openid(&headers);
    let code = sweep_wechatpay::random_alnum(32);
    lock(&sim.wx).codes.insert(
        code.clone(),
        OAuthCode { appid: appid.to_owned(), openid, scope: scope.to_owned(), expires: util::now_unix() + CODE_SECS },
    );
    let target = util::append_query(redirect_uri, &util::encode_pairs(&[("code", &code), ("state", get("state"))]));
    let mut response = Redirect::to(&target).into_response();
    // WeChat answers the authorize step with a 302.
    *response.status_mut() = StatusCode::FOUND;
    if let Some(c) = cookie {
        response.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    response
}

fn wx_error(errcode: i64, errmsg: &str) -> Response {
    Json(json!({ "errcode": errcode, "errmsg": errmsg })).into_response()
}

/// `GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`: exchanges a
/// code once for the openid. Errors answer 200 with `errcode`, as WeChat does.
async fn access_token(State(sim): State<Arc<Simulator>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map_or("", String::as_str);
    let mut st = lock(&sim.wx);
    let Some(account) = st.account_by_appid(get("appid")) else {
        return wx_error(40013, "invalid appid");
    };
    if get("secret") != account.app_secret {
        return wx_error(40125, "invalid appsecret");
    }
    if get("grant_type") != "authorization_code" {
        return wx_error(40002, "invalid grant_type");
    }
    // A code is consumed by its first exchange, successful or not.
    let Some(code) = st.codes.remove(get("code")) else { return wx_error(40029, "invalid code") };
    if code.appid != account.appid || code.expires < util::now_unix() {
        return wx_error(40029, "invalid code");
    }
    Json(json!({
        "access_token": sweep_wechatpay::random_alnum(86),
        "expires_in": 7200,
        "refresh_token": sweep_wechatpay::random_alnum(86),
        "openid": code.openid,
        "scope": code.scope,
    }))
    .into_response()
}
