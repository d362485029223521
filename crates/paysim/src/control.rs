//! The control API for tests and demos (`/sim/...`) and the index page (`/`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::util::{self, Brand};
use crate::{Faults, Simulator};

pub(crate) fn routes() -> Router<Arc<Simulator>> {
    Router::new()
        .route("/", get(index))
        .route("/sim/accounts/wechatpay", post(create_wechat))
        .route("/sim/accounts/alipay", post(create_alipay))
        .route("/sim/wechat/pay/{out_trade_no}", post(pay_wechat))
        .route("/sim/alipay/pay/{out_trade_no}", post(pay_alipay))
        .route("/sim/faults", get(get_faults).post(set_faults))
        .route("/sim/deliveries", get(deliveries))
        .route(
            "/sim/wechat/accounts/{mchid}/sign-with-certificate",
            post(|s: State<Arc<Simulator>>, p: Path<String>| sign_mode(s, p, true))
                .delete(|s: State<Arc<Simulator>>, p: Path<String>| sign_mode(s, p, false)),
        )
}

async fn index(State(sim): State<Arc<Simulator>>) -> Response {
    let base = util::esc(&sim.config.public_base);
    let body = format!(
        r#"<h2>Sweep paysim</h2>
<p>微信支付 API v3 与支付宝开放平台网关的本地模拟器，不涉及真实资金。<span class="en">A local simulator of WeChat Pay API v3 and the Alipay gateway v2. No real money is involved.</span></p>
<ul class="meta" style="text-align:left">
<li>WeChat Pay gateway: {base}/wechat</li>
<li>Alipay gateway: {base}/alipay/gateway.do</li>
<li>Control API: POST {base}/sim/accounts/wechatpay, POST {base}/sim/accounts/alipay, GET {base}/sim/deliveries, GET/POST {base}/sim/faults</li>
</ul>"#
    );
    util::page(Brand::Wechat, &body).into_response()
}

/// Account creation generates RSA keys: off the async executor.
async fn create_wechat(State(sim): State<Arc<Simulator>>) -> Response {
    match tokio::task::spawn_blocking(move || sim.create_wechat_account()).await {
        Ok(credentials) => Json(credentials).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn create_alipay(State(sim): State<Arc<Simulator>>) -> Response {
    match tokio::task::spawn_blocking(move || sim.create_alipay_account()).await {
        Ok(credentials) => Json(credentials).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn paid(result: Result<(), String>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) if e.starts_with("no ") => (StatusCode::NOT_FOUND, Json(json!({ "error": e }))).into_response(),
        Err(e) => (StatusCode::CONFLICT, Json(json!({ "error": e }))).into_response(),
    }
}

async fn pay_wechat(State(sim): State<Arc<Simulator>>, Path(no): Path<String>) -> Response {
    paid(sim.pay_wechat(&no).await)
}

async fn pay_alipay(State(sim): State<Arc<Simulator>>, Path(no): Path<String>) -> Response {
    paid(sim.pay_alipay(&no).await)
}

async fn get_faults(State(sim): State<Arc<Simulator>>) -> Json<Faults> {
    Json(sim.faults())
}

async fn set_faults(State(sim): State<Arc<Simulator>>, Json(faults): Json<Faults>) -> Json<Faults> {
    sim.set_faults(faults);
    Json(sim.faults())
}

async fn deliveries(State(sim): State<Arc<Simulator>>) -> Json<Vec<crate::Delivery>> {
    Json(sim.deliveries())
}

async fn sign_mode(State(sim): State<Arc<Simulator>>, Path(mchid): Path<String>, on: bool) -> StatusCode {
    if sim.set_wechat_sign_with_certificate(&mchid, on) { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND }
}
