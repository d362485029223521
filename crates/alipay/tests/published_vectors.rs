//! Vectors published in Alipay's official SDK repositories, copied verbatim (data only) with
//! the repository and file named at each one. The keys here are Alipay's own public keys or
//! public keys of Alipay's test apps; the signatures were made by Alipay (notifications) or by
//! the SDK authors' test apps (requests).

use std::collections::BTreeMap;

use sweep_alipay::{
    AlipayPublicKey, Error, TradeNotify, TradeStatus, encode_form, extract_node, notify_sign_content, sign_content,
    verify_notify, verify_request,
};

/// Public key of the Java SDK's test app 2019091767145019: the SubjectPublicKeyInfo inside
/// alipay/alipay-sdk-java-all `src/test/resources/fixture/appCertPublicKey_2019091767145019.crt`
/// (taken out with `openssl x509 -pubkey -noout`), the key `RSACheckTest` verifies with.
const JAVA_TEST_APP_PUBLIC_KEY: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjuWo0SEz7Oa6h927DFEL8d4BxhbVLX9iahEQXvURXZu3jF7FyzSneE8YTEzUhe6vscRl9zWOyr7tTaSFGg0RWxp0FkyxU9O1zdqK6IdY3+BSJJvi4z+GcBFBJS3UzuYRfGklHPSRYmxJSqNzHYGi+7TRwYVshkZe/8fzpDMF8+lF32oBPfSt9KJlvcKO2J5UxOrrTCZYh13z/WtmkbL4QRcEYaRc5CgZMGBReh9AjPCtaKABM23/42DHrS440x4lMuTVFij7UX9XaJY2CwQKqFTrbzeJDpJyOZSGs5VW6HbRM5JoXHbFzM0LULDmo/6Ea0hOdi4YhMNXFKGjWT7ThQIDAQAB";

/// alipay/alipay-sdk-java-all `src/test/java/com/alipay/api/RSACheckTest.java`,
/// `should_pass_rsa_check_when_sign_type_is_rsa2` (checked there with `rsaCheckV2`, which
/// leaves out only `sign`: the request rule).
const JAVA_RSA2_SIGN: &str = "JzoDc8VxY1/w6yN9WdWV10aipS3YcRpK+jw4xfLybf90ZK9L3AHLUJbNLWVnHW3IuLoJbBeSGVxSbPBhe4ggPklcYUkPowgtlZ6YlthuQDtjF23h2obXuXkQRd+RPbDWvOA5AYQjsKH8uSHil5aRARewPIPhukl9Mn4HEovUccsBR/RirQFSGmGYiMM0zvhVSR7pXZDEhiADzvzAkvVVTI1/HbNqcoBU4ctSPAGsuDPO/mah1+IwGQAuPP6xoEPL+3zQ0wztQCwHT2o8aQmxFJ9a09q8ybRprHaNjCgTaLDeTWE0o1pllZIE8c7wnG3cOuj6quYjTcQyLm6P4M87Zw==";

/// Same file, `should_pass_rsa_check_when_charset_is_utf8` (a Chinese value, `extra=中文测试`).
const JAVA_UTF8_SIGN: &str = "KrRGUY3/2JX3KtlLgus8CbK0xuUIBDCpOdJkVzJDefez6HvlA8RA6uCVj2rrMd7DgVfarG5SROdSnkZbf8MLKHbVoFqi9w0QCvto9mc8n3ezfWejZECJVCZhbJ3OslB+4gij9+F70usrnCNEJZm02ntyNdVzcqMbgdRMB93BJIRC1jjmCotpXgXWrRdTb/SfhIAkoHqgGi2aCUHuLDInLGZCn8NeziGWMnFOic6/sE/nMpwriOmwLb2nyzD0fGiolwuuxlOGMcBHAb22J8XqchFHyCpbs2A/rWdJMjhUfqsErbtZQM93fi1xfL2pUa9RMWX0Q81Qk7iSEeHCR+NGyQ==";

fn java_params<'a>(extra: Option<&'a str>, sign: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("method", "koubei.marketing.data.indicator.query"),
        ("app_id", "2019090366875133"),
        ("sign_type", "RSA2"),
        ("sign", sign),
    ];
    if let Some(extra) = extra {
        p.push(("extra", extra));
    }
    p
}

