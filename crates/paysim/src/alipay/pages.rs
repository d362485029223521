//! What the Alipay app and cashier would show: the page behind a precreate `qr_code`, and the
//! wap/page cashier opened through `gateway.do` (with a QR code for phones on wide screens).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use sweep_alipay::TradeStatus;
use sweep_alipay::types::{PRODUCT_FAST_INSTANT_TRADE_PAY, PRODUCT_QUICK_WAP_WAY};

use super::gateway::{Call, deadline, order_fields};
use super::{AliTrade, Origin, TradeKey};
use crate::util::{self, Brand};
use crate::{Simulator, lock};

pub(super) fn routes() -> Router<Arc<Simulator>> {
    Router::new()
        .route("/alipay/qr/{token}", get(qr_page))
        .route("/alipay/qr/{token}/pay", post(qr_pay))
        .route("/alipay/cashier/{token}", get(cashier_page))
        .route("/alipay/cashier/{token}/pay", post(cashier_pay))
        .route("/alipay/cashier/{token}/status", get(cashier_status))
}

/// The gateway's error page (a cashier request that failed verification or validation).
pub(super) fn error_page(sub_code: &str, sub_msg: &str) -> Response {
    let body = util::status_line(&format!("错误代码 {sub_code}"), sub_msg);
    (StatusCode::BAD_REQUEST, util::page(Brand::Alipay, &body)).into_response()
}

fn unknown() -> Response {
    let body = util::status_line("二维码已失效", "Unknown or invalid payment code");
    (StatusCode::NOT_FOUND, util::page(Brand::Alipay, &body)).into_response()
}

/// Why a trade cannot be paid from a page; `None` if it can.
fn blocked(t: &AliTrade, now: i64) -> Option<(&'static str, &'static str)> {
    match t.status_now(now) {
        TradeStatus::TradeSuccess | TradeStatus::TradeFinished => Some(("支付成功", "Paid")),
        TradeStatus::TradeClosed if t.paid_at.is_none() && now > t.expires => {
            Some(("交易已超时关闭", "This order has expired"))
        }
        TradeStatus::TradeClosed => Some(("交易已关闭", "This order is closed")),
        TradeStatus::WaitBuyerPay if t.origin == Origin::BarCode => Some(("请在收银台完成付款", "Pay at the till")),
        TradeStatus::WaitBuyerPay => None,
    }
}

fn meta(t: &AliTrade) -> String {
    format!("订单号 Order {}", t.out_trade_no)
}

fn by_token(sim: &Simulator, token: &str) -> Option<TradeKey> {
    lock(&sim.ali).by_token.get(token).cloned()
}

/// `GET /alipay/qr/{token}`: the phone after scanning. Scanning is what makes a precreated
/// trade exist for `alipay.trade.query`.
async fn qr_page(State(sim): State<Arc<Simulator>>, Path(token): Path<String>) -> Response {
    let mut st = lock(&sim.ali);
    let Some(key) = st.by_token.get(&token).cloned() else { return unknown() };
    let Some(t) = st.trades.get_mut(&key) else { return unknown() };
    let now = util::now_unix();
    if t.status_now(now) == TradeStatus::WaitBuyerPay {
        t.visible = true;
    }
    let mut body = util::order_block(&t.subject, t.total, &meta(t));
    match blocked(t, now) {
        Some((zh, en)) => body.push_str(&util::status_line(zh, en)),
        None => {
            body.push_str(&util::status_line("请确认付款", "Confirm the payment"));
            body.push_str(&util::pay_form(&format!("{}/alipay/qr/{token}/pay", sim.config.public_base), &[]));
        }
    }
    util::page(Brand::Alipay, &body).into_response()
}

async fn qr_pay(State(sim): State<Arc<Simulator>>, Path(token): Path<String>) -> Response {
    let Some(key) = by_token(&sim, &token) else { return unknown() };
    // Failures show on the page the browser returns to.
    let _ = sim.ali_pay(&key);
    Redirect::to(&format!("{}/alipay/qr/{token}", sim.config.public_base)).into_response()
}

