//! What must be refused, and the key formats merchants paste. Uses the TEST-ONLY keys in
//! `fixtures/`.

use sweep_alipay::types::{PrecreateRequest, PrecreateResponse, method, success_node};
use sweep_alipay::{
    AlipayPublicKey, AppSigner, CommonParams, Error, TradeNotify, decode_form, encode_form, generate_rsa_2048,
    notify_sign_content, page_url, parse_unverified, sign_content, signed_error_response, signed_notify_form,
    signed_params, signed_response, verify_notify, verify_request, verify_response,
};

const APP_PRIVATE_PKCS1: &str = include_str!("fixtures/test_app_private_pkcs1.pem");
const APP_PRIVATE_PKCS8: &str = include_str!("fixtures/test_app_private_pkcs8.pem");
const APP_PUBLIC: &str = include_str!("fixtures/test_app_public.pem");
const ALIPAY_PRIVATE: &str = include_str!("fixtures/test_alipay_private_pkcs1.pem");
const ALIPAY_PUBLIC: &str = include_str!("fixtures/test_alipay_public.pem");

fn app() -> (AppSigner, AlipayPublicKey) {
    let s = AppSigner::from_key_text(APP_PRIVATE_PKCS1).unwrap();
    (s, AlipayPublicKey::from_key_text(APP_PUBLIC).unwrap())
}

fn platform() -> (AppSigner, AlipayPublicKey) {
    let s = AppSigner::from_key_text(ALIPAY_PRIVATE).unwrap();
    (s, AlipayPublicKey::from_key_text(ALIPAY_PUBLIC).unwrap())
}

type Form = Vec<(String, String)>;

