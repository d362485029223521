//! Published test vectors from WeChat Pay's official SDKs (Apache-2.0), reproduced exactly.
//!
//! RSA PKCS#1 v1.5 and AES-GCM with a fixed nonce are deterministic, so each expected value below
//! is checked byte for byte. Keys and certificates are in `fixtures/` (see its README).

use sweep_wechatpay::types::{CertificatesResponse, Notification};
use sweep_wechatpay::{
    AeadError, MerchantSigner, PlatformCertificate, PlatformSigner, PlatformVerifier, PublicKey, Resource,
    SignedHeaders, VerifyError, decrypt_resource, encrypt_resource, parse_authorization, request_message,
    verify_request,
};

const GO_KEY: &str = include_str!("fixtures/go_test_private_key.pem");
const GO_KEY_PKCS1: &str = include_str!("fixtures/go_test_private_key_pkcs1.pem");
const GO_CERT_F576: &str = include_str!("fixtures/go_platform_cert_F5765756002FDD77.pem");
const GO_CERT_D7CE: &str = include_str!("fixtures/go_platform_cert_D7CE59D1F522D701.pem");
const JAVA_MERCHANT_KEY: &str = include_str!("fixtures/java_merchant_private_key.pem");
const JAVA_MERCHANT_CERT: &str = include_str!("fixtures/java_merchant_certificate.pem");
const JAVA_WECHAT_PAY_KEY: &str = include_str!("fixtures/java_wechat_pay_private_key.pem");
const JAVA_WECHAT_PAY_PUBLIC_KEY: &str = include_str!("fixtures/java_wechat_pay_public_key.pem");
const JAVA_WECHAT_PAY_CERT: &str = include_str!("fixtures/java_wechat_pay_certificate.pem");
const JAVA_DOWNLOAD_CERTIFICATES: &str = include_str!("fixtures/java_download_certificate_response.json");

/// wechatpay-go `utils/sign_test.go` (`testAlgorithmExpectSignature`) and
/// `core/auth/signers/sha256withrsa_signer_test.go` (`testExpectedSignature`): the test key over "source".
const GO_SOURCE_SIGNATURE: &str = concat!(
    "BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoV",
    "z+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLl",
    "i/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj",
    "1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==",
);

/// wechatpay-go `core/notify/notify_test.go` (`TestHandler_ParseNotifyRequest`): a signed
/// notification; the same signature is `SIGNATURE` in wechatpay-java's `NotificationParserTest.java`.
const GO_NOTIFY_TIMESTAMP: &str = "1624523846";
const GO_NOTIFY_NONCE: &str = "EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz";
const GO_NOTIFY_SERIAL: &str = "D7CE59D1F522D701";
const GO_NOTIFY_SIGNATURE: &str = concat!(
    "tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6lBu6sKvkqDkzpqzBsVHyXF",
    "lbYZTOQrVdG4b6LfTnK4mikv9++ixJMd3vTf2yCqvBkh98zs3Ds5zsYQakzbcwhmw4fMJs4nPLws28H0UW9FjDR//rxELLwXvV1VEA1I",
    "BLX70xptjL8hrfUjEE8kkry6yNJTHZRU8CAc7qHli2Ng1V1qb9ARbK8A3ThmFmPQvRGrapI/jS2laKKgYUmfdEdkNO6B2Cke5e8VTxY4",
    "06ArAmQ90GAihDwIcb16TQMnzCMBoutnwZKNiKRACrFmtxw2Q==",
);
const GO_NOTIFY_BODY: &str = concat!(
    "{",
    "\"id\":\"3119dfba-e649-5eec-ab1e-3412bc4d2e17\",",
    "\"create_time\":\"2021-06-24T16:37:26+08:00\",",
    "\"resource_type\":\"encrypt-resource\",",
    "\"event_type\":\"PAYSCORE.USER_OPEN_SERVICE\",",
    "\"summary\":\"签约成功\",",
    "\"resource\":{",
    "\"original_type\":\"payscore\",",
    "\"algorithm\":\"AEAD_AES_256_GCM\",",
    "\"ciphertext\":\"YDS3lKPaC4Y52Gf3uhft5qUBlIa8b428AWTtTauHQfQrRw+X1WpiuHIDy0vo1Vd6VEq67aVyqPdDYMkRVSDaZL3iZt",
    "tevRMOoPKMifozg6XPWjIZumks/GpT48lI4NizyeaqLBokNebthah3o1H76qSlO9NkDjp9bzmKLEYYH9TEklFUpsvPqOTOcgSLgh21YJXYR",
    "7dEBXFgRLiNIKRgO5JdXh1hccRUAlyVWxE54PXpnQ==\",",
    "\"associated_data\":\"payscore\",",
    "\"nonce\":\"Kj7QIyUiYx1q\"}",
    "}",
);

