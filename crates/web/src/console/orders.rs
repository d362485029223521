//! The console's orders: the list with its filters and CSV export, an order's page with
//! its history and the steps staff may take, and the pickup queue. Every list reads one
//! page at a time through the indexes (never a count, never an offset), so it stays
//! quick with millions of orders.

#[path = "order_detail.rs"]
mod detail;
#[path = "pickup.rs"]
mod pickup;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use sweep_app::AppResult;
use sweep_app::page::{PageRequest, all_pages};
use sweep_app::ports::{LocationFilter, OrderFilter};
use sweep_domain::Timestamp;
use sweep_domain::channel::Channel;
use sweep_domain::day::CstDay;
use sweep_domain::ids::LocationId;
use sweep_domain::location::Location;
use sweep_domain::order::{ActorKind, Fulfilment, Order, OrderStatus, ShipmentStatus};
use sweep_domain::shopper::Phone;
use sweep_domain::text::Lang;

use super::{Chrome, Console, yuan};
use crate::state::AppState;

/// Rows on one page of the list.
const PAGE_ROWS: u32 = 50;
/// Shortest order-number prefix searched: the date (`YYMMDD`) and two more digits, so
/// a search never sorts a whole Double 11's orders.
const MIN_NUMBER_PREFIX: usize = 8;
const NUMBER_DIGITS: usize = 14;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/orders", get(list))
        .route("/console/orders.csv", get(export))
        .route("/console/orders/{id}", get(detail::show))
        .route("/console/orders/{id}/{action}", post(detail::act))
        .route("/console/pickup", get(pickup::show))
        .route("/console/pickup/{id}/ready", post(pickup::ready))
}

// ----- words -----

fn tr(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::En { en } else { zh }
}

pub(super) fn status_name(lang: Lang, s: OrderStatus) -> &'static str {
    use OrderStatus::*;
    let (zh, en) = match s {
        PendingPayment => ("待支付", "Awaiting payment"),
        Paid => ("已支付", "Paid"),
        ReadyForPickup => ("待取货", "Ready for pickup"),
        Shipped => ("已发货", "Shipped"),
        Completed => ("已完成", "Completed"),
        Cancelled => ("已取消", "Cancelled"),
        Expired => ("已过期", "Expired"),
        Refunded => ("已退款", "Refunded"),
        PartiallyRefunded => ("部分退款", "Partly refunded"),
    };
    tr(lang, zh, en)
}

pub(super) fn channel_name(lang: Lang, c: Channel) -> &'static str {
    let (zh, en) = match c {
        Channel::Mobile => ("手机浏览器", "Mobile browser"),
        Channel::Wechat => ("微信", "WeChat"),
        Channel::Alipay => ("支付宝", "Alipay"),
        Channel::Web => ("电脑网页", "Desktop web"),
        Channel::Pos => ("门店收银", "In store (POS)"),
        Channel::Api => ("接口", "API"),
    };
    tr(lang, zh, en)
}

pub(super) fn fulfilment_name(lang: Lang, f: Fulfilment) -> &'static str {
    let (zh, en) = match f {
        Fulfilment::Delivery => ("配送", "Delivery"),
        Fulfilment::Pickup => ("门店自提", "Pickup"),
        Fulfilment::InStore => ("门店现售", "Sold in store"),
    };
    tr(lang, zh, en)
}

pub(super) fn shipment_name(lang: Lang, s: ShipmentStatus) -> &'static str {
    let (zh, en) = match s {
        ShipmentStatus::Pending => ("待处理", "To prepare"),
        ShipmentStatus::Ready => ("已备货", "Prepared"),
        ShipmentStatus::Shipped => ("已发出", "Shipped"),
        ShipmentStatus::Delivered => ("已交付", "Handed over"),
        ShipmentStatus::Cancelled => ("已取消", "Cancelled"),
    };
    tr(lang, zh, en)
}

pub(super) fn actor_name(lang: Lang, a: ActorKind) -> &'static str {
    let (zh, en) = match a {
        ActorKind::Shopper => ("顾客", "Shopper"),
        ActorKind::Staff => ("员工", "Staff"),
        ActorKind::System => ("系统", "System"),
        ActorKind::Provider => ("支付机构", "Payment provider"),
    };
    tr(lang, zh, en)
}

/// `YYYY-MM-DD HH:MM` in China Standard Time.
pub(super) fn cst(at: Timestamp) -> String {
    let secs = (at.unix_seconds() + 8 * 3600).rem_euclid(86_400);
    format!("{} {:02}:{:02}", CstDay::of(at), secs / 3600, secs % 3600 / 60)
}