#[test]
fn java_sdk_rsa_check_v2_vectors_follow_the_request_rule() {
    let key = AlipayPublicKey::from_key_text(JAVA_TEST_APP_PUBLIC_KEY).unwrap();

    let plain = java_params(None, JAVA_RSA2_SIGN);
    assert_eq!(
        sign_content(plain.clone()),
        "app_id=2019090366875133&method=koubei.marketing.data.indicator.query&sign_type=RSA2"
    );
    verify_request(plain.clone(), &key).unwrap();

    let utf8 = java_params(Some("中文测试"), JAVA_UTF8_SIGN);
    assert_eq!(
        sign_content(utf8.clone()),
        "app_id=2019090366875133&extra=中文测试&method=koubei.marketing.data.indicator.query&sign_type=RSA2"
    );
    verify_request(utf8.clone(), &key).unwrap();

    // The same signatures do NOT cover the notify-rule content (sign_type left out) ...
    let content = notify_sign_content(plain.clone());
    assert!(matches!(key.verify(&content, JAVA_RSA2_SIGN), Err(Error::BadSignature)));
    // ... nor a changed value, nor another vector's signature.
    let tampered = java_params(Some("中文测试!"), JAVA_UTF8_SIGN);
    assert!(matches!(verify_request(tampered, &key), Err(Error::BadSignature)));
    let swapped = java_params(None, JAVA_UTF8_SIGN);
    assert!(matches!(verify_request(swapped, &key), Err(Error::BadSignature)));
}

/// Alipay's public key `notifyAlipayPublicKeyV1`, inline in alipay/alipay-sdk-nodejs-all
/// `test/alipay.test.ts`, describe `checkNotifySign` > `verify sign should delete sign_type`.
const NODE_NOTIFY_KEY_V1: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqObrdC7hrgAVM98tK0nv3hSQRGGKT4lBsQjHiGjeYZjOPIPHR5knm2jnnz/YGIXIofVHkA/tAlBAd5DrY7YpvI4tP5EONLtZKC2ghBMx7McI2wRD0xiqzxOQr1FuhZGJ8/AUokBzJrzY+aGX2xcOrxFYRlFilvVLTXg4LWjR1tdPkO6+i7wQZAIVMClPkwVRZEbaERRHlKqTzv2gGv5rDU8gRoe1LeaN+6BlbTqHWkQcNCUNrA8C6l17XAXGKDsm/9TFWwO8EPHHHCaQdjtV5/FdcWIt+L8SR1ss7EXTjYDFtxcKVv9rEoY1lX8T4mX+GbXfZHraG5NCF1+XioL5JwIDAQAB";

