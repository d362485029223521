//! Alipay: gateway verification, precreate and cashier flows, notifications, refunds, bar
//! codes, close and cancel.

mod common;

use common::{AliMerchant, Receiver, eventually, start};
use serde_json::json;
use sweep_alipay::types::method;
use sweep_alipay::{TradeNotify, TradeStatus, verify_notify};

#[tokio::test]
async fn precreate_scan_pay_and_verified_notification() {
    let h = start().await;
    let rx = Receiver::start(200, "success").await;
    let m = AliMerchant::new(h.sim.create_alipay_account());
    assert_eq!(m.get("gateway_url"), format!("{}/alipay/gateway.do", h.base));
    assert!(!m.get("app_private_key").contains("BEGIN"), "bare base64, as Alipay's key tool gives");

    let reply = m.precreate("SWP-A-0001", "12.30", &rx.url).await;
    assert!(reply.is_success(), "{:?}", reply.body);
    let qr = reply.body["qr_code"].as_str().unwrap().to_owned();
    assert!(qr.starts_with(&format!("{}/alipay/qr/", h.base)));
    assert_eq!(m.precreate("SWP-A-0001", "12.30", &rx.url).await.body["qr_code"], qr.as_str(), "same trade, same code");
    assert!(m.precreate("SWP-A-0001", "12.31", &rx.url).await.has_sub_code("ACQ.CONTEXT_INCONSISTENT"));

    // Until the buyer scans, Alipay does not know the trade.
    assert!(m.query("SWP-A-0001").await.has_sub_code("ACQ.TRADE_NOT_EXIST"));
    let page = h.http.get(&qr).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("¥12.30") && page.contains(r#"id="sim-pay""#));
    assert!(page.contains("Sweep 咖啡 &lt;i&gt;"));
    assert_eq!(m.query("SWP-A-0001").await.body["trade_status"], "WAIT_BUYER_PAY");

    let paid = h.http.post(common::form_action(&page)).send().await.unwrap();
    assert_eq!(paid.status(), 303);
    let hits = rx.wait_for(1).await;
    assert!(
        hits[0].headers.iter().any(|(k, v)| k == "content-type" && v.starts_with("application/x-www-form-urlencoded"))
    );
    let params = verify_notify(&hits[0].body, &m.alipay_key).expect("notification signature");
    let n = TradeNotify::from_params(&params).unwrap();
    assert_eq!((n.trade_status, n.total_amount.as_str()), (TradeStatus::TradeSuccess, "12.30"));
    assert_eq!((n.app_id, n.seller_id, n.out_trade_no.as_str()), (m.get("app_id"), m.get("seller_id"), "SWP-A-0001"));
    assert_eq!(params["notify_type"], "trade_status_sync");
    assert_eq!(params["sign_type"], "RSA2");
    assert_eq!((params["receipt_amount"].as_str(), params["buyer_pay_amount"].as_str()), ("12.30", "12.30"));
    assert!(params["fund_bill_list"].contains("&quot;"), "HTML-escaped, as Alipay sends it");

    let q = m.query("SWP-A-0001").await;
    assert_eq!(
        (q.body["trade_status"].as_str(), q.body["total_amount"].as_str()),
        (Some("TRADE_SUCCESS"), Some("12.30"))
    );
    assert_eq!(q.body["trade_no"].as_str(), Some(n.trade_no.as_str()));
    assert!(m.precreate("SWP-A-0001", "12.30", &rx.url).await.has_sub_code("ACQ.TRADE_HAS_SUCCESS"));

    let replay = h.sim.alipay_payment_notification("SWP-A-0001").unwrap();
    let replayed = verify_notify(&replay, &m.alipay_key).unwrap();
    assert_eq!(replayed["notify_id"], n.notify_id);
}

#[tokio::test]
async fn only_exactly_success_acknowledges() {
    let h = start().await;
    let rx = Receiver::start(200, " success\n").await;
    rx.script(&[(200, "ok"), (200, "SUCCESS"), (500, "fail")]);
    let m = AliMerchant::new(h.sim.create_alipay_account());
    assert!(m.precreate("SWP-A-ACK1", "1.00", &rx.url).await.is_success());
    h.sim.pay_alipay("SWP-A-ACK1").await.unwrap();
    let hits = rx.wait_for(4).await;
    let ids: Vec<String> =
        hits.iter().map(|hit| verify_notify(&hit.body, &m.alipay_key).unwrap()["notify_id"].clone()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "notify_id repeats across retries");
    let d = eventually(|| async { Some(h.sim.deliveries()).filter(|d| d.len() == 4) }).await;
    let delivered: Vec<_> = d.iter().map(|d| d.delivered).collect();
    assert_eq!(delivered, [false, false, false, true], "only a (trimmed) `success` body acknowledges");
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    assert_eq!(rx.hits().len(), 4, "no retries after the acknowledgement");
}

#[tokio::test]
async fn refunds_are_idempotent_by_out_request_no() {
    let h = start().await;
    let rx = Receiver::start(200, "success").await;
    let m = AliMerchant::new(h.sim.create_alipay_account());
    assert!(m.precreate("SWP-A-RF01", "1.00", &rx.url).await.is_success());
    let refund =
        |no: &str, amount: &str| json!({ "out_trade_no": "SWP-A-RF01", "out_request_no": no, "refund_amount": amount });

    h.sim.pay_alipay("SWP-A-RF01").await.unwrap();
    let first = m.call(method::REFUND, &refund("R1", "0.50"), None).await;
    assert!(first.is_success(), "{:?}", first.body);
    assert_eq!((first.body["fund_change"].as_str(), first.body["refund_fee"].as_str()), (Some("Y"), Some("0.50")));
    let again = m.call(method::REFUND, &refund("R1", "0.50"), None).await;
    assert_eq!((again.body["fund_change"].as_str(), again.body["refund_fee"].as_str()), (Some("N"), Some("0.50")));
    assert!(m.call(method::REFUND, &refund("R1", "0.60"), None).await.has_sub_code("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"));
    assert!(m.call(method::REFUND, &refund("R2", "0.51"), None).await.has_sub_code("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"));
    assert!(m.call(method::REFUND, &refund("R2", "0.5x"), None).await.has_sub_code("ACQ.INVALID_PARAMETER"));
    assert!(m.call(method::REFUND, &refund("R2", "0.505"), None).await.has_sub_code("ACQ.INVALID_PARAMETER"));
    assert_eq!(m.query("SWP-A-RF01").await.body["trade_status"], "TRADE_SUCCESS");
    let rest = m.call(method::REFUND, &refund("R2", "0.50"), None).await;
    assert_eq!(rest.body["refund_fee"], "1.00");
    assert_eq!(m.query("SWP-A-RF01").await.body["trade_status"], "TRADE_CLOSED", "fully refunded");

    let rq = |no: &str| json!({ "out_trade_no": "SWP-A-RF01", "out_request_no": no });
    let known = m.call(method::REFUND_QUERY, &rq("R1"), None).await;
    assert_eq!(
        (known.body["refund_status"].as_str(), known.body["refund_amount"].as_str()),
        (Some("REFUND_SUCCESS"), Some("0.50"))
    );
    let unknown = m.call(method::REFUND_QUERY, &rq("R9"), None).await;
    assert!(unknown.is_success() && unknown.body.get("refund_status").is_none());

    assert!(m.precreate("SWP-A-RF02", "1.00", &rx.url).await.is_success());
    h.http
        .get(m.precreate("SWP-A-RF02", "1.00", &rx.url).await.body["qr_code"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let unpaid = json!({ "out_trade_no": "SWP-A-RF02", "out_request_no": "R1", "refund_amount": "0.10" });
    assert!(m.call(method::REFUND, &unpaid, None).await.has_sub_code("ACQ.TRADE_STATUS_ERROR"));
}

fn bar_code(no: &str, code: &str) -> serde_json::Value {
    json!({ "out_trade_no": no, "auth_code": code, "scene": "bar_code", "subject": "till", "total_amount": "3.00" })
}

#[tokio::test]
async fn bar_codes_wait_then_pay_and_cancel() {
    let h = start().await;
    let rx = Receiver::start(200, "success").await;
    let m = AliMerchant::new(h.sim.create_alipay_account());

    let waiting = m.call(method::PAY, &bar_code("SWP-A-BC01", "281234567890121111"), Some(&rx.url)).await;
    assert!(waiting.is_waiting_for_user(), "{:?}", waiting.body);
    assert_eq!(m.query("SWP-A-BC01").await.body["trade_status"], "WAIT_BUYER_PAY");
    eventually(|| async { (m.query("SWP-A-BC01").await.body["trade_status"] == "TRADE_SUCCESS").then_some(()) }).await;
    let hits = rx.wait_for(1).await;
    assert_eq!(verify_notify(&hits[0].body, &m.alipay_key).unwrap()["out_trade_no"], "SWP-A-BC01");
    let repeat = m.call(method::PAY, &bar_code("SWP-A-BC01", "281234567890121111"), Some(&rx.url)).await;
    assert!(repeat.is_success(), "the same order answers as before");

    let stuck = m.call(method::PAY, &bar_code("SWP-A-BC02", "2812345678901222222"), None).await;
    assert!(stuck.is_waiting_for_user());
    let cancel = m.call(method::CANCEL, &json!({ "out_trade_no": "SWP-A-BC02" }), None).await;
    assert_eq!((cancel.body["action"].as_str(), cancel.body["retry_flag"].as_str()), (Some("close"), Some("N")));
    assert_eq!(m.query("SWP-A-BC02").await.body["trade_status"], "TRADE_CLOSED");

    let instant = m.call(method::PAY, &bar_code("SWP-A-BC03", "251234567890123456"), None).await;
    assert!(instant.is_success());
    assert_eq!(instant.body["total_amount"], "3.00");
    let refunded = m.call(method::CANCEL, &json!({ "out_trade_no": "SWP-A-BC03" }), None).await;
    assert_eq!(refunded.body["action"], "refund");

    let poor = m.call(method::PAY, &bar_code("SWP-A-BC04", "301234567890120000"), None).await;
    assert!(poor.has_sub_code("ACQ.BUYER_BALANCE_NOT_ENOUGH"));
    for bad in ["181234567890123456", "2512345678901", "25123456789012345678901234", "25123456789012345x"] {
        let r = m.call(method::PAY, &bar_code("SWP-A-BC05", bad), None).await;
        assert!(r.has_sub_code("ACQ.PAYMENT_AUTH_CODE_INVALID"), "{bad}");
    }
    assert!(
        m.call(method::CANCEL, &json!({ "out_trade_no": "SWP-A-NONE" }), None)
            .await
            .has_sub_code("ACQ.TRADE_NOT_EXIST")
    );
}

#[tokio::test]
async fn close_and_gateway_rejections() {
    let h = start().await;
    let rx = Receiver::start(200, "success").await;
    let m = AliMerchant::new(h.sim.create_alipay_account());
    let close = |no: &str| json!({ "out_trade_no": no });

    for no in ["SWP-A-CL01", "SWP-A-CL02"] {
        let qr = m.precreate(no, "2.00", &rx.url).await.body["qr_code"].as_str().unwrap().to_owned();
        h.http.get(&qr).send().await.unwrap();
    }
    assert!(m.call(method::CLOSE, &close("SWP-A-CL01"), None).await.is_success());
    assert_eq!(m.query("SWP-A-CL01").await.body["trade_status"], "TRADE_CLOSED");
    assert!(h.sim.pay_alipay("SWP-A-CL01").await.is_err());
    h.sim.pay_alipay("SWP-A-CL02").await.unwrap();
    assert!(m.call(method::CLOSE, &close("SWP-A-CL02"), None).await.has_sub_code("ACQ.TRADE_STATUS_ERROR"));
    assert!(m.call(method::CLOSE, &close("SWP-A-CL99"), None).await.has_sub_code("ACQ.TRADE_NOT_EXIST"));

    // A tampered request: signed error_response.
    let mut form = m.params(method::QUERY, &close("SWP-A-CL02"), None, None);
    form.iter_mut().find(|(k, _)| k == "biz_content").unwrap().1 = close("SWP-A-CL01").to_string();
    let raw = m.post_form(&form).await;
    let reply = sweep_alipay::verify_reply(&raw, method::QUERY, &m.alipay_key).expect("signed error_response");
    assert_eq!((reply.code.as_str(), reply.sub_code.as_deref()), ("40002", Some("isv.invalid-signature")));

    // Parameters split between the query string and the body are merged, as the SDKs send them.
    let form = m.params(method::QUERY, &close("SWP-A-CL02"), None, None);
    let (query, body): (Vec<_>, Vec<_>) = form.into_iter().partition(|(k, _)| k != "biz_content");
    let url = format!("{}?{}", m.gateway, sweep_alipay::encode_form(&query));
    let split = h.http.post(url).form(&body).send().await.unwrap().text().await.unwrap();
    assert!(sweep_alipay::verify_reply(&split, method::QUERY, &m.alipay_key).unwrap().is_success());

    let mut foreign = m.params(method::QUERY, &close("SWP-A-CL02"), None, None);
    foreign.iter_mut().find(|(k, _)| k == "app_id").unwrap().1 = "2021000000000000".into();
    let raw = m.post_form(&foreign).await;
    let unsigned = sweep_alipay::parse_unverified(&raw, method::QUERY).unwrap();
    assert_eq!(unsigned.sub_code.as_deref(), Some("isv.invalid-app-id"));
}

#[tokio::test]
async fn wap_cashier_pays_and_returns_signed_parameters() {
    let h = start().await;
    let rx = Receiver::start(200, "success").await;
    let m = AliMerchant::new(h.sim.create_alipay_account());
    let biz = json!({ "out_trade_no": "SWP-A-WAP1", "product_code": "QUICK_WAP_WAY", "subject": "早餐", "total_amount": "8.80" });
    let params = m.params(method::WAP_PAY, &biz, Some(&rx.url), Some("http://shop.example/back?o=9"));
    let url = sweep_alipay::page_url(&m.gateway, &params);
    let page = h.http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("¥8.80") && page.contains(r#"id="sim-pay""#), "{page}");
    assert!(page.contains("<svg"), "a QR code for wide screens");
    assert_eq!(m.query("SWP-A-WAP1").await.body["trade_status"], "WAIT_BUYER_PAY");

    let paid = h.http.post(common::form_action(&page)).send().await.unwrap();
    assert_eq!(paid.status(), 303);
    let back = reqwest::Url::parse(&common::location(&paid)).unwrap();
    assert_eq!((back.host_str(), back.path()), (Some("shop.example"), "/back"));
    // The merchant's own query parameter stays, outside the signature.
    let pairs: Vec<(String, String)> = back.query_pairs().into_owned().collect();
    assert!(pairs.contains(&("o".to_owned(), "9".to_owned())));
    let alipay_part: Vec<_> = pairs.into_iter().filter(|(k, _)| k != "o").collect();
    let signed_part = sweep_alipay::encode_form(&alipay_part);
    let returned = verify_notify(signed_part.as_bytes(), &m.alipay_key).expect("signed return parameters");
    assert_eq!(returned["method"], "alipay.trade.wap.pay.return");
    assert_eq!((returned["total_amount"].as_str(), returned["out_trade_no"].as_str()), ("8.80", "SWP-A-WAP1"));
    rx.wait_for(1).await;

    let mut tampered = params.clone();
    tampered.iter_mut().find(|(k, _)| k == "return_url").unwrap().1 = "http://evil.example/".into();
    let refused = h.http.get(sweep_alipay::page_url(&m.gateway, &tampered)).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("isv.invalid-signature"));
}
