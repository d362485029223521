//! WeChat Pay: refunds, close, payment codes, OAuth, JSAPI and H5.

mod common;

use std::time::Duration;

use common::{Receiver, WxMerchant, eventually, now, start};
use serde_json::{Value, json};
use sweep_wechatpay::types::{Notification, RefundNotification, RefundStatus};
use sweep_wechatpay::{SignedHeaders, decrypt_resource, random_nonce};

fn refund_body(out_trade_no: &str, out_refund_no: &str, refund: i64, total: i64, notify_url: &str) -> Value {
    json!({
        "out_trade_no": out_trade_no, "out_refund_no": out_refund_no, "notify_url": notify_url,
        "amount": { "refund": refund, "total": total, "currency": "CNY" }
    })
}

#[tokio::test]
async fn refunds_process_then_succeed_notify_and_are_idempotent() {
    let h = start().await;
    let rx = Receiver::start(200, "").await;
    let m = WxMerchant::new(h.sim.create_wechat_account());
    assert_eq!(m.native("SWP-RF-0001", 1000, &rx.url).await.status, 200);
    let path = "/v3/refund/domestic/refunds";

    let unpaid = m.call("POST", path, Some(&refund_body("SWP-RF-0001", "R1", 100, 1000, &rx.url))).await;
    assert_eq!((unpaid.status, unpaid.code()), (404, "RESOURCE_NOT_EXISTS"));
    let unknown = m.call("POST", path, Some(&refund_body("SWP-RF-NONE", "R1", 100, 1000, &rx.url))).await;
    assert_eq!((unknown.status, unknown.code()), (404, "RESOURCE_NOT_EXISTS"));

    h.sim.pay_wechat("SWP-RF-0001").await.unwrap();
    rx.wait_for(1).await;

    let first = m.call("POST", path, Some(&refund_body("SWP-RF-0001", "R1", 600, 1000, &rx.url))).await;
    assert_eq!(first.status, 200, "{}", String::from_utf8_lossy(&first.body));
    first.verify(&m.verifier).unwrap();
    assert_eq!(first.json["status"], "PROCESSING");
    let refund_id = first.json["refund_id"].as_str().unwrap().to_owned();

    let again = m.call("POST", path, Some(&refund_body("SWP-RF-0001", "R1", 600, 1000, &rx.url))).await;
    assert_eq!((again.status, again.json["refund_id"].as_str()), (200, Some(refund_id.as_str())));
    let changed = m.call("POST", path, Some(&refund_body("SWP-RF-0001", "R1", 500, 1000, &rx.url))).await;
    assert_eq!((changed.status, changed.code()), (400, "INVALID_REQUEST"));
    let too_much = m.call("POST", path, Some(&refund_body("SWP-RF-0001", "R2", 401, 1000, &rx.url))).await;
    assert_eq!((too_much.status, too_much.code()), (400, "NOT_ENOUGH"));
    let wrong_total = m.call("POST", path, Some(&refund_body("SWP-RF-0001", "R3", 100, 999, &rx.url))).await;
    assert_eq!(wrong_total.status, 400);
    assert_eq!(m.query("SWP-RF-0001").await.json["trade_state"], "REFUND");

    let done = eventually(|| async {
        let r = m.call("GET", &format!("{path}/R1"), None).await;
        (r.json["status"] == "SUCCESS").then_some(r)
    })
    .await;
    done.verify(&m.verifier).unwrap();
    assert!(done.json["success_time"].is_string());
    assert_eq!(done.json["amount"]["refund"], 600);

    let hits = rx.wait_for(2).await;
    let signed = SignedHeaders::from_pairs(&hits[1].headers).unwrap();
    m.verifier.verify(&signed, &hits[1].body, now()).unwrap();
    let n: Notification = serde_json::from_slice(&hits[1].body).unwrap();
    assert_eq!(n.event_type, "REFUND.SUCCESS");
    assert_eq!(n.resource.original_type.as_deref(), Some("refund"));
    let r: RefundNotification =
        serde_json::from_slice(&decrypt_resource(&m.get("api_v3_key"), &n.resource).unwrap()).unwrap();
    assert_eq!((r.refund_status, r.out_refund_no.as_str(), r.amount.refund), (RefundStatus::Success, "R1", 600));

    let missing = m.call("GET", &format!("{path}/R404"), None).await;
    assert_eq!((missing.status, missing.code()), (404, "RESOURCE_NOT_EXISTS"));
    let rest = m.call("POST", path, Some(&refund_body("SWP-RF-0001", "R4", 400, 1000, &rx.url))).await;
    assert_eq!(rest.status, 200, "the remainder can still be refunded");
}