/// Every location the signed-in staff member may see (store staff: their stores), for
/// the store filter and to name the stores in the rows.
pub(super) async fn visible_locations(s: &AppState, console: &Console) -> AppResult<Vec<Location>> {
    // `all_pages` asks for the largest pages already.
    all_pages(|page| async move { s.sweep.list_locations(&console.actor, LocationFilter::default(), &page).await })
        .await
}

pub(super) fn location_label(l: &Location, lang: Lang) -> String {
    format!("{} {}", l.code, l.name.get(lang))
}

// ----- the filters -----

/// The list's filters as typed: kept in the form, the next-page link and the export link.
#[derive(Default)]
struct Filters {
    q: String,
    status: String,
    channel: String,
    store: String,
    fulfilment: String,
    from: String,
    to: String,
    cursor: String,
}

impl Filters {
    fn from_query(raw: Option<&str>) -> Filters {
        let mut f = Filters::default();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let v = v.trim().to_string();
            match &*k {
                "q" => f.q = v,
                "status" => f.status = v,
                "channel" => f.channel = v,
                "store" => f.store = v,
                "fulfilment" => f.fulfilment = v,
                "from" => f.from = v,
                "to" => f.to = v,
                "cursor" => f.cursor = v,
                _ => {}
            }
        }
        f
    }

    /// The filters as a query string, without the cursor unless given.
    fn query(&self, cursor: Option<&str>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("q", &self.q),
            ("status", &self.status),
            ("channel", &self.channel),
            ("store", &self.store),
            ("fulfilment", &self.fulfilment),
            ("from", &self.from),
            ("to", &self.to),
        ];
        for (k, v) in pairs.into_iter().filter(|(_, v)| !v.is_empty()) {
            q.append_pair(k, v);
        }
        if let Some(c) = cursor {
            q.append_pair("cursor", c);
        }
        q.finish()
    }

    /// What the filters mean, or every problem with them in one message.
    fn parse(&self, lang: Lang, stores: &[Location]) -> Result<(OrderFilter, PageRequest), String> {
        let mut filter = OrderFilter::default();
        let mut wrong: Vec<String> = vec![];
        let mut bad =
            |zh: &'static str, en: &'static str, value: &str| wrong.push(format!("{}: {value}", tr(lang, zh, en)));
        if !self.q.is_empty() {
            let digits: String = self.q.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
            if let Ok(phone) = Phone::parse("q", &self.q) {
                filter.phone = Some(phone);
            } else if digits.bytes().all(|b| b.is_ascii_digit())
                && (MIN_NUMBER_PREFIX..=NUMBER_DIGITS).contains(&digits.len())
            {
                filter.number_prefix = Some(digits);
            } else {
                bad(
                    "请输入订单号（至少 8 位）或 11 位手机号",
                    "Enter an order number (8 digits or more) or a mobile number",
                    &self.q,
                );
            }
        }
        if !self.status.is_empty() {
            match OrderStatus::parse(&self.status) {
                Some(s) => filter.status = Some(s),
                None => bad("没有这个订单状态", "No such order status", &self.status),
            }
        }
        if !self.channel.is_empty() {
            match Channel::parse(&self.channel) {
                Some(c) => filter.channel = Some(c),
                None => bad("没有这个渠道", "No such channel", &self.channel),
            }
        }
        if !self.fulfilment.is_empty() {
            match Fulfilment::parse(&self.fulfilment) {
                Some(k) => filter.fulfilment = Some(k),
                None => bad("没有这种履约方式", "No such fulfilment", &self.fulfilment),
            }
        }
        if !self.store.is_empty() {
            match self.store.parse::<LocationId>().ok().filter(|id| stores.iter().any(|l| l.id == *id)) {
                Some(id) => filter.locations = Some(vec![id]),
                None => bad("没有这个门店，或你无权查看", "No such store, or not one of yours", &self.store),
            }
        }
        let day = |text: &str| if text.is_empty() { Ok(None) } else { CstDay::parse(text).map(Some).ok_or(()) };
        let from = day(&self.from).unwrap_or_else(|_| {
            bad("开始日期应为 YYYY-MM-DD", "The start date must be YYYY-MM-DD", &self.from);
            None
        });
        let to = day(&self.to).unwrap_or_else(|_| {
            bad("结束日期应为 YYYY-MM-DD", "The end date must be YYYY-MM-DD", &self.to);
            None
        });
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            bad("开始日期晚于结束日期", "The start date is after the end date", &format!("{a} > {b}"));
        }
        filter.placed_from = from.map(CstDay::start);
        filter.placed_before = to.map(|d| d.plus(1).start());
        let page = PageRequest::parse(Some(self.cursor.as_str()), Some(i64::from(PAGE_ROWS))).unwrap_or_else(|e| {
            bad("翻页参数无效", "Not a page of this list", &e.message);
            PageRequest::first(PAGE_ROWS)
        });
        if wrong.is_empty() { Ok((filter, page)) } else { Err(wrong.join("; ")) }
    }
}

