//! `gateway.do`: request verification and the trade methods (precreate, pay, query, close,
//! cancel, refund, refund query). The cashier methods hand over to [`super::pages`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use sweep_alipay::types::{failure_node, method, sub_code, success_node};
use sweep_alipay::{
    AlipayPublicKey, Error, TradeStatus, decode_form, parse_timestamp_utc8, signed_error_response, signed_response,
    timestamp_utc8, verify_request,
};

use super::{AliAccount, AliRefund, AliState, AliTrade, Origin, TradeKey};
use crate::{Simulator, lock, util};

pub(super) fn routes() -> Router<Arc<Simulator>> {
    Router::new().route("/alipay/gateway.do", get(gateway).post(gateway))
}

/// The raw signed text, as the gateway sends it.
fn raw(text: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json;charset=utf-8")], text).into_response()
}

/// A method's response node, signed with the application's Alipay key.
fn reply(a: &AliAccount, api: &str, node: &str) -> Response {
    match signed_response(api, node, &a.platform) {
        Ok(text) => raw(text),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn ok(a: &AliAccount, api: &str, fields: &Value) -> Response {
    reply(a, api, &success_node(fields).unwrap_or_default())
}

fn fail(a: &AliAccount, api: &str, sub: &str, sub_msg: &str) -> Response {
    reply(a, api, &failure_node("40004", "Business Failed", sub, sub_msg))
}

fn invalid(a: &AliAccount, api: &str, what: &str) -> Response {
    fail(a, api, sub_code::INVALID_PARAMETER, &format!("参数有误 / invalid parameter: {what}"))
}

/// A gateway-level rejection: `error_response`, signed when the application is known.
pub(super) fn gateway_error(a: Option<&AliAccount>, code: &str, msg: &str, sub: &str, sub_msg: &str) -> Response {
    let node = failure_node(code, msg, sub, sub_msg);
    match a.map(|a| signed_error_response(&node, &a.platform)) {
        Some(Ok(text)) => raw(text),
        _ => raw(format!("{{\"error_response\":{node}}}")),
    }
}

/// A verified request: its application, parameters and parsed `biz_content`.
pub(super) struct Call {
    pub account: Arc<AliAccount>,
    pub params: BTreeMap<String, String>,
    pub biz: Value,
}

impl Call {
    pub fn biz(&self, key: &str) -> &str {
        self.biz.get(key).and_then(Value::as_str).unwrap_or_default()
    }

    pub fn param(&self, key: &str) -> Option<String> {
        self.params.get(key).filter(|v| !v.is_empty()).cloned()
    }
}

/// Why a request was refused before its method ran: `(code, msg, sub_code, sub_msg)`.
pub(super) type Refusal = (&'static str, &'static str, &'static str, String);

/// Verifies a gateway request (query and form merged) like the gateway does.
pub(super) fn verify(sim: &Simulator, pairs: &[(String, String)]) -> Result<Call, (Option<Arc<AliAccount>>, Refusal)> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str());
    let missing = |sub: &'static str, m: &str| (None, ("40001", "Missing Required Arguments", sub, m.to_owned()));
    if get("app_id").is_empty() {
        return Err(missing("isv.missing-app-id", "缺少AppID参数"));
    }
    let account = lock(&sim.ali).accounts.get(get("app_id")).cloned();
    let Some(account) = account else {
        return Err((None, ("40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数".to_owned())));
    };
    let bad =
        |sub: &'static str, m: &str| (Some(Arc::clone(&account)), ("40002", "Invalid Arguments", sub, m.to_owned()));
    let key: &AlipayPublicKey = &account.app_key;
    let params = match verify_request(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), key) {
        Ok(p) => p,
        Err(Error::MissingSign) => {
            return Err((
                Some(Arc::clone(&account)),
                ("40001", "Missing Required Arguments", "isv.missing-signature", "缺少签名参数".to_owned()),
            ));
        }
        Err(Error::UnsupportedSignType(_)) => return Err(bad("isv.invalid-signature-type", "无效的签名类型")),
        Err(Error::UnsupportedCharset(_)) => return Err(bad("isv.invalid-charset", "字符集错误")),
        Err(Error::DuplicateParam(p)) => return Err(bad("isv.invalid-parameter", &format!("参数重复: {p}"))),
        Err(_) => return Err(bad("isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配")),
    };
    let p = |k: &str| params.get(k).map_or("", String::as_str);
    if p("method").is_empty() {
        return Err((
            Some(Arc::clone(&account)),
            ("40001", "Missing Required Arguments", "isv.missing-method", "缺少方法名参数".to_owned()),
        ));
    }
    if parse_timestamp_utc8(p("timestamp")).is_none() {
        return Err(bad("isv.invalid-timestamp", "非法的时间戳参数"));
    }
    if !p("format").is_empty() && !p("format").eq_ignore_ascii_case("json") {
        return Err(bad("isv.invalid-format", "无效的数据格式"));
    }
    if !p("version").is_empty() && p("version") != "1.0" {
        return Err(bad("isv.invalid-parameter", "version 必须为 1.0"));
    }
    let biz = match serde_json::from_str::<Value>(p("biz_content")) {
        Ok(v @ Value::Object(_)) => v,
        _ => return Err(bad("isv.invalid-parameter", "biz_content 不是 JSON 对象")),
    };
    Ok(Call { account, params, biz })
}