#[tokio::test]
async fn closing_unpaid_works_and_closing_paid_is_refused() {
    let h = start().await;
    let rx = Receiver::start(200, "").await;
    let m = WxMerchant::new(h.sim.create_wechat_account());
    let body = json!({ "mchid": m.get("mchid") });
    let close = |no: &str| format!("/v3/pay/transactions/out-trade-no/{no}/close");

    assert_eq!(m.native("SWP-CL-0001", 100, &rx.url).await.status, 200);
    let closed = m.call("POST", &close("SWP-CL-0001"), Some(&body)).await;
    assert_eq!(closed.status, 204);
    closed.verify(&m.verifier).unwrap();
    assert_eq!(m.call("POST", &close("SWP-CL-0001"), Some(&body)).await.status, 204, "closing twice is fine");
    assert_eq!(m.query("SWP-CL-0001").await.json["trade_state"], "CLOSED");
    assert!(h.sim.pay_wechat("SWP-CL-0001").await.is_err(), "a closed order cannot be paid");
    assert_eq!(m.native("SWP-CL-0001", 100, &rx.url).await.code(), "ORDER_CLOSED");

    assert_eq!(m.native("SWP-CL-0002", 100, &rx.url).await.status, 200);
    h.sim.pay_wechat("SWP-CL-0002").await.unwrap();
    let refused = m.call("POST", &close("SWP-CL-0002"), Some(&body)).await;
    assert_eq!((refused.status, refused.code()), (400, "ORDERPAID"));
    assert_eq!(m.query("SWP-CL-0002").await.json["trade_state"], "SUCCESS");
    assert_eq!(m.native("SWP-CL-0002", 100, &rx.url).await.code(), "ORDERPAID");
}

fn codepay_body(m: &WxMerchant, no: &str, code: &str) -> Value {
    json!({
        "appid": m.get("appid"), "mchid": m.get("mchid"), "description": "till", "out_trade_no": no,
        "payer": { "auth_code": code }, "amount": { "total": 250, "currency": "CNY" },
        "scene_info": { "store_info": { "out_id": "store-1" } }
    })
}

#[tokio::test]
async fn payment_codes_userpaying_success_reverse_and_refusals() {
    let h = start().await;
    let m = WxMerchant::new(h.sim.create_wechat_account());
    let path = "/v3/pay/transactions/codepay";

    let waiting = m.call("POST", path, Some(&codepay_body(&m, "SWP-CP-0001", "134567890123451111"))).await;
    assert_eq!((waiting.status, waiting.code()), (202, "USERPAYING"));
    assert_eq!(m.query("SWP-CP-0001").await.json["trade_state"], "USERPAYING");
    let paid = eventually(|| async {
        let q = m.query("SWP-CP-0001").await;
        (q.json["trade_state"] == "SUCCESS").then_some(q)
    })
    .await;
    assert_eq!(paid.json["trade_type"], "MICROPAY");
    let again = m.call("POST", path, Some(&codepay_body(&m, "SWP-CP-0001", "134567890123451111"))).await;
    assert_eq!((again.status, &again.json["transaction_id"]), (200, &paid.json["transaction_id"]), "charged once");

    let stuck = m.call("POST", path, Some(&codepay_body(&m, "SWP-CP-0002", "104567890123452222"))).await;
    assert_eq!(stuck.status, 202);
    let reverse = json!({ "appid": m.get("appid"), "mchid": m.get("mchid") });
    let reversed = m.call("POST", "/v3/pay/transactions/out-trade-no/SWP-CP-0002/reverse", Some(&reverse)).await;
    assert_eq!(reversed.status, 204);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(m.query("SWP-CP-0002").await.json["trade_state"], "REVOKED");

    let poor = m.call("POST", path, Some(&codepay_body(&m, "SWP-CP-0003", "124567890123450000"))).await;
    assert_eq!((poor.status, poor.code()), (403, "NOTENOUGH"));
    for bad in ["094567890123456789", "12345678901234567", "1245678901234567890", "12456789012345678a"] {
        let r = m.call("POST", path, Some(&codepay_body(&m, "SWP-CP-0004", bad))).await;
        assert_eq!((r.status, r.code()), (400, "PARAM_ERROR"), "{bad}");
    }
    let instant = m.call("POST", path, Some(&codepay_body(&m, "SWP-CP-0005", "154567890123456789"))).await;
    assert_eq!((instant.status, &instant.json["trade_state"]), (200, &json!("SUCCESS")));
    instant.verify(&m.verifier).unwrap();
    let paid_reversed = m.call("POST", "/v3/pay/transactions/out-trade-no/SWP-CP-0005/reverse", Some(&reverse)).await;
    assert_eq!(paid_reversed.status, 204);
    assert_eq!(m.query("SWP-CP-0005").await.json["trade_state"], "REVOKED");
}

