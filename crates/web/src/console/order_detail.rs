//! One order in the console: its lines, money, where it is fulfilled, payments, refunds
//! and history, and the steps the signed-in staff member may take on it. Each step's
//! form carries a key made when the page was drawn, so a form sent twice acts once.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use sweep_app::AppResult;
use sweep_app::orders::{OrderView, RefundInput, ShipInput};
use sweep_domain::ids::{OrderId, ReturnId, ShipmentId, StaffId};
use sweep_domain::order::{Fulfilment, OrderStatus, PaymentStatus, RefundStatus, ReturnStatus, ShipmentStatus};
use sweep_domain::roles::Permission;
use sweep_domain::text::Lang;
use sweep_domain::{Currency, Money};

use super::{Names, actor_name, channel_name, cst, fulfilment_name, shipment_name, status_name, tr, visible_locations};
use crate::console::{Chrome, Console, yuan};
use crate::state::AppState;

struct LineRow {
    name: String,
    label: String,
    unit: String,
    quantity: i64,
    subtotal: String,
    discount: String,
    total: String,
    returned: i64,
    refunded: String,
}

struct ShipmentRow {
    id: String,
    location: String,
    status: &'static str,
    carrier: String,
    shipped_at: String,
    delivered_at: String,
    can_ship: bool,
}

struct PaymentRow {
    provider: String,
    reference: String,
    amount: String,
    status: &'static str,
    captured_at: String,
    refunded: String,
}

struct RefundRow {
    amount: String,
    reason: String,
    status: &'static str,
    at: String,
}

struct ReturnRow {
    id: String,
    /// Still waiting for a decision.
    open: bool,
    amount: String,
    reason: String,
    status: &'static str,
    at: String,
}

struct EventRow {
    at: String,
    from: &'static str,
    to: &'static str,
    by: String,
    note: String,
}

#[derive(Template)]
#[template(path = "console/orders_detail.html")]
struct DetailPage {
    c: Chrome,
    id: String,
    number: String,
    status: &'static str,
    channel: &'static str,
    fulfilment: &'static str,
    placed: String,
    pay_by: String,
    paid_at: String,
    completed_at: String,
    phone: String,
    till: String,
    influencer_store: String,
    influencer_clerk: String,
    card: String,
    pickup_store: String,
    pickup_deadline: String,
    address: String,
    lines: Vec<LineRow>,
    subtotal: String,
    discount: String,
    coupon_discount: String,
    points_used: i64,
    delivery_fee: String,
    total: String,
    paid: String,
    refunded: String,
    shipments: Vec<ShipmentRow>,
    payments: Vec<PaymentRow>,
    refunds: Vec<RefundRow>,
    returns: Vec<ReturnRow>,
    timeline: Vec<EventRow>,
    /// The forms' key: one per drawing of the page.
    key: String,
    can_ready: bool,
    can_cancel: bool,
    can_deliver: bool,
    can_refund: bool,
    /// Returns waiting for a decision can be approved or rejected.
    can_decide_returns: bool,
    /// What is left to refund, in yuan: the refund form's default (all of it).
    refundable: String,
}

fn done_notice(console: &Console, done: &str) -> Option<String> {
    let text = match done {
        "refund" => console.tr("已退款，款项将原路退回", "Refunded; the money goes back the way it came"),
        "cancel" => console.tr("订单已取消", "The order was cancelled"),
        "ready" => console.tr("已备货，已通知顾客取货", "Prepared; the shopper was told to come"),
        "ship" => console.tr("已发货", "Shipped"),
        "deliver" => console.tr("已确认送达", "Marked delivered"),
        "approve-return" => {
            console.tr("已同意退货，款项将原路退回", "Return approved; the money goes back the way it came")
        }
        "reject-return" => console.tr("已拒绝退货", "Return rejected"),
        _ => return None,
    };
    Some(text.to_string())
}

pub(super) async fn show(
    State(s): State<AppState>,
    Path(id): Path<String>,
    console: Console,
    RawQuery(raw): RawQuery,
) -> Response {
    let Ok(id) = id.parse::<OrderId>() else {
        return console.refusal(StatusCode::NOT_FOUND, console.tr("找不到这个订单", "No such order"));
    };
    let done = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "done")
        .and_then(|(_, v)| done_notice(&console, &v));
    render(&s, &console, id, done.map(|d| (d, false)), StatusCode::OK).await
}

