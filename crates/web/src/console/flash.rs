//! Flash sales, for head office: the list with each SKU's pool, setting one up (its pool
//! is set aside from a location's stock at once, and once per form), one sale's results,
//! and ending early.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sweep_app::flash::{FlashItemInput, FlashSaleInput, FlashSaleView};
use sweep_app::page::PageRequest;
use sweep_domain::flash::{DEFAULT_PAY_WITHIN_SECS, FlashPhase, FlashSale};
use sweep_domain::ids::{CampaignId, FlashSaleId, LocationId};
use sweep_domain::location::LocationStatus;
use sweep_domain::roles::Permission;

use super::cards::{Check, Fields, Opt, SkuNames, cst, cst_input, done_notice, locations, sku_by_code};
use super::form_key;
use super::{Chrome, Console, yuan};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/flash", get(list).post(create))
        .route("/console/flash/{id}", get(show))
        .route("/console/flash/{id}/end", post(end))
}

/// Flash sales are head office's: store roles get a refusal, not an empty page.
fn head_office_only(console: &Console) -> Result<(), Response> {
    if console.actor.is_head_office() {
        Ok(())
    } else {
        Err(console.refusal(StatusCode::FORBIDDEN, console.tr("秒杀由总部管理", "Flash sales are run by head office")))
    }
}

fn phase_label(console: &Console, phase: FlashPhase) -> &'static str {
    match phase {
        FlashPhase::Upcoming => console.tr("未开始", "Upcoming"),
        FlashPhase::Live => console.tr("进行中", "Live"),
        FlashPhase::SoldOut => console.tr("已抢光", "Sold out"),
        FlashPhase::Ended => console.tr("已结束", "Ended"),
    }
}

pub struct ItemLine {
    sku_code: String,
    product: String,
    list_price: String,
    price: String,
    pool: i64,
    sold: i64,
    left: i64,
    released: i64,
    value: String,
}

pub struct SaleRow {
    id: String,
    name: String,
    phase: &'static str,
    limit: i64,
    window: String,
    items: Vec<ItemLine>,
}

async fn item_lines(s: &AppState, console: &Console, sale: &FlashSale, names: &mut SkuNames) -> Vec<ItemLine> {
    let mut lines = Vec::with_capacity(sale.items.len());
    for item in &sale.items {
        let (sku_code, product) = names.of(s, console, item.sku_id).await;
        lines.push(ItemLine {
            sku_code,
            product,
            list_price: String::new(),
            price: yuan(item.price.minor()),
            pool: item.pool_size,
            sold: item.taken(),
            left: item.pool_left,
            released: item.released,
            value: yuan(item.price.minor().saturating_mul(item.taken())),
        });
    }
    lines
}

fn sale_row(console: &Console, sale: &FlashSale, now: sweep_domain::Timestamp, items: Vec<ItemLine>) -> SaleRow {
    SaleRow {
        id: sale.id.to_string(),
        name: sale.name.clone(),
        phase: phase_label(console, sale.phase(now)),
        limit: sale.per_member_limit,
        window: format!("{} – {}", cst(sale.starts_at), cst(sale.ends_at)),
        items,
    }
}

#[derive(Template)]
#[template(path = "console/flash.html")]
struct FlashList {
    c: Chrome,
    rows: Vec<SaleRow>,
    next_link: Option<String>,
    campaigns: Vec<Opt>,
    locations: Vec<Opt>,
    can_manage: bool,
    start: String,
    end: String,
    pay_minutes: i64,
    /// The new-sale form's one-time key.
    key: String,
}

pub async fn list(State(s): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    if let Err(r) = head_office_only(&console) {
        return r;
    }
    let f = Fields::query(raw);
    let Ok(page) = PageRequest::parse(f.opt("cursor"), Some(50)) else {
        return console.refusal(StatusCode::BAD_REQUEST, console.tr("无效的翻页", "Bad page"));
    };
    let sales = match s.sweep.flash_sales(&console.actor, &page).await {
        Ok(p) => p,
        Err(e) => return console.failed(&e),
    };
    let now = s.sweep.now();
    let mut names = SkuNames::default();
    let mut rows = Vec::with_capacity(sales.items.len());
    for sale in &sales.items {
        let items = item_lines(&s, &console, sale, &mut names).await;
        rows.push(sale_row(&console, sale, now, items));
    }
    let campaigns = s.sweep.list_campaigns(&console.actor, &PageRequest::first(200)).await;
    let campaigns = campaigns.map(|p| p.items).unwrap_or_default();
    let places = locations(&s, &console.actor).await.unwrap_or_default();
    let mut c = console.chrome(console.tr("秒杀", "Flash sales"));
    c.notice = done_notice(&console, &f, &[("ended", "秒杀已结束", "Sale ended")]);
    let page = FlashList {
        c,
        rows,
        next_link: sales.next_cursor.map(|cur| format!("/console/flash?cursor={cur}")),
        campaigns: campaigns.iter().map(|x| Opt::new(x.id, &x.name, false)).collect(),
        locations: places
            .iter()
            .filter(|l| l.status == LocationStatus::Active)
            .map(|l| Opt::new(l.id, format!("{} {}", l.code, l.name.get(console.lang)), false))
            .collect(),
        can_manage: console.can(Permission::ManageCampaigns),
        start: cst_input(now.plus_seconds(3600)),
        end: cst_input(now.plus_seconds(2 * 3600)),
        pay_minutes: DEFAULT_PAY_WITHIN_SECS / 60,
        key: form_key::new_key(),
    };
    console.page(&page)
}