#[tokio::test]
async fn oauth_code_gives_a_stable_openid_once() {
    let h = start().await;
    let m = WxMerchant::new(h.sim.create_wechat_account());
    let authorize = |cookie: Option<&str>| {
        let url = format!(
            "{}/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state=xyz",
            m.gateway,
            m.get("appid"),
            "http%3A%2F%2Fshop.example%2Fpay%3Forder%3D7"
        );
        let mut req = h.http.get(url);
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        req.send()
    };
    let first = authorize(None).await.unwrap();
    assert_eq!(first.status(), 302);
    let cookie = first.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with("paysim_openid="));
    let target = reqwest::Url::parse(&common::location(&first)).unwrap();
    assert_eq!((target.host_str(), target.path()), (Some("shop.example"), "/pay"));
    let q: std::collections::HashMap<_, _> = target.query_pairs().into_owned().collect();
    assert_eq!((q["order"].as_str(), q["state"].as_str()), ("7", "xyz"));

    let exchange = |code: &str, secret: &str| {
        let url = format!(
            "{}/sns/oauth2/access_token?appid={}&secret={secret}&code={code}&grant_type=authorization_code",
            m.gateway,
            m.get("appid")
        );
        let http = h.http.clone();
        async move { http.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(exchange(&q["code"], "wrong").await["errcode"], 40125);
    let token = exchange(&q["code"], &m.get("app_secret")).await;
    assert_eq!(token["openid"].as_str(), cookie.strip_prefix("paysim_openid="));
    assert_eq!((token["expires_in"].as_i64(), token["scope"].as_str()), (Some(7200), Some("snsapi_base")));
    assert!(token["access_token"].is_string() && token["refresh_token"].is_string());
    let reused = exchange(&q["code"], &m.get("app_secret")).await;
    assert_eq!((reused["errcode"].as_i64(), reused["errmsg"].as_str()), (Some(40029), Some("invalid code")));

    let second = authorize(Some(&cookie)).await.unwrap();
    let target = reqwest::Url::parse(&common::location(&second)).unwrap();
    let code = target.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    assert_eq!(exchange(&code, &m.get("app_secret")).await["openid"], token["openid"], "same browser, same openid");
}

#[tokio::test]
async fn jsapi_pay_checks_the_pay_sign() {
    let h = start().await;
    let rx = Receiver::start(200, "").await;
    let m = WxMerchant::new(h.sim.create_wechat_account());
    let body = json!({
        "appid": m.get("appid"), "mchid": m.get("mchid"), "description": "面包", "out_trade_no": "SWP-JS-0001",
        "notify_url": rx.url, "amount": { "total": 800 }, "payer": { "openid": "oPAYER0000000000000000000001" }
    });
    let mut no_openid = body.clone();
    no_openid.as_object_mut().unwrap().remove("payer");
    assert_eq!(m.call("POST", "/v3/pay/transactions/jsapi", Some(&no_openid)).await.code(), "PARAM_ERROR");
    let prepay = m.call("POST", "/v3/pay/transactions/jsapi", Some(&body)).await;
    let prepay_id = prepay.json["prepay_id"].as_str().unwrap().to_owned();
    assert!(prepay_id.starts_with("wx"));

    let endpoint = format!("{}/jsapi/pay", m.gateway);
    let params = m.signer.jsapi_pay_params(&m.get("appid"), &prepay_id, now(), &random_nonce());
    let mut tampered = params.clone();
    tampered.nonce_str = random_nonce();
    let refused = h.http.post(&endpoint).json(&tampered).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.headers()["access-control-allow-origin"], "*");
    assert_eq!(refused.json::<Value>().await.unwrap()["err_msg"], "get_brand_wcpay_request:fail");
    let stale = m.signer.jsapi_pay_params(&m.get("appid"), &prepay_id, now() - 400, &random_nonce());
    assert_eq!(h.http.post(&endpoint).json(&stale).send().await.unwrap().status(), 400);

    let preflight = h.http.request(reqwest::Method::OPTIONS, &endpoint).send().await.unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let ok = h.http.post(&endpoint).json(&params).send().await.unwrap();
    assert_eq!(ok.json::<Value>().await.unwrap()["err_msg"], "get_brand_wcpay_request:ok");
    let twice = h.http.post(&endpoint).json(&params).send().await.unwrap();
    assert_eq!(twice.status(), 400, "an order is paid once");

    let hits = rx.wait_for(1).await;
    let n: Notification = serde_json::from_slice(&hits[0].body).unwrap();
    let tx: Value = serde_json::from_slice(&decrypt_resource(&m.get("api_v3_key"), &n.resource).unwrap()).unwrap();
    assert_eq!(
        (tx["trade_type"].as_str(), tx["payer"]["openid"].as_str()),
        (Some("JSAPI"), Some("oPAYER0000000000000000000001"))
    );

    let script = h.http.get(format!("{}/jsbridge.js", m.gateway)).send().await.unwrap().text().await.unwrap();
    assert!(script.contains("window.WeixinJSBridge") && script.contains("WeixinJSBridgeReady"));
    assert!(script.contains(&format!("\"{endpoint}\"")));
}

