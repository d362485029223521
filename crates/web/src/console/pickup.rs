//! The pickup queue of one store: orders paid for pickup there and orders prepared and
//! waiting for their shoppers, oldest first, with how long each has waited. Preparing is
//! one button; the hand-over itself happens at the counter with the shopper's code.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use sweep_app::page::PageRequest;
use sweep_app::ports::{LocationFilter, OrderFilter};
use sweep_domain::Timestamp;
use sweep_domain::ids::{LocationId, OrderId};
use sweep_domain::location::LocationKind;
use sweep_domain::order::{Fulfilment, OrderStatus, ShipmentStatus};
use sweep_domain::roles::Permission;
use sweep_domain::text::Lang;

use super::detail::{StepForm, once};
use super::{cst, location_label, status_name, tr};
use crate::console::{Chrome, Console};
use crate::state::AppState;

/// Orders on one page of the queue.
const QUEUE_ROWS: u32 = 100;

struct QueueRow {
    id: String,
    number: String,
    paid_at: String,
    waiting: String,
    status: &'static str,
    ready: bool,
    items: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "console/pickup.html")]
struct PickupPage {
    c: Chrome,
    stores: Vec<(String, String)>,
    store: String,
    rows: Vec<QueueRow>,
    next: Option<String>,
    can_prepare: bool,
    /// The forms' key: one per drawing of the page.
    key: String,
}

/// How long since `since`, in hours and minutes.
fn waited(lang: Lang, since: Timestamp, now: Timestamp) -> String {
    let minutes = (now.unix_seconds() - since.unix_seconds()).max(0) / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    match (lang, h) {
        (Lang::En, 0) => format!("{m} min"),
        (Lang::En, _) => format!("{h} h {m} min"),
        (_, 0) => format!("{m} 分钟"),
        (_, _) => format!("{h} 小时 {m} 分钟"),
    }
}

pub(super) async fn show(State(s): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    let query: Vec<(String, String)> =
        form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect();
    let field =
        |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let notice = (field("done") == "ready")
        .then(|| (console.tr("已备货，已通知顾客取货", "Prepared; the shopper was told to come").to_string(), false));
    render(&s, &console, &field("store"), &field("cursor"), notice, StatusCode::OK).await
}

async fn render(
    s: &AppState,
    console: &Console,
    store: &str,
    cursor: &str,
    notice: Option<(String, bool)>,
    status: StatusCode,
) -> Response {
    let lang = console.lang;
    let stores = match sweep_app::page::all_pages(|page| async move {
        let filter = LocationFilter { kind: Some(LocationKind::Store), ..Default::default() };
        s.sweep.list_locations(&console.actor, filter, &page).await
    })
    .await
    {
        Ok(stores) => stores,
        Err(e) => return console.failed(&e),
    };
    let chosen = if store.is_empty() {
        stores.first().map(|l| l.id)
    } else {
        match store.parse::<LocationId>().ok().filter(|id| stores.iter().any(|l| l.id == *id)) {
            Some(id) => Some(id),
            None => {
                let message = console.tr("没有这个门店，或你无权查看", "No such store, or not one of yours");
                return console.refusal(StatusCode::BAD_REQUEST, message);
            }
        }
    };
    let page = match PageRequest::parse(Some(cursor), Some(i64::from(QUEUE_ROWS))) {
        Ok(p) => p,
        Err(e) => return console.refusal(StatusCode::BAD_REQUEST, &e.message),
    };
    let key = match sweep_app::secrets::random_token("ck") {
        Ok(k) => k,
        Err(e) => return console.failed(&e),
    };
    let (rows, next) = match chosen {
        None => (vec![], None),
        Some(store) => {
            let filter = OrderFilter {
                statuses: Some(vec![OrderStatus::Paid, OrderStatus::ReadyForPickup]),
                fulfilment: Some(Fulfilment::Pickup),
                locations: Some(vec![store]),
                shipment_statuses: Some(vec![ShipmentStatus::Pending, ShipmentStatus::Ready]),
                oldest_first: true,
                ..Default::default()
            };
            let found = match s.sweep.list_orders_with_phones(&console.actor, filter, &page).await {
                Ok(found) => found,
                Err(e) => return console.failed(&e),
            };
            let now = s.sweep.now();
            let rows = found
                .items
                .into_iter()
                .map(|(o, phone)| {
                    let since = o.paid_at.unwrap_or(o.created_at);
                    QueueRow {
                        id: o.id.to_string(),
                        number: o.number.clone(),
                        paid_at: cst(since),
                        waiting: waited(lang, since, now),
                        status: status_name(lang, o.status),
                        ready: o.status == OrderStatus::ReadyForPickup,
                        items: o
                            .lines
                            .iter()
                            .map(|l| format!("{} {} ×{}", l.name.get(lang), l.sku_label, l.quantity))
                            .collect::<Vec<_>>()
                            .join(tr(lang, "，", ", ")),
                        phone: phone.unwrap_or_default(),
                    }
                })
                .collect();
            let next = found.next_cursor.map(|c| format!("/console/pickup?store={store}&cursor={c}"));
            (rows, next)
        }
    };
    let mut view = PickupPage {
        c: console.chrome(console.tr("自提队列", "Pickup queue")),
        stores: stores.iter().map(|l| (l.id.to_string(), location_label(l, lang))).collect(),
        store: chosen.map(|s| s.to_string()).unwrap_or_default(),
        rows,
        next,
        can_prepare: console.can(Permission::FulfilOrders),
        key,
    };
    view.c.notice = notice;
    console.page_with_status(&view, status)
}

/// Prepares an order from the queue, then shows the queue again.
pub(super) async fn ready(
    State(s): State<AppState>,
    Path(id): Path<String>,
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
    let store = form.store.parse::<LocationId>().map(|s| s.to_string()).unwrap_or_default();
    let done = format!("/console/pickup?store={store}&done=ready");
    let request = format!("/console/orders/{id}\nready");
    match once(&s, &console, &form.key, &request, done, s.sweep.mark_ready(&console.actor, id)).await {
        Ok(redirect) => redirect,
        Err((status, message)) => render(&s, &console, &store, "", Some((message, true)), status).await,
    }
}
