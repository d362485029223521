//! The signed API v3 endpoints: prepay, query, close, codepay, reverse, refunds, certificates.

// Handlers return the finished error `Response` early; it is built once per rejected request.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde_json::json;
use sweep_wechatpay::types::{
    CertificateData, CertificatesResponse, CloseRequest, CodepayRequest, PrepayKind, PrepayRequest, Refund,
    RefundAmount, RefundRequest, RefundStatus, ReverseRequest, TradeState, TradeType, is_valid_out_no,
};
use sweep_wechatpay::{check_timestamp, encrypt_resource, parse_authorization, random_aead_nonce, verify_request};

use super::{Channel, WxAccount, WxRefund, WxTrade, error, json_response, signed, transaction};
use crate::{Simulator, lock, util};

type Sim = State<Arc<Simulator>>;

pub(super) fn routes() -> Router<Arc<Simulator>> {
    const TX: &str = "/wechat/v3/pay/transactions";
    Router::new()
        .route(&format!("{TX}/native"), post(|s: Sim, r: WxReq| prepay(s, PrepayKind::Native, r)))
        .route(&format!("{TX}/jsapi"), post(|s: Sim, r: WxReq| prepay(s, PrepayKind::Jsapi, r)))
        .route(&format!("{TX}/h5"), post(|s: Sim, r: WxReq| prepay(s, PrepayKind::H5, r)))
        .route(&format!("{TX}/codepay"), post(codepay))
        .route(&format!("{TX}/out-trade-no/{{no}}"), get(query))
        .route(&format!("{TX}/id/{{id}}"), get(query_by_id))
        .route(&format!("{TX}/out-trade-no/{{no}}/close"), post(close))
        .route(&format!("{TX}/out-trade-no/{{no}}/reverse"), post(reverse))
        .route("/wechat/v3/refund/domestic/refunds", post(refund))
        .route("/wechat/v3/refund/domestic/refunds/{no}", get(refund_query))
        .route("/wechat/v3/certificates", get(certificates))
}

/// A request as received: what the signature covers.
pub(super) struct WxReq {
    method: Method,
    original: Uri,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for WxReq {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Response> {
        let original = req.extensions().get::<OriginalUri>().map_or_else(|| req.uri().clone(), |o| o.0.clone());
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20)
            .await
            .map_err(|_| error(None, StatusCode::PAYLOAD_TOO_LARGE, "PARAM_ERROR", "请求体过大 / body too large"))?;
        Ok(Self { method: parts.method, original, uri: parts.uri, headers: parts.headers, body })
    }
}

fn sign_error(account: Option<&WxAccount>, why: &str) -> Response {
    error(account, StatusCode::UNAUTHORIZED, "SIGN_ERROR", &format!("签名错误 / signature check failed: {why}"))
}

/// Checks the `Authorization` header as WeChat Pay does and returns the merchant.
///
/// The signed path may be the full path the request arrived on (the simulator's mount prefix
/// included) or the path below the `/wechat` root (`/v3/...`), as a client that signs the
/// provider's documented paths would send.
fn authenticate(sim: &Simulator, req: &WxReq) -> Result<Arc<WxAccount>, Response> {
    let header = req.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let header = header.ok_or_else(|| sign_error(None, "missing Authorization header"))?;
    let auth = parse_authorization(header).map_err(|e| sign_error(None, &e.to_string()))?;
    let account = lock(&sim.wx).accounts.get(&auth.mchid).cloned();
    let account = account.ok_or_else(|| sign_error(None, "unknown mchid"))?;
    let a = Some(&*account);
    if !auth.serial_no.eq_ignore_ascii_case(&account.merchant_serial_no) {
        return Err(sign_error(a, "serial_no is not the merchant certificate serial"));
    }
    check_timestamp(auth.timestamp, util::now_unix()).map_err(|e| sign_error(a, &e.to_string()))?;
    let full = req.original.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let local = req.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let mut candidates = vec![full, local.clone()];
    if let Some(rest) = local.strip_prefix("/wechat") {
        candidates.push(rest.to_owned());
    }
    let method = req.method.as_str();
    if candidates.iter().any(|p| verify_request(&auth, &account.merchant_key, method, p, &req.body).is_ok()) {
        Ok(account)
    } else {
        Err(sign_error(a, "signature does not verify with the merchant key"))
    }
}

fn param_error(a: &WxAccount, what: &str) -> Response {
    error(Some(a), StatusCode::BAD_REQUEST, "PARAM_ERROR", &format!("参数错误 / invalid parameter: {what}"))
}

fn parse<T: DeserializeOwned>(a: &WxAccount, body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| param_error(a, &format!("body: {e}")))
}