#[tokio::test]
async fn h5_pays_and_returns_to_the_redirect_url() {
    let h = start().await;
    let rx = Receiver::start(200, "").await;
    let m = WxMerchant::new(h.sim.create_wechat_account());
    let body = json!({
        "appid": m.get("appid"), "mchid": m.get("mchid"), "description": "H5", "out_trade_no": "SWP-H5-0001",
        "notify_url": rx.url, "amount": { "total": 5 },
        "scene_info": { "payer_client_ip": "127.0.0.1", "h5_info": { "type": "Wap" } }
    });
    let prepay = m.call("POST", "/v3/pay/transactions/h5", Some(&body)).await;
    let h5_url = prepay.json["h5_url"].as_str().unwrap().to_owned();
    assert!(h5_url.starts_with(&format!("{}/wechat/h5?prepay_id=wx", h.base)));

    let bad = h.http.get(h5_url.replace("package=", "package=1")).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let page_url = format!("{h5_url}&redirect_url=http%3A%2F%2Fshop.example%2Fdone%3Fo%3D1");
    let page = h.http.get(&page_url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("¥0.05") && page.contains(r#"id="sim-pay""#));
    let form: Vec<(String, String)> = ["prepay_id", "package", "redirect_url"]
        .iter()
        .map(|k| {
            let marker = format!(r#"name="{k}" value=""#);
            let start = page.find(&marker).unwrap() + marker.len();
            ((*k).to_owned(), page[start..start + page[start..].find('"').unwrap()].replace("&amp;", "&"))
        })
        .collect();
    let paid = h.http.post(common::form_action(&page)).form(&form).send().await.unwrap();
    assert_eq!(paid.status(), 303);
    assert_eq!(common::location(&paid), "http://shop.example/done?o=1");
    rx.wait_for(1).await;
    assert_eq!(m.query("SWP-H5-0001").await.json["trade_type"], "MWEB");
}
