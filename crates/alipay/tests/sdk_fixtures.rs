//! Byte-for-byte agreement with the official Alipay Python SDK (`alipay-sdk-python`), through
//! fixtures that `fixtures/make_fixtures.py` generated with the SDK's own functions and the
//! committed TEST-ONLY keys. See that script for how to regenerate them.

use serde_json::Value;
use sweep_alipay::types::{
    PrecreateRequest, PrecreateResponse, RefundRequest, RefundResponse, WapPayRequest, code, sub_code,
};
use sweep_alipay::{
    AlipayPublicKey, AppSigner, CommonParams, GatewayReply, TradeNotify, TradeStatus, decode_form, extract_node,
    notify_sign_content, page_url, sign_content, signed_error_response, signed_notify_form, signed_params,
    signed_response, timestamp_utc8, verify_notify, verify_reply, verify_request, verify_response,
};

const FIXTURES: &str = include_str!("fixtures/sdk_fixtures.json");
const APP_PRIVATE_PKCS1: &str = include_str!("fixtures/test_app_private_pkcs1.pem");
const APP_PRIVATE_PKCS8: &str = include_str!("fixtures/test_app_private_pkcs8.pem");
const APP_PUBLIC: &str = include_str!("fixtures/test_app_public.pem");
const ALIPAY_PRIVATE: &str = include_str!("fixtures/test_alipay_private_pkcs1.pem");
const ALIPAY_PUBLIC: &str = include_str!("fixtures/test_alipay_public.pem");

fn fixtures() -> Value {
    serde_json::from_str(FIXTURES).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array().unwrap().iter().map(|p| (s(&p[0]).to_owned(), s(&p[1]).to_owned())).collect()
}

