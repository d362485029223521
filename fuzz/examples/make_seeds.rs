//! Writes the seed corpora `in/<target>/`: a few valid inputs per target, signed with the
//! same test keys the targets use. Run from `fuzz/` after `cargo afl build --release --examples`:
//!
//!     target/release/examples/make_seeds
//!
//! Also checks that the notification seeds are accepted by the real notify path, so a
//! corpus that no longer reaches past the signature is noticed.

use std::fs;
use std::path::Path;

use serde_json::json;
use sweep_app::ports::ProviderNotice;
use sweep_fuzz::*;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("in").join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

fn with_mode(mode: u8, rest: &[u8]) -> Vec<u8> {
    let mut v = vec![mode];
    v.extend_from_slice(rest);
    v
}

fn main() {
    wechatpay();
    alipay();
    money();
    catalog();
    requests();
    println!("seeds written to in/");
}

fn wechatpay() {
    let transaction = json!({
        "appid": WX_APPID, "mchid": WX_MCHID, "out_trade_no": "SWP20260101000001",
        "transaction_id": "4200000000202601010000000001", "trade_type": "JSAPI", "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功", "bank_type": "OTHERS", "success_time": "2026-01-01T08:00:00+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 12900, "payer_total": 12900, "currency": "CNY", "payer_currency": "CNY"}
    })
    .to_string();
    let refund = json!({
        "mchid": WX_MCHID, "out_trade_no": "SWP20260101000001", "transaction_id": "4200000000202601010000000001",
        "out_refund_no": "R20260101000001", "refund_id": "50000000382019052709732678859",
        "refund_status": "SUCCESS", "success_time": "2026-01-01T09:00:00+08:00",
        "user_received_account": "招商银行信用卡0403",
        "amount": {"total": 12900, "refund": 3000, "payer_total": 12900, "payer_refund": 3000}
    })
    .to_string();
    let t = "wechatpay_notify";
    write(t, "plain_transaction", &with_mode(2, format!("TRANSACTION.SUCCESS\n{transaction}").as_bytes()));
    write(t, "plain_refund", &with_mode(2, format!("REFUND.SUCCESS\n{refund}").as_bytes()));
    write(t, "plain_other", &with_mode(2, b"TRANSACTION.CLOSED\n{}"));
    for (name, event, plain, original_type) in [
        ("transaction", "TRANSACTION.SUCCESS", &transaction, "transaction"),
        ("refund", "REFUND.SUCCESS", &refund, "refund"),
    ] {
        let mut resource =
            sweep_wechatpay::encrypt_resource(WX_API_V3_KEY, "fuzznonce123", "transaction", plain.as_bytes()).unwrap();
        resource.original_type = Some(original_type.into());
        let body = json!({
            "id": "EV-2018022511223320873", "create_time": "2026-01-01T08:00:00+08:00", "event_type": event,
            "resource_type": "encrypt-resource", "resource": resource, "summary": "支付成功"
        })
        .to_string();
        write(t, &format!("envelope_{name}"), &with_mode(1, body.as_bytes()));
        let signed = wechat_signer().sign_response(NOW_UNIX, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", body.as_bytes());
        let mut raw = String::new();
        for (k, v) in signed.to_pairs() {
            raw.push_str(&format!("{k}: {v}\n"));
        }
        raw.push_str("Content-Type: application/json\n\n");
        raw.push_str(&body);
        write(t, &format!("raw_{name}"), &with_mode(0, raw.as_bytes()));
        // The raw seed goes all the way through.
        let (headers, body) = headers_and_body(raw.as_bytes());
        let notice = wechat_gateway().read_notice(&headers, body, now()).expect("the raw seed is accepted");
        assert!(matches!(notice, ProviderNotice::Payment(_) | ProviderNotice::Refund { .. }), "{notice:?}");
    }
}

fn alipay() {
    let notify_time = sweep_alipay::timestamp_utc8(NOW_UNIX - 60);
    let paid = vec![
        ("notify_time", notify_time.as_str()),
        ("notify_type", "trade_status_sync"),
        ("notify_id", "ac05099524730693a8b330c5ecf72da9786"),
        ("app_id", ALIPAY_APP_ID),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("trade_no", "2026010122001400000000000001"),
        ("out_trade_no", "SWP20260101000001"),
        ("seller_id", ALIPAY_SELLER_ID),
        ("buyer_id", "2088102122524333"),
        ("trade_status", "TRADE_SUCCESS"),
        ("total_amount", "129.00"),
        ("receipt_amount", "129.00"),
        ("gmt_payment", notify_time.as_str()),
        ("subject", "咖啡 & 蛋糕"),
    ];
    let mut refund = paid.clone();
    refund.extend([("refund_fee", "30.00"), ("out_biz_no", "R20260101000001"), ("gmt_refund", notify_time.as_str())]);
    let t = "alipay_notify";
    for (name, params) in [("paid", &paid), ("refund", &refund)] {
        let form = sweep_alipay::signed_notify_form(params.iter().copied(), alipay_signer()).unwrap();
        write(t, &format!("raw_{name}"), &with_mode(0, form.as_bytes()));
        let notice = alipay_gateway().read_notice(&[], form.as_bytes(), now()).expect("the raw seed is accepted");
        assert!(matches!(notice, ProviderNotice::Payment(_) | ProviderNotice::Other(_)), "{notice:?}");
        let unsigned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        write(t, &format!("params_{name}"), &with_mode(1, sweep_alipay::encode_form(&unsigned).as_bytes()));
    }
}

fn money() {
    let t = "money_parse";
    for (name, text) in [("whole", "129"), ("one_decimal", "129.5"), ("cents", "12.34"), ("negative", "-3.20")] {
        write(t, name, text.as_bytes());
    }
    write(t, "largest", b" 999999999999999.99 ");
    let mut edges = i64::MAX.to_le_bytes().to_vec();
    edges.extend_from_slice(&(-100i64).to_le_bytes());
    write(t, "edges", &edges);
}

fn catalog() {
    let t = "catalog_csv";
    let full = "product_ref,category,name_zh,name_en,description_zh,description_en,status,sku_code,barcode,attributes,base_price,member_price,stock:HZ-XH-01\n\
                SOFA-1,沙发,云朵沙发,Cloud sofa,,\"Soft, deep seats\",active,SOFA-1-BLU,6901234567892,colour=雾霾蓝;size=1.8m,8999.00,8499.00,5\n\
                SOFA-1,沙发,,,,,,SOFA-1-GRY,,colour=灰;size=2.0m,9999,,0\n\
                LAMP,Lighting,,Desk lamp,,,draft,LAMP-01,'=1+2,,129.5,,12\n";
    write(t, "catalog", full.as_bytes());
    write(
        t,
        "bom_stock_only",
        "\u{feff}sku_code,stock:HZ-XH-01,stock:WH-01\nSOFA-1-BLU,3,0\nLAMP-01,,1000000\n".as_bytes(),
    );
}

fn requests() {
    let t = "request_json";
    let sku = "0190f3b4-8c4d-7f00-8000-000000000001";
    let id = "0190f3b4-8c4d-7f00-8000-000000000002";
    let seeds: [(&str, serde_json::Value); 11] = [
        (
            "place_order",
            json!({"fulfilment": "pickup", "store_id": id, "lines": [{"sku_id": sku, "quantity": 2}], "points": 100}),
        ),
        (
            "till_sale",
            json!({"sale_id": "T1-0001", "store_id": id, "till_id": "T1", "occurred_at": "2026-01-01T10:00:00+08:00",
            "offline": true, "lines": [{"barcode": "6901234567892", "quantity": 1}], "member_phone": "+86 138-0013-8000",
            "payments": [{"method": "cash", "amount": 8999}]}),
        ),
        (
            "address",
            json!({"recipient": "张三", "phone": "13800138000", "city": "杭州市", "district": "西湖区",
            "detail": "文三路 1 号", "lat": 30.27, "lng": 120.15, "is_default": true}),
        ),
        (
            "coupon_def",
            json!({"campaign_id": id, "name": {"zh": "满200减30", "en": "30 off 200"},
            "value": {"type": "percent", "percent": 15, "max_discount": 4000}, "min_spend": 20000,
            "channels": ["wechat", "pos"], "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2026-02-01T00:00:00Z"}),
        ),
        (
            "flash_sale",
            json!({"campaign_id": id, "name": "Double 11", "location_id": id,
            "starts_at": "2026-11-11T00:00:00+08:00", "ends_at": "2026-11-11T02:00:00+08:00", "per_member_limit": 2,
            "members_only": true, "items": [{"sku_id": sku, "price": 9900, "units": 100}]}),
        ),
        ("loyalty_program", serde_json::to_value(sweep_domain::loyalty::LoyaltyProgram::default()).unwrap()),
        (
            "create_sku",
            json!({"code": "SOFA-1-BLU", "barcode": "6901234567892", "attributes": {"colour": "雾霾蓝"},
            "base_price": 899900, "member_price": 849900}),
        ),
        (
            "create_location",
            json!({"code": "HZ-XH-01", "kind": "store", "name": {"zh": "西湖店"}, "point": {"lat": 30.27, "lng": 120.15},
            "opening_hours": {"mon": ["10:00-22:00"], "sat": ["09:30-12:00", "13:00-24:00"]}, "pickup_enabled": true}),
        ),
        (
            "close_shift",
            json!({"store_id": id, "till_id": "T1", "opening_float": 50000, "counted_cash": 163500,
            "since": "2026-01-01T08:00:00+08:00"}),
        ),
        ("return", json!({"lines": [{"line_id": id, "quantity": 1}], "reason": "too big"})),
        ("refund", json!({"amount": 3000, "reason": "damaged"})),
    ];
    for (i, (name, value)) in seeds.iter().enumerate() {
        write(t, name, &with_mode(i as u8, value.to_string().as_bytes()));
    }
    // Regression: instants an offset pushes out of the years 0000 to 9999 used to parse,
    // then print as a bare number or as 1970 (fixed in crates/domain/src/time.rs).
    let far = json!({"store_id": id, "till_id": "T1", "opening_float": 1, "counted_cash": 2,
        "since": "0000-01-01T00:00:00+01:00"});
    write(t, "regression_far_years", &with_mode(8, far.to_string().as_bytes()));
}
