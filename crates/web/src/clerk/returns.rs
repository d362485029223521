//! Returns at the till: find a till sale (from its receipt, or by its number or sale
//! id), choose what comes back and why; the goods go back on the store's shelf and the
//! money is handed back at the counter. Store staff see only their own stores' sales
//! (the use case says so; the page shows what it says).

// The error side of these results is a finished page, returned as is.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use sweep_app::AppError;
use sweep_app::loyalty::TillReturnInput;
use sweep_app::orders::OrderView;
use sweep_app::page::PageRequest;
use sweep_app::ports::OrderFilter;
use sweep_domain::ids::{LocationId, OrderId, OrderLineId};
use sweep_domain::order::{Fulfilment, OrderStatus, ReturnLine};
use sweep_domain::text::Lang;

use super::till::{html, local_time, method_label, stores};
use super::{Clerk, clerk, sign_in};
use crate::extract::{ApiPath, path_id};
use crate::shop::i18n::T;
use crate::state::AppState;

/// Till sales listed to pick from, newest first.
const RECENT: u32 = 20;
/// How far back a search by receipt number looks, in the store's till sales.
const SEARCH_DEPTH: u32 = 500;

pub struct SaleRow {
    id: OrderId,
    number: String,
    time: String,
    total: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "clerk_returns.html")]
struct FindPage {
    stores: Vec<(String, String)>,
    store: String,
    q: String,
    flash: Option<String>,
    sales: Vec<SaleRow>,
}

pub struct ReturnRow {
    line_id: OrderLineId,
    name: String,
    label: String,
    quantity: i64,
    returned: i64,
    /// Units that can still come back.
    left: i64,
    /// What one unit was paid (after the sale's discounts), in yuan.
    unit_paid: String,
    /// Asked for in the form just sent (shown again when it was refused).
    asked: i64,
}

/// What the return just done gave back.
pub struct ReturnDone {
    refund: String,
    /// How the money goes back: the sale's payment methods.
    methods: String,
    items: Vec<(String, i64)>,
}

#[derive(Template)]
#[template(path = "clerk_return.html")]
struct ReturnPage {
    csrf: String,
    order_id: OrderId,
    store: String,
    store_id: String,
    number: String,
    time: String,
    status: &'static str,
    total: String,
    refunded: String,
    shopper: String,
    lines: Vec<ReturnRow>,
    /// Units returned so far: the form says what it was filled in against.
    seen: i64,
    reason: String,
    returnable: bool,
    flash: Option<String>,
    error: bool,
    done: Option<ReturnDone>,
}

#[derive(serde::Deserialize, Default)]
struct FindQuery {
    #[serde(default)]
    store: String,
    #[serde(default)]
    q: String,
}

/// The store's till sales, newest first.
async fn till_sales(
    s: &AppState,
    c: &Clerk,
    store: LocationId,
    limit: u32,
) -> Result<Vec<sweep_domain::order::Order>, AppError> {
    let filter = OrderFilter {
        shopper: None,
        status: None,
        locations: Some(vec![store]),
        fulfilment: Some(Fulfilment::InStore),
        ..Default::default()
    };
    let mut found = Vec::new();
    let mut page = PageRequest::first(limit.min(100));
    loop {
        let batch = s.sweep.list_orders(&c.actor, filter.clone(), &page).await?;
        found.extend(batch.items);
        match batch.next_cursor {
            Some(next) if (found.len() as u32) < limit => page = PageRequest { after: Some(next), limit: page.limit },
            _ => break,
        }
    }
    found.truncate(limit as usize);
    Ok(found)
}

pub async fn find(State(s): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let Some(c) = clerk(&s, &headers).await else { return sign_in() };
    let q: FindQuery = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
    let all = stores(&s, &c).await;
    let store =
        q.store.parse::<LocationId>().ok().filter(|id| all.iter().any(|l| l.id == *id)).or(all.first().map(|l| l.id));
    let wanted = q.q.trim().to_string();
    let offset = match c.actor.merchant_id {
        Some(m) => s.sweep.get_merchant(&c.actor, m).await.map(|m| m.time_zone().offset_minutes()).unwrap_or(480),
        None => 480,
    };
    let mut flash = None;
    let mut sales = Vec::new();
    if let Some(store) = store {
        // A sale id (the till's name for the sale) or a receipt number.
        if !wanted.is_empty() {
            let by_sale_id = match c.actor.merchant_id {
                Some(m) => s.sweep.repos().till.order_by_sale_id(m, &wanted).await.ok().flatten(),
                None => None,
            };
            // (Another store's sale is as good as none: nothing about it is shown.)
            let by_sale_id = by_sale_id.filter(|o| o.shipments.iter().any(|sh| sh.location_id == store));
            let found = match by_sale_id {
                Some(order) => Some(order.id),
                None => match till_sales(&s, &c, store, SEARCH_DEPTH).await {
                    Ok(list) => list.iter().find(|o| o.number == wanted).map(|o| o.id),
                    Err(e) => {
                        flash = Some(super::message(&e));
                        None
                    }
                },
            };
            match found {
                Some(id) => return Redirect::to(&format!("/clerk/returns/{id}")).into_response(),
                None if flash.is_none() => {
                    flash = Some(format!("本店找不到交易 {wanted} No sale of this store has this number"));
                }
                None => {}
            }
        }
        let t = T { lang: Lang::Zh };
        match till_sales(&s, &c, store, RECENT).await {
            Ok(list) => {
                sales = list
                    .iter()
                    .map(|o| SaleRow {
                        id: o.id,
                        number: o.number.clone(),
                        time: local_time(o.created_at, offset),
                        total: o.total.to_major_string(),
                        status: t.status(o.status),
                    })
                    .collect()
            }
            Err(e) => flash = flash.or(Some(super::message(&e))),
        }
    } else {
        flash = Some("没有可收银的门店 No store of yours has a till".into());
    }
    let page = FindPage {
        stores: all.iter().map(|l| (l.id.to_string(), format!("{} {}", l.code, l.name.zh))).collect(),
        store: store.map(|id| id.to_string()).unwrap_or_default(),
        q: wanted,
        flash,
        sales,
    };
    html(page.render(), StatusCode::OK)
}