pub async fn create(State(s): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = head_office_only(&console) {
        return r;
    }
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if !console.can(Permission::ManageCampaigns) {
        return console
            .refusal(StatusCode::FORBIDDEN, console.tr("你没有权限创建秒杀", "You may not set up flash sales"));
    }
    let mut check = Check::new(&console);
    let label = |zh, en| console.tr(zh, en);
    let name = check.required(&f, "name", label("名称", "Name")).to_string();
    check.required(&f, "campaign_id", label("活动", "Campaign"));
    let campaign: Option<CampaignId> = check.id(&f, "campaign_id", label("活动", "Campaign"));
    check.required(&f, "location_id", label("出货地点", "Stock from"));
    let location: Option<LocationId> = check.id(&f, "location_id", label("出货地点", "Stock from"));
    let sku_code = check.required(&f, "sku_code", label("SKU 编码", "SKU code")).to_string();
    check.required(&f, "price", label("秒杀价", "Sale price"));
    let price = check.yuan(&f, "price", label("秒杀价", "Sale price"));
    check.required(&f, "units", label("数量", "Pool size"));
    let units = check.int(&f, "units", label("数量", "Pool size"));
    check.required(&f, "starts_at", label("开始", "Starts"));
    let starts_at = check.time(&f, "starts_at", label("开始", "Starts"));
    check.required(&f, "ends_at", label("结束", "Ends"));
    let ends_at = check.time(&f, "ends_at", label("结束", "Ends"));
    let limit = check.int(&f, "per_member_limit", label("每人限购", "Limit per member")).unwrap_or(1);
    let pay_minutes = check.int(&f, "pay_within_minutes", label("付款时限", "Pay within"));
    let sku = if sku_code.is_empty() {
        None
    } else {
        match sku_by_code(&s, &console.actor, &sku_code).await {
            Ok(Some(id)) => Some(id),
            Ok(None) => {
                check.fail(&sku_code, "没有这个 SKU", "no such SKU");
                None
            }
            Err(e) => return console.failed(&e),
        }
    };
    if let Err(r) = check.finish() {
        return r;
    }
    let (Some(campaign_id), Some(location_id), Some(sku_id), Some(price), Some(units), Some(starts_at), Some(ends_at)) =
        (campaign, location, sku, price, units, starts_at, ends_at)
    else {
        return console.refusal(StatusCode::UNPROCESSABLE_ENTITY, console.tr("表单不完整", "The form is incomplete"));
    };
    let input = FlashSaleInput {
        campaign_id,
        name,
        location_id,
        starts_at,
        ends_at,
        per_member_limit: limit,
        members_only: f.checked("members_only"),
        pay_within_secs: pay_minutes.map(|m| m.saturating_mul(60)),
        items: vec![FlashItemInput { sku_id, price, units }],
    };
    // Once per form: a second send must not set another pool aside.
    let request = f.fingerprint("/console/flash");
    let made = s.sweep.create_flash_sale(&console.actor, input);
    let done = |view: &FlashSaleView| format!("/console/flash/{}?done=created", view.sale.id);
    match form_key::once(&s, &console, f.get("key"), &request, made, done).await {
        Ok(redirect) => redirect,
        Err(failure) => failure.page(&console),
    }
}

#[derive(Template)]
#[template(path = "console/flash_sale.html")]
struct SalePage {
    c: Chrome,
    sale: SaleRow,
    members_only: bool,
    pay_minutes: i64,
    location: String,
    can_end: bool,
    total_sold: i64,
    total_value: String,
}

fn sale_id(console: &Console, id: &str) -> Result<FlashSaleId, Response> {
    id.parse().map_err(|_| console.refusal(StatusCode::NOT_FOUND, console.tr("找不到", "Not found")))
}

pub async fn show(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(r) = head_office_only(&console) {
        return r;
    }
    let id = match sale_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let view = match s.sweep.flash_sale(&console.actor, id).await {
        Ok(v) => v,
        Err(e) => return console.failed(&e),
    };
    let sale = &view.sale;
    let mut items = item_lines(&s, &console, sale, &mut SkuNames::default()).await;
    for (line, item) in items.iter_mut().zip(&sale.items) {
        if let Some(p) = view.products.iter().find(|p| p.sku_id == item.sku_id) {
            line.list_price = yuan(p.list_price.minor());
        }
    }
    let total_sold = items.iter().map(|i| i.sold).sum();
    let total_value = yuan(sale.items.iter().map(|i| i.price.minor().saturating_mul(i.taken())).sum());
    let location = match s.sweep.get_location(&console.actor, sale.location_id).await {
        Ok(l) => format!("{} {}", l.code, l.name.get(console.lang)),
        Err(_) => sale.location_id.to_string(),
    };
    let f = Fields::query(raw);
    let mut c = console.chrome(&sale.name);
    c.notice = done_notice(
        &console,
        &f,
        &[
            ("created", "秒杀已创建，库存已锁定", "Sale set up; its pool is set aside"),
            ("ended", "秒杀已结束", "Sale ended"),
        ],
    );
    let page = SalePage {
        c,
        members_only: sale.members_only,
        pay_minutes: sale.pay_within_secs / 60,
        location,
        can_end: view.phase != FlashPhase::Ended && console.can(Permission::ManageCampaigns),
        total_sold,
        total_value,
        sale: sale_row(&console, sale, view.server_time, items),
    };
    console.page(&page)
}

pub async fn end(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = head_office_only(&console) {
        return r;
    }
    if let Err(r) = Fields::posted(&console, &s, &headers, &body) {
        return r;
    }
    let id = match sale_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match s.sweep.end_flash_sale(&console.actor, id).await {
        Ok(_) => Redirect::to(&format!("/console/flash/{id}?done=ended")).into_response(),
        Err(e) => console.failed(&e),
    }
}
