//! What the WeChat app would show: the page behind a Native `code_url`, the H5 cashier, and the
//! JSAPI stand-in (`WeixinJSBridge` through `/wechat/jsbridge.js` and `/wechat/jsapi/pay`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use sweep_wechatpay::JsapiPayParams;
use sweep_wechatpay::types::{TradeState, TradeType};

use super::{Channel, TradeKey, WxTrade};
use crate::util::{self, Brand};
use crate::{Simulator, lock};

/// The cookie that keeps a browser's openid stable.
pub(super) const OPENID_COOKIE: &str = "paysim_openid";

/// How long an `h5_url` stays usable.
const H5_URL_SECS: i64 = 300;

pub(super) fn routes() -> Router<Arc<Simulator>> {
    Router::new()
        .route("/wechat/scan/{token}", get(scan_page))
        .route("/wechat/scan/{token}/pay", post(scan_pay))
        .route("/wechat/h5", get(h5_page))
        .route("/wechat/h5/pay", post(h5_pay))
        .route("/wechat/jsapi/pay", post(jsapi_pay).options(preflight))
        .route("/wechat/jsbridge.js", get(jsbridge))
}

/// Why a trade cannot be paid from a page, in Chinese and English; `None` if it can.
fn blocked(t: &WxTrade, now: i64) -> Option<(&'static str, &'static str)> {
    match t.state {
        TradeState::Success | TradeState::Refund => Some(("支付成功", "Paid")),
        TradeState::Closed => Some(("订单已关闭", "This order is closed")),
        TradeState::Revoked => Some(("订单已撤销", "This order was reversed")),
        TradeState::NotPay if now > t.expires => Some(("订单已过期", "This order has expired")),
        TradeState::NotPay => None,
        _ => Some(("该订单不能在此支付", "This order cannot be paid here")),
    }
}

fn meta(t: &WxTrade) -> String {
    format!("商户号 Merchant {} · 订单号 Order {}", t.mchid, t.out_trade_no)
}

fn message_page(status: StatusCode, zh: &str, en: &str) -> Response {
    (status, util::page(Brand::Wechat, &util::status_line(zh, en))).into_response()
}

