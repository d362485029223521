//! Bulk price edit: a page of SKUs (filtered like the product list) with base and member
//! price boxes. Only the boxes the user changed are saved, all or none: every changed
//! box is checked first, one bad box saves nothing, and a price someone else changed
//! since the page was drawn is refused (409) rather than overwritten.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use sweep_app::AppError;
use sweep_app::catalog::{MAX_PRICE_CHANGES, PriceChange};
use sweep_app::page::PageRequest;
use sweep_app::ports::SkuFilter;
use sweep_domain::catalog::RecordStatus;
use sweep_domain::ids::SkuId;
use sweep_domain::roles::Permission;

use super::{Choice, Errors, Filters, attributes_text, categories, category_choices, parse_price, status_choices};
use crate::console::{Chrome, Console, yuan};
use crate::state::AppState;

/// Products per page: each brings all its SKUs.
const PRODUCTS_PER_PAGE: u32 = 20;

struct Row {
    id: SkuId,
    product: String,
    code: String,
    attributes: String,
    base: String,
    member: String,
    /// The values the page showed, to tell which boxes were changed and to check
    /// that a changed price is still the one shown.
    was_base: String,
    was_member: String,
    /// The prices as stored when the page was drawn, in fen.
    now_base: i64,
    now_member: Option<i64>,
}

#[derive(Template)]
#[template(path = "console/products_prices.html")]
struct PricesPage {
    c: Chrome,
    f: Filters,
    categories: Vec<Choice>,
    statuses: Vec<Choice>,
    rows: Vec<Row>,
    errors: Errors,
    next: Option<String>,
    paged: bool,
}

fn may_price(console: &Console) -> Result<(), Response> {
    if console.can(Permission::EditPrices) && console.can(Permission::EditCatalog) {
        Ok(())
    } else {
        Err(console.refusal(StatusCode::FORBIDDEN, console.tr("你没有权限改价", "You may not change prices")))
    }
}

/// The SKUs on sale of one page of products, with their current prices.
async fn rows(s: &AppState, console: &Console, f: &Filters) -> Result<(Vec<Row>, Option<String>), Response> {
    let (products, next) = super::product_page(s, console, f, PRODUCTS_PER_PAGE).await?;
    let mut rows = Vec::new();
    for p in &products {
        let filter = SkuFilter { product: Some(p.id), status: Some(RecordStatus::Active), ..Default::default() };
        let skus = s
            .sweep
            .list_skus(&console.actor, filter, &PageRequest::first(200))
            .await
            .map_err(|e| console.failed(&e))?;
        for sku in skus.items {
            let base = yuan(sku.base_price.minor());
            let member = sku.member_price.map(|m| yuan(m.minor())).unwrap_or_default();
            rows.push(Row {
                id: sku.id,
                product: p.name.get(console.lang).to_string(),
                code: sku.code,
                attributes: attributes_text(&sku.attributes),
                was_base: base.clone(),
                was_member: member.clone(),
                base,
                member,
                now_base: sku.base_price.minor(),
                now_member: sku.member_price.map(|m| m.minor()),
            });
        }
    }
    Ok((rows, next))
}

async fn render(
    s: &AppState,
    console: &Console,
    f: Filters,
    rows: Vec<Row>,
    next: Option<String>,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let all = match categories(s, console).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut c = console.chrome(console.tr("批量改价", "Edit prices in bulk"));
    if errors.is_empty() {
        c.notice = super::done_notice(console, &f.done);
    } else {
        c.notice = Some((errors.summary(console), true));
    }
    let page = PricesPage {
        c,
        categories: category_choices(console, &all, &f.category),
        statuses: status_choices(console, &f.status, true),
        next: next.map(|n| f.query(Some(&n))),
        paged: !f.cursor.is_empty(),
        rows,
        errors,
        f,
    };
    console.page_with_status(&page, status)
}

pub async fn show(State(s): State<AppState>, console: Console, uri: Uri) -> Response {
    if let Err(r) = may_price(&console) {
        return r;
    }
    let f = Filters::from_uri(&uri);
    match rows(&s, &console, &f).await {
        Ok((rows, next)) => render(&s, &console, f, rows, next, Errors::default(), StatusCode::OK).await,
        Err(r) => r,
    }
}

/// One submitted row: the boxes as typed and as first shown.
#[derive(Default)]
struct Sent {
    base: String,
    member: String,
    was_base: String,
    was_member: String,
}

/// A submitted row read: the prices shown (fen) and which boxes the user changed.
struct Read {
    was_base: i64,
    was_member: Option<i64>,
    base_changed: bool,
    member_changed: bool,
}