fn duplicate_order(a: &WxAccount) -> Response {
    error(Some(a), StatusCode::BAD_REQUEST, "INVALID_REQUEST", "201 商户订单号重复")
}

fn not_exist(a: &WxAccount) -> Response {
    error(Some(a), StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在 / no such order")
}

macro_rules! attempt {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(response) => return response,
        }
    };
}

async fn prepay(State(sim): State<Arc<Simulator>>, kind: PrepayKind, req: WxReq) -> Response {
    let account = attempt!(authenticate(&sim, &req));
    let a = &*account;
    let body: PrepayRequest = attempt!(parse(a, &req.body));
    if let Err(field) = body.check(kind) {
        return param_error(a, field);
    }
    if body.mchid != a.mchid {
        return param_error(a, "mchid differs from the Authorization header");
    }
    if body.appid != a.appid {
        return error(
            Some(a),
            StatusCode::BAD_REQUEST,
            "APPID_MCHID_NOT_MATCH",
            "appid和mchid不匹配 / appid does not belong to mchid",
        );
    }
    if body.amount.currency != "CNY" {
        return param_error(a, "amount.currency");
    }
    if !util::is_http_url(&body.notify_url) || body.notify_url.contains('?') {
        return param_error(a, "notify_url must be an absolute http(s) URL without a query");
    }
    let now = util::now_unix();
    let expires = match body.time_expire.as_deref() {
        Some(t) => attempt!(util::parse_rfc3339(t).ok_or_else(|| param_error(a, "time_expire"))),
        None => now + 2 * 3600,
    };
    let channel = match kind {
        PrepayKind::Native => Channel::Native,
        PrepayKind::Jsapi => Channel::Jsapi,
        PrepayKind::H5 => Channel::H5,
    };
    let key = (a.mchid.clone(), body.out_trade_no.clone());
    let mut st = lock(&sim.wx);
    if let Some(t) = st.trades.get_mut(&key) {
        match t.state {
            TradeState::Success | TradeState::Refund => {
                return error(Some(a), StatusCode::BAD_REQUEST, "ORDERPAID", "该订单已支付 / order already paid");
            }
            TradeState::Closed | TradeState::Revoked => {
                return error(Some(a), StatusCode::BAD_REQUEST, "ORDER_CLOSED", "该订单已关闭 / order closed");
            }
            _ => {}
        }
        if t.channel == Channel::Codepay || t.total != body.amount.total || t.description != body.description {
            return duplicate_order(a);
        }
        if let Some(payer) = &body.payer {
            t.payer_openid = Some(payer.openid.clone());
        }
        if kind == PrepayKind::H5 {
            t.h5_issued = now;
        }
        return prepay_answer(&sim, a, kind, t);
    }
    st.seq += 1;
    let t = WxTrade {
        mchid: a.mchid.clone(),
        appid: a.appid.clone(),
        out_trade_no: body.out_trade_no.clone(),
        description: body.description.clone(),
        total: body.amount.total,
        attach: body.attach.clone(),
        notify_url: body.notify_url.clone(),
        channel,
        expires,
        state: TradeState::NotPay,
        trade_type: None,
        transaction_id: None,
        paid_at: None,
        payer_openid: body.payer.as_ref().map(|p| p.openid.clone()),
        prepay_id: format!("wx{}{}", util::ymd_cst(now), util::random_hex(26, false)),
        token: sweep_wechatpay::random_alnum(24),
        h5_package: util::random_digits(10),
        h5_issued: now,
        auth_code: None,
        notify_id: util::random_uuid(),
        seq: st.seq,
    };
    let response = prepay_answer(&sim, a, kind, &t);
    st.by_token.insert(t.token.clone(), key.clone());
    st.by_prepay.insert(t.prepay_id.clone(), key.clone());
    st.trades.insert(key, t);
    response
}

fn prepay_answer(sim: &Simulator, a: &WxAccount, kind: PrepayKind, t: &WxTrade) -> Response {
    let base = &sim.config.public_base;
    let body = match kind {
        PrepayKind::Native => json!({ "code_url": format!("{base}/wechat/scan/{}", t.token) }),
        PrepayKind::Jsapi => json!({ "prepay_id": t.prepay_id }),
        PrepayKind::H5 => json!({
            "h5_url": format!("{base}/wechat/h5?prepay_id={}&package={}", t.prepay_id, t.h5_package)
        }),
    };
    json_response(a, StatusCode::OK, &body)
}

