//! JSON bodies: field names exactly as API v3 spells them, optional fields left out, and
//! responses in the documented shapes parsed.

use serde_json::json;
use sweep_wechatpay::types::*;

fn prepay(kind: PrepayKind) -> PrepayRequest {
    PrepayRequest {
        appid: "wxd678efh567hg6787".into(),
        mchid: "1230000109".into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: "1217752501201407033233368018".into(),
        time_expire: None,
        attach: None,
        notify_url: "https://www.weixin.qq.com/wxpay/pay.php".into(),
        amount: OrderAmount::cny(100),
        payer: (kind == PrepayKind::Jsapi).then(|| Payer { openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into() }),
        scene_info: (kind == PrepayKind::H5).then(|| SceneInfo {
            payer_client_ip: "14.23.150.211".into(),
            device_id: None,
            h5_info: Some(H5Info { kind: "Wap".into(), app_name: None, app_url: None }),
        }),
    }
}

#[test]
fn prepay_requests_serialize_with_api_v3_names() {
    let base = json!({
        "appid": "wxd678efh567hg6787", "mchid": "1230000109", "description": "Image形象店-深圳腾大-QQ公仔",
        "out_trade_no": "1217752501201407033233368018", "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
        "amount": {"total": 100, "currency": "CNY"}
    });
    assert_eq!(serde_json::to_value(prepay(PrepayKind::Native)).unwrap(), base);

    let mut jsapi = base.clone();
    jsapi["payer"] = json!({"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"});
    assert_eq!(serde_json::to_value(prepay(PrepayKind::Jsapi)).unwrap(), jsapi);

    let mut h5 = base.clone();
    h5["scene_info"] = json!({"payer_client_ip": "14.23.150.211", "h5_info": {"type": "Wap"}});
    h5["time_expire"] = json!("2018-06-08T10:34:56+08:00");
    let mut h5_request = prepay(PrepayKind::H5);
    h5_request.time_expire = Some("2018-06-08T10:34:56+08:00".into());
    assert_eq!(serde_json::to_value(&h5_request).unwrap(), h5);
    assert_eq!(serde_json::from_value::<PrepayRequest>(h5).unwrap(), h5_request);

    assert_eq!(PrepayKind::Native.path(), "/v3/pay/transactions/native");
    assert_eq!(PrepayKind::Jsapi.path(), "/v3/pay/transactions/jsapi");
    assert_eq!(PrepayKind::H5.path(), "/v3/pay/transactions/h5");
}

#[test]
fn prepay_check_applies_each_endpoints_requirements() {
    for kind in [PrepayKind::Native, PrepayKind::Jsapi, PrepayKind::H5] {
        assert_eq!(prepay(kind).check(kind), Ok(()));
    }
    assert_eq!(prepay(PrepayKind::Native).check(PrepayKind::Jsapi), Err("payer.openid"));
    assert_eq!(prepay(PrepayKind::Native).check(PrepayKind::H5), Err("scene_info.h5_info"));
    let mut short = prepay(PrepayKind::Native);
    short.out_trade_no = "12345".into();
    assert_eq!(short.check(PrepayKind::Native), Err("out_trade_no"));
    short.out_trade_no = "123456".into();
    assert_eq!(short.check(PrepayKind::Native), Ok(()));
    short.out_trade_no = "a".repeat(33);
    assert_eq!(short.check(PrepayKind::Native), Err("out_trade_no"));
    short.out_trade_no = "sweep 0001".into();
    assert_eq!(short.check(PrepayKind::Native), Err("out_trade_no"));
    let mut free = prepay(PrepayKind::Native);
    free.amount.total = 0;
    assert_eq!(free.check(PrepayKind::Native), Err("amount.total"));
}