// ----- the list -----

struct Row {
    id: String,
    number: String,
    placed: String,
    channel: &'static str,
    fulfilled_at: String,
    influencer: String,
    status: &'static str,
    total: String,
    phone: String,
}

/// Names of locations by id; ones the caller may not see stay unnamed.
struct Names(HashMap<LocationId, String>);

impl Names {
    fn new(locations: &[Location], lang: Lang) -> Names {
        Names(locations.iter().map(|l| (l.id, location_label(l, lang))).collect())
    }

    fn of(&self, id: LocationId) -> String {
        self.0.get(&id).cloned().unwrap_or_else(|| format!("#{}", &id.to_string()[..8]))
    }

    /// Where an order is fulfilled: its shipments' locations.
    fn fulfilled_at(&self, o: &Order) -> String {
        let mut names: Vec<String> = o.shipments.iter().map(|s| self.of(s.location_id)).collect();
        names.dedup();
        names.join(", ")
    }
}

fn row(o: &Order, phone: Option<String>, names: &Names, lang: Lang) -> Row {
    Row {
        id: o.id.to_string(),
        number: o.number.clone(),
        placed: cst(o.created_at),
        channel: channel_name(lang, o.channel),
        fulfilled_at: names.fulfilled_at(o),
        influencer: o.influencer_store_id.map(|s| names.of(s)).unwrap_or_default(),
        status: status_name(lang, o.status),
        total: yuan(o.total.minor()),
        phone: phone.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "console/orders.html")]