/// wechatpay-java `core/.../model/TestConfig.java` (`API_V3_KEY`).
const JAVA_API_V3_KEY: &str = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";

/// wechatpay-java `core/.../cipher/RSAVerifierTest.java`: the merchant key over "message".
const JAVA_MESSAGE_SIGNATURE: &str = concat!(
    "Rq+5ZpWV6IHTWE1+9gCrYJKguNgbItpMdlIA+PVCPCdUAKNlohZz7CL7Y8xWDIFJjdGnErMj6Z+Q/h9CF5MV+nAVkqDmBR0uP5pp",
    "sUEzco4ijvKHsvI2ro4boSW6vSfQs3W8I4QSI9a0/NFIgvj83Fv27LIYZf7deaFWmEwd1fpAeJRCyoKyBeJPdsjVx0//Lqe6",
    "Wze2zVdliLcBvaHCfpd8+rAVGS+FQDeWgHqJ7n/Zy09LmV1/ghs7pO1mdjdD16SHKlysAD3K5hNGUJX/SHrEXEcu1yO1AOb/",
    "YvOVkjNh8243rcfXNE5L4ph2XS11vS+2aToKYSOcKUagf0LLaw==",
);

fn go_notify_headers() -> SignedHeaders {
    SignedHeaders {
        timestamp: GO_NOTIFY_TIMESTAMP.into(),
        nonce: GO_NOTIFY_NONCE.into(),
        signature: GO_NOTIFY_SIGNATURE.into(),
        serial: GO_NOTIFY_SERIAL.into(),
    }
}

