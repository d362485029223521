//! WeChat Pay notifications: `TRANSACTION.SUCCESS` and `REFUND.SUCCESS`, each attempt with a
//! fresh AEAD nonce and fresh `Wechatpay-*` signature headers, the same `id` throughout.

use std::sync::Arc;

use sweep_wechatpay::types::{
    EVENT_REFUND_SUCCESS, EVENT_TRANSACTION_SUCCESS, Notification, RESOURCE_TYPE_ENCRYPT, RefundNotification,
    RefundNotificationAmount, RefundStatus, TradeState,
};
use sweep_wechatpay::{encrypt_resource, random_aead_nonce};

use super::{WxAccount, WxRefund, WxTrade, transaction};
use crate::notify::Outgoing;
use crate::{NotificationRequest, Simulator, lock, util};

/// The headers and body of one notification attempt.
fn request(
    account: &WxAccount,
    id: &str,
    create_time: &str,
    event_type: &str,
    summary: &str,
    original_type: &str,
    plaintext: &[u8],
) -> NotificationRequest {
    let mut resource = encrypt_resource(&account.api_v3_key, &random_aead_nonce(), original_type, plaintext)
        .expect("a 32-byte APIv3 key and a 12-byte nonce");
    resource.original_type = Some(original_type.to_owned());
    let notification = Notification {
        id: id.to_owned(),
        create_time: create_time.to_owned(),
        event_type: event_type.to_owned(),
        resource_type: RESOURCE_TYPE_ENCRYPT.to_owned(),
        resource,
        summary: summary.to_owned(),
    };
    let body = serde_json::to_vec(&notification).unwrap_or_default();
    let mut headers = account.sign(&body);
    headers.push(("Wechatpay-Signature-Type".to_owned(), "WECHATPAY2-SHA256-RSA2048".to_owned()));
    headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    (headers, body)
}

/// WeChat Pay counts 200 and 204 as received; anything else is retried.
fn accept(status: u16, _body: &str) -> bool {
    status == 200 || status == 204
}

/// The payment notification of a freshly paid trade, if it has a `notify_url`.
pub(crate) fn payment(account: Arc<WxAccount>, t: &WxTrade) -> Option<Outgoing> {
    if t.notify_url.is_empty() {
        return None;
    }
    let plaintext = serde_json::to_vec(&transaction(t, Some(TradeState::Success))).unwrap_or_default();
    let id = t.notify_id.clone();
    let create_time = util::rfc3339_cst(t.paid_at.unwrap_or_else(util::now_unix));
    Some(Outgoing {
        provider: "wechatpay",
        event: EVENT_TRANSACTION_SUCCESS.to_owned(),
        url: t.notify_url.clone(),
        out_trade_no: t.out_trade_no.clone(),
        build: Box::new(move || {
            request(&account, &id, &create_time, EVENT_TRANSACTION_SUCCESS, "支付成功", "transaction", &plaintext)
        }),
        accept,
    })
}

/// The `REFUND.SUCCESS` notification of a refund, if the refund request named a `notify_url`.
pub(crate) fn refund(account: Arc<WxAccount>, r: &WxRefund) -> Option<Outgoing> {
    let url = r.notify_url.clone()?;
    let body = RefundNotification {
        mchid: account.mchid.clone(),
        out_trade_no: r.out_trade_no.clone(),
        transaction_id: r.transaction_id.clone(),
        out_refund_no: r.out_refund_no.clone(),
        refund_id: r.refund_id.clone(),
        refund_status: RefundStatus::Success,
        success_time: r.succeeded.map(util::rfc3339_cst),
        user_received_account: Some("支付用户零钱".to_owned()),
        amount: RefundNotificationAmount {
            total: r.total,
            refund: r.refund,
            payer_total: r.total,
            payer_refund: r.refund,
        },
    };
    let plaintext = serde_json::to_vec(&body).unwrap_or_default();
    let id = util::random_uuid();
    let create_time = util::rfc3339_cst(util::now_unix());
    Some(Outgoing {
        provider: "wechatpay",
        event: EVENT_REFUND_SUCCESS.to_owned(),
        url,
        out_trade_no: r.out_trade_no.clone(),
        build: Box::new(move || {
            request(&account, &id, &create_time, EVENT_REFUND_SUCCESS, "退款成功", "refund", &plaintext)
        }),
        accept,
    })
}

/// A freshly signed copy of a paid trade's payment notification.
pub(crate) fn replay(sim: &Simulator, out_trade_no: &str) -> Option<NotificationRequest> {
    let st = lock(&sim.wx);
    let t = st
        .trades
        .values()
        .filter(|t| t.out_trade_no == out_trade_no && t.paid_at.is_some() && !t.notify_url.is_empty())
        .max_by_key(|t| t.seq)?;
    let account = st.accounts.get(&t.mchid)?.clone();
    let out = payment(account, t)?;
    Some((out.build)())
}
