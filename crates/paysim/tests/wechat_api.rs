//! WeChat Pay: signed requests and responses, the Native flow, notifications and their faults.

mod common;

use common::{Receiver, WxMerchant, now, start};
use serde_json::json;
use sweep_paysim::Faults;
use sweep_wechatpay::types::{Notification, TradeState, TradeType, Transaction};
use sweep_wechatpay::{
    PlatformCertificate, PlatformVerifier, SignedHeaders, VerifyError, decrypt_resource, random_nonce,
};

/// Verifies and decrypts a notification as Sweep would.
fn open_notification(m: &WxMerchant, headers: &[(String, String)], body: &[u8]) -> (Notification, Vec<u8>) {
    let signed = SignedHeaders::from_pairs(headers).expect("Wechatpay-* headers");
    m.verifier.verify(&signed, body, now()).expect("notification signature");
    let n: Notification = serde_json::from_slice(body).unwrap();
    let plain = decrypt_resource(&m.get("api_v3_key"), &n.resource).expect("resource decrypts");
    (n, plain)
}

#[tokio::test]
async fn native_prepay_page_pay_and_verified_notification() {
    let h = start().await;
    let rx = Receiver::start(200, "").await;
    let m = WxMerchant::new(h.sim.create_wechat_account());
    assert_eq!(m.get("gateway_url"), format!("{}/wechat", h.base));

    let prepay = m.native("SWP-N-0001", 1234, &rx.url).await;
    assert_eq!(prepay.status, 200, "{}", String::from_utf8_lossy(&prepay.body));
    prepay.verify(&m.verifier).expect("response signature");
    assert_eq!(prepay.header("Wechatpay-Serial"), Some(m.get("platform_public_key_id").as_str()));
    let code_url = prepay.json["code_url"].as_str().unwrap().to_owned();
    assert!(code_url.starts_with(&format!("{}/wechat/scan/", h.base)), "{code_url}");

    // The same order again gives the same code; another amount is a duplicate order number.
    assert_eq!(m.native("SWP-N-0001", 1234, &rx.url).await.json["code_url"], code_url.as_str());
    let dup = m.native("SWP-N-0001", 999, &rx.url).await;
    assert_eq!((dup.status, dup.code()), (400, "INVALID_REQUEST"));
    assert_eq!(dup.json["message"], "201 商户订单号重复");

    assert_eq!(m.query("SWP-N-0001").await.json["trade_state"], "NOTPAY");

    let page = h.http.get(&code_url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Sweep simulator, no real money"));
    assert!(page.contains("¥12.34"));
    assert!(page.contains("Sweep 测试 &lt;b&gt;&amp;&lt;/b&gt;"), "the description is escaped");
    assert!(page.contains(r#"id="sim-pay""#));
    let paid = h.http.post(common::form_action(&page)).send().await.unwrap();
    assert_eq!(paid.status(), 303);
    let after = h.http.get(&code_url).send().await.unwrap().text().await.unwrap();
    assert!(after.contains("支付成功") && !after.contains("sim-pay"));

    let hits = rx.wait_for(1).await;
    let (n, plain) = open_notification(&m, &hits[0].headers, &hits[0].body);
    assert_eq!((n.event_type.as_str(), n.resource_type.as_str()), ("TRANSACTION.SUCCESS", "encrypt-resource"));
    assert_eq!(n.summary, "支付成功");
    assert_eq!(n.resource.original_type.as_deref(), Some("transaction"));
    assert_eq!(n.resource.associated_data, "transaction");
    let tx: Transaction = serde_json::from_slice(&plain).unwrap();
    assert_eq!(tx.trade_state, TradeState::Success);
    assert_eq!(tx.trade_type, Some(TradeType::Native));
    assert_eq!(tx.out_trade_no, "SWP-N-0001");
    let amount = tx.amount.unwrap();
    assert_eq!((amount.total, amount.payer_total), (1234, Some(1234)));
    assert!(tx.success_time.unwrap().ends_with("+08:00"));

    let q = m.query("SWP-N-0001").await;
    q.verify(&m.verifier).unwrap();
    assert_eq!(q.json["trade_state"], "SUCCESS");
    assert_eq!(q.json["transaction_id"].as_str(), tx.transaction_id.as_deref());
    assert_eq!(q.json["transaction_id"].as_str().unwrap().len(), 28);
    let by_id = m
        .call("GET", &format!("/v3/pay/transactions/id/{}?mchid={}", tx.transaction_id.unwrap(), m.get("mchid")), None)
        .await;
    assert_eq!(by_id.json["out_trade_no"], "SWP-N-0001");

    let unknown = m.query("SWP-NOPE-01").await;
    assert_eq!((unknown.status, unknown.code()), (404, "ORDER_NOT_EXIST"));
    let d = h.sim.deliveries();
    assert_eq!(d.len(), 1);
    assert!(d[0].delivered && d[0].status == Some(200) && d[0].attempt == 1 && d[0].provider == "wechatpay");
}

#[tokio::test]
async fn unsigned_and_forged_requests_get_sign_error() {
    let h = start().await;
    let m = WxMerchant::new(h.sim.create_wechat_account());
    let body = json!({
        "appid": m.get("appid"), "mchid": m.get("mchid"), "description": "x", "out_trade_no": "SWP-SIG-01",
        "notify_url": "http://127.0.0.1:9/n", "amount": { "total": 1 }
    });
    let path = "/v3/pay/transactions/native";
    let full = format!("/paysim/wechat{path}");

    let unsigned = m.send("POST", path, None, body.to_string()).await;
    assert_eq!((unsigned.status, unsigned.code()), (401, "SIGN_ERROR"));

    // Signed by another key under the merchant's identity.
    let (other_key, _) = sweep_wechatpay::generate_rsa_2048();
    let forger = sweep_wechatpay::MerchantSigner::new(m.get("mchid"), m.get("merchant_serial_no"), &other_key).unwrap();
    let auth = forger.authorization("POST", &full, now(), &random_nonce(), &body.to_string());
    let forged = m.send("POST", path, Some(auth), body.to_string()).await;
    assert_eq!((forged.status, forged.code()), (401, "SIGN_ERROR"));

    // A genuine signature over another body.
    let auth = m.signer.authorization("POST", &full, now(), &random_nonce(), &body.to_string());
    let tampered = body.to_string().replace("\"total\":1", "\"total\":100");
    let r = m.send("POST", path, Some(auth), tampered).await;
    assert_eq!((r.status, r.code()), (401, "SIGN_ERROR"));

    // Stale timestamp, wrong serial.
    let auth = m.signer.authorization("POST", &full, now() - 301, &random_nonce(), &body.to_string());
    assert_eq!(m.send("POST", path, Some(auth), body.to_string()).await.status, 401);
    let wrong_serial =
        sweep_wechatpay::MerchantSigner::new(m.get("mchid"), "0123456789ABCDEF", &m.get("merchant_private_key"))
            .unwrap();
    let auth = wrong_serial.authorization("POST", &full, now(), &random_nonce(), &body.to_string());
    assert_eq!(m.send("POST", path, Some(auth), body.to_string()).await.status, 401);

    // A client that signs the documented path (`/v3/...`) is accepted too, and so is the full path.
    let ok = m.call_signed("POST", path, path, Some(&body)).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    assert_eq!(m.call("POST", path, Some(&body)).await.status, 200);

    // The appid must belong to the merchant.
    let mut foreign = body.clone();
    foreign["appid"] = json!("wx0000000000000000");
    let r = m.call("POST", path, Some(&foreign)).await;
    assert_eq!((r.status, r.code()), (400, "APPID_MCHID_NOT_MATCH"));
    // A notify_url with a query string is refused, as WeChat Pay does.
    let mut query_url = body.clone();
    query_url["notify_url"] = json!("http://127.0.0.1:9/n?x=1");
    assert_eq!(m.call("POST", path, Some(&query_url)).await.code(), "PARAM_ERROR");
}

#[tokio::test]
async fn certificate_mode_signs_with_the_certificate_serial() {
    let h = start().await;
    let m = WxMerchant::new(h.sim.create_wechat_account());
    let cert_pem = m.creds["platform_certificates"][0].as_str().unwrap().to_owned();
    let cert = PlatformCertificate::from_pem(&cert_pem).unwrap();
    assert_eq!(cert.serial_no().len(), 40);
    assert!(cert.is_valid_at(now()));

    let switch = format!("{}/sim/wechat/accounts/{}/sign-with-certificate", h.base, m.get("mchid"));
    assert_eq!(h.http.post(&switch).send().await.unwrap().status(), 204);
    let r = m.call("GET", "/v3/certificates", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Wechatpay-Serial"), Some(cert.serial_no()));
    r.verify(&m.verifier).expect("verifies by certificate serial");
    let mut only_public_key = PlatformVerifier::new();
    only_public_key.add_public_key_pem(&m.get("platform_public_key_id"), &m.get("platform_public_key")).unwrap();
    assert!(matches!(r.verify(&only_public_key), Err(VerifyError::UnknownSerial(_))));

    // The download carries the same certificate, encrypted with the APIv3 key.
    let downloaded: sweep_wechatpay::types::CertificatesResponse = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(downloaded.data[0].serial_no, cert.serial_no());
    let plain = decrypt_resource(&m.get("api_v3_key"), &downloaded.data[0].encrypt_certificate).unwrap();
    assert_eq!(String::from_utf8(plain).unwrap(), cert_pem);

    assert_eq!(h.http.delete(&switch).send().await.unwrap().status(), 204);
    let back = m.call("GET", "/v3/certificates", None).await;
    assert_eq!(back.header("Wechatpay-Serial"), Some(m.get("platform_public_key_id").as_str()));
    back.verify(&only_public_key).unwrap();
}

#[tokio::test]
async fn notifications_are_retried_until_acknowledged() {
    let h = start().await;
    let rx = Receiver::start(204, "").await;
    rx.script(&[(500, "{\"code\":\"FAIL\"}"), (404, "")]);
    let m = WxMerchant::new(h.sim.create_wechat_account());
    assert_eq!(m.native("SWP-RETRY-1", 100, &rx.url).await.status, 200);
    h.sim.pay_wechat("SWP-RETRY-1").await.unwrap();
    assert!(h.sim.pay_wechat("SWP-RETRY-1").await.is_err(), "paid once only");

    let hits = rx.wait_for(3).await;
    let opened: Vec<_> = hits.iter().map(|hit| open_notification(&m, &hit.headers, &hit.body)).collect();
    assert!(opened.iter().all(|(n, _)| n.id == opened[0].0.id), "one event id across retries");
    assert_ne!(opened[0].0.resource.nonce, opened[1].0.resource.nonce, "fresh nonce per attempt");
    let d = common::eventually(|| async { Some(h.sim.deliveries()).filter(|d| d.len() == 3) }).await;
    let statuses: Vec<_> = d.iter().map(|d| (d.attempt, d.status, d.delivered)).collect();
    assert_eq!(statuses, [(1, Some(500), false), (2, Some(404), false), (3, Some(204), true)]);
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    assert_eq!(rx.hits().len(), 3, "no attempts after the acknowledgement");
}

#[tokio::test]
async fn unreachable_merchants_are_retried_then_given_up() {
    let h = start().await;
    let m = WxMerchant::new(h.sim.create_wechat_account());
    // Nothing listens on port 9 of localhost.
    assert_eq!(m.native("SWP-GONE-01", 100, "http://127.0.0.1:9/notify").await.status, 200);
    h.sim.pay_wechat("SWP-GONE-01").await.unwrap();
    let d = common::eventually(|| async {
        let d = h.sim.deliveries();
        (d.len() == 4).then_some(d)
    })
    .await;
    assert!(d.iter().all(|d| d.status.is_none() && !d.delivered));
    assert_eq!(d.iter().map(|d| d.attempt).collect::<Vec<_>>(), [1, 2, 3, 4]);
}

#[tokio::test]
async fn duplicate_drop_and_replay_faults() {
    let h = start().await;
    let rx = Receiver::start(200, "").await;
    let m = WxMerchant::new(h.sim.create_wechat_account());

    h.sim.set_faults(Faults { duplicate_notifications: 2, ..Faults::default() });
    assert_eq!(m.native("SWP-DUP-01", 100, &rx.url).await.status, 200);
    h.sim.pay_wechat("SWP-DUP-01").await.unwrap();
    let hits = rx.wait_for(3).await;
    let ids: Vec<_> = hits.iter().map(|hit| open_notification(&m, &hit.headers, &hit.body).0.id).collect();
    assert!(ids.iter().all(|id| *id == ids[0]));
    common::eventually(|| async { (h.sim.deliveries().iter().filter(|d| d.duplicate).count() == 2).then_some(()) })
        .await;

    // Faults are also set through the control API.
    let faults = h
        .http
        .post(format!("{}/sim/faults", h.base))
        .json(&json!({ "drop_notifications": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.json::<Faults>().await.unwrap(), Faults { drop_notifications: true, ..Faults::default() });
    assert_eq!(m.native("SWP-DROP-01", 100, &rx.url).await.status, 200);
    h.sim.pay_wechat("SWP-DROP-01").await.unwrap();
    let dropped =
        common::eventually(|| async { h.sim.deliveries().into_iter().find(|d| d.out_trade_no == "SWP-DROP-01") }).await;
    assert!(dropped.dropped && dropped.status.is_none());
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    assert_eq!(rx.hits().len(), 3, "a dropped notification is never sent");

    // A replay is freshly signed and carries the original event id.
    let (headers, body) = h.sim.wechat_payment_notification("SWP-DUP-01").unwrap();
    let (n, plain) = open_notification(&m, &headers, &body);
    assert_eq!(n.id, ids[0]);
    assert_eq!(serde_json::from_slice::<Transaction>(&plain).unwrap().trade_state, TradeState::Success);
    assert!(h.sim.wechat_payment_notification("SWP-NEVER-1").is_none());
    let listed: Vec<sweep_paysim::Delivery> =
        h.http.get(format!("{}/sim/deliveries", h.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed.len(), h.sim.deliveries().len());
}

#[tokio::test]
async fn credentials_have_the_fixed_shapes_and_the_control_api_creates_them() {
    let h = start().await;
    let hex = |s: &str, upper: bool| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || if upper { (b'A'..=b'F').contains(&b) } else { (b'a'..=b'f').contains(&b) })
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());

    let wx: serde_json::Value =
        h.http.post(format!("{}/sim/accounts/wechatpay", h.base)).send().await.unwrap().json().await.unwrap();
    let s = |k: &str| wx[k].as_str().unwrap_or_else(|| panic!("{k}")).to_owned();
    assert!(s("mchid").len() == 10 && digits(&s("mchid")));
    assert!(s("appid").len() == 18 && s("appid").starts_with("wx") && hex(&s("appid")[2..], false));
    assert!(s("app_secret").len() == 32 && hex(&s("app_secret"), false));
    assert!(s("merchant_serial_no").len() == 40 && hex(&s("merchant_serial_no"), true));
    assert!(s("merchant_private_key").starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(s("api_v3_key").len() == 32 && s("api_v3_key").bytes().all(|b| b.is_ascii_alphanumeric()));
    let id = s("platform_public_key_id");
    assert!(id.starts_with("PUB_KEY_ID_") && digits(&id["PUB_KEY_ID_".len()..]) && id.len() > 11);
    assert!(s("platform_public_key").starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(wx["platform_certificates"].as_array().unwrap().len(), 1);
    assert_eq!(s("gateway_url"), format!("{}/wechat", h.base));
    assert_eq!(wx.as_object().unwrap().len(), 10, "exactly the fixed fields");
    // Usable at once: a signed call succeeds.
    assert_eq!(WxMerchant::new(wx).call("GET", "/v3/certificates", None).await.status, 200);

    let ali: serde_json::Value =
        h.http.post(format!("{}/sim/accounts/alipay", h.base)).send().await.unwrap().json().await.unwrap();
    let s = |k: &str| ali[k].as_str().unwrap_or_else(|| panic!("{k}")).to_owned();
    assert!(s("app_id").len() == 16 && s("app_id").starts_with("2021") && digits(&s("app_id")));
    assert!(s("seller_id").len() == 16 && s("seller_id").starts_with("2088") && digits(&s("seller_id")));
    sweep_alipay::AppSigner::from_pkcs8_der(&base64_decode(&s("app_private_key"))).expect("bare base64 PKCS#8");
    sweep_alipay::AlipayPublicKey::from_spki_der(&base64_decode(&s("alipay_public_key"))).expect("bare base64 SPKI");
    assert_eq!(s("gateway_url"), format!("{}/alipay/gateway.do", h.base));
    assert_eq!(ali.as_object().unwrap().len(), 5, "exactly the fixed fields");

    let index = h.http.get(&h.base).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert!(index.text().await.unwrap().contains("Sweep paysim"));
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}