/// The `mchid` query parameter, which must name the signing merchant.
fn check_mchid_query(a: &WxAccount, uri: &Uri) -> Result<(), Response> {
    let query = sweep_alipay::decode_form(uri.query().unwrap_or_default().as_bytes());
    match query.iter().find(|(k, _)| k == "mchid") {
        Some((_, m)) if *m == a.mchid => Ok(()),
        _ => Err(param_error(a, "mchid query parameter")),
    }
}

async fn query(State(sim): State<Arc<Simulator>>, Path(no): Path<String>, req: WxReq) -> Response {
    let account = attempt!(authenticate(&sim, &req));
    attempt!(check_mchid_query(&account, &req.uri));
    let st = lock(&sim.wx);
    match st.trades.get(&(account.mchid.clone(), no)) {
        Some(t) => json_response(&account, StatusCode::OK, &transaction(t, None)),
        None => not_exist(&account),
    }
}

async fn query_by_id(State(sim): State<Arc<Simulator>>, Path(id): Path<String>, req: WxReq) -> Response {
    let account = attempt!(authenticate(&sim, &req));
    attempt!(check_mchid_query(&account, &req.uri));
    let st = lock(&sim.wx);
    let found = st.trades.values().find(|t| t.mchid == account.mchid && t.transaction_id.as_deref() == Some(&id));
    match found {
        Some(t) => json_response(&account, StatusCode::OK, &transaction(t, None)),
        None => not_exist(&account),
    }
}

async fn close(State(sim): State<Arc<Simulator>>, Path(no): Path<String>, req: WxReq) -> Response {
    let account = attempt!(authenticate(&sim, &req));
    let a = &*account;
    let body: CloseRequest = attempt!(parse(a, &req.body));
    if body.mchid != a.mchid {
        return param_error(a, "mchid");
    }
    let mut st = lock(&sim.wx);
    let Some(t) = st.trades.get_mut(&(a.mchid.clone(), no)) else { return not_exist(a) };
    match t.state {
        TradeState::Success | TradeState::Refund => {
            error(Some(a), StatusCode::BAD_REQUEST, "ORDERPAID", "订单已支付，不能关闭 / order already paid")
        }
        TradeState::Closed | TradeState::Revoked => signed(Some(a), StatusCode::NO_CONTENT, Vec::new()),
        _ => {
            t.state = TradeState::Closed;
            signed(Some(a), StatusCode::NO_CONTENT, Vec::new())
        }
    }
}

/// Whether a payment code looks like WeChat's: 18 digits starting 10 to 15.
fn valid_auth_code(code: &str) -> bool {
    code.len() == 18
        && code.bytes().all(|b| b.is_ascii_digit())
        && matches!(&code[..2], "10" | "11" | "12" | "13" | "14" | "15")
}

fn userpaying(a: &WxAccount) -> Response {
    error(Some(a), StatusCode::ACCEPTED, "USERPAYING", "用户支付中，需要输入密码 / the payer is confirming")
}

fn not_enough(a: &WxAccount) -> Response {
    error(Some(a), StatusCode::FORBIDDEN, "NOTENOUGH", "用户余额不足 / the payer's balance is not enough")
}