/// `alipay.trade.wap.pay` / `alipay.trade.page.pay` opened in the browser: creates or finds the
/// trade and shows the cashier.
pub(super) fn cashier(sim: &Simulator, call: &Call, origin: Origin) -> Response {
    let (no, subject, total) = match order_fields(call) {
        Ok(f) => f,
        Err(what) => return error_page("ACQ.INVALID_PARAMETER", &format!("参数有误 / invalid parameter: {what}")),
    };
    let product = if origin == Origin::Page { PRODUCT_FAST_INSTANT_TRADE_PAY } else { PRODUCT_QUICK_WAP_WAY };
    if call.biz("product_code") != product {
        return error_page("ACQ.INVALID_PARAMETER", &format!("product_code 必须为 {product}"));
    }
    let now = util::now_unix();
    let Some(expires) = deadline(call, now) else {
        return error_page("ACQ.INVALID_PARAMETER", "timeout_express / time_expire");
    };
    let a = &call.account;
    let key = (a.app_id.clone(), no.clone());
    let mut st = lock(&sim.ali);
    match st.trades.get_mut(&key) {
        Some(t) => {
            if t.total != total || t.subject != subject || t.origin == Origin::BarCode {
                return error_page("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改");
            }
            t.visible = true;
            t.origin = origin;
            if let Some(url) = call.param("return_url") {
                t.return_url = Some(url);
            }
            if t.notify_url.is_none() {
                t.notify_url = call.param("notify_url");
            }
        }
        None => {
            st.create(
                &a.app_id,
                &no,
                &subject,
                total,
                origin,
                expires,
                call.param("notify_url"),
                call.param("return_url"),
            );
        }
    }
    let token = st.trades[&key].token.clone();
    drop(st);
    cashier_view(sim, &token)
}

fn cashier_view(sim: &Simulator, token: &str) -> Response {
    let st = lock(&sim.ali);
    let Some(t) = st.by_token.get(token).and_then(|k| st.trades.get(k)) else { return unknown() };
    let base = &sim.config.public_base;
    let mut body = util::order_block(&t.subject, t.total, &meta(t));
    match blocked(t, util::now_unix()) {
        Some((zh, en)) => body.push_str(&util::status_line(zh, en)),
        None => {
            body.push_str(&util::status_line("支付宝收银台", "Alipay cashier"));
            body.push_str(&util::pay_form(&format!("{base}/alipay/cashier/{token}/pay"), &[]));
            let qr_url = format!("{base}/alipay/qr/{token}");
            body.push_str(&format!(
                r#"<div class="wide-only"><p>或用手机支付宝扫码付款<span class="en">Or scan with your phone to pay there</span></p>{}</div>"#,
                util::qr_svg(&qr_url)
            ));
            // Poll, so a payment made on the phone moves this page on as Alipay's does.
            let status = serde_json::to_string(&format!("{base}/alipay/cashier/{token}/status"))
                .unwrap_or_default()
                .replace("</", "<\\/");
            body.push_str(&format!(
                r#"<script>(function(){{var u={status};setInterval(function(){{fetch(u).then(function(r){{return r.json();}}).then(function(j){{if(j.paid){{location.href=j.redirect;}}}}).catch(function(){{}});}},2000);}})();</script>"#
            ));
        }
    }
    util::page(Brand::Alipay, &body).into_response()
}

async fn cashier_page(State(sim): State<Arc<Simulator>>, Path(token): Path<String>) -> Response {
    cashier_view(&sim, &token)
}

/// Where the browser goes once the trade is paid: `return_url` with the signed return
/// parameters, else the cashier page (which then says "paid").
fn after_payment(sim: &Simulator, key: &TradeKey) -> String {
    let st = lock(&sim.ali);
    let target = st.trades.get(key).and_then(|t| {
        let account = st.accounts.get(&t.app_id)?;
        super::notify::return_target(account, t)
    });
    let token = st.trades.get(key).map(|t| t.token.clone()).unwrap_or_default();
    target.unwrap_or_else(|| format!("{}/alipay/cashier/{token}", sim.config.public_base))
}

async fn cashier_pay(State(sim): State<Arc<Simulator>>, Path(token): Path<String>) -> Response {
    let Some(key) = by_token(&sim, &token) else { return unknown() };
    match sim.ali_pay(&key) {
        Ok(()) => Redirect::to(&after_payment(&sim, &key)).into_response(),
        Err(_) => Redirect::to(&format!("{}/alipay/cashier/{token}", sim.config.public_base)).into_response(),
    }
}

async fn cashier_status(State(sim): State<Arc<Simulator>>, Path(token): Path<String>) -> Response {
    let Some(key) = by_token(&sim, &token) else { return StatusCode::NOT_FOUND.into_response() };
    let paid = lock(&sim.ali).trades.get(&key).is_some_and(|t| t.paid_at.is_some());
    let redirect = if paid { Some(after_payment(&sim, &key)) } else { None };
    Json(json!({ "paid": paid, "redirect": redirect })).into_response()
}