/// The order's page, with an outcome to show.
async fn render(
    s: &AppState,
    console: &Console,
    id: OrderId,
    notice: Option<(String, bool)>,
    status: StatusCode,
) -> Response {
    let view = match s.sweep.get_order(&console.actor, id).await {
        Ok(view) => view,
        Err(e) => return console.failed(&e),
    };
    let locations = match visible_locations(s, console).await {
        Ok(l) => l,
        Err(e) => return console.failed(&e),
    };
    let key = match sweep_app::secrets::random_token("ck") {
        Ok(k) => k,
        Err(e) => return console.failed(&e),
    };
    let clerk = match view.order.influencer_clerk_id {
        Some(staff) => clerk_name(s, console, staff).await,
        None => String::new(),
    };
    let card = match view.order.card_id {
        Some(card) => s.sweep.get_card(&console.actor, card).await.map(|c| c.code).unwrap_or_else(|_| card.to_string()),
        None => String::new(),
    };
    let names = Names::new(&locations, console.lang);
    let mut page = detail_page(console, &view, &names, key);
    page.influencer_clerk = clerk;
    page.card = card;
    page.c.notice = notice;
    console.page_with_status(&page, status)
}

async fn clerk_name(s: &AppState, console: &Console, id: StaffId) -> String {
    match s.sweep.get_staff(&console.actor, id).await {
        Ok(staff) => staff.display_name,
        Err(_) => format!("#{}", &id.to_string()[..8]),
    }
}

fn when(at: Option<sweep_domain::Timestamp>) -> String {
    at.map(cst).unwrap_or_default()
}