/// The browser's openid (from its cookie) and, when it had none, the `Set-Cookie` to give it.
pub(super) fn browser_openid(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match util::cookie(headers, OPENID_COOKIE) {
        Some(openid) => (openid, None),
        None => {
            let openid = super::new_openid();
            let cookie = format!("{OPENID_COOKIE}={openid}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly");
            (openid, HeaderValue::from_str(&cookie).ok())
        }
    }
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

fn trade_by_token(sim: &Simulator, token: &str) -> Option<TradeKey> {
    lock(&sim.wx).by_token.get(token).cloned()
}

async fn scan_page(State(sim): State<Arc<Simulator>>, Path(token): Path<String>) -> Response {
    let st = lock(&sim.wx);
    let Some(t) = st.by_token.get(&token).and_then(|k| st.trades.get(k)) else {
        return message_page(StatusCode::NOT_FOUND, "二维码无效", "Unknown or invalid payment code");
    };
    let mut body = util::order_block(&t.description, t.total, &meta(t));
    match blocked(t, util::now_unix()) {
        Some((zh, en)) => body.push_str(&util::status_line(zh, en)),
        None => {
            body.push_str(&util::status_line("请确认付款", "Confirm the payment"));
            let action = format!("{}/wechat/scan/{}/pay", sim.config.public_base, token);
            body.push_str(&util::pay_form(&action, &[]));
        }
    }
    util::page(Brand::Wechat, &body).into_response()
}

async fn scan_pay(State(sim): State<Arc<Simulator>>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let Some(key) = trade_by_token(&sim, &token) else {
        return message_page(StatusCode::NOT_FOUND, "二维码无效", "Unknown or invalid payment code");
    };
    let (openid, cookie) = browser_openid(&headers);
    // Failures (already paid, closed, expired) show on the page the browser returns to.
    let _ = sim.wx_pay(&key, Some(TradeType::Native), Some(openid));
    let back = format!("{}/wechat/scan/{}", sim.config.public_base, token);
    with_cookie(Redirect::to(&back).into_response(), cookie)
}

/// The H5 trade for `prepay_id` if `package` matches it.
fn h5_trade(sim: &Simulator, q: &HashMap<String, String>) -> Option<TradeKey> {
    let st = lock(&sim.wx);
    let key = st.by_prepay.get(q.get("prepay_id")?)?;
    let t = st.trades.get(key)?;
    (Some(&t.h5_package) == q.get("package") && t.channel == Channel::H5).then(|| key.clone())
}

fn redirect_target(q: &HashMap<String, String>) -> Option<String> {
    q.get("redirect_url").filter(|u| util::is_http_url(u)).cloned()
}

async fn h5_page(State(sim): State<Arc<Simulator>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(key) = h5_trade(&sim, &q) else {
        return message_page(
            StatusCode::BAD_REQUEST,
            "商家参数格式有误，请联系商家解决",
            "Invalid merchant parameters",
        );
    };
    let st = lock(&sim.wx);
    let Some(t) = st.trades.get(&key) else { return StatusCode::NOT_FOUND.into_response() };
    let now = util::now_unix();
    let mut body = util::order_block(&t.description, t.total, &meta(t));
    let link_expired = now - t.h5_issued > H5_URL_SECS && t.state == TradeState::NotPay;
    match blocked(t, now) {
        Some((zh, en)) => body.push_str(&util::status_line(zh, en)),
        None if link_expired => {
            body.push_str(&util::status_line("链接已过期，请重新下单", "This payment link has expired"))
        }
        None => {
            body.push_str(&util::status_line("请确认付款", "Confirm the payment"));
            let mut hidden = vec![("prepay_id", t.prepay_id.as_str()), ("package", t.h5_package.as_str())];
            let redirect = redirect_target(&q);
            if let Some(r) = &redirect {
                hidden.push(("redirect_url", r.as_str()));
            }
            body.push_str(&util::pay_form(&format!("{}/wechat/h5/pay", sim.config.public_base), &hidden));
        }
    }
    if let Some(r) = redirect_target(&q) {
        body.push_str(&format!(r#"<p class="meta"><a href="{}">返回商户 Back to the merchant</a></p>"#, util::esc(&r)));
    }
    util::page(Brand::Wechat, &body).into_response()
}

async fn h5_pay(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
    Form(q): Form<HashMap<String, String>>,
) -> Response {
    let Some(key) = h5_trade(&sim, &q) else {
        return message_page(
            StatusCode::BAD_REQUEST,
            "商家参数格式有误，请联系商家解决",
            "Invalid merchant parameters",
        );
    };
    let issued_recently = lock(&sim.wx).trades.get(&key).is_some_and(|t| util::now_unix() - t.h5_issued <= H5_URL_SECS);
    let (openid, cookie) = browser_openid(&headers);
    let paid = issued_recently && sim.wx_pay(&key, Some(TradeType::Mweb), Some(openid)).is_ok();
    let target = match redirect_target(&q) {
        Some(r) if paid => r,
        _ => {
            let query = util::encode_pairs(&[
                ("prepay_id", q.get("prepay_id").map_or("", String::as_str)),
                ("package", q.get("package").map_or("", String::as_str)),
            ]);
            format!("{}/wechat/h5?{query}", sim.config.public_base)
        }
    };
    with_cookie(Redirect::to(&target).into_response(), cookie)
}

fn cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Content-Type"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    response
}

async fn preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

fn jsapi_fail(reason: &str) -> Response {
    let body = json!({ "err_msg": "get_brand_wcpay_request:fail", "err_desc": reason });
    cors((StatusCode::BAD_REQUEST, Json(body)).into_response())
}

/// What the WeChat client does on `getBrandWCPayRequest`: checks the merchant's `paySign`, the
/// prepay and the timestamp, then pays.
async fn jsapi_pay(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    let Ok(params) = serde_json::from_slice::<JsapiPayParams>(&body) else {
        return jsapi_fail("参数错误 / the payment parameters are not valid JSON");
    };
    let Some(account) = lock(&sim.wx).account_by_appid(&params.app_id) else {
        return jsapi_fail("appId 无效 / unknown appId");
    };
    if params.verify(&account.merchant_key).is_err() {
        return jsapi_fail("支付验证签名失败 / paySign does not verify");
    }
    let fresh =
        params.time_stamp.parse::<i64>().is_ok_and(|ts| sweep_wechatpay::check_timestamp(ts, util::now_unix()).is_ok());
    if !fresh {
        return jsapi_fail("timeStamp 无效 / timeStamp is not within 300 s");
    }
    let Some(prepay_id) = params.package.strip_prefix("prepay_id=") else {
        return jsapi_fail("package 格式错误 / package must be prepay_id=...");
    };
    let key = {
        let st = lock(&sim.wx);
        let key = st.by_prepay.get(prepay_id).cloned();
        key.filter(|k| st.trades.get(k).is_some_and(|t| t.appid == params.app_id && t.channel == Channel::Jsapi))
    };
    let Some(key) = key else { return jsapi_fail("prepay_id 无效 / unknown prepay_id") };
    match sim.wx_pay(&key, Some(TradeType::Jsapi), None) {
        Ok(()) => cors(Json(json!({ "err_msg": "get_brand_wcpay_request:ok" })).into_response()),
        Err(why) => jsapi_fail(&why),
    }
}

/// A stand-in for the WeChat client's `WeixinJSBridge`, for browser tests to inject.
async fn jsbridge(State(sim): State<Arc<Simulator>>) -> Response {
    let endpoint = serde_json::to_string(&format!("{}/wechat/jsapi/pay", sim.config.public_base)).unwrap_or_default();
    let script = format!(
        r#"// Sweep paysim: a stand-in for the WeChat client's WeixinJSBridge (simulator, no real money).
(function () {{
  var endpoint = {endpoint};
  function done(cb, result) {{ if (typeof cb === "function") {{ cb(result); }} }}
  window.WeixinJSBridge = {{
    invoke: function (name, params, cb) {{
      if (name !== "getBrandWCPayRequest") {{ done(cb, {{ err_msg: name + ":fail" }}); return; }}
      fetch(endpoint, {{ method: "POST", headers: {{ "Content-Type": "application/json" }}, body: JSON.stringify(params) }})
        .then(function (r) {{ return r.json(); }})
        .then(function (j) {{ done(cb, j); }})
        .catch(function (e) {{ done(cb, {{ err_msg: "get_brand_wcpay_request:fail", err_desc: String(e) }}); }});
    }},
    on: function () {{}},
    call: function () {{}}
  }};
  function ready() {{ document.dispatchEvent(new Event("WeixinJSBridgeReady")); }}
  if (document.readyState === "loading") {{ document.addEventListener("DOMContentLoaded", ready); }}
  else {{ setTimeout(ready, 0); }}
}})();
"#
    );
    ([(header::CONTENT_TYPE, "application/javascript; charset=utf-8")], script).into_response()
}

/// An HTML error page for the OAuth flow.
pub(super) fn oauth_error_page(zh: &str, en: &str) -> Html<String> {
    util::page(Brand::Wechat, &util::status_line(zh, en))
}