async fn gateway(
    State(sim): State<Arc<Simulator>>,
    http_method: Method,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let mut pairs = decode_form(q.unwrap_or_default().as_bytes());
    if http_method == Method::POST {
        pairs.extend(decode_form(&body));
    }
    let api = pairs.iter().find(|(k, _)| k == "method").map(|(_, v)| v.clone()).unwrap_or_default();
    let cashier = api == method::WAP_PAY || api == method::PAGE_PAY;
    let call = match verify(&sim, &pairs) {
        Ok(call) => call,
        Err((_, (_, _, sub, sub_msg))) if cashier => return super::pages::error_page(sub, &sub_msg),
        Err((a, (code, msg, sub, sub_msg))) => return gateway_error(a.as_deref(), code, msg, sub, &sub_msg),
    };
    match api.as_str() {
        method::PRECREATE => precreate(&sim, &call),
        method::PAY => bar_code_pay(&sim, &call),
        method::QUERY => query(&sim, &call),
        method::CLOSE => close(&sim, &call),
        method::CANCEL => cancel(&sim, &call),
        method::REFUND => refund(&sim, &call),
        method::REFUND_QUERY => refund_query(&sim, &call),
        method::WAP_PAY => super::pages::cashier(&sim, &call, Origin::Wap),
        method::PAGE_PAY => super::pages::cashier(&sim, &call, Origin::Page),
        _ => gateway_error(Some(&call.account), "40002", "Invalid Arguments", "isv.invalid-method", "不存在的方法名"),
    }
}

/// `out_trade_no`: 1 to 64 of letters, digits and `_-`.
pub(super) fn valid_out_trade_no(no: &str) -> bool {
    (1..=64).contains(&no.len()) && no.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The trade's deadline from `timeout_express` (`90m`, `2h`, `1d`, `1c`) or `time_expire`
/// (`yyyy-MM-dd HH:mm:ss`); two hours by default.
pub(super) fn deadline(call: &Call, now: i64) -> Option<i64> {
    if !call.biz("time_expire").is_empty() {
        return parse_timestamp_utc8(call.biz("time_expire"));
    }
    let t = call.biz("timeout_express");
    if t.is_empty() {
        return Some(now + 2 * 3600);
    }
    if t == "1c" {
        // Until the end of the day, Beijing time.
        let local = now + 8 * 3600;
        return Some(local - local.rem_euclid(86_400) + 86_400 - 8 * 3600 - 1);
    }
    let (n, unit) = t.split_at(t.len() - 1);
    let n: i64 = n.parse().ok().filter(|n| *n > 0 && *n <= 15 * 24 * 60)?;
    match unit {
        "m" => Some(now + n * 60),
        "h" => Some(now + n * 3600),
        "d" => Some(now + n * 86_400),
        _ => None,
    }
}

/// `(out_trade_no, subject, total in fen)` of a new trade, or the invalid parameter's name.
pub(super) fn order_fields(call: &Call) -> Result<(String, String, i64), &'static str> {
    let no = call.biz("out_trade_no");
    if !valid_out_trade_no(no) {
        return Err("out_trade_no");
    }
    let subject = call.biz("subject");
    if subject.is_empty() || subject.chars().count() > 256 {
        return Err("subject");
    }
    let total = util::parse_yuan(call.biz("total_amount")).ok_or("total_amount")?;
    Ok((no.to_owned(), subject.to_owned(), total))
}