fn detail_page(console: &Console, view: &OrderView, names: &Names, key: String) -> DetailPage {
    let lang = console.lang;
    let o = &view.order;
    let shipped = o.shipments.iter().any(|s| matches!(s.status, ShipmentStatus::Shipped | ShipmentStatus::Delivered));
    let left = o.paid.minor() - o.refunded.minor();
    let can = |p| console.can(p);
    DetailPage {
        c: console.chrome(&format!("{} {}", console.tr("订单", "Order"), o.number)),
        id: o.id.to_string(),
        number: o.number.clone(),
        status: status_name(lang, o.status),
        channel: channel_name(lang, o.channel),
        fulfilment: fulfilment_name(lang, o.fulfilment),
        placed: cst(o.created_at),
        pay_by: if o.status == OrderStatus::PendingPayment { cst(o.pay_by) } else { String::new() },
        paid_at: when(o.paid_at),
        completed_at: when(o.completed_at),
        phone: view.shopper_phone.clone().unwrap_or_default(),
        till: match (&o.till_id, o.offline) {
            (Some(till), true) => format!("{till} ({})", tr(lang, "离线销售", "sold offline")),
            (Some(till), false) => till.clone(),
            (None, _) => String::new(),
        },
        influencer_store: o.influencer_store_id.map(|s| names.of(s)).unwrap_or_default(),
        influencer_clerk: String::new(),
        card: String::new(),
        pickup_store: o.pickup_store_id.map(|s| names.of(s)).unwrap_or_default(),
        pickup_deadline: when(o.pickup_deadline),
        address: o
            .address
            .as_ref()
            .map(|a| format!("{} {} · {}{}{}", a.recipient, a.phone.as_str(), a.city, a.district, a.detail))
            .unwrap_or_default(),
        lines: o
            .lines
            .iter()
            .map(|l| LineRow {
                name: l.name.get(lang).to_string(),
                label: l.sku_label.clone(),
                unit: yuan(l.unit_price.minor()),
                quantity: l.quantity,
                subtotal: yuan(l.subtotal.minor()),
                discount: yuan(l.discount.minor()),
                total: yuan(l.total.minor()),
                returned: l.returned_quantity,
                refunded: yuan(l.refunded.minor()),
            })
            .collect(),
        subtotal: yuan(o.subtotal.minor()),
        discount: yuan(o.discount.minor()),
        coupon_discount: yuan(o.coupon_discount.minor()),
        points_used: o.points_used,
        delivery_fee: yuan(o.delivery_fee.minor()),
        total: yuan(o.total.minor()),
        paid: yuan(o.paid.minor()),
        refunded: yuan(o.refunded.minor()),
        shipments: o
            .shipments
            .iter()
            .map(|s| ShipmentRow {
                id: s.id.to_string(),
                location: names.of(s.location_id),
                status: shipment_name(lang, s.status),
                carrier: [s.carrier.as_deref(), s.tracking_number.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                shipped_at: when(s.shipped_at),
                delivered_at: when(s.delivered_at),
                can_ship: can(Permission::FulfilOrders)
                    && o.fulfilment == Fulfilment::Delivery
                    && o.status == OrderStatus::Paid
                    && s.status == ShipmentStatus::Pending
                    && console.actor.can_see_location(s.location_id),
            })
            .collect(),
        payments: view
            .payments
            .iter()
            .map(|p| PaymentRow {
                provider: p.provider.clone(),
                reference: p.out_trade_no.clone(),
                amount: yuan(p.amount.minor()),
                status: match p.status {
                    PaymentStatus::Pending => tr(lang, "待支付", "Waiting"),
                    PaymentStatus::Captured => tr(lang, "已收款", "Captured"),
                    PaymentStatus::Closed => tr(lang, "已关闭", "Closed"),
                },
                captured_at: when(p.captured_at),
                refunded: yuan(p.refunded.minor()),
            })
            .collect(),
        refunds: view
            .refunds
            .iter()
            .map(|r| RefundRow {
                amount: yuan(r.amount.minor()),
                reason: r.reason.clone(),
                status: match r.status {
                    RefundStatus::Pending => tr(lang, "退款中", "In progress"),
                    RefundStatus::Succeeded => tr(lang, "已退回", "Returned"),
                },
                at: cst(r.created_at),
            })
            .collect(),
        returns: view
            .returns
            .iter()
            .map(|r| ReturnRow {
                id: r.id.to_string(),
                open: r.status == ReturnStatus::Requested,
                amount: yuan(r.amount.minor()),
                reason: r.reason.clone(),
                status: match r.status {
                    ReturnStatus::Requested => tr(lang, "待处理", "Requested"),
                    ReturnStatus::Approved => tr(lang, "已同意", "Approved"),
                    ReturnStatus::Rejected => tr(lang, "已拒绝", "Rejected"),
                },
                at: cst(r.created_at),
            })
            .collect(),
        timeline: view
            .events
            .iter()
            .map(|e| EventRow {
                at: cst(e.created_at),
                from: e.from.map(|f| status_name(lang, f)).unwrap_or(""),
                to: status_name(lang, e.to),
                by: actor_name(lang, e.actor_kind).to_string(),
                note: e.note.clone(),
            })
            .collect(),
        key,
        can_ready: can(Permission::FulfilOrders) && o.fulfilment == Fulfilment::Pickup && o.status == OrderStatus::Paid,
        can_cancel: match o.status {
            OrderStatus::PendingPayment => can(Permission::FulfilOrders),
            OrderStatus::Paid | OrderStatus::ReadyForPickup => can(Permission::RefundOrders) && !shipped,
            _ => false,
        },
        can_deliver: can(Permission::FulfilOrders) && o.status == OrderStatus::Shipped,
        can_refund: can(Permission::RefundOrders)
            && matches!(o.status, OrderStatus::Completed | OrderStatus::PartiallyRefunded)
            && left > 0,
        can_decide_returns: can(Permission::RefundOrders),
        refundable: yuan(left.max(0)),
    }
}

// ----- the steps -----

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct StepForm {
    pub key: String,
    amount: String,
    reason: String,
    shipment: String,
    carrier: String,
    tracking: String,
    #[serde(rename = "return")]
    return_id: String,
    /// The pickup queue's store, to go back to.
    pub store: String,
}

/// A step, its input checked.
enum Step {
    Refund(RefundInput),
    Cancel(String),
    Ready,
    Ship(ShipInput),
    Deliver,
    /// Approve (true) or reject a shopper's return request.
    DecideReturn(ReturnId, bool),
}

impl Step {
    fn of(lang: Lang, action: &str, form: &StepForm) -> Result<Option<Step>, String> {
        Ok(Some(match action {
            "refund" => {
                let amount = Money::parse_major(&form.amount, Currency::Cny)
                    .map(|m| m.minor())
                    .filter(|fen| *fen > 0)
                    .ok_or_else(|| {
                        format!(
                            "{}: {}",
                            tr(lang, "退款金额应为正数，如 12.50", "The refund must be an amount like 12.50"),
                            form.amount
                        )
                    })?;
                Step::Refund(RefundInput { amount, reason: form.reason.trim().to_string() })
            }
            "cancel" => Step::Cancel(form.reason.trim().to_string()),
            "ready" => Step::Ready,
            "ship" => Step::Ship(ShipInput {
                shipment_id: form
                    .shipment
                    .parse::<ShipmentId>()
                    .map_err(|_| tr(lang, "没有这个包裹", "No such shipment").to_string())?,
                carrier: form.carrier.trim().to_string(),
                tracking_number: form.tracking.trim().to_string(),
            }),
            "deliver" => Step::Deliver,
            "approve-return" | "reject-return" => Step::DecideReturn(
                form.return_id
                    .parse::<ReturnId>()
                    .map_err(|_| tr(lang, "没有这个退货申请", "No such return").to_string())?,
                action == "approve-return",
            ),
            _ => return Ok(None),
        }))
    }

    /// What makes two sends the same request, for the key.
    fn fingerprint(&self) -> String {
        match self {
            Step::Refund(r) => format!("refund {} {}", r.amount, r.reason),
            Step::Cancel(reason) => format!("cancel {reason}"),
            Step::Ready => "ready".into(),
            Step::Ship(s) => format!("ship {} {} {}", s.shipment_id, s.carrier, s.tracking_number),
            Step::Deliver => "deliver".into(),
            Step::DecideReturn(id, approve) => format!("return {id} {approve}"),
        }
    }

    async fn run(self, s: &AppState, console: &Console, id: OrderId) -> AppResult<OrderView> {
        let (sweep, actor) = (&s.sweep, &console.actor);
        match self {
            Step::Refund(input) => sweep.refund_order(actor, id, input).await,
            Step::Cancel(reason) => sweep.cancel_order(actor, id, &reason).await,
            Step::Ready => sweep.mark_ready(actor, id).await,
            Step::Ship(input) => sweep.ship(actor, id, input).await,
            Step::Deliver => sweep.mark_delivered(actor, id).await,
            Step::DecideReturn(ret, approve) => sweep.decide_return(actor, id, ret, approve).await,
        }
    }
}

pub(super) async fn act(
    State(s): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    console: Console,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: StepForm = match console.form(&s, &headers, &body) {
        Ok(f) => f,
        Err(page) => return page,
    };
    let Ok(id) = id.parse::<OrderId>() else {
        return console.refusal(StatusCode::NOT_FOUND, console.tr("找不到这个订单", "No such order"));
    };
    let step = match Step::of(console.lang, &action, &form) {
        Ok(Some(step)) => step,
        Ok(None) => return console.refusal(StatusCode::NOT_FOUND, console.tr("没有这个操作", "No such action")),
        Err(message) => {
            return render(&s, &console, id, Some((message, true)), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let request = format!("/console/orders/{id}\n{}", step.fingerprint());
    let done = format!("/console/orders/{id}?done={action}");
    match once(&s, &console, &form.key, &request, done, step.run(&s, &console, id)).await {
        Ok(redirect) => redirect,
        Err((status, message)) => render(&s, &console, id, Some((message, true)), status).await,
    }
}

/// Runs `step` at most once per form key (see `form_key::once`), with the failure as
/// a status and message for the page.
pub(super) async fn once<T>(
    s: &AppState,
    console: &Console,
    key: &str,
    request: &str,
    done: String,
    step: impl Future<Output = AppResult<T>>,
) -> Result<Response, (StatusCode, String)> {
    crate::console::form_key::once(s, console, key, request, step, |_| done).await.map_err(|f| f.explained(console))
}