fn refs(p: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    p.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

fn sorted(mut p: Vec<(String, String)>) -> Vec<(String, String)> {
    p.sort();
    p
}

fn request(name: &str) -> Value {
    let f = fixtures();
    f["requests"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone()
}

#[test]
fn request_signatures_match_the_sdk_byte_for_byte() {
    let f = fixtures();
    let app_pub = AlipayPublicKey::from_key_text(APP_PUBLIC).unwrap();
    // Every key form a merchant may paste signs identically (PKCS#1 v1.5 is deterministic).
    let bare_pkcs1 = sweep_alipay::pem_to_bare_base64(APP_PRIVATE_PKCS1).unwrap();
    let bare_pkcs8 = sweep_alipay::pem_to_bare_base64(APP_PRIVATE_PKCS8).unwrap();
    let signers = [APP_PRIVATE_PKCS1, APP_PRIVATE_PKCS8, &bare_pkcs1, &bare_pkcs8]
        .map(|text| AppSigner::from_key_text(text).unwrap());
    for r in f["requests"].as_array().unwrap() {
        let params = pairs(&r["params"]);
        assert_eq!(sign_content(refs(&params)), s(&r["sign_content"]), "{}", r["name"]);
        for signer in &signers {
            assert_eq!(signer.sign(s(&r["sign_content"])).unwrap(), s(&r["sign"]));
        }
        // The simulator accepts the SDK's request.
        verify_request(refs(&params), &app_pub).unwrap();
    }
}

/// Rebuilds each SDK request with `signed_params` and compares the whole form.
#[test]
fn signed_params_rebuild_the_sdk_forms() {
    let f = fixtures();
    assert_eq!(timestamp_utc8(f["timestamp_unix"].as_i64().unwrap()), s(&f["timestamp"]));
    let signer = AppSigner::from_key_text(APP_PRIVATE_PKCS1).unwrap();
    for r in f["requests"].as_array().unwrap() {
        let sdk = pairs(&r["params"]);
        let get = |k: &str| sdk.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let mut common =
            CommonParams::new(s(&f["app_id"]), s(&r["method"]), timestamp_utc8(f["timestamp_unix"].as_i64().unwrap()));
        common.notify_url = get("notify_url");
        common.return_url = get("return_url");
        let ours = signed_params(&common, s(&r["biz_content"]), &signer).unwrap();
        assert_eq!(sorted(ours.clone()), sorted(sdk.clone()), "{}", r["name"]);

        if r["name"] == "wap_pay" {
            // The SDK's GET redirect and ours carry the same parameters.
            let url = page_url(s(&f["gateway"]), &ours);
            let (base, query) = url.split_once('?').unwrap();
            assert_eq!(base, s(&f["gateway"]));
            let sdk_query = s(&r["sdk_output"]).split_once('?').unwrap().1;
            assert_eq!(sorted(decode_form(query.as_bytes())), sorted(decode_form(sdk_query.as_bytes())));
        }
    }
}

/// Our typed `biz_content` serialises exactly as the SDK's models do (keys sorted).
#[test]
fn typed_biz_content_matches_the_sdk_models() {
    let precreate = PrecreateRequest {
        out_trade_no: "SWP-20260102-0001".into(),
        store_id: Some("店-01".into()),
        subject: "扫码点单 \"7号桌\" & 加饭 100% <满意> +1 = a=b".into(),
        timeout_express: Some("15m".into()),
        total_amount: "88.88".into(),
    };
    assert_eq!(serde_json::to_string(&precreate).unwrap(), s(&request("precreate")["biz_content"]));

    let refund = RefundRequest {
        out_request_no: "SWP-20260102-0001-R1".into(),
        out_trade_no: "SWP-20260102-0001".into(),
        refund_amount: "12.30".into(),
        refund_reason: Some("菜品售罄（退款）\"快\" & 50% off; a+b=c".into()),
    };
    assert_eq!(serde_json::to_string(&refund).unwrap(), s(&request("refund")["biz_content"]));

    let mut wap = WapPayRequest::new("SWP-20260102-0002", "9.90", "小笼包 x2");
    wap.quit_url = Some("https://sweep.example/t/abc?from=alipay".into());
    assert_eq!(serde_json::to_string(&wap).unwrap(), s(&request("wap_pay")["biz_content"]));
}

#[test]
fn sdk_signed_notify_is_accepted_and_reproduced() {
    let f = fixtures();
    let n = &f["notify"];
    let alipay_pub = AlipayPublicKey::from_key_text(ALIPAY_PUBLIC).unwrap();
    let map = verify_notify(s(&n["body"]).as_bytes(), &alipay_pub).unwrap();
    let params = pairs(&n["params"]);
    assert_eq!(map.len(), params.len());
    for (k, v) in &params {
        assert_eq!(&map[k], v, "{k}");
    }
    assert_eq!(notify_sign_content(refs(&params)), s(&n["sign_content"]));
    assert!(!s(&n["sign_content"]).contains("sign_type"));
    assert!(!s(&n["sign_content"]).contains("passback_params"), "empty values are left out");

    let notify = TradeNotify::from_params(&map).unwrap();
    assert_eq!(notify.trade_status, TradeStatus::TradeSuccess);
    assert_eq!(notify.total_amount, "88.88");
    assert_eq!(notify.app_id, s(&f["app_id"]));
    assert_eq!(notify.gmt_payment.as_deref(), Some("2026-01-02 03:04:30"));
    assert_eq!(notify.refund_fee, None);

    // Our provider-side form carries the very signature the SDK made.
    let platform = AppSigner::from_key_text(ALIPAY_PRIVATE).unwrap();
    let body = signed_notify_form(refs(&params), &platform).unwrap();
    let ours = decode_form(body.as_bytes());
    let sign = ours.iter().find(|(k, _)| k == "sign").unwrap();
    assert_eq!(sign.1, s(&n["sign"]));
    assert_eq!(sorted(ours), sorted(params));
    // And the merchant side accepts it.
    verify_notify(body.as_bytes(), &alipay_pub).unwrap();
}

#[test]
fn sdk_verified_responses_are_accepted_and_reproduced() {
    let f = fixtures();
    let alipay_pub = AlipayPublicKey::from_key_text(ALIPAY_PUBLIC).unwrap();
    let platform = AppSigner::from_key_text(ALIPAY_PRIVATE).unwrap();
    for r in f["responses"].as_array().unwrap() {
        let (raw, method, node) = (s(&r["raw"]), s(&r["method"]), s(&r["node"]));
        assert_eq!(r["sdk_verified"], true);
        assert_eq!(s(&r["sdk_parse_response_returned"]), node);
        assert_eq!(extract_node(raw, s(&r["node_key"])).unwrap(), Some(node));
        let value = verify_response(raw, method, &alipay_pub).unwrap();
        assert_eq!(value, serde_json::from_str::<Value>(node).unwrap());
        // signed_response emits exactly the text the SDK verified.
        let ours = if r["node_key"] == "error_response" {
            signed_error_response(node, &platform).unwrap()
        } else {
            signed_response(method, node, &platform).unwrap()
        };
        assert_eq!(ours, raw, "{}", r["name"]);
    }
}

fn reply(name: &str) -> GatewayReply {
    let f = fixtures();
    let r = f["responses"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap();
    let key = AlipayPublicKey::from_key_text(ALIPAY_PUBLIC).unwrap();
    verify_reply(s(&r["raw"]), s(&r["method"]), &key).unwrap()
}

#[test]
fn replies_read_as_business_results() {
    let pre = reply("precreate_success");
    assert!(pre.is_success());
    let body: PrecreateResponse = pre.decode().unwrap();
    assert_eq!(body.qr_code, "https://qr.alipay.com/bax08431fzvjzu2vpplm0043");

    let refund = reply("refund_nested");
    assert!(refund.is_success());
    let body: RefundResponse = refund.decode().unwrap();
    assert_eq!((body.fund_change.as_str(), body.refund_fee.as_str()), ("Y", "12.30"));
    assert_eq!(refund.body["store_name"], "小店 \"七号\" {分店}");

    let missing = reply("query_not_exist");
    assert!(!missing.is_success());
    assert_eq!(missing.code, code::BUSINESS_FAILED);
    assert!(missing.has_sub_code(sub_code::TRADE_NOT_EXIST));
    assert_eq!(missing.sub_msg.as_deref(), Some("交易不存在"));

    let error = reply("error_response");
    assert_eq!(error.code, code::INVALID_PARAMETER);
    assert_eq!(error.sub_code.as_deref(), Some("isv.invalid-app-id"));
}