fn precreate(sim: &Simulator, call: &Call) -> Response {
    let (a, api) = (&*call.account, method::PRECREATE);
    let (no, subject, total) = match order_fields(call) {
        Ok(f) => f,
        Err(what) => return invalid(a, api, what),
    };
    let now = util::now_unix();
    let Some(expires) = deadline(call, now) else { return invalid(a, api, "timeout_express") };
    let mut st = lock(&sim.ali);
    let key = (a.app_id.clone(), no.clone());
    if let Some(t) = st.trades.get(&key) {
        match t.status_now(now) {
            TradeStatus::TradeSuccess | TradeStatus::TradeFinished => {
                return fail(a, api, sub_code::TRADE_HAS_SUCCESS, "交易已被支付");
            }
            TradeStatus::TradeClosed => return fail(a, api, sub_code::TRADE_HAS_CLOSE, "交易已经关闭"),
            TradeStatus::WaitBuyerPay => {}
        }
        if t.total != total || t.subject != subject || t.origin != Origin::Precreate {
            return fail(a, api, "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改");
        }
    } else {
        st.create(&a.app_id, &no, &subject, total, Origin::Precreate, expires, call.param("notify_url"), None);
    }
    let qr_code = format!("{}/alipay/qr/{}", sim.config.public_base, st.trades[&key].token);
    ok(a, api, &json!({ "out_trade_no": no, "qr_code": qr_code }))
}

/// A bar code from the Alipay app: 16 to 24 digits starting 25 to 30.
fn valid_auth_code(code: &str) -> bool {
    (16..=24).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_digit())
        && matches!(&code[..2], "25" | "26" | "27" | "28" | "29" | "30")
}

fn paid_fields(t: &AliTrade) -> Value {
    let total = util::yuan(t.total);
    json!({
        "trade_no": t.trade_no,
        "out_trade_no": t.out_trade_no,
        "buyer_logon_id": t.buyer_logon_id,
        "buyer_user_id": t.buyer_id,
        "total_amount": total,
        "receipt_amount": total,
        "buyer_pay_amount": total,
        "invoice_amount": total,
        "point_amount": "0.00",
        "gmt_payment": timestamp_utc8(t.paid_at.unwrap_or(t.created)),
        "fund_bill_list": [{ "fund_channel": "ALIPAYACCOUNT", "amount": total }],
    })
}

fn waiting(a: &AliAccount, t: &AliTrade) -> Response {
    let node = json!({
        "code": "10003",
        "msg": "order success pay inprocess",
        "trade_no": t.trade_no,
        "out_trade_no": t.out_trade_no,
        "buyer_logon_id": t.buyer_logon_id,
        "buyer_user_id": t.buyer_id,
        "total_amount": util::yuan(t.total),
    });
    reply(a, method::PAY, &node.to_string())
}