pub async fn save(
    State(s): State<AppState>,
    console: Console,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let fields: Vec<(String, String)> = match console.form(&s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = may_price(&console) {
        return r;
    }
    let f = Filters::from_uri(&uri);
    let bad_form = || {
        console.refusal(
            StatusCode::BAD_REQUEST,
            console.tr("表单有误，请刷新页面", "The form is not valid; reload the page"),
        )
    };

    // Fields are `sku` (one per row, in order) and `base.<id>`, `member.<id>`,
    // `was_base.<id>`, `was_member.<id>`.
    let mut order: Vec<SkuId> = Vec::new();
    let mut sent: HashMap<SkuId, Sent> = HashMap::new();
    for (k, v) in &fields {
        if k == "sku" {
            let Ok(id) = v.parse::<SkuId>() else { return bad_form() };
            if let std::collections::hash_map::Entry::Vacant(slot) = sent.entry(id) {
                order.push(id);
                slot.insert(Sent::default());
            }
        }
    }
    for (k, v) in fields {
        let Some((name, id)) = k.split_once('.') else { continue };
        let Some(row) = id.parse::<SkuId>().ok().and_then(|id| sent.get_mut(&id)) else { continue };
        match name {
            "base" => row.base = v,
            "member" => row.member = v,
            "was_base" => row.was_base = v,
            "was_member" => row.was_member = v,
            _ => {}
        }
    }
    if order.len() > MAX_PRICE_CHANGES {
        return console.refusal(StatusCode::BAD_REQUEST, console.tr("一次改动的行数过多", "Too many rows at once"));
    }

    // Check every changed box before saving any. Only changed boxes are sent, each
    // with the price shown, so a price someone else set meanwhile is never overwritten
    // by a box the user left alone.
    let mut errors = Errors::default();
    let mut changes: Vec<PriceChange> = Vec::new();
    let mut read: HashMap<SkuId, Read> = HashMap::new();
    for id in &order {
        let row = &sent[id];
        // The prices shown came from the page itself.
        let (Ok(Some(was_base)), Ok(was_member)) =
            (parse_price(&console, &row.was_base, true), parse_price(&console, &row.was_member, false))
        else {
            return bad_form();
        };
        let mut base = None;
        if row.base.trim() != row.was_base.trim() {
            match parse_price(&console, &row.base, true) {
                Ok(p) => base = p.filter(|p| *p != was_base),
                Err(e) => errors.add(format!("base.{id}"), e),
            }
        }
        let mut member = None;
        if row.member.trim() != row.was_member.trim() {
            match parse_price(&console, &row.member, false) {
                Ok(p) => member = Some(p).filter(|p| *p != was_member),
                Err(e) => errors.add(format!("member.{id}"), e),
            }
        }
        read.insert(*id, Read { was_base, was_member, base_changed: base.is_some(), member_changed: member.is_some() });
        if base.is_some() || member.is_some() {
            changes.push(PriceChange {
                sku_id: *id,
                base_price: base,
                shown_base_price: was_base,
                member_price: member,
                shown_member_price: was_member,
            });
        }
    }
    if errors.is_empty() && changes.is_empty() {
        return Redirect::to(&format!("/console/products/prices?{}", done_query(&f, "nochange"))).into_response();
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let mut conflict = false;
    if errors.is_empty() {
        match s.sweep.set_prices(&console.actor, &changes).await {
            Ok(_) => {
                return Redirect::to(&format!("/console/products/prices?{}", done_query(&f, "prices"))).into_response();
            }
            Err(AppError::Conflict { message, .. }) => {
                // Marked box by box below, against the prices as they are now.
                status = StatusCode::CONFLICT;
                conflict = true;
                errors.add("changes", message);
            }
            Err(e) => {
                let ids: Vec<SkuId> = changes.iter().map(|c| c.sku_id).collect();
                // `changes.<index>.<field>` back to the row's box.
                let rename = |field: &str| {
                    let mut parts = field.split('.');
                    let index = parts.nth(1).and_then(|i| i.parse::<usize>().ok());
                    let what = if parts.next() == Some("member_price") { "member" } else { "base" };
                    match index.and_then(|i| ids.get(i)) {
                        Some(id) => format!("{what}.{id}"),
                        None => field.to_string(),
                    }
                };
                match Errors::from_app(&e, rename) {
                    Some(found) => errors = found,
                    None => return console.failed(&e),
                }
            }
        }
    }

    // Show the page again, nothing saved: the boxes the user changed as typed, the
    // others as stored now. A changed box whose price moved meanwhile says so and now
    // counts from the new price, so saving again replaces it knowingly.
    let (mut shown, next) = match rows(&s, &console, &f).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    for row in &mut shown {
        let (Some(typed), Some(r)) = (sent.remove(&row.id), read.get(&row.id)) else { continue };
        if typed.base.trim() != typed.was_base.trim() {
            if conflict && r.base_changed && row.now_base != r.was_base {
                let moved = format!("{} ¥{}", console.tr("已被他人改为", "changed meanwhile to"), row.base);
                errors.add(format!("base.{}", row.id), moved);
            } else {
                row.was_base = typed.was_base;
            }
            row.base = typed.base;
        }
        if typed.member.trim() != typed.was_member.trim() {
            if conflict && r.member_changed && row.now_member != r.was_member {
                let now = if row.member.is_empty() {
                    console.tr("无", "none").to_string()
                } else {
                    format!("¥{}", row.member)
                };
                let moved = format!("{} {now}", console.tr("已被他人改为", "changed meanwhile to"));
                errors.add(format!("member.{}", row.id), moved);
            } else {
                row.was_member = typed.was_member;
            }
            row.member = typed.member;
        }
    }
    render(&s, &console, f, shown, next, errors, status).await
}

/// The filters and cursor of the page, with `done`.
fn done_query(f: &Filters, done: &str) -> String {
    let cursor = Some(f.cursor.as_str()).filter(|c| !c.is_empty());
    let q = f.query(cursor);
    if q.is_empty() { format!("done={done}") } else { format!("{q}&done={done}") }
}
