//! Alipay's asynchronous notification (`trade_status_sync`) and the signed synchronous return
//! parameters of the page and wap cashiers.

use std::sync::Arc;

use sweep_alipay::{NOTIFY_ACK, signed_notify_form, timestamp_utc8};

use super::{AliAccount, AliTrade, Origin};
use crate::notify::Outgoing;
use crate::{Simulator, lock, util};

/// The form body of one notification attempt (fresh `notify_time` and signature, same
/// `notify_id`).
fn form(account: &AliAccount, t: &AliTrade) -> Vec<u8> {
    let total = util::yuan(t.total);
    let paid_at = t.paid_at.unwrap_or(t.created);
    // Alipay sends this JSON HTML-escaped, and signs it that way.
    let fund_bill_list =
        format!("[{{&quot;amount&quot;:&quot;{total}&quot;,&quot;fundChannel&quot;:&quot;ALIPAYACCOUNT&quot;}}]");
    let params: Vec<(&str, String)> = vec![
        ("gmt_create", timestamp_utc8(t.created)),
        ("charset", "utf-8".to_owned()),
        ("seller_id", account.seller_id.clone()),
        ("subject", t.subject.clone()),
        ("buyer_id", t.buyer_id.clone()),
        ("invoice_amount", total.clone()),
        ("notify_id", t.notify_id.clone()),
        ("fund_bill_list", fund_bill_list),
        ("notify_type", "trade_status_sync".to_owned()),
        ("trade_status", "TRADE_SUCCESS".to_owned()),
        ("receipt_amount", total.clone()),
        ("buyer_pay_amount", total.clone()),
        ("app_id", account.app_id.clone()),
        ("notify_time", timestamp_utc8(util::now_unix())),
        ("point_amount", "0.00".to_owned()),
        ("trade_no", t.trade_no.clone()),
        ("auth_app_id", account.app_id.clone()),
        ("total_amount", total),
        ("out_trade_no", t.out_trade_no.clone()),
        ("version", "1.0".to_owned()),
        ("buyer_logon_id", t.buyer_logon_id.clone()),
        ("gmt_payment", timestamp_utc8(paid_at)),
    ];
    signed_notify_form(params.iter().map(|(k, v)| (*k, v.as_str())), &account.platform)
        .expect("sign with the generated key")
        .into_bytes()
}

/// Alipay stops retrying only when the answer body is exactly `success`.
fn accept(_status: u16, body: &str) -> bool {
    body.trim() == NOTIFY_ACK
}

/// The payment notification of a freshly paid trade, if it has a `notify_url`.
pub(crate) fn payment(account: Arc<AliAccount>, t: &AliTrade) -> Option<Outgoing> {
    let url = t.notify_url.clone().filter(|u| util::is_http_url(u))?;
    let snapshot = clone_for_notify(t);
    Some(Outgoing {
        provider: "alipay",
        event: "trade_status_sync".to_owned(),
        url,
        out_trade_no: t.out_trade_no.clone(),
        build: Box::new(move || {
            let headers =
                vec![("Content-Type".to_owned(), "application/x-www-form-urlencoded; charset=utf-8".to_owned())];
            (headers, form(&account, &snapshot))
        }),
        accept,
    })
}

/// A copy of the fields a notification shows.
fn clone_for_notify(t: &AliTrade) -> AliTrade {
    AliTrade {
        app_id: t.app_id.clone(),
        out_trade_no: t.out_trade_no.clone(),
        subject: t.subject.clone(),
        total: t.total,
        trade_no: t.trade_no.clone(),
        status: t.status,
        visible: t.visible,
        origin: t.origin,
        notify_url: t.notify_url.clone(),
        return_url: t.return_url.clone(),
        buyer_id: t.buyer_id.clone(),
        buyer_logon_id: t.buyer_logon_id.clone(),
        created: t.created,
        expires: t.expires,
        paid_at: t.paid_at,
        token: t.token.clone(),
        refunds: Vec::new(),
        auth_code: None,
        pending: false,
        failed: false,
        notify_id: t.notify_id.clone(),
        seq: t.seq,
    }
}

/// A freshly signed copy of a paid trade's notification body.
pub(crate) fn replay(sim: &Simulator, out_trade_no: &str) -> Option<Vec<u8>> {
    let st = lock(&sim.ali);
    let t =
        st.trades.values().filter(|t| t.out_trade_no == out_trade_no && t.paid_at.is_some()).max_by_key(|t| t.seq)?;
    let account = st.accounts.get(&t.app_id)?;
    Some(form(account, t))
}

/// Where the browser goes after paying at the cashier: `return_url` with Alipay's signed
/// synchronous return parameters. `None` without a `return_url`.
pub(crate) fn return_target(account: &AliAccount, t: &AliTrade) -> Option<String> {
    let url = t.return_url.as_deref().filter(|u| util::is_http_url(u))?;
    let method = match t.origin {
        Origin::Page => "alipay.trade.page.pay.return",
        _ => "alipay.trade.wap.pay.return",
    };
    let total = util::yuan(t.total);
    let timestamp = timestamp_utc8(util::now_unix());
    let params = [
        ("charset", "utf-8"),
        ("out_trade_no", t.out_trade_no.as_str()),
        ("method", method),
        ("total_amount", total.as_str()),
        ("trade_no", t.trade_no.as_str()),
        ("auth_app_id", account.app_id.as_str()),
        ("version", "1.0"),
        ("app_id", account.app_id.as_str()),
        ("seller_id", account.seller_id.as_str()),
        ("timestamp", timestamp.as_str()),
    ];
    let query = signed_notify_form(params, &account.platform).ok()?;
    Some(util::append_query(url, &query))
}