/// What the clerk reads when a return is refused.
fn message(e: &AppError) -> String {
    match e {
        AppError::NotFound(_) => "找不到这笔交易，或不是本店的交易 No such sale at your store".into(),
        AppError::Conflict { code: "not_returnable", .. } => {
            "这笔交易已全部退货或不能再退 Nothing of this sale can come back any more".into()
        }
        AppError::Forbidden => "无权办理退货 You may not take returns".into(),
        AppError::Invalid(fields) => fields
            .iter()
            .map(|f| match f.field.as_str() {
                "reason" => "请填写退货原因 Give a reason".to_string(),
                "lines" => "请选择退货数量 Choose what comes back".to_string(),
                _ if f.code == "out_of_range" => format!("退货数量超出可退数量 More than can come back: {}", f.message),
                _ => f.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("；"),
        other => super::message(other),
    }
}

struct Form {
    csrf: String,
    seen: i64,
    reason: String,
    lines: Vec<(OrderLineId, i64)>,
    bad_quantity: bool,
}

impl Form {
    fn parse(body: &[u8]) -> Form {
        let mut form =
            Form { csrf: String::new(), seen: -1, reason: String::new(), lines: vec![], bad_quantity: false };
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.trim();
            match &*key {
                "csrf" => form.csrf = value.to_string(),
                "seen" => form.seen = value.parse().unwrap_or(-1),
                "reason" => form.reason = value.to_string(),
                key => {
                    let Some(line) = key.strip_prefix("qty:").and_then(|id| id.parse().ok()) else { continue };
                    match value {
                        "" => {}
                        text => match text.parse::<i64>() {
                            Ok(n) if n >= 0 => form.lines.push((line, n)),
                            _ => form.bad_quantity = true,
                        },
                    }
                }
            }
        }
        form
    }
}

async fn return_page(
    s: &AppState,
    c: &Clerk,
    view: &OrderView,
    sent: Option<&Form>,
    flash: Option<(String, bool)>,
    done: Option<ReturnDone>,
    status: StatusCode,
) -> Response {
    let o = &view.order;
    let offset = match s.sweep.get_merchant(&c.actor, o.merchant_id).await {
        Ok(m) => m.time_zone().offset_minutes(),
        Err(_) => 480,
    };
    let store_id = o.shipments.first().map(|sh| sh.location_id);
    let store = match store_id {
        Some(id) => s.sweep.get_location(&c.actor, id).await.ok().map(|l| format!("{} {}", l.code, l.name.zh)),
        None => None,
    };
    let t = T { lang: Lang::Zh };
    let asked = |id: OrderLineId| {
        // Shown again only when the return was refused; after one is done, empty.
        sent.filter(|_| done.is_none())
            .and_then(|f| f.lines.iter().find(|(l, _)| *l == id).map(|(_, n)| *n))
            .unwrap_or(0)
    };
    let lines: Vec<ReturnRow> = o
        .lines
        .iter()
        .map(|l| ReturnRow {
            line_id: l.id,
            name: format!("{} {}", l.name.zh, l.name.en).trim().to_string(),
            label: l.sku_label.clone(),
            quantity: l.quantity,
            returned: l.returned_quantity,
            left: l.quantity - l.returned_quantity,
            unit_paid: sweep_domain::Money::new(l.total.minor() / l.quantity.max(1), l.total.currency())
                .to_major_string(),
            asked: asked(l.id),
        })
        .collect();
    let page = ReturnPage {
        csrf: c.auth.csrf_token.clone().unwrap_or_default(),
        order_id: o.id,
        store: store.unwrap_or_default(),
        store_id: store_id.map(|id| id.to_string()).unwrap_or_default(),
        number: o.number.clone(),
        time: local_time(o.created_at, offset),
        status: t.status(o.status),
        total: o.total.to_major_string(),
        refunded: o.refunded.to_major_string(),
        shopper: view.shopper_phone.clone().unwrap_or_default(),
        seen: o.lines.iter().map(|l| l.returned_quantity).sum(),
        reason: sent.filter(|_| done.is_none()).map(|f| f.reason.clone()).unwrap_or_default(),
        returnable: o.sale_id.is_some()
            && matches!(o.status, OrderStatus::Completed | OrderStatus::PartiallyRefunded)
            && lines.iter().any(|l| l.left > 0),
        lines,
        error: flash.as_ref().is_some_and(|f| f.1),
        flash: flash.map(|f| f.0).or_else(|| {
            o.sale_id
                .is_none()
                .then(|| "这不是门店收银的交易，不能在这里退货 Not a till sale: it cannot come back here".into())
        }),
        done,
    };
    html(page.render(), status)
}

fn order_id(id: &str) -> Option<OrderId> {
    path_id::<OrderId>(id).ok()
}

pub async fn show(State(s): State<AppState>, headers: HeaderMap, ApiPath(id): ApiPath<String>) -> Response {
    let Some(c) = clerk(&s, &headers).await else { return sign_in() };
    let Some(id) = order_id(&id) else { return StatusCode::NOT_FOUND.into_response() };
    match s.sweep.get_order(&c.actor, id).await {
        Ok(view) => return_page(&s, &c, &view, None, None, None, StatusCode::OK).await,
        Err(e) => not_found(&s, &c, &e).await,
    }
}

/// The search page, saying why the sale is not there.
async fn not_found(s: &AppState, c: &Clerk, e: &AppError) -> Response {
    let all = stores(s, c).await;
    let page = FindPage {
        stores: all.iter().map(|l| (l.id.to_string(), format!("{} {}", l.code, l.name.zh))).collect(),
        store: all.first().map(|l| l.id.to_string()).unwrap_or_default(),
        q: String::new(),
        flash: Some(message(e)),
        sales: vec![],
    };
    html(page.render(), StatusCode::NOT_FOUND)
}

pub async fn submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Response {
    let Some(c) = clerk(&s, &headers).await else { return sign_in() };
    let form = Form::parse(&body);
    if !super::form_ok(&s, &c, &headers, &form.csrf) {
        return (StatusCode::FORBIDDEN, "page expired; reload it").into_response();
    }
    let Some(id) = order_id(&id) else { return StatusCode::NOT_FOUND.into_response() };
    let before = match s.sweep.get_order(&c.actor, id).await {
        Ok(view) => view,
        Err(e) => return not_found(&s, &c, &e).await,
    };
    let refuse = async |text: String, status: StatusCode| {
        return_page(&s, &c, &before, Some(&form), Some((text, true)), None, status).await
    };
    // Sent twice (a double tap, a reload), or after another return: the page was filled
    // in against units that have changed since. Nothing is taken back twice.
    let returned: i64 = before.order.lines.iter().map(|l| l.returned_quantity).sum();
    if form.seen != returned {
        return return_page(
            &s,
            &c,
            &before,
            None,
            Some((
                "这笔交易刚办理过退货，请核对后再提交 This sale just had a return: check it and try again".into(),
                true,
            )),
            None,
            StatusCode::CONFLICT,
        )
        .await;
    }
    if form.bad_quantity {
        return refuse("退货数量须为整数 Quantities are whole numbers".into(), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let lines: Vec<ReturnLine> = form
        .lines
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(line_id, n)| ReturnLine { line_id: *line_id, quantity: *n })
        .collect();
    if lines.is_empty() {
        return refuse("请选择退货数量 Choose what comes back".into(), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let input = TillReturnInput { lines: lines.clone(), reason: form.reason.clone() };
    match s.sweep.return_at_till(&c.actor, id, input).await {
        Ok(after) => {
            let refund = after.order.refunded.checked_sub(before.order.refunded).unwrap_or(after.order.refunded);
            let mut methods: Vec<&str> = after.payments.iter().map(|p| method_label(&p.provider)).collect();
            methods.dedup();
            let items = lines
                .iter()
                .filter_map(|r| {
                    let line = after.order.lines.iter().find(|l| l.id == r.line_id)?;
                    Some((format!("{} {}", line.name.zh, line.sku_label).trim().to_string(), r.quantity))
                })
                .collect();
            let done = ReturnDone { refund: refund.to_major_string(), methods: methods.join("、"), items };
            let flash = format!("退货完成，退款 ¥{} Returned: ¥{} back", done.refund, done.refund);
            return_page(&s, &c, &after, Some(&form), Some((flash, false)), Some(done), StatusCode::OK).await
        }
        Err(e) => {
            let status = match e {
                AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Forbidden => StatusCode::FORBIDDEN,
                _ => StatusCode::CONFLICT,
            };
            refuse(message(&e), status).await
        }
    }
}
