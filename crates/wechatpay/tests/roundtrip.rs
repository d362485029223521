//! Both sides against each other: what one signs or encrypts, the other accepts, and any change
//! to what was signed is refused.

use sweep_wechatpay::types::{EVENT_TRANSACTION_SUCCESS, Notification, RESOURCE_TYPE_ENCRYPT, Transaction};
use sweep_wechatpay::{
    AeadError, JsapiPayParams, MerchantSigner, PlatformSigner, PlatformVerifier, PublicKey, SignedHeaders, VerifyError,
    decrypt_resource, encrypt_resource, generate_rsa_2048, parse_authorization, random_aead_nonce, random_nonce,
    verify_request,
};

const GO_KEY: &str = include_str!("fixtures/go_test_private_key.pem");
const GO_CERT_D7CE: &str = include_str!("fixtures/go_platform_cert_D7CE59D1F522D701.pem");
const JAVA_WECHAT_PAY_KEY: &str = include_str!("fixtures/java_wechat_pay_private_key.pem");
const JAVA_WECHAT_PAY_PUBLIC_KEY: &str = include_str!("fixtures/java_wechat_pay_public_key.pem");
const JAVA_WECHAT_PAY_CERT: &str = include_str!("fixtures/java_wechat_pay_certificate.pem");

const PUB_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
const API_V3_KEY: &str = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
/// 2023-11-14, inside the validity of every fixture certificate used with it.
const NOW: i64 = 1_700_000_000;

fn merchant() -> MerchantSigner {
    let (private_pem, _) = generate_rsa_2048();
    MerchantSigner::new("1900009191", "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C", &private_pem).unwrap()
}

/// One verifier holding a certificate-mode key and a public-key-mode key, as during migration.
fn migrating_verifier() -> PlatformVerifier {
    let mut v = PlatformVerifier::new();
    v.add_certificate_pem(GO_CERT_D7CE).unwrap();
    v.add_public_key_pem(PUB_KEY_ID, JAVA_WECHAT_PAY_PUBLIC_KEY).unwrap();
    v
}