async fn codepay(State(sim): State<Arc<Simulator>>, req: WxReq) -> Response {
    let account = attempt!(authenticate(&sim, &req));
    let a = &*account;
    let body: CodepayRequest = attempt!(parse(a, &req.body));
    if body.mchid != a.mchid {
        return param_error(a, "mchid");
    }
    if body.appid != a.appid {
        return error(Some(a), StatusCode::BAD_REQUEST, "APPID_MCHID_NOT_MATCH", "appid和mchid不匹配");
    }
    if body.description.is_empty() || !is_valid_out_no(&body.out_trade_no) || body.amount.total <= 0 {
        return param_error(a, "description, out_trade_no or amount.total");
    }
    let store = &body.scene_info.store_info;
    if store.id.as_deref().unwrap_or_default().is_empty() && store.out_id.as_deref().unwrap_or_default().is_empty() {
        return param_error(a, "scene_info.store_info");
    }
    let code = body.payer.auth_code.as_str();
    if !valid_auth_code(code) {
        return param_error(a, "payer.auth_code is not a WeChat payment code");
    }
    let key = (a.mchid.clone(), body.out_trade_no.clone());
    let now = util::now_unix();
    let mut st = lock(&sim.wx);
    if let Some(t) = st.trades.get(&key) {
        if t.channel != Channel::Codepay || t.total != body.amount.total {
            return duplicate_order(a);
        }
        let retry_with_new_code = t.state == TradeState::PayError && t.auth_code.as_deref() != Some(code);
        if !retry_with_new_code {
            return match t.state {
                TradeState::Success | TradeState::Refund => json_response(a, StatusCode::OK, &transaction(t, None)),
                TradeState::UserPaying => userpaying(a),
                TradeState::PayError => not_enough(a),
                TradeState::Revoked => error(Some(a), StatusCode::BAD_REQUEST, "ORDERREVERSED", "订单已撤销"),
                _ => error(Some(a), StatusCode::BAD_REQUEST, "ORDER_CLOSED", "订单已关闭"),
            };
        }
    }
    st.seq += 1;
    let seq = st.seq;
    let t = st.trades.entry(key.clone()).or_insert_with(|| WxTrade {
        mchid: a.mchid.clone(),
        appid: a.appid.clone(),
        out_trade_no: body.out_trade_no.clone(),
        description: body.description.clone(),
        total: body.amount.total,
        attach: body.attach.clone(),
        notify_url: String::new(),
        channel: Channel::Codepay,
        expires: now + 2 * 3600,
        state: TradeState::NotPay,
        trade_type: Some(TradeType::Micropay),
        transaction_id: None,
        paid_at: None,
        payer_openid: None,
        prepay_id: String::new(),
        token: String::new(),
        h5_package: String::new(),
        h5_issued: now,
        auth_code: None,
        notify_id: util::random_uuid(),
        seq,
    });
    t.auth_code = Some(code.to_owned());
    t.transaction_id.get_or_insert_with(super::new_transaction_id);
    if code.ends_with("0000") {
        t.state = TradeState::PayError;
        return not_enough(a);
    }
    if code.ends_with("1111") || code.ends_with("2222") {
        t.state = TradeState::UserPaying;
        if code.ends_with("1111") {
            sim.after(Duration::from_secs(sim.config.userpaying_secs), move |sim| {
                let still_paying = lock(&sim.wx).trades.get(&key).is_some_and(|t| t.state == TradeState::UserPaying);
                if still_paying {
                    let _ = sim.wx_pay(&key, Some(TradeType::Micropay), None);
                }
            });
        }
        return userpaying(a);
    }
    t.state = TradeState::Success;
    t.paid_at = Some(now);
    t.payer_openid = Some(super::new_openid());
    json_response(a, StatusCode::OK, &transaction(t, None))
}

async fn reverse(State(sim): State<Arc<Simulator>>, Path(no): Path<String>, req: WxReq) -> Response {
    let account = attempt!(authenticate(&sim, &req));
    let a = &*account;
    let body: ReverseRequest = attempt!(parse(a, &req.body));
    if body.mchid != a.mchid || body.appid != a.appid {
        return error(Some(a), StatusCode::BAD_REQUEST, "APPID_MCHID_NOT_MATCH", "appid和mchid不匹配");
    }
    let mut st = lock(&sim.wx);
    let Some(t) = st.trades.get_mut(&(a.mchid.clone(), no)) else { return not_exist(a) };
    if t.channel != Channel::Codepay {
        return error(
            Some(a),
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "非付款码订单不能撤销 / only payment-code orders can be reversed",
        );
    }
    if t.state == TradeState::Refund {
        return error(
            Some(a),
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "订单已发生退款，不能撤销 / order has refunds",
        );
    }
    // A paid order is refunded in full by the reversal; an unpaid one is closed.
    t.state = TradeState::Revoked;
    signed(Some(a), StatusCode::NO_CONTENT, Vec::new())
}

/// `out_refund_no`: 1 to 64 of `[0-9A-Za-z_-|*@]`.
fn valid_out_refund_no(no: &str) -> bool {
    (1..=64).contains(&no.len()) && no.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-|*@".contains(&b))
}

pub(super) fn refund_json(r: &WxRefund) -> Refund {
    Refund {
        refund_id: r.refund_id.clone(),
        out_refund_no: r.out_refund_no.clone(),
        transaction_id: r.transaction_id.clone(),
        out_trade_no: r.out_trade_no.clone(),
        channel: Some("ORIGINAL".to_owned()),
        user_received_account: Some("支付用户零钱".to_owned()),
        success_time: r.succeeded.map(util::rfc3339_cst),
        create_time: util::rfc3339_cst(r.created),
        status: if r.succeeded.is_some() { RefundStatus::Success } else { RefundStatus::Processing },
        amount: RefundAmount {
            total: r.total,
            refund: r.refund,
            payer_total: Some(r.total),
            payer_refund: Some(r.refund),
            settlement_refund: Some(r.refund),
            settlement_total: Some(r.total),
            discount_refund: Some(0),
            currency: Some("CNY".to_owned()),
        },
    }
}