struct OrdersPage {
    c: Chrome,
    f: Filters,
    statuses: Vec<(String, &'static str)>,
    channels: Vec<(String, &'static str)>,
    fulfilments: Vec<(String, &'static str)>,
    stores: Vec<(String, String)>,
    rows: Vec<Row>,
    /// False when the filters were wrong: nothing was looked up.
    searched: bool,
    next: Option<String>,
    export: String,
}

async fn list(State(s): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    let f = Filters::from_query(raw.as_deref());
    let lang = console.lang;
    let locations = match visible_locations(&s, &console).await {
        Ok(l) => l,
        Err(e) => return console.failed(&e),
    };
    let mut page = OrdersPage {
        c: console.chrome(console.tr("订单", "Orders")),
        statuses: OrderStatus::ALL.iter().map(|s| (s.as_str().to_string(), status_name(lang, *s))).collect(),
        channels: Channel::ALL.iter().map(|c| (c.as_str().to_string(), channel_name(lang, *c))).collect(),
        fulfilments: [Fulfilment::Delivery, Fulfilment::Pickup, Fulfilment::InStore]
            .iter()
            .map(|k| (k.as_str().to_string(), fulfilment_name(lang, *k)))
            .collect(),
        stores: locations.iter().map(|l| (l.id.to_string(), location_label(l, lang))).collect(),
        rows: vec![],
        searched: false,
        next: None,
        export: format!("/console/orders.csv?{}", f.query(None)),
        f,
    };
    let (filter, request) = match page.f.parse(lang, &locations) {
        Ok(parsed) => parsed,
        Err(message) => {
            page.c.notice = Some((message, true));
            return console.page_with_status(&page, StatusCode::BAD_REQUEST);
        }
    };
    let found = match s.sweep.list_orders_with_phones(&console.actor, filter, &request).await {
        Ok(found) => found,
        Err(e) => return console.failed(&e),
    };
    let names = Names::new(&locations, lang);
    page.rows = found.items.into_iter().map(|(o, phone)| row(&o, phone, &names, lang)).collect();
    page.next = found.next_cursor.map(|c| format!("/console/orders?{}", page.f.query(Some(&c))));
    page.searched = true;
    console.page(&page)
}

// ----- the export -----

/// Orders per page of the export: each page is one query and one write to the client.
const EXPORT_ROWS: u32 = 200;

fn export_header(lang: Lang) -> Vec<&'static str> {
    vec![
        tr(lang, "订单号", "Order number"),
        tr(lang, "下单时间（北京时间）", "Placed (China time)"),
        tr(lang, "渠道", "Channel"),
        tr(lang, "履约方式", "Fulfilment"),
        tr(lang, "履约门店", "Fulfilled at"),
        tr(lang, "引流门店", "Brought by store"),
        tr(lang, "状态", "Status"),
        tr(lang, "商品金额（元）", "Subtotal (yuan)"),
        tr(lang, "优惠（元）", "Discount (yuan)"),
        tr(lang, "运费（元）", "Delivery fee (yuan)"),
        tr(lang, "应付（元）", "Total (yuan)"),
        tr(lang, "已付（元）", "Paid (yuan)"),
        tr(lang, "已退（元）", "Refunded (yuan)"),
        tr(lang, "顾客手机", "Shopper phone"),
        tr(lang, "订单 ID", "Order id"),
    ]
}

fn export_cells(o: &Order, phone: Option<String>, names: &Names, lang: Lang) -> Vec<String> {
    vec![
        o.number.clone(),
        cst(o.created_at),
        channel_name(lang, o.channel).to_string(),
        fulfilment_name(lang, o.fulfilment).to_string(),
        names.fulfilled_at(o),
        o.influencer_store_id.map(|s| names.of(s)).unwrap_or_default(),
        status_name(lang, o.status).to_string(),
        yuan(o.subtotal.minor()),
        yuan(o.discount.minor()),
        yuan(o.delivery_fee.minor()),
        yuan(o.total.minor()),
        yuan(o.paid.minor()),
        yuan(o.refunded.minor()),
        phone.unwrap_or_default(),
        o.id.to_string(),
    ]
}

/// A cell a spreadsheet would run as a formula is given a leading apostrophe; money and
/// the rest are left alone.
fn neutralise(cell: &str) -> String {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// CSV lines of `rows` (quoted where needed by the `csv` crate).
fn csv_lines<I, R>(rows: I) -> Result<Bytes, String>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<str>,
{
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.write_record(row.into_iter().map(|cell| neutralise(cell.as_ref()))).map_err(|e| e.to_string())?;
    }
    out.into_inner().map(Bytes::from).map_err(|e| e.to_string())
}

/// The export's state between pages.
struct Export {
    s: AppState,
    actor: sweep_domain::roles::Actor,
    filter: OrderFilter,
    names: Names,
    lang: Lang,
    next: Option<String>,
}

/// The filtered list as CSV (UTF-8 with a BOM, for Excel), written a page at a time as
/// it is read, never the whole list in memory. The first page is read before anything
/// is sent, so a refusal is still a proper page.
async fn export(State(s): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    let f = Filters::from_query(raw.as_deref());
    let lang = console.lang;
    let locations = match visible_locations(&s, &console).await {
        Ok(l) => l,
        Err(e) => return console.failed(&e),
    };
    let filter = match f.parse(lang, &locations) {
        Ok((filter, _)) => filter,
        Err(message) => return console.refusal(StatusCode::BAD_REQUEST, &message),
    };
    let first =
        match s.sweep.list_orders_with_phones(&console.actor, filter.clone(), &PageRequest::first(EXPORT_ROWS)).await {
            Ok(page) => page,
            Err(e) => return console.failed(&e),
        };
    let names = Names::new(&locations, lang);
    let today = CstDay::of(s.sweep.now());
    let mut head = b"\xEF\xBB\xBF".to_vec();
    let rows = std::iter::once(export_header(lang).into_iter().map(str::to_string).collect::<Vec<_>>())
        .chain(first.items.into_iter().map(|(o, phone)| export_cells(&o, phone, &names, lang)));
    match csv_lines(rows) {
        Ok(bytes) => head.extend_from_slice(&bytes),
        Err(e) => {
            tracing::error!(error = %e, "order export failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let state = Export { s, actor: console.actor.clone(), filter, names, lang, next: first.next_cursor };
    let rest = futures::stream::unfold(state, |mut st| async move {
        let after = st.next.take()?;
        let request = PageRequest { after: Some(after), limit: EXPORT_ROWS };
        let page = match st.s.sweep.list_orders_with_phones(&st.actor, st.filter.clone(), &request).await {
            Ok(page) => page,
            Err(e) => {
                // Cutting the download short tells the browser it failed.
                tracing::error!(error = %e, "order export stopped");
                return Some((Err(std::io::Error::other("the export stopped")), st));
            }
        };
        st.next = page.next_cursor;
        let bytes = csv_lines(page.items.into_iter().map(|(o, phone)| export_cells(&o, phone, &st.names, st.lang)))
            .map_err(std::io::Error::other);
        Some((bytes, st))
    });
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(head)) }).chain(rest);
    let mut response = Body::from_stream(body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let name = format!("orders-{today}.csv");
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_defused_and_quoted() {
        let bytes = csv_lines([["=HYPERLINK(\"x\")", "+1", "-2", "@a", "a,b", "35.00", "订单"]]).unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert_eq!(text, "\"'=HYPERLINK(\"\"x\"\")\",'+1,'-2,'@a,\"a,b\",35.00,订单\n");
    }
}