#[test]
fn request_signed_by_merchant_verifies_on_the_provider_and_tampering_fails() {
    let signer = merchant();
    let public = signer.public_key();
    let body = r#"{"mchid":"1900009191"}"#;
    let path = "/v3/pay/transactions/out-trade-no/sweep000001/close";
    let nonce = random_nonce();
    let header = signer.authorization("POST", path, NOW, &nonce, body);
    let auth = parse_authorization(&header).unwrap();
    assert_eq!((auth.mchid.as_str(), auth.timestamp, auth.nonce_str.as_str()), ("1900009191", NOW, nonce.as_str()));
    assert_eq!(auth.serial_no, "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C");
    verify_request(&auth, &public, "POST", path, body.as_bytes()).unwrap();

    let bad = Err(VerifyError::BadSignature);
    assert_eq!(verify_request(&auth, &public, "POST", path, br#"{"mchid":"1900009192"}"#), bad);
    assert_eq!(verify_request(&auth, &public, "GET", path, body.as_bytes()), bad);
    assert_eq!(
        verify_request(&auth, &public, "POST", "/v3/pay/transactions/out-trade-no/sweep000002/close", body.as_bytes()),
        bad
    );
    let later = sweep_wechatpay::Authorization { timestamp: NOW + 1, ..auth.clone() };
    assert_eq!(verify_request(&later, &public, "POST", path, body.as_bytes()), bad);
    let other_nonce = sweep_wechatpay::Authorization { nonce_str: random_nonce(), ..auth.clone() };
    assert_eq!(verify_request(&other_nonce, &public, "POST", path, body.as_bytes()), bad);
    assert_eq!(verify_request(&auth, &merchant().public_key(), "POST", path, body.as_bytes()), bad);
    let garbage = sweep_wechatpay::Authorization { signature: "not base64!".into(), ..auth };
    assert_eq!(verify_request(&garbage, &public, "POST", path, body.as_bytes()), bad);
}

#[test]
fn response_signed_by_platform_verifies_and_every_signed_part_is_bound() {
    let verifier = migrating_verifier();
    let signer = PlatformSigner::new("D7CE59D1F522D701", GO_KEY).unwrap();
    let body = br#"{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}"#;
    let headers = signer.sign_response(NOW, &random_nonce(), body);
    verifier.verify(&headers, body, NOW).unwrap();

    let bad = Err(VerifyError::BadSignature);
    assert_eq!(verifier.verify(&headers, br#"{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzZ"}"#, NOW), bad);
    let other_ts = SignedHeaders { timestamp: (NOW + 1).to_string(), ..headers.clone() };
    assert_eq!(verifier.verify(&other_ts, body, NOW), bad);
    let other_nonce = SignedHeaders { nonce: random_nonce(), ..headers.clone() };
    assert_eq!(verifier.verify(&other_nonce, body, NOW), bad);
    let other_key = SignedHeaders { serial: PUB_KEY_ID.into(), ..headers.clone() };
    assert_eq!(verifier.verify(&other_key, body, NOW), bad);
    let not_b64 = SignedHeaders { signature: "%%%".into(), ..headers.clone() };
    assert_eq!(verifier.verify(&not_b64, body, NOW), bad);
    let not_number = SignedHeaders { timestamp: "17e8".into(), ..headers };
    assert_eq!(verifier.verify(&not_number, body, NOW), Err(VerifyError::BadTimestamp));
}

#[test]
fn stale_timestamps_fail_from_300_seconds_in_either_direction() {
    let verifier = migrating_verifier();
    let signer = PlatformSigner::new(PUB_KEY_ID, JAVA_WECHAT_PAY_KEY).unwrap();
    let body = b"{}";
    let headers = signer.sign_response(NOW, "nonce", body);
    for now in [NOW - 299, NOW, NOW + 299] {
        verifier.verify(&headers, body, now).unwrap();
    }
    for now in [NOW - 300, NOW + 300, NOW + 86_400] {
        assert_eq!(verifier.verify(&headers, body, now), Err(VerifyError::StaleTimestamp { timestamp: NOW, now }));
    }
}

#[test]
fn signtest_probe_fails_with_its_own_error_even_for_a_known_serial() {
    let verifier = migrating_verifier();
    let signer = PlatformSigner::new(PUB_KEY_ID, JAVA_WECHAT_PAY_KEY).unwrap();
    let mut headers = signer.sign_response(NOW, "nonce", b"{}");
    headers.signature = format!("WECHATPAY/SIGNTEST/{}", headers.signature);
    assert!(headers.is_probe());
    assert_eq!(verifier.verify(&headers, b"{}", NOW), Err(VerifyError::SignatureProbe));
}

#[test]
fn unknown_and_removed_serials_fail() {
    let mut verifier = migrating_verifier();
    let signer = PlatformSigner::new("5157F09EFDC096DE15EBE81A47057A7232F1B8E1", GO_KEY).unwrap();
    let headers = signer.sign_response(NOW, "nonce", b"{}");
    assert_eq!(
        verifier.verify(&headers, b"{}", NOW),
        Err(VerifyError::UnknownSerial("5157F09EFDC096DE15EBE81A47057A7232F1B8E1".into()))
    );
    assert_eq!(
        PlatformVerifier::new().verify(&headers, b"{}", NOW),
        Err(VerifyError::UnknownSerial(headers.serial.clone()))
    );

    let known = PlatformSigner::new("D7CE59D1F522D701", GO_KEY).unwrap().sign_response(NOW, "nonce", b"{}");
    verifier.verify(&known, b"{}", NOW).unwrap();
    assert!(verifier.remove("D7CE59D1F522D701"));
    assert!(!verifier.remove("D7CE59D1F522D701"));
    assert_eq!(verifier.verify(&known, b"{}", NOW), Err(VerifyError::UnknownSerial("D7CE59D1F522D701".into())));
}

#[test]
fn certificate_mode_and_public_key_mode_work_in_one_verifier() {
    let verifier = migrating_verifier();
    assert_eq!(verifier.serials().collect::<Vec<_>>(), ["D7CE59D1F522D701", PUB_KEY_ID]);
    let by_cert = PlatformSigner::new("D7CE59D1F522D701", GO_KEY).unwrap();
    let by_pub_key = PlatformSigner::new(PUB_KEY_ID, JAVA_WECHAT_PAY_KEY).unwrap();
    let body = br#"{"trade_state":"SUCCESS"}"#;
    verifier.verify(&by_cert.sign_response(NOW, "a", body), body, NOW).unwrap();
    verifier.verify(&by_pub_key.sign_response(NOW, "b", body), body, NOW).unwrap();
    // A hex serial in lowercase still finds its certificate.
    let mut lower = by_cert.sign_response(NOW, "c", body);
    lower.serial = lower.serial.to_ascii_lowercase();
    verifier.verify(&lower, body, NOW).unwrap();
}

#[test]
fn expired_certificate_fails_but_its_key_in_public_key_mode_does_not_expire() {
    let mut verifier = PlatformVerifier::new();
    let serial = verifier.add_certificate_pem(JAVA_WECHAT_PAY_CERT).unwrap();
    verifier.add_public_key_pem(PUB_KEY_ID, JAVA_WECHAT_PAY_PUBLIC_KEY).unwrap();
    let after_expiry = 1_800_000_000; // 2027; the certificate ends 2025-05-09.
    let cert_signer = PlatformSigner::new(serial.clone(), JAVA_WECHAT_PAY_KEY).unwrap();
    verifier.verify(&cert_signer.sign_response(NOW, "n", b"{}"), b"{}", NOW).unwrap();
    let headers = cert_signer.sign_response(after_expiry, "n", b"{}");
    assert_eq!(verifier.verify(&headers, b"{}", after_expiry), Err(VerifyError::CertificateNotValid(serial)));
    let pub_key_signer = PlatformSigner::new(PUB_KEY_ID, JAVA_WECHAT_PAY_KEY).unwrap();
    verifier.verify(&pub_key_signer.sign_response(after_expiry, "n", b"{}"), b"{}", after_expiry).unwrap();
}

#[test]
fn notification_from_the_simulator_is_verified_and_decrypted_by_the_merchant() {
    // Provider side: encrypt a transaction, wrap it, sign the exact body bytes.
    let transaction: Transaction = serde_json::from_value(serde_json::json!({
        "appid": "wxd678efh567hg6787", "mchid": "1230000109", "out_trade_no": "sweep000001",
        "transaction_id": "1217752501201407033233368018", "trade_type": "NATIVE", "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功", "bank_type": "CMC", "success_time": "2018-06-08T10:34:56+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 100, "payer_total": 100, "currency": "CNY", "payer_currency": "CNY"}
    }))
    .unwrap();
    let mut resource =
        encrypt_resource(API_V3_KEY, &random_aead_nonce(), "transaction", &serde_json::to_vec(&transaction).unwrap())
            .unwrap();
    resource.original_type = Some("transaction".into());
    let notification = Notification {
        id: "EV-2018022511223320873".into(),
        create_time: "2015-05-20T13:29:35+08:00".into(),
        event_type: EVENT_TRANSACTION_SUCCESS.into(),
        resource_type: RESOURCE_TYPE_ENCRYPT.into(),
        resource,
        summary: "支付成功".into(),
    };
    let body = serde_json::to_vec(&notification).unwrap();
    let signer = PlatformSigner::new(PUB_KEY_ID, JAVA_WECHAT_PAY_KEY).unwrap();
    let sent: Vec<(String, String)> =
        signer.sign_response(NOW, &random_nonce(), &body).to_pairs().map(|(k, v)| (k.to_ascii_lowercase(), v)).to_vec();

    // Merchant side: headers as received, raw body, own clock and key.
    let headers = SignedHeaders::from_pairs(&sent).unwrap();
    migrating_verifier().verify(&headers, &body, NOW + 5).unwrap();
    let received: Notification = serde_json::from_slice(&body).unwrap();
    assert_eq!(received.event_type, "TRANSACTION.SUCCESS");
    let plaintext = decrypt_resource(API_V3_KEY, &received.resource).unwrap();
    let decoded: Transaction = serde_json::from_slice(&plaintext).unwrap();
    assert_eq!(decoded, transaction);
    assert!(decoded.trade_state.is_paid());

    let wrong_key = "b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
    assert_eq!(decrypt_resource(wrong_key, &received.resource), Err(AeadError::Decrypt));
    assert_eq!(decrypt_resource("a7cde1ZJB1kG2e7VfTs3jQzaWizur8G", &received.resource), Err(AeadError::KeyLength));
    let mut other_aad = received.resource.clone();
    other_aad.associated_data = "refund".into();
    assert_eq!(decrypt_resource(API_V3_KEY, &other_aad), Err(AeadError::Decrypt));
}

#[test]
fn jsapi_pay_params_have_the_js_field_names_and_verify_with_the_merchant_key() {
    let signer = merchant();
    let params = signer.jsapi_pay_params(
        "wx8888888888888888",
        "wx201410272009395522657a690389285100",
        1_414_561_699,
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
    );
    let json = serde_json::to_value(&params).unwrap();
    let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 6);
    for key in ["appId", "timeStamp", "nonceStr", "package", "signType", "paySign"] {
        assert!(keys.iter().any(|k| k == key), "missing {key}");
    }
    assert_eq!(json["timeStamp"], "1414561699");
    assert_eq!(json["package"], "prepay_id=wx201410272009395522657a690389285100");
    assert_eq!(json["signType"], "RSA");
    assert_eq!(
        params.message(),
        "wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n"
    );
    let public = signer.public_key();
    params.verify(&public).unwrap();
    assert_eq!(params.pay_sign, signer.sign(params.message().as_bytes()));
    let back: JsapiPayParams = serde_json::from_value(json).unwrap();
    assert_eq!(back, params);

    let tampered = JsapiPayParams { package: "prepay_id=wx2".into(), ..params.clone() };
    assert_eq!(tampered.verify(&public), Err(VerifyError::BadSignature));
    let md5 = JsapiPayParams { sign_type: "MD5".into(), ..params };
    assert_eq!(md5.verify(&public), Err(VerifyError::BadSignature));
}

#[test]
fn debug_output_never_contains_private_keys() {
    let merchant = MerchantSigner::new("1900009191", "SERIAL", GO_KEY).unwrap();
    let platform = PlatformSigner::new(PUB_KEY_ID, GO_KEY).unwrap();
    let key_line = GO_KEY.lines().nth(5).unwrap();
    for debug in [format!("{merchant:?}"), format!("{platform:?}")] {
        assert!(debug.contains("<redacted>"), "{debug}");
        assert!(!debug.contains(&key_line[..16]), "{debug}");
    }
    assert!(format!("{merchant:?}").contains("1900009191"));
    let public = PublicKey::from_pem(JAVA_WECHAT_PAY_PUBLIC_KEY).unwrap();
    assert_eq!(format!("{public:?}"), "PublicKey(RSA)");
}