fn refs(p: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    p.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

fn request_form() -> Vec<(String, String)> {
    let biz = PrecreateRequest {
        out_trade_no: "SWP-1".into(),
        store_id: None,
        subject: "咖啡 & 蛋糕".into(),
        timeout_express: Some("15m".into()),
        total_amount: "30.00".into(),
    };
    let common = CommonParams::new("2021000000000001", method::PRECREATE, "2026-01-02 03:04:05".into())
        .with_notify_url("https://sweep.example/n");
    signed_params(&common, &serde_json::to_string(&biz).unwrap(), &app().0).unwrap()
}

fn set(p: &mut [(String, String)], key: &str, value: &str) {
    p.iter_mut().find(|(k, _)| k == key).unwrap().1 = value.to_owned();
}

#[test]
fn requests_are_refused_when_changed() {
    let (_, app_pub) = app();
    let form = request_form();
    assert_eq!(form.last().unwrap().0, "sign");
    assert!(form.iter().any(|(k, v)| k == "format" && v == "JSON"));
    verify_request(refs(&form), &app_pub).unwrap();

    // Re-ordered: the content is sorted, so order on the wire does not matter.
    let mut reversed = form.clone();
    reversed.reverse();
    verify_request(refs(&reversed), &app_pub).unwrap();

    let biz = &form.iter().find(|(k, _)| k == "biz_content").unwrap().1;
    assert!(biz.contains("\"30.00\""));
    let mut tampered = form.clone();
    set(&mut tampered, "biz_content", &biz.replace("30.00", "3.00"));
    assert!(matches!(verify_request(refs(&tampered), &app_pub), Err(Error::BadSignature)));

    let mut extra = form.clone();
    extra.push(("app_auth_token".into(), "x".into()));
    assert!(matches!(verify_request(refs(&extra), &app_pub), Err(Error::BadSignature)));

    // An empty extra parameter is outside the signature by the rule, so it is harmless.
    let mut empty = form.clone();
    empty.push(("return_url".into(), String::new()));
    verify_request(refs(&empty), &app_pub).unwrap();

    let mut dup = form.clone();
    dup.push(("method".into(), method::REFUND.into()));
    assert!(matches!(verify_request(refs(&dup), &app_pub), Err(Error::DuplicateParam(k)) if k == "method"));

    let no_sign: Vec<_> = form.iter().filter(|(k, _)| k != "sign").cloned().collect();
    assert!(matches!(verify_request(refs(&no_sign), &app_pub), Err(Error::MissingSign)));

    let mut rsa1 = form.clone();
    set(&mut rsa1, "sign_type", "RSA");
    assert!(matches!(verify_request(refs(&rsa1), &app_pub), Err(Error::UnsupportedSignType(_))));

    let mut gbk = form.clone();
    set(&mut gbk, "charset", "GBK");
    assert!(matches!(verify_request(refs(&gbk), &app_pub), Err(Error::UnsupportedCharset(_))));

    // Signed by someone else's key.
    let (_, platform_pub) = platform();
    assert!(matches!(verify_request(refs(&form), &platform_pub), Err(Error::BadSignature)));

    let mut junk = form.clone();
    set(&mut junk, "sign", "not base64!");
    assert!(matches!(verify_request(refs(&junk), &app_pub), Err(Error::SignatureEncoding)));
}

#[test]
fn signed_params_only_sign_rsa2_utf8() {
    let mut common = CommonParams::new("2021000000000001", method::QUERY, "2026-01-02 03:04:05".into());
    common.sign_type = "RSA".into();
    assert!(matches!(signed_params(&common, "{}", &app().0), Err(Error::UnsupportedSignType(_))));
    common.sign_type = "RSA2".into();
    common.charset = "GBK".into();
    assert!(matches!(signed_params(&common, "{}", &app().0), Err(Error::UnsupportedCharset(_))));
}

#[test]
fn request_rule_keeps_sign_type_and_sorts() {
    let (signer, app_pub) = app();
    let form = request_form();
    let unsigned: Vec<_> = form.iter().filter(|(k, _)| k != "sign").cloned().collect();
    // Signing the notify-rule content (sign_type left out) is not accepted for a request.
    let mut wrong = unsigned.clone();
    wrong.push(("sign".into(), signer.sign(&notify_sign_content(refs(&unsigned))).unwrap()));
    assert!(matches!(verify_request(refs(&wrong), &app_pub), Err(Error::BadSignature)));
    // Nor is a signature over the parameters joined in wire order instead of sorted.
    let joined: Vec<String> = unsigned.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_ne!(joined.join("&"), sign_content(refs(&unsigned)));
    let mut unsorted = unsigned.clone();
    unsorted.push(("sign".into(), signer.sign(&joined.join("&")).unwrap()));
    assert!(matches!(verify_request(refs(&unsorted), &app_pub), Err(Error::BadSignature)));
}

fn notify_params() -> Vec<(String, String)> {
    [
        ("notify_id", "n-1"),
        ("notify_time", "2026-01-02 03:04:31"),
        ("notify_type", "trade_status_sync"),
        ("app_id", "2021000000000001"),
        ("out_trade_no", "SWP-1"),
        ("trade_no", "2026010222001"),
        ("trade_status", "TRADE_SUCCESS"),
        ("total_amount", "30.00"),
        ("seller_id", "2088000000000001"),
        ("subject", "咖啡 & 蛋糕 100% a+b=c"),
        ("body", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[test]
fn notifications_are_refused_when_changed() {
    let (signer, alipay_pub) = platform();
    let params = notify_params();
    let body = signed_notify_form(refs(&params), &signer).unwrap();
    let map = verify_notify(body.as_bytes(), &alipay_pub).unwrap();
    assert_eq!(map["subject"], "咖啡 & 蛋糕 100% a+b=c");
    assert_eq!(map["sign_type"], "RSA2");
    assert_eq!(TradeNotify::from_params(&map).unwrap().trade_no, "2026010222001");

    let decoded = decode_form(body.as_bytes());
    let edit = |f: &dyn Fn(&mut Form)| {
        let mut p = decoded.clone();
        f(&mut p);
        verify_notify(encode_form(&p).as_bytes(), &alipay_pub)
    };
    assert!(matches!(edit(&|p| set(p, "total_amount", "300.00")), Err(Error::BadSignature)));
    assert!(matches!(edit(&|p| p.push(("refund_fee".into(), "1".into()))), Err(Error::BadSignature)));
    assert!(matches!(edit(&|p| p.retain(|(k, _)| k != "subject")), Err(Error::BadSignature)));
    assert!(matches!(edit(&|p| p.push(("trade_status".into(), "TRADE_CLOSED".into()))), Err(Error::DuplicateParam(_))));
    assert!(matches!(edit(&|p| set(p, "sign_type", "RSA")), Err(Error::UnsupportedSignType(_))));
    // sign_type and empty values are outside the notify signature.
    edit(&|p| p.retain(|(k, _)| k != "sign_type")).unwrap();
    edit(&|p| p.retain(|(k, _)| k != "body")).unwrap();
    edit(&|p| p.push(("passback_params".into(), String::new()))).unwrap();
    edit(&|p| p.reverse()).unwrap();

    // A notification signed WITH sign_type in the content (the request rule) is refused.
    let mut with_type = params.clone();
    with_type.push(("sign_type".into(), "RSA2".into()));
    let sign = signer.sign(&sign_content(refs(&with_type))).unwrap();
    with_type.push(("sign".into(), sign));
    assert!(matches!(verify_notify(encode_form(&with_type).as_bytes(), &alipay_pub), Err(Error::BadSignature)));

    // Decoded once: a value that itself looks URL-encoded stays as sent.
    let mut encoded_value = params.clone();
    set(&mut encoded_value, "subject", "50%25 off %E4%B8%AD");
    let body = signed_notify_form(refs(&encoded_value), &signer).unwrap();
    let map = verify_notify(body.as_bytes(), &alipay_pub).unwrap();
    assert_eq!(map["subject"], "50%25 off %E4%B8%AD");

    // Wrong key: the merchant's own public key is not Alipay's.
    let (_, app_pub) = app();
    assert!(matches!(verify_notify(body.as_bytes(), &app_pub), Err(Error::BadSignature)));
    assert!(matches!(verify_notify(b"a=1&b=2", &alipay_pub), Err(Error::MissingSign)));
}

#[test]
fn trade_notify_needs_its_fields() {
    let mut map: std::collections::BTreeMap<String, String> = notify_params().into_iter().collect();
    map.insert("trade_status".into(), "TRADE_PENDING".into());
    assert!(matches!(TradeNotify::from_params(&map), Err(Error::UnexpectedValue { .. })));
    map.insert("trade_status".into(), "TRADE_FINISHED".into());
    assert!(TradeNotify::from_params(&map).unwrap().trade_status.is_paid());
    map.insert("seller_id".into(), String::new());
    assert!(matches!(TradeNotify::from_params(&map), Err(Error::MissingField(f)) if f == "seller_id"));
}

/// A node with nested objects, arrays, braces and escaped quotes inside strings, and a decoy
/// `"sign"` inside a string.
const TRICKY_NODE: &str = r#"{"code":"10000","msg":"Success","out_trade_no":"SWP-1","qr_code":"https:\/\/qr.alipay.com\/x","extra":{"a":[{"b":"}}]]"},{"c":"\"{\\\""}],"note":"},\"sign\":\"forged\"}"}}"#;

#[test]
fn responses_verify_over_the_raw_node_text() {
    let (signer, alipay_pub) = platform();
    let raw = signed_response(method::PRECREATE, TRICKY_NODE, &signer).unwrap();
    let node = verify_response(&raw, method::PRECREATE, &alipay_pub).unwrap();
    assert_eq!(node["extra"]["a"][1]["c"], "\"{\\\"");
    let sign = raw.rsplit_once("\"sign\":\"").unwrap().1.trim_end_matches("\"}");

    // Whitespace around the node and the sign placed first do not matter ...
    let spaced = format!("\n{{ \"sign\" : \"{sign}\" ,\n \"alipay_trade_precreate_response\" :\t{TRICKY_NODE} }} ");
    verify_response(&spaced, method::PRECREATE, &alipay_pub).unwrap();
    // ... a decoy response key inside another member's string is ignored ...
    let decoy = format!(
        r#"{{"x":"\"alipay_trade_precreate_response\":{{\"code\":\"10000\"}}","alipay_trade_precreate_response":{TRICKY_NODE},"sign":"{sign}"}}"#
    );
    verify_response(&decoy, method::PRECREATE, &alipay_pub).unwrap();

    // ... but the node re-serialised (here: `\/` unescaped) no longer verifies,
    let reserialised = serde_json::to_string(&node).unwrap();
    let re = format!(r#"{{"alipay_trade_precreate_response":{reserialised},"sign":"{sign}"}}"#);
    assert!(matches!(verify_response(&re, method::PRECREATE, &alipay_pub), Err(Error::BadSignature)));
    // nor does a one-byte change inside a nested string,
    let tampered = raw.replacen("}}]]", "}}]}", 1);
    assert!(matches!(verify_response(&tampered, method::PRECREATE, &alipay_pub), Err(Error::BadSignature)));
    // nor the right node under another method's name, nor another key.
    assert!(matches!(verify_response(&raw, method::QUERY, &alipay_pub), Err(Error::MissingNode(_))));
    let (_, app_pub) = app();
    assert!(matches!(verify_response(&raw, method::PRECREATE, &app_pub), Err(Error::BadSignature)));

    let unsigned = format!(r#"{{"alipay_trade_precreate_response":{TRICKY_NODE}}}"#);
    assert!(matches!(verify_response(&unsigned, method::PRECREATE, &alipay_pub), Err(Error::MissingSign)));
    assert_eq!(parse_unverified(&unsigned, method::PRECREATE).unwrap().code, "10000");
    let twice = format!(
        r#"{{"alipay_trade_precreate_response":{TRICKY_NODE},"alipay_trade_precreate_response":{{"code":"10000"}},"sign":"{sign}"}}"#
    );
    assert!(verify_response(&twice, method::PRECREATE, &alipay_pub).is_err());
    let both = format!(
        r#"{{"alipay_trade_precreate_response":{TRICKY_NODE},"error_response":{{"code":"40002"}},"sign":"{sign}"}}"#
    );
    assert!(matches!(verify_response(&both, method::PRECREATE, &alipay_pub), Err(Error::MalformedResponse(_))));
    for broken in [&raw[..raw.len() - 1], "", "[]", "{\"sign\":1}"] {
        assert!(verify_response(broken, method::PRECREATE, &alipay_pub).is_err(), "{broken}");
    }
}

#[test]
fn error_responses_verify_and_read() {
    let (signer, alipay_pub) = platform();
    let node = r#"{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}"#;
    let raw = signed_error_response(node, &signer).unwrap();
    assert!(raw.starts_with(r#"{"error_response":{"code":"40002""#));
    let reply = sweep_alipay::verify_reply(&raw, method::REFUND, &alipay_pub).unwrap();
    assert!(!reply.is_success());
    assert!(reply.has_sub_code("isv.invalid-signature"));
    let forged = raw.replace("40002", "10000");
    assert!(matches!(verify_response(&forged, method::REFUND, &alipay_pub), Err(Error::BadSignature)));
    assert!(signed_response(method::REFUND, " {\"code\":\"10000\"}", &signer).is_err());
    assert!(signed_response(method::REFUND, "[1]", &signer).is_err());
}

#[test]
fn simulator_nodes_round_trip() {
    let (signer, alipay_pub) = platform();
    let fields = PrecreateResponse { out_trade_no: "SWP-1".into(), qr_code: "https://qr.example/1".into() };
    let raw = signed_response(method::PRECREATE, &success_node(&fields).unwrap(), &signer).unwrap();
    let reply = sweep_alipay::verify_reply(&raw, method::PRECREATE, &alipay_pub).unwrap();
    assert!(reply.is_success());
    assert_eq!(reply.decode::<PrecreateResponse>().unwrap(), fields);
}

#[test]
fn key_formats_and_debug() {
    let pkcs1 = AppSigner::from_key_text(APP_PRIVATE_PKCS1).unwrap();
    let pkcs8 = AppSigner::from_key_text(APP_PRIVATE_PKCS8).unwrap();
    let bare = sweep_alipay::pem_to_bare_base64(APP_PRIVATE_PKCS1).unwrap();
    let escaped = APP_PRIVATE_PKCS8.replace('\n', "\\n");
    let from_bare = AppSigner::from_key_text(&format!("  {bare}\n")).unwrap();
    let from_escaped = AppSigner::from_key_text(&escaped).unwrap();
    let sig = pkcs1.sign("a=1").unwrap();
    for other in [&pkcs8, &from_bare, &from_escaped] {
        assert_eq!(other.sign("a=1").unwrap(), sig);
    }
    let public = AlipayPublicKey::from_key_text(APP_PUBLIC).unwrap();
    public.verify("a=1", &sig).unwrap();
    assert!(matches!(public.verify("a=2", &sig), Err(Error::BadSignature)));
    assert!(matches!(public.verify("a=1", ""), Err(Error::MissingSign)));
    assert_eq!(pkcs1.public_key().unwrap().to_spki_der(), public.to_spki_der());
    AlipayPublicKey::from_key_text(&public.to_bare_base64()).unwrap().verify("a=1", &sig).unwrap();
    AlipayPublicKey::from_key_text(&public.to_spki_pem()).unwrap().verify("a=1", &sig).unwrap();

    let debug = format!("{pkcs1:?}");
    assert!(debug.contains("2048"), "{debug}");
    assert!(!debug.contains(&bare[40..60]), "{debug}");

    for bad in ["", "not a key", APP_PUBLIC, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"] {
        assert!(AppSigner::from_key_text(bad).is_err(), "{bad}");
    }
    assert!(AlipayPublicKey::from_key_text(APP_PRIVATE_PKCS8).is_err());
    assert!(AlipayPublicKey::from_key_text("-----BEGIN PUBLIC KEY-----\nAAAA").is_err());
}

#[test]
fn generated_keys_work_in_every_form() {
    let (private_pem, public_pem) = generate_rsa_2048().unwrap();
    assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let signer = AppSigner::from_key_text(&private_pem).unwrap();
    let bare_signer = AppSigner::from_key_text(&sweep_alipay::pem_to_bare_base64(&private_pem).unwrap()).unwrap();
    let key = AlipayPublicKey::from_key_text(&sweep_alipay::pem_to_bare_base64(&public_pem).unwrap()).unwrap();
    key.verify("x", &signer.sign("x").unwrap()).unwrap();
    assert_eq!(bare_signer.sign("x").unwrap(), signer.sign("x").unwrap());
    let (other, _) = generate_rsa_2048().unwrap();
    assert_ne!(other, private_pem);
}

#[test]
fn page_url_encodes_everything() {
    let form = request_form();
    let url = page_url("https://openapi.alipay.com/gateway.do", &form);
    let (base, query) = url.split_once('?').unwrap();
    assert_eq!(base, "https://openapi.alipay.com/gateway.do");
    assert!(!query.contains(' ') && !query.contains('{') && !query.contains('咖'));
    assert_eq!(decode_form(query.as_bytes()), form);
    let url = page_url("https://gw.example/gateway.do?charset=utf-8", &form[..1]);
    assert_eq!(url, "https://gw.example/gateway.do?charset=utf-8&app_id=2021000000000001");
}
