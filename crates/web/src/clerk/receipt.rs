//! The receipt of a till sale, as recorded: the lines, what came off, how it was paid
//! (a payment code charged through the provider shows its wallet and the end of the
//! transaction id), and the member's points.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use sweep_app::loyalty::{TillPaymentMethod, TillSaleView};
use sweep_app::page::PageRequest;
use sweep_domain::loyalty::PointsKind;
use sweep_domain::order::Payment;
use sweep_domain::{Money, Timestamp};

use super::Clerk;
use super::till::{LineView, html};
use super::till_form::{METHODS, method_label};
use crate::state::AppState;

/// How many characters of a provider's transaction id the receipt shows.
const TXN_TAIL: usize = 6;

#[derive(Template)]
#[template(path = "clerk_receipt.html")]
struct ReceiptPage {
    store: String,
    store_address: String,
    store_phone: String,
    store_id: String,
    /// The sale, for taking goods back.
    order_id: String,
    number: String,
    time: String,
    cashier: String,
    lines: Vec<LineView>,
    subtotal: String,
    points_used: i64,
    points_off: String,
    coupon_off: Option<String>,
    total: String,
    payments: Vec<ReceiptPayment>,
    tendered: Option<String>,
    change: Option<String>,
    member: Option<ReceiptMember>,
    /// The form was sent before: this is the sale recorded then.
    replayed: bool,
}

pub struct ReceiptMember {
    phone: String,
    earned: i64,
    balance: i64,
}

pub struct ReceiptPayment {
    label: &'static str,
    amount: String,
    /// A payment code Sweep charged through the provider (not the till's own terminal).
    charged: bool,
    /// The end of the provider's transaction id, for a charged payment code.
    txn: Option<String>,
}

/// A payment as the receipt shows it; `wallet`: the method the sale was paid by, which
/// names the wallet a charged payment code belongs to.
fn receipt_payment(p: &Payment, wallet: Option<TillPaymentMethod>) -> ReceiptPayment {
    let amount = p.amount.to_major_string();
    if TillPaymentMethod::parse(&p.provider).is_some() {
        return ReceiptPayment { label: method_label(&p.provider), amount, charged: false, txn: None };
    }
    // Charged through the payment provider: by the shopper's code.
    let label = match wallet.and_then(|w| METHODS.iter().find(|(m, _)| *m == w)) {
        Some((TillPaymentMethod::WechatCode | TillPaymentMethod::AlipayCode, name)) => *name,
        _ => method_label(&p.provider),
    };
    let txn = p.provider_txn_id.as_ref().map(|id| {
        let tail: String = id.chars().rev().take(TXN_TAIL).collect();
        tail.chars().rev().collect()
    });
    ReceiptPayment { label, amount, charged: true, txn }
}

/// The receipt of `view`; `priced`: the lines as the till priced them (their names);
/// `tendered`: the cash handed over; `wallet`: the method the sale was paid by.
pub(super) async fn receipt(
    s: &AppState,
    c: &Clerk,
    view: TillSaleView,
    priced: Vec<LineView>,
    tendered: Option<Money>,
    wallet: Option<TillPaymentMethod>,
) -> Response {
    let o = &view.order;
    let store_id = o.shipments.first().map(|sh| sh.location_id).or(o.influencer_store_id);
    let store = match store_id {
        Some(id) => s.sweep.get_location(&c.actor, id).await.ok(),
        None => None,
    };
    let merchant = s.sweep.get_merchant(&c.actor, o.merchant_id).await;
    let offset = merchant.as_ref().map(|m| m.time_zone().offset_minutes()).unwrap_or(480);
    // The payments and the member's (masked) phone as recorded.
    let (payments, phone) = match s.sweep.get_order(&c.actor, o.id).await {
        Ok(full) => {
            (full.payments.iter().map(|p| receipt_payment(p, wallet)).collect(), full.shopper_phone.unwrap_or_default())
        }
        Err(e) => {
            tracing::warn!(error = %e, "receipt: the order is out of sight");
            (vec![], String::new())
        }
    };
    // The member's points for this sale, from their ledger.
    let member = match view.member_points {
        Some(balance) => {
            let entries = s.sweep.member_points(&c.actor, o.shopper_id, &PageRequest::first(50)).await;
            let earned = match entries {
                Ok(page) => page
                    .items
                    .iter()
                    .filter(|e| e.order_id == Some(o.id) && e.kind == PointsKind::Earn)
                    .map(|e| e.delta)
                    .sum(),
                Err(e) => {
                    tracing::warn!(error = %e, "receipt: points history failed");
                    0
                }
            };
            Some(ReceiptMember { phone, earned, balance })
        }
        None => None,
    };
    // The lines as recorded; names from the till's own pricing where it has them.
    let lines = o
        .lines
        .iter()
        .map(|l| {
            let name = priced
                .iter()
                .find(|p| p.sku_id == l.sku_id)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| format!("{} {}", l.name.zh, l.name.en).trim().to_string());
            LineView {
                sku_id: l.sku_id,
                name,
                label: l.sku_label.clone(),
                quantity: l.quantity,
                unit: l.unit_price.to_major_string(),
                total: l.subtotal.to_major_string(),
            }
        })
        .collect();
    let page = ReceiptPage {
        store: store.as_ref().map(|l| format!("{} {}", l.name.zh, l.name.en).trim().to_string()).unwrap_or_default(),
        store_address: store.as_ref().map(|l| l.address.clone()).unwrap_or_default(),
        store_phone: store.as_ref().map(|l| l.phone.clone()).unwrap_or_default(),
        store_id: store_id.map(|id| id.to_string()).unwrap_or_default(),
        order_id: o.id.to_string(),
        number: o.number.clone(),
        time: local_time(o.created_at, offset),
        cashier: c.auth.staff.display_name.clone(),
        lines,
        subtotal: o.subtotal.to_major_string(),
        points_used: o.points_used,
        // The order's discount is the points' and the coupon's together.
        points_off: o.discount.checked_sub(o.coupon_discount).unwrap_or(o.discount).to_major_string(),
        coupon_off: (o.coupon_discount.minor() > 0).then(|| o.coupon_discount.to_major_string()),
        total: o.total.to_major_string(),
        payments,
        tendered: tendered.map(Money::to_major_string),
        change: tendered.and_then(|t| t.checked_sub(o.total).ok()).map(Money::to_major_string),
        member,
        replayed: view.replayed,
    };
    html(page.render(), StatusCode::OK)
}

pub(super) fn local_time(t: Timestamp, offset_minutes: i32) -> String {
    let d = t.plus_seconds(i64::from(offset_minutes) * 60).to_offset_datetime();
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}