#[test]
fn go_sdk_signature_of_source_is_reproduced_from_pkcs8_and_pkcs1() {
    let pkcs8 = MerchantSigner::new("1234567890", "F5765756002FDD77", GO_KEY).unwrap();
    assert_eq!(pkcs8.sign(b"source"), GO_SOURCE_SIGNATURE);
    let pkcs1 = MerchantSigner::new("1234567890", "F5765756002FDD77", GO_KEY_PKCS1).unwrap();
    assert!(GO_KEY_PKCS1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert_eq!(pkcs1.sign(b"source"), GO_SOURCE_SIGNATURE);
}

#[test]
fn go_sdk_certificate_verifies_the_source_signature() {
    let cert = PlatformCertificate::from_pem(GO_CERT_F576).unwrap();
    assert_eq!(cert.serial_no(), "F5765756002FDD77");
    // notBefore 2021-04-27T08:40:32Z, notAfter 2031-04-25T08:40:32Z.
    assert_eq!((cert.not_before(), cert.not_after()), (1_619_512_832, 1_934_872_832));
    cert.public_key().verify(b"source", GO_SOURCE_SIGNATURE).unwrap();
    assert_eq!(cert.public_key().verify(b"wrong source", GO_SOURCE_SIGNATURE), Err(VerifyError::BadSignature));
}

#[test]
fn go_sdk_notification_verifies_at_its_timestamp_and_up_to_299_seconds_later() {
    let mut verifier = PlatformVerifier::new();
    assert_eq!(verifier.add_certificate_pem(GO_CERT_D7CE).unwrap(), GO_NOTIFY_SERIAL);
    let headers = go_notify_headers();
    let body = GO_NOTIFY_BODY.as_bytes();
    let ts: i64 = GO_NOTIFY_TIMESTAMP.parse().unwrap();
    verifier.verify(&headers, body, ts).unwrap();
    verifier.verify(&headers, body, ts + 299).unwrap();
    verifier.verify(&headers, body, ts - 299).unwrap();
    assert_eq!(
        verifier.verify(&headers, body, ts + 300),
        Err(VerifyError::StaleTimestamp { timestamp: ts, now: ts + 300 })
    );
    assert_eq!(
        verifier.verify(&headers, body, ts - 300),
        Err(VerifyError::StaleTimestamp { timestamp: ts, now: ts - 300 })
    );
    let mut tampered = body.to_vec();
    tampered[10] ^= 1;
    assert_eq!(verifier.verify(&headers, &tampered, ts), Err(VerifyError::BadSignature));

    let notification: Notification = serde_json::from_slice(body).unwrap();
    assert_eq!(notification.id, "3119dfba-e649-5eec-ab1e-3412bc4d2e17");
    assert_eq!(notification.event_type, "PAYSCORE.USER_OPEN_SERVICE");
    assert_eq!(notification.summary, "签约成功");
    assert_eq!(notification.resource.original_type.as_deref(), Some("payscore"));
    assert_eq!(notification.resource.nonce, "Kj7QIyUiYx1q");
    // The Go SDK's APIv3 key here, "testMchAPIv3Key0", is 16 bytes (Go picks AES-128 from the
    // key length). API v3 keys are 32 bytes and this crate is strictly AES-256.
    assert_eq!(decrypt_resource("testMchAPIv3Key0", &notification.resource), Err(AeadError::KeyLength));
}

#[test]
fn platform_signer_reproduces_the_go_sdk_notification_signature() {
    let signer = PlatformSigner::new(GO_NOTIFY_SERIAL, GO_KEY).unwrap();
    let headers =
        signer.sign_response(GO_NOTIFY_TIMESTAMP.parse().unwrap(), GO_NOTIFY_NONCE, GO_NOTIFY_BODY.as_bytes());
    assert_eq!(headers, go_notify_headers());
}

#[test]
fn java_sdk_aead_vector_encrypts_and_decrypts() {
    // wechatpay-java core/.../cipher/AeadAesCipherTest.java.
    let resource = encrypt_resource(JAVA_API_V3_KEY, "uluk4a9R25RW", "associatedData", b"message").unwrap();
    assert_eq!(resource.ciphertext, "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=");
    assert_eq!(decrypt_resource(JAVA_API_V3_KEY, &resource).unwrap(), b"message");

    let wrong_key = JAVA_API_V3_KEY.replace('a', "b");
    assert_eq!(decrypt_resource(&wrong_key, &resource), Err(AeadError::Decrypt));
    let wrong_aad = Resource { associated_data: "associatedDatA".into(), ..resource.clone() };
    assert_eq!(decrypt_resource(JAVA_API_V3_KEY, &wrong_aad), Err(AeadError::Decrypt));
    let wrong_nonce = Resource { nonce: "uluk4a9R25RX".into(), ..resource };
    assert_eq!(decrypt_resource(JAVA_API_V3_KEY, &wrong_nonce), Err(AeadError::Decrypt));
}

#[test]
fn java_sdk_certificate_download_decrypts_to_the_listed_certificate() {
    // wechatpay-java core/.../model/TestConfig.java (DOWNLOAD_CERTIFICATE_RESPONSE,
    // DOWNLOAD_CERTIFICATE_SERIAL_NUMBER), decrypted with its API_V3_KEY.
    let response: CertificatesResponse = serde_json::from_str(JAVA_DOWNLOAD_CERTIFICATES).unwrap();
    let entry = &response.data[0];
    assert_eq!(entry.effective_time, "2023-09-19T23:15:58+08:00");
    assert_eq!(entry.expire_time, "2028-09-17T23:15:58+08:00");
    assert_eq!(entry.encrypt_certificate.associated_data, "certificate");
    assert_eq!(entry.encrypt_certificate.original_type, None);
    let pem = decrypt_resource(JAVA_API_V3_KEY, &entry.encrypt_certificate).unwrap();
    let pem = String::from_utf8(pem).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let mut verifier = PlatformVerifier::new();
    assert_eq!(verifier.add_certificate_pem(&pem).unwrap(), entry.serial_no);
    assert_eq!(entry.serial_no, "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC");
    let cert = PlatformCertificate::from_pem(&pem).unwrap();
    // 2023-09-19T15:15:58Z to 2028-09-17T15:15:58Z, the entry's effective and expire times.
    assert_eq!((cert.not_before(), cert.not_after()), (1_695_136_558, 1_852_816_558));
}

#[test]
fn java_sdk_merchant_signature_of_message_is_reproduced_and_verified() {
    let signer =
        MerchantSigner::new("1234567891", "5F1C72E2A8931B72A2E13AF8DEE92471EB397115", JAVA_MERCHANT_KEY).unwrap();
    assert_eq!(signer.sign(b"message"), JAVA_MESSAGE_SIGNATURE);

    let cert = PlatformCertificate::from_pem(JAVA_MERCHANT_CERT).unwrap();
    assert_eq!(cert.serial_no(), "5F1C72E2A8931B72A2E13AF8DEE92471EB397115");
    cert.public_key().verify(b"message", JAVA_MESSAGE_SIGNATURE).unwrap();
    // RSAVerifierTest.testPublicKeyVerify: the WeChat Pay public key must not verify it.
    let wechat_pay = PublicKey::from_pem(JAVA_WECHAT_PAY_PUBLIC_KEY).unwrap();
    assert_eq!(wechat_pay.verify(b"message", JAVA_MESSAGE_SIGNATURE), Err(VerifyError::BadSignature));
}

#[test]
fn java_sdk_wechat_pay_key_pair_and_certificate_agree() {
    // wechatpay-java TestConfig: WECHAT_PAY_CERTIFICATE_SERIAL_NUMBER and the public-key-mode key.
    let cert = PlatformCertificate::from_pem(JAVA_WECHAT_PAY_CERT).unwrap();
    assert_eq!(cert.serial_no(), "440024045C4A427599D09BB4E3DE0279F2E813FD");
    let public = PublicKey::from_pem(JAVA_WECHAT_PAY_PUBLIC_KEY).unwrap();
    assert_eq!(cert.public_key().to_pem(), public.to_pem());
    let signer = PlatformSigner::new("PUB_KEY_ID_0114232134912410000000000000", JAVA_WECHAT_PAY_KEY).unwrap();
    assert_eq!(signer.public_key().to_pem(), public.to_pem());
}

#[test]
fn java_sdk_authorization_layout_for_a_get_with_query() {
    // wechatpay-java core/.../auth/WechatPay2CredentialTest.java: GET with a query, empty body.
    let path = "/v3/pay/transactions/id/1217752501201407033233368018?mchid=1230000109";
    let nonce = "eBYqCOxa0QudMnPvVilkTzOg3gHh5Z3u";
    let ts = 1_652_750_623;
    assert_eq!(request_message("GET", path, ts, nonce, ""), format!("GET\n{path}\n1652750623\n{nonce}\n\n"));
    let signer =
        MerchantSigner::new("1234567891", "5F1C72E2A8931B72A2E13AF8DEE92471EB397115", JAVA_MERCHANT_KEY).unwrap();
    let header = signer.authorization("GET", path, ts, nonce, "");
    let signature = signer.sign(request_message("GET", path, ts, nonce, "").as_bytes());
    assert_eq!(
        header,
        format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"1234567891\",nonce_str=\"{nonce}\",timestamp=\"1652750623\",\
             serial_no=\"5F1C72E2A8931B72A2E13AF8DEE92471EB397115\",signature=\"{signature}\""
        )
    );
    let auth = parse_authorization(&header).unwrap();
    let merchant_cert = PlatformCertificate::from_pem(JAVA_MERCHANT_CERT).unwrap();
    verify_request(&auth, merchant_cert.public_key(), "GET", path, b"").unwrap();
    let other_query = path.replace("1230000109", "1230000110");
    assert_eq!(
        verify_request(&auth, merchant_cert.public_key(), "GET", &other_query, b""),
        Err(VerifyError::BadSignature)
    );
}