fn no_resource(a: &WxAccount, what: &str) -> Response {
    error(Some(a), StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", what)
}

async fn refund(State(sim): State<Arc<Simulator>>, req: WxReq) -> Response {
    let account = attempt!(authenticate(&sim, &req));
    let a = &*account;
    let body: RefundRequest = attempt!(parse(a, &req.body));
    if !valid_out_refund_no(&body.out_refund_no) || body.amount.refund <= 0 || body.amount.currency != "CNY" {
        return param_error(a, "out_refund_no or amount");
    }
    if body.notify_url.as_deref().is_some_and(|u| !util::is_http_url(u)) {
        return param_error(a, "notify_url");
    }
    let mut st = lock(&sim.wx);
    let trade = st.trades.values().find(|t| {
        t.mchid == a.mchid
            && (body.out_trade_no.as_deref() == Some(t.out_trade_no.as_str())
                || (body.out_trade_no.is_none()
                    && body.transaction_id.is_some()
                    && body.transaction_id == t.transaction_id))
    });
    let Some(trade) = trade else { return no_resource(a, "订单不存在 / no such order") };
    let key = (a.mchid.clone(), trade.out_trade_no.clone());
    let refund_key = (a.mchid.clone(), body.out_refund_no.clone());
    if let Some(r) = st.refunds.get(&refund_key) {
        if r.out_trade_no == key.1 && r.refund == body.amount.refund && r.total == body.amount.total {
            return json_response(a, StatusCode::OK, &refund_json(r));
        }
        return error(
            Some(a),
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "退款单号重复，但退款信息不一致 / out_refund_no reused with other details",
        );
    }
    let trade = &st.trades[&key];
    if trade.paid_at.is_none() || !matches!(trade.state, TradeState::Success | TradeState::Refund) {
        return no_resource(a, "订单未支付 / the order is not paid");
    }
    if body.amount.total != trade.total {
        return error(
            Some(a),
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "订单金额与请求不一致 / amount.total is not the order total",
        );
    }
    if st.refunded(&key.0, &key.1) + body.amount.refund > trade.total {
        return error(
            Some(a),
            StatusCode::BAD_REQUEST,
            "NOT_ENOUGH",
            "申请退款金额超过订单可退金额 / refunds would exceed the order total",
        );
    }
    let now = util::now_unix();
    let r = WxRefund {
        refund_id: format!("50{}{}", util::ymd_cst(now), util::random_digits(19)),
        out_refund_no: body.out_refund_no.clone(),
        out_trade_no: key.1.clone(),
        transaction_id: trade.transaction_id.clone().unwrap_or_default(),
        total: trade.total,
        refund: body.amount.refund,
        created: now,
        succeeded: None,
        notify_url: body.notify_url.clone(),
    };
    let response = json_response(a, StatusCode::OK, &refund_json(&r));
    st.refunds.insert(refund_key.clone(), r);
    if let Some(t) = st.trades.get_mut(&key) {
        t.state = TradeState::Refund;
    }
    let account = Arc::clone(&account);
    sim.after(Duration::from_millis(sim.config.refund_processing_ms), move |sim| {
        let outgoing = {
            let mut st = lock(&sim.wx);
            let Some(r) = st.refunds.get_mut(&refund_key) else { return };
            r.succeeded = Some(util::now_unix());
            super::notify::refund(account, r)
        };
        if let Some(out) = outgoing {
            sim.dispatch(out);
        }
    });
    response
}

async fn refund_query(State(sim): State<Arc<Simulator>>, Path(no): Path<String>, req: WxReq) -> Response {
    let account = attempt!(authenticate(&sim, &req));
    let st = lock(&sim.wx);
    match st.refunds.get(&(account.mchid.clone(), no)) {
        Some(r) => json_response(&account, StatusCode::OK, &refund_json(r)),
        None => no_resource(&account, "退款单不存在 / no such refund"),
    }
}

async fn certificates(State(sim): State<Arc<Simulator>>, req: WxReq) -> Response {
    let account = attempt!(authenticate(&sim, &req));
    let a = &*account;
    let resource = encrypt_resource(&a.api_v3_key, &random_aead_nonce(), "certificate", a.cert_pem.as_bytes());
    let Ok(encrypt_certificate) = resource else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "cannot encrypt").into_response();
    };
    let body = CertificatesResponse {
        data: vec![CertificateData {
            serial_no: a.cert_signer.serial().to_owned(),
            effective_time: util::rfc3339_cst(a.cert_not_before),
            expire_time: util::rfc3339_cst(a.cert_not_after),
            encrypt_certificate,
        }],
    };
    json_response(a, StatusCode::OK, &body)
}