fn bar_code_pay(sim: &Simulator, call: &Call) -> Response {
    let (a, api) = (&*call.account, method::PAY);
    if call.biz("scene") != "bar_code" {
        return invalid(a, api, "scene");
    }
    let (no, subject, total) = match order_fields(call) {
        Ok(f) => f,
        Err(what) => return invalid(a, api, what),
    };
    let code = call.biz("auth_code");
    if !valid_auth_code(code) {
        return fail(
            a,
            api,
            sub_code::PAYMENT_AUTH_CODE_INVALID,
            "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款",
        );
    }
    let now = util::now_unix();
    let Some(expires) = deadline(call, now) else { return invalid(a, api, "timeout_express") };
    let key: TradeKey = (a.app_id.clone(), no.clone());
    {
        let mut st = lock(&sim.ali);
        if let Some(t) = st.trades.get(&key) {
            if t.origin != Origin::BarCode || t.total != total {
                return fail(a, api, "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改");
            }
            let retry = t.failed && t.auth_code.as_deref() != Some(code);
            if !retry {
                return match t.status_now(now) {
                    TradeStatus::TradeSuccess | TradeStatus::TradeFinished => ok(a, api, &paid_fields(t)),
                    TradeStatus::TradeClosed => fail(a, api, sub_code::TRADE_HAS_CLOSE, "交易已经关闭"),
                    TradeStatus::WaitBuyerPay if t.failed => {
                        fail(a, api, sub_code::BUYER_BALANCE_NOT_ENOUGH, "买家余额不足")
                    }
                    TradeStatus::WaitBuyerPay => waiting(a, t),
                };
            }
        } else {
            st.create(&a.app_id, &no, &subject, total, Origin::BarCode, expires, call.param("notify_url"), None);
        }
        let t = st.trades.get_mut(&key).expect("created above");
        t.auth_code = Some(code.to_owned());
        t.failed = false;
        if code.ends_with("0000") {
            t.failed = true;
            return fail(a, api, sub_code::BUYER_BALANCE_NOT_ENOUGH, "买家余额不足");
        }
        if code.ends_with("1111") || code.ends_with("2222") {
            t.pending = true;
            if code.ends_with("1111") {
                let key = key.clone();
                sim.after(Duration::from_secs(sim.config.userpaying_secs), move |sim| {
                    let pending = lock(&sim.ali).trades.get(&key).is_some_and(|t| t.pending);
                    if pending {
                        let _ = sim.ali_pay(&key);
                    }
                });
            }
            return waiting(a, t);
        }
    }
    if let Err(why) = sim.ali_pay(&key) {
        return fail(a, api, sub_code::SYSTEM_ERROR, &why);
    }
    let st = lock(&sim.ali);
    ok(a, api, &paid_fields(&st.trades[&key]))
}

/// The visible trade named by `out_trade_no` or `trade_no` (`hidden` too: precreated but not
/// yet scanned).
fn find(st: &AliState, call: &Call, hidden: bool) -> Option<TradeKey> {
    let (no, trade_no) = (call.biz("out_trade_no"), call.biz("trade_no"));
    st.trades
        .values()
        .filter(|t| t.app_id == call.account.app_id && (hidden || t.visible))
        .find(|t| if no.is_empty() { !trade_no.is_empty() && t.trade_no == trade_no } else { t.out_trade_no == no })
        .map(|t| (t.app_id.clone(), t.out_trade_no.clone()))
}

fn not_exist(a: &AliAccount, api: &str) -> Response {
    fail(a, api, sub_code::TRADE_NOT_EXIST, "交易不存在")
}

fn query(sim: &Simulator, call: &Call) -> Response {
    let (a, api) = (&*call.account, method::QUERY);
    let st = lock(&sim.ali);
    let Some(key) = find(&st, call, false) else { return not_exist(a, api) };
    let t = &st.trades[&key];
    let mut fields = json!({
        "trade_no": t.trade_no,
        "out_trade_no": t.out_trade_no,
        "trade_status": t.status_now(util::now_unix()).as_str(),
        "total_amount": util::yuan(t.total),
        "buyer_logon_id": t.buyer_logon_id,
        "buyer_user_id": t.buyer_id,
    });
    if let (Some(paid_at), Some(map)) = (t.paid_at, fields.as_object_mut()) {
        let total = util::yuan(t.total);
        map.insert("buyer_pay_amount".into(), total.clone().into());
        map.insert("receipt_amount".into(), total.clone().into());
        map.insert("invoice_amount".into(), total.into());
        map.insert("point_amount".into(), "0.00".into());
        map.insert("send_pay_date".into(), timestamp_utc8(paid_at).into());
    }
    ok(a, api, &fields)
}

fn close(sim: &Simulator, call: &Call) -> Response {
    let (a, api) = (&*call.account, method::CLOSE);
    let mut st = lock(&sim.ali);
    let Some(key) = find(&st, call, false) else { return not_exist(a, api) };
    let t = st.trades.get_mut(&key).expect("found");
    match t.status_now(util::now_unix()) {
        TradeStatus::TradeSuccess | TradeStatus::TradeFinished => {
            return fail(a, api, sub_code::TRADE_STATUS_ERROR, "交易状态不合法");
        }
        TradeStatus::WaitBuyerPay | TradeStatus::TradeClosed => {
            t.status = TradeStatus::TradeClosed;
            t.pending = false;
        }
    }
    ok(a, api, &json!({ "trade_no": t.trade_no, "out_trade_no": t.out_trade_no }))
}