#[test]
fn prepay_responses_parse() {
    let native: NativePrepayResponse =
        serde_json::from_str(r#"{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}"#).unwrap();
    assert_eq!(native.code_url, "weixin://wxpay/bizpayurl?pr=p4lpSuKzz");
    let jsapi: JsapiPrepayResponse =
        serde_json::from_str(r#"{"prepay_id":"wx26112221580621e9b071c00d9e093b0000"}"#).unwrap();
    assert_eq!(jsapi.prepay_id, "wx26112221580621e9b071c00d9e093b0000");
    let h5: H5PrepayResponse = serde_json::from_str(
        r#"{"h5_url":"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2916263004719461949c84457c735b0000&package=2150917749"}"#,
    )
    .unwrap();
    assert!(h5.h5_url.starts_with("https://wx.tenpay.com/"));
}

#[test]
fn codepay_reverse_and_close_bodies() {
    let request = CodepayRequest {
        appid: "wxd678efh567hg6787".into(),
        mchid: "1230000109".into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: "1217752501201407033233368018".into(),
        attach: None,
        payer: AuthCodePayer { auth_code: "130061098828009406".into() },
        amount: OrderAmount::cny(100),
        scene_info: CodepaySceneInfo {
            device_ip: Some("14.23.150.211".into()),
            device_id: None,
            store_info: StoreInfo { id: None, out_id: Some("A1111".into()) },
        },
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({
            "appid": "wxd678efh567hg6787", "mchid": "1230000109", "description": "Image形象店-深圳腾大-QQ公仔",
            "out_trade_no": "1217752501201407033233368018", "payer": {"auth_code": "130061098828009406"},
            "amount": {"total": 100, "currency": "CNY"},
            "scene_info": {"device_ip": "14.23.150.211", "store_info": {"out_id": "A1111"}}
        })
    );
    assert_eq!(CODEPAY_PATH, "/v3/pay/transactions/codepay");
    let reverse = ReverseRequest { appid: "wxd678efh567hg6787".into(), mchid: "1230000109".into() };
    assert_eq!(serde_json::to_value(reverse).unwrap(), json!({"appid": "wxd678efh567hg6787", "mchid": "1230000109"}));
    assert_eq!(reverse_path("sweep000001"), "/v3/pay/transactions/out-trade-no/sweep000001/reverse");
    assert_eq!(
        serde_json::to_value(CloseRequest { mchid: "1230000109".into() }).unwrap(),
        json!({"mchid": "1230000109"})
    );
    assert_eq!(close_path("sweep000001"), "/v3/pay/transactions/out-trade-no/sweep000001/close");
    assert_eq!(
        query_path("sweep000001", "1230000109"),
        "/v3/pay/transactions/out-trade-no/sweep000001?mchid=1230000109"
    );
}

#[test]
fn transactions_parse_paid_unpaid_and_unknown_states() {
    let paid: Transaction = serde_json::from_value(json!({
        "appid": "wxd678efh567hg6787", "mchid": "1230000109", "out_trade_no": "1217752501201407033233368018",
        "transaction_id": "1217752501201407033233368018", "trade_type": "MICROPAY", "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功", "bank_type": "CMC", "attach": "自定义数据",
        "success_time": "2018-06-08T10:34:56+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 100, "payer_total": 90, "currency": "CNY", "payer_currency": "CNY"},
        "promotion_detail": [{"coupon_id": "109519", "amount": 10}]
    }))
    .unwrap();
    assert_eq!(paid.trade_type, Some(TradeType::Micropay));
    assert_eq!(paid.trade_state, TradeState::Success);
    assert_eq!(paid.amount.as_ref().unwrap().payer_total, Some(90));
    assert!(paid.trade_state.is_paid());

    let unpaid: Transaction = serde_json::from_value(json!({
        "appid": "wxd678efh567hg6787", "mchid": "1230000109", "out_trade_no": "1217752501201407033233368018",
        "trade_state": "NOTPAY", "trade_state_desc": "订单未支付", "amount": {"total": 100, "payer_currency": "CNY"}
    }))
    .unwrap();
    assert_eq!(unpaid.trade_state, TradeState::NotPay);
    assert_eq!(unpaid.transaction_id, None);
    assert!(!unpaid.trade_state.is_paid());
    let back = serde_json::to_value(&unpaid).unwrap();
    assert_eq!(back["trade_state"], "NOTPAY");
    assert!(back.get("transaction_id").is_none());

    for (text, state) in [
        ("REFUND", TradeState::Refund),
        ("CLOSED", TradeState::Closed),
        ("REVOKED", TradeState::Revoked),
        ("USERPAYING", TradeState::UserPaying),
        ("PAYERROR", TradeState::PayError),
        ("SOMETHING_NEW", TradeState::Unknown),
    ] {
        assert_eq!(serde_json::from_value::<TradeState>(json!(text)).unwrap(), state);
    }
    assert!(!TradeState::Unknown.is_paid());
}

#[test]
fn refund_bodies() {
    let request = RefundRequest {
        transaction_id: None,
        out_trade_no: Some("1217752501201407033233368018".into()),
        out_refund_no: "1217752501201407033233368019".into(),
        reason: Some("商品已售完".into()),
        notify_url: Some("https://weixin.qq.com".into()),
        amount: RefundRequestAmount { refund: 888, total: 888, currency: "CNY".into() },
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({
            "out_trade_no": "1217752501201407033233368018", "out_refund_no": "1217752501201407033233368019",
            "reason": "商品已售完", "notify_url": "https://weixin.qq.com",
            "amount": {"refund": 888, "total": 888, "currency": "CNY"}
        })
    );
    assert_eq!(REFUNDS_PATH, "/v3/refund/domestic/refunds");
    assert_eq!(
        refund_query_path("1217752501201407033233368019"),
        "/v3/refund/domestic/refunds/1217752501201407033233368019"
    );

    let refund: Refund = serde_json::from_value(json!({
        "refund_id": "50000000382019052709732678859", "out_refund_no": "1217752501201407033233368018",
        "transaction_id": "1217752501201407033233368018", "out_trade_no": "1217752501201407033233368018",
        "channel": "ORIGINAL", "user_received_account": "招商银行信用卡0403",
        "success_time": "2020-12-01T16:18:12+08:00", "create_time": "2020-12-01T16:18:12+08:00",
        "status": "SUCCESS", "funds_account": "UNSETTLED",
        "amount": {"total": 100, "refund": 100, "payer_total": 90, "payer_refund": 90, "settlement_refund": 100,
                   "settlement_total": 100, "discount_refund": 10, "currency": "CNY"}
    }))
    .unwrap();
    assert_eq!(refund.status, RefundStatus::Success);
    assert_eq!(refund.amount.payer_refund, Some(90));
    for (text, status) in [
        ("CLOSED", RefundStatus::Closed),
        ("PROCESSING", RefundStatus::Processing),
        ("ABNORMAL", RefundStatus::Abnormal),
    ] {
        assert_eq!(serde_json::from_value::<RefundStatus>(json!(text)).unwrap(), status);
    }

    let notified: RefundNotification = serde_json::from_value(json!({
        "mchid": "1900000100", "transaction_id": "1008450740201411110005820873", "out_trade_no": "20150806125346",
        "refund_id": "50200207182018070300011301001", "out_refund_no": "7752501201407033233368018",
        "refund_status": "SUCCESS", "success_time": "2018-06-08T10:34:56+08:00",
        "user_received_account": "招商银行信用卡0403",
        "amount": {"total": 999, "refund": 999, "payer_total": 999, "payer_refund": 999}
    }))
    .unwrap();
    assert_eq!(notified.refund_status, RefundStatus::Success);
    assert_eq!(notified.amount.payer_refund, 999);
}

#[test]
fn notification_envelope_and_error_body() {
    let notification: Notification = serde_json::from_value(json!({
        "id": "EV-2018022511223320873", "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                     "ciphertext": "", "associated_data": "", "nonce": ""}
    }))
    .unwrap();
    assert_eq!(notification.event_type, EVENT_TRANSACTION_SUCCESS);
    assert_eq!(notification.resource_type, RESOURCE_TYPE_ENCRYPT);
    assert_eq!(notification.resource.original_type.as_deref(), Some("transaction"));
    let back = serde_json::to_value(&notification).unwrap();
    assert_eq!(back["resource"]["original_type"], "transaction");
    assert_eq!(back["resource"]["algorithm"], "AEAD_AES_256_GCM");

    let error: ErrorBody =
        serde_json::from_str(r#"{"code":"PARAM_ERROR","message":"参数错误","detail":{"field":"/amount/total"}}"#)
            .unwrap();
    assert_eq!((error.code.as_str(), error.message.as_str()), ("PARAM_ERROR", "参数错误"));
    assert_eq!(serde_json::to_value(&error).unwrap(), json!({"code": "PARAM_ERROR", "message": "参数错误"}));
    assert_eq!(CERTIFICATES_PATH, "/v3/certificates");
}