/// The real trade_status_sync notification of the same test (`with sign_type arguments verify
/// success`). `fund_bill_list` is an array in the test's JS object; Alipay posts it as this
/// JSON text (the SDK's `JSON.stringify` of it).
fn node_trade_notify() -> Vec<(&'static str, &'static str)> {
    vec![
        ("gmt_create", "2019-08-15 15:56:22"),
        ("charset", "utf-8"),
        ("seller_email", "z97-yuquerevenue@service.aliyun.com"),
        ("subject", "语雀空间 500人规模"),
        (
            "sign",
            "QfTb8tqE1BMhS5qAnXtvsF3/jBkEvu9q9en0pdbBUDDjvKycZhQb7h8GDs4FKfi049PynaNuatxSgLb/nLWZpXyyh0LEWdK2S6Ri7nPwrVgOs08zugLO20vOQz44y3ti2Ncm8/wZts1Fr2gZ7pShnVX3d1B50hbsXnObT1r/U8ONNQjWXd0HIul4TG+Q3fm3svmSvFEy0WnzuhcyHPX5Gm4ELNctL6Qd5YniGJFNcc7kopHYtI/XD9YCKCH6Ct02rzUs9i11C9CsadtZn+WhxF26Dqt9sGEFajkJ8cxUTLi8+VCpLHsgPE8P0y095uQcDdK0YjCh4x7wVSov+lrmOQ==",
        ),
        ("buyer_id", "2088102534368455"),
        ("invoice_amount", "0.10"),
        ("notify_id", "2019081500222155624068450559358070"),
        ("fund_bill_list", r#"[{"amount":"0.10","fundChannel":"ALIPAYACCOUNT"}]"#),
        ("notify_type", "trade_status_sync"),
        ("trade_status", "TRADE_SUCCESS"),
        ("receipt_amount", "0.10"),
        ("buyer_pay_amount", "0.10"),
        ("sign_type", "RSA2"),
        ("app_id", "2019073166072302"),
        ("seller_id", "2088531891668739"),
        ("gmt_payment", "2019-08-15 15:56:24"),
        ("notify_time", "2019-08-15 15:56:25"),
        ("version", "1.0"),
        ("out_trade_no", "20190815155618536-564-57"),
        ("total_amount", "0.10"),
        ("trade_no", "2019081522001468450512505578"),
        ("auth_app_id", "2019073166072302"),
        ("buyer_logon_id", "xud***@126.com"),
        ("point_amount", "0.00"),
    ]
}

fn form(params: &[(&str, &str)]) -> String {
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    encode_form(&owned)
}

#[test]
fn node_sdk_real_trade_notify_verifies_without_sign_type() {
    let key = AlipayPublicKey::from_key_text(NODE_NOTIFY_KEY_V1).unwrap();
    let params = node_trade_notify();
    let map = verify_notify(form(&params).as_bytes(), &key).unwrap();
    let notify = TradeNotify::from_params(&map).unwrap();
    assert_eq!(notify.trade_status, TradeStatus::TradeSuccess);
    assert_eq!(notify.out_trade_no, "20190815155618536-564-57");
    assert_eq!(notify.total_amount, "0.10");
    assert_eq!(notify.seller_id, "2088531891668739");
    assert_eq!(notify.buyer_id.as_deref(), Some("2088102534368455"));
    assert_eq!(map.get("subject").map(String::as_str), Some("语雀空间 500人规模"));

    // Kept in the content, sign_type breaks it: the notify rule really drops it.
    let sign = map["sign"].clone();
    assert!(matches!(key.verify(&sign_content(params.clone()), &sign), Err(Error::BadSignature)));
    // Posted without sign_type at all, it still verifies (the SDK's second test).
    let without: Vec<_> = params.iter().copied().filter(|(k, _)| *k != "sign_type").collect();
    verify_notify(form(&without).as_bytes(), &key).unwrap();
    // One changed amount, one extra parameter: refused.
    let mut tampered = params.clone();
    tampered.iter_mut().for_each(|p| {
        if p.0 == "total_amount" {
            p.1 = "0.11";
        }
    });
    assert!(matches!(verify_notify(form(&tampered).as_bytes(), &key), Err(Error::BadSignature)));
    let mut extra = params.clone();
    extra.push(("refund_fee", "0.10"));
    assert!(matches!(verify_notify(form(&extra).as_bytes(), &key), Err(Error::BadSignature)));
}

#[test]
fn node_sdk_notify_verify_fail_vector_is_refused() {
    // Same test file, `verify fail`: a notification whose signature is not the V1 key's.
    let key = AlipayPublicKey::from_key_text(NODE_NOTIFY_KEY_V1).unwrap();
    let params: Vec<(&str, &str)> = vec![
        ("app_id", "2018121762595097"),
        ("auth_app_id", "2018121762595097"),
        ("buyer_id", "2088512613526436"),
        ("buyer_logon_id", "152****6706"),
        ("buyer_pay_amount", "0.01"),
        ("charset", "utf-8"),
        ("fund_bill_list", r#"[{"amount":"0.01","fundChannel":"PCREDIT"}]"#),
        ("gmt_create", "2019-05-23 14:13:56"),
        ("gmt_payment", "2019-05-23 14:17:13"),
        ("invoice_amount", "0.01"),
        ("notify_id", "2019052300222141714026431019971405"),
        ("notify_time", "2019-05-23 14:17:14"),
        ("notify_type", "trade_status_sync"),
        ("out_trade_no", "tpxy23962362669658"),
        ("point_amount", "0.00"),
        ("receipt_amount", "0.01"),
        ("seller_email", "myapp@alitest.com"),
        ("seller_id", "2088331578818800"),
        (
            "sign",
            "T946S2qyNFAXLhAaRgNMmatxH6SO3MyWYFnTamQOgW1iAcheL/Zz+VoizwvEc6mTEwYewvvKS1wNkMQ1oEajMUHv9+cXQ9IFvU/qKS9Ktvw5xHvCaK0fj7LsVcQ7VxfyT3kSvXUDfKDP4cHSPuSZKwM2ybkzr53bIH9OUTpTQd2d3J0rbdf76OoUt+XF9vwqj7OVE7AGjH2HPWp842DgL/YVy4qeA9N2uFKRevT3YUskjaRxuI/E66reNjTMFhbjEqGLKvMcDD4BaQXnibq9ojAj60589fBwzKk3yWsVQmqGfksMQoheVMtZ3lAw4o2ty3TFngbVFFLwgx8FDpBZ9Q==",
        ),
        ("sign_type", "RSA2"),
        ("subject", "tpxy2222896485"),
        ("total_amount", "0.01"),
        ("trade_no", "111111112019052322001426431037869358"),
        ("trade_status", "TRADE_SUCCESS"),
        ("version", "1.0"),
    ];
    assert!(matches!(verify_notify(form(&params).as_bytes(), &key), Err(Error::BadSignature)));
}

/// Alipay's public key in alipay/alipay-sdk-nodejs-all
/// `test/fixtures/alipay-notify-sign-public-key-v2.pem`.
const NODE_NOTIFY_KEY_V2_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAk6DCsBIUhWriFohzRV8F
ic6oQWNnLKKILNk97VU5qcHEuxYzCujKoyva5gy1170mFJw4IcgJF8AyS7iDUwzA
wF4Pp9CpWxDhUhe7mdQJhjBmvTcPLGFFrzlj6unO5lAcbdwaxPUtSxOaNxPJGrTK
/wnKQSbjTMMltp1J68q2Tfgrsn/NdZ6lrxO9rvmky8kowqaH5NjntyHO59jCGabM
j5sI14z8N61wB/QuIJrDuzIPMPrSNbq0cOWcSCDG09oUHTp9fk7suDB8UiFcmVTX
OvK3d4HbeX8V9YsEMxrwxEoYgRRj6K2qrC6oxw480cqf2ueumCmHg6xrcgkyXK81
hwIDAQAB
-----END PUBLIC KEY-----";

#[test]
fn node_sdk_servicemarket_notify_is_signed_with_sign_type() {
    // Same test file, `verify sign should not delete sign_type`: an alipay.open.* message
    // (not a trade notification) whose signature, unlike trade notifications, INCLUDES
    // sign_type. verify_notify (trade rule) must refuse it; the request-rule content verifies.
    let key = AlipayPublicKey::from_key_text(NODE_NOTIFY_KEY_V2_PEM).unwrap();
    let params: Vec<(&str, &str)> = vec![
        ("app_id", "2017122801303261"),
        ("charset", "UTF-8"),
        ("commodity_order_id", "2019030800000018079639"),
        ("contactor", "技术支持测试的公司"),
        ("merchant_pid", "2088721996721370"),
        ("method", "alipay.open.servicemarket.order.notify"),
        ("name", "技术支持测试的公司"),
        ("notify_id", "2019030800222102023008121054923345"),
        ("notify_time", "2019-03-08 10:20:23"),
        ("notify_type", "servicemarket_order_notify"),
        ("order_item_num", "1"),
        ("order_ticket", "29b1c37d99ab48c5bd5bdaeaeaefbB37"),
        ("order_time", "2019-03-08 10:20:08"),
        ("phone", "17826894615"),
        ("service_code", "58621634"),
        (
            "sign",
            "MsK5SCw8oqLw4f0hiNSd5OVGXxBY3wnQeT8vn5PklJSZFWSZbK4hQbNvkp4ZezeXQH514cEv0ul6Qow8yh6e6yM06LfEL+EZjcpZ0nxzFGRNQ5qq2AUc1OaXQdk92AGvxh+Iq4NGpPQFBd4D8EBJa3NJd8+czMfQskceosOQFqUtLQMYa5DPs+VpN7VM5BdXjaVIuKn5d9Wm2B9dI9ObIM+YRySDkZZPv14DVmUvcrcqJfOR8aHvtSd7B4l92wUQPQgQKNcOQho7xOHS/Bk+Y74AZL2y7TkNmdDoq9OGsThuF5tDW9rI9nVwXxOtsuB+bstra+W7aw9x9DvkKgdSRw==",
        ),
        ("sign_type", "RSA2"),
        ("timestamp", "2019-03-08 10:20:23"),
        ("title", "麦禾商城模版"),
        ("total_price", "0.00"),
        ("version", "1.0"),
    ];
    let map: BTreeMap<&str, &str> = params.iter().copied().collect();
    key.verify(&sign_content(params.clone()), map["sign"]).unwrap();
    assert!(matches!(verify_notify(form(&params).as_bytes(), &key), Err(Error::BadSignature)));
    // The SDK's `verify fail` twin: service_code changed.
    let mut tampered = params.clone();
    tampered.iter_mut().for_each(|p| {
        if p.0 == "service_code" {
            p.1 = "58621634111";
        }
    });
    assert!(matches!(key.verify(&sign_content(tampered), map["sign"]), Err(Error::BadSignature)));
}

/// alipay/alipay-sdk-nodejs-all `test/alipay.test.ts`, describe `getSignStr()`: the text that
/// is verified is the node's raw text, `\/` escapes kept, whatever whitespace surrounds it.
#[test]
fn node_sdk_get_sign_str_vectors() {
    const KEY: &str = "alipay_offline_material_image_upload_response";
    const SIGN: &str = "P8xrBWqZCUv11UrEBjhQ4Sk3hyj4607qehO2VbKIS0hWa4U+NeLlOftqTyhGv+x1lzfqN590Y/8CaNIzEEg06FiNWJlUFM/uEFJLzSKGse4MjHbblpiSzI3eCV5RzxH26wZbEd9wyVYYi0pHFBf35UrBva47g7b5EuKCHfoVA95/zin9fAyb3xhhiHhmfGaWIDV/1LmE2vtqtOHQnISbY/deC71U614ySZ3YB97ws8npCcCJ+tgZvhHPkMRGvmyYPCRDB/aIN/sKDSLtfPp0u8DxE8pHLvCHm3wR84MQxqNbKgpd8NTKNvH+obELsbCrqPhjW7qI48634qx6enDupw==";
    let node = r#"{"code":"10000","msg":"Success","image_id":"Zp1Nm6FDTZaEuSSniGd5awAAACMAAQED","image_url":"http:\/\/oalipay-dl-django.alicdn.com\/rest\/1.0\/image?fileIds=Zp1Nm6FDTZaEuSSniGd5awAAACMAAQED&zoom=original"}"#;
    let normal = format!(r#"{{"{KEY}":{node},"sign":"{SIGN}"}}"#);
    assert_eq!(extract_node(&normal, KEY).unwrap(), Some(node));

    // `include \r\n\s`
    let spaced = format!("{{\"{KEY}\"\n        :\n        {node},\n\n          \"sign\"  :  \"{SIGN}\"}}");
    assert_eq!(extract_node(&spaced, KEY).unwrap(), Some(node));

    // `include sign key in data`
    let with_sign = r#"{"code":"10000","sign":"xxx","msg":"Success","image_id":"Zp1Nm6FDTZaEuSSniGd5awAAACMAAQED","image_url":"http:\/\/oalipay-dl-django.alicdn.com\/rest\/1.0\/image?fileIds=Zp1Nm6FDTZaEuSSniGd5awAAACMAAQED&zoom=original"}"#;
    let nested = format!("{{\"{KEY}\"\n        :\n        {with_sign},\n\n          \"sign\"  :  \"{SIGN}\"}}");
    assert_eq!(extract_node(&nested, KEY).unwrap(), Some(with_sign));
    assert_eq!(extract_node(&nested, "sign").unwrap(), Some(format!("\"{SIGN}\"").as_str()));
    assert_eq!(extract_node(&nested, "missing_response").unwrap(), None);
}