fn cancel(sim: &Simulator, call: &Call) -> Response {
    let (a, api) = (&*call.account, method::CANCEL);
    let mut st = lock(&sim.ali);
    let Some(key) = find(&st, call, true) else { return not_exist(a, api) };
    let t = st.trades.get_mut(&key).expect("found");
    let now = util::now_unix();
    if matches!(t.status_now(now), TradeStatus::TradeSuccess | TradeStatus::TradeFinished) {
        let remaining = t.total - t.refunded();
        if remaining > 0 {
            t.refunds.push(AliRefund {
                out_request_no: format!("cancel-{}", t.out_trade_no),
                amount: remaining,
                at: now,
            });
        }
    }
    t.status = TradeStatus::TradeClosed;
    t.pending = false;
    t.visible = true;
    let action = if t.paid_at.is_some() { "refund" } else { "close" };
    let mut fields =
        json!({ "trade_no": t.trade_no, "out_trade_no": t.out_trade_no, "retry_flag": "N", "action": action });
    if action == "refund"
        && let Some(map) = fields.as_object_mut()
    {
        map.insert("gmt_refund_pay".into(), timestamp_utc8(now).into());
    }
    ok(a, api, &fields)
}

fn refund(sim: &Simulator, call: &Call) -> Response {
    let (a, api) = (&*call.account, method::REFUND);
    let Some(amount) = util::parse_yuan(call.biz("refund_amount")) else { return invalid(a, api, "refund_amount") };
    let mut st = lock(&sim.ali);
    let Some(key) = find(&st, call, false) else { return not_exist(a, api) };
    let t = st.trades.get_mut(&key).expect("found");
    let request_no = match call.biz("out_request_no") {
        "" => t.out_trade_no.clone(),
        no if no.len() <= 64 => no.to_owned(),
        _ => return invalid(a, api, "out_request_no"),
    };
    let now = util::now_unix();
    let fund_change = match t.refunds.iter().find(|r| r.out_request_no == request_no) {
        Some(r) if r.amount == amount => "N",
        Some(_) => return fail(a, api, sub_code::REFUND_AMT_NOT_EQUAL_TOTAL, "退款金额与原退款请求不一致"),
        None if t.paid_at.is_none() => return fail(a, api, sub_code::TRADE_STATUS_ERROR, "交易状态不合法"),
        None if t.refunded() + amount > t.total => {
            return fail(a, api, sub_code::REFUND_AMT_NOT_EQUAL_TOTAL, "退款金额超限");
        }
        None => {
            t.refunds.push(AliRefund { out_request_no: request_no.clone(), amount, at: now });
            if t.refunded() == t.total {
                t.status = TradeStatus::TradeClosed;
            }
            "Y"
        }
    };
    let at = t.refunds.iter().find(|r| r.out_request_no == request_no).map_or(now, |r| r.at);
    ok(
        a,
        api,
        &json!({
            "trade_no": t.trade_no,
            "out_trade_no": t.out_trade_no,
            "buyer_logon_id": t.buyer_logon_id,
            "buyer_user_id": t.buyer_id,
            "fund_change": fund_change,
            "refund_fee": util::yuan(t.refunded()),
            "send_back_fee": util::yuan(amount),
            "gmt_refund_pay": timestamp_utc8(at),
        }),
    )
}

fn refund_query(sim: &Simulator, call: &Call) -> Response {
    let (a, api) = (&*call.account, method::REFUND_QUERY);
    let request_no = call.biz("out_request_no");
    if request_no.is_empty() {
        return invalid(a, api, "out_request_no");
    }
    let st = lock(&sim.ali);
    let Some(key) = find(&st, call, false) else { return not_exist(a, api) };
    let t = &st.trades[&key];
    let fields = match t.refunds.iter().find(|r| r.out_request_no == request_no) {
        Some(r) => json!({
            "trade_no": t.trade_no,
            "out_trade_no": t.out_trade_no,
            "out_request_no": r.out_request_no,
            "total_amount": util::yuan(t.total),
            "refund_amount": util::yuan(r.amount),
            "refund_status": sweep_alipay::types::REFUND_SUCCESS,
            "gmt_refund_pay": timestamp_utc8(r.at),
        }),
        None => json!({ "trade_no": t.trade_no, "out_trade_no": t.out_trade_no, "out_request_no": request_no }),
    };
    ok(a, api, &fields)
}
