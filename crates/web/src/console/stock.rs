//! Console: stock. Levels by location and SKU, the movement history, and (in
//! stock_forms.rs) receiving, adjusting and transferring. Store managers and clerks see
//! and act only on their own stores: the use cases narrow every list to them.

#[path = "stock_forms.rs"]
mod forms;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use sweep_app::page::{PageRequest, all_pages};
use sweep_app::ports::{LocationFilter, SkuFilter, StockFilter};
use sweep_domain::Timestamp;
use sweep_domain::catalog::Sku;
use sweep_domain::ids::{LocationId, ProductId, SkuId, StaffId};
use sweep_domain::inventory::{AdjustReason, MovementKind};
use sweep_domain::location::{Location, LocationStatus};
use sweep_domain::roles::Permission;

use super::{Chrome, Console};
use crate::state::AppState;

const PAGE_SIZE: u32 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/stock", get(levels))
        .route("/console/stock/movements", get(movements))
        .route("/console/stock/receive", get(forms::receive_form).post(forms::receive))
        .route("/console/stock/adjust", get(forms::adjust_form).post(forms::adjust))
        .route("/console/stock/transfer", get(forms::transfer_form).post(forms::transfer))
}

/// A choice in a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The locations the caller may see (their own stores for store roles).
pub async fn visible_locations(s: &AppState, console: &Console) -> Result<Vec<Location>, Response> {
    all_pages(|page| async move { s.sweep.list_locations(&console.actor, LocationFilter::default(), &page).await })
        .await
        .map_err(|e| console.failed(&e))
}

/// Active locations as choices, `selected` marked.
pub fn location_choices(console: &Console, all: &[Location], selected: &str) -> Vec<Choice> {
    all.iter()
        .filter(|l| l.status == LocationStatus::Active || l.id.to_string() == selected)
        .map(|l| Choice {
            value: l.id.to_string(),
            label: format!("{} · {}", l.code, l.name.get(console.lang)),
            selected: l.id.to_string() == selected,
        })
        .collect()
}

/// The SKU a person typed: its code, else its barcode.
pub async fn sku_by_code(s: &AppState, console: &Console, text: &str) -> Option<Sku> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    for filter in [
        SkuFilter { code: Some(text.to_string()), ..Default::default() },
        SkuFilter { barcode: Some(text.to_string()), ..Default::default() },
    ] {
        if let Ok(page) = s.sweep.list_skus(&console.actor, filter, &PageRequest::first(1)).await
            && let Some(sku) = page.items.into_iter().next()
        {
            return Some(sku);
        }
    }
    None
}

#[derive(Deserialize, Default)]
struct StockQuery {
    #[serde(default)]
    location: String,
    /// A SKU code or barcode.
    #[serde(default)]
    sku: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    cursor: String,
}

impl StockQuery {
    fn from_uri(uri: &Uri) -> StockQuery {
        serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default()
    }

    fn query(&self, cursor: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("location", self.location.as_str()), ("sku", self.sku.trim()), ("kind", self.kind.as_str())] {
            if !v.is_empty() {
                out.append_pair(k, v);
            }
        }
        if let Some(c) = cursor {
            out.append_pair("cursor", c);
        }
        out.finish()
    }
}

/// What the filters ask for, or a page saying why there is nothing.
struct Asked {
    filter: StockFilter,
    page: PageRequest,
    /// The typed SKU matched nothing: show an empty list.
    no_sku: bool,
}

async fn asked(s: &AppState, console: &Console, q: &StockQuery) -> Result<Asked, Response> {
    let page = PageRequest::parse(Some(&q.cursor), Some(PAGE_SIZE as i64))
        .map_err(|e| console.refusal(StatusCode::BAD_REQUEST, &e.message))?;
    let location = match q.location.trim() {
        "" => None,
        l => Some(l.parse::<LocationId>().map_err(|_| console.refusal(StatusCode::NOT_FOUND, "location"))?),
    };
    let sku = sku_by_code(s, console, &q.sku).await;
    let filter = StockFilter {
        sku: sku.as_ref().map(|s| s.id),
        location,
        kind: MovementKind::parse(&q.kind),
        ..Default::default()
    };
    Ok(Asked { filter, page, no_sku: !q.sku.trim().is_empty() && sku.is_none() })
}

/// SKU codes and product names of the rows on a page, each looked up once.
struct Names {
    skus: HashMap<SkuId, (String, ProductId, String)>,
}

impl Names {
    async fn of(s: &AppState, console: &Console, ids: impl Iterator<Item = SkuId>) -> Names {
        let mut skus = HashMap::new();
        let mut products: HashMap<ProductId, String> = HashMap::new();
        for id in ids {
            if skus.contains_key(&id) {
                continue;
            }
            let Ok(sku) = s.sweep.get_sku(&console.actor, id).await else { continue };
            let name = match products.get(&sku.product_id) {
                Some(n) => n.clone(),
                None => {
                    let n = match s.sweep.get_product(&console.actor, sku.product_id).await {
                        Ok(p) => p.name.get(console.lang).to_string(),
                        Err(_) => String::new(),
                    };
                    products.insert(sku.product_id, n.clone());
                    n
                }
            };
            let label = if sku.label().is_empty() { name } else { format!("{name} · {}", sku.label()) };
            skus.insert(id, (sku.code.clone(), sku.product_id, label));
        }
        Names { skus }
    }

    fn sku(&self, id: SkuId) -> (String, String, String) {
        match self.skus.get(&id) {
            Some((code, product, label)) => (code.clone(), product.to_string(), label.clone()),
            None => (id.to_string(), String::new(), String::new()),
        }
    }
}

fn location_name(console: &Console, all: &[Location], id: LocationId) -> String {
    all.iter()
        .find(|l| l.id == id)
        .map(|l| format!("{} · {}", l.code, l.name.get(console.lang)))
        .unwrap_or_else(|| id.to_string())
}

// ----- levels -----

struct LevelRow {
    sku_code: String,
    product_id: String,
    product: String,
    location: String,
    movements: String,
    on_hand: i64,
    reserved: i64,
    available: i64,
}

#[derive(Template)]
#[template(path = "console/stock.html")]
struct LevelsPage {
    c: Chrome,
    q: StockQuery,
    locations: Vec<Choice>,
    rows: Vec<LevelRow>,
    next: Option<String>,
    paged: bool,
    can_adjust: bool,
    can_transfer: bool,
}

async fn levels(State(s): State<AppState>, console: Console, uri: Uri) -> Response {
    let q = StockQuery::from_uri(&uri);
    let locations = match visible_locations(&s, &console).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let a = match asked(&s, &console, &q).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut c = console.chrome(console.tr("库存", "Stock"));
    let (items, next) = if a.no_sku {
        c.notice = Some((console.tr("没有这个编码或条码的 SKU", "No SKU with this code or barcode").into(), true));
        (vec![], None)
    } else {
        match s.sweep.stock_levels(&console.actor, a.filter, &a.page).await {
            Ok(p) => (p.items, p.next_cursor),
            Err(e) => return console.failed(&e),
        }
    };
    let names = Names::of(&s, &console, items.iter().map(|r| r.sku_id)).await;
    let rows = items
        .iter()
        .map(|r| {
            let (sku_code, product_id, product) = names.sku(r.sku_id);
            let movements =
                StockQuery { location: r.location_id.to_string(), sku: sku_code.clone(), ..Default::default() };
            LevelRow {
                movements: movements.query(None),
                sku_code,
                product_id,
                product,
                location: location_name(&console, &locations, r.location_id),
                on_hand: r.level.on_hand,
                reserved: r.level.reserved,
                available: r.level.available(),
            }
        })
        .collect();
    let page = LevelsPage {
        c,
        locations: location_choices(&console, &locations, &q.location),
        rows,
        next: next.map(|n| q.query(Some(&n))),
        paged: !q.cursor.is_empty(),
        can_adjust: console.can(Permission::AdjustStock),
        can_transfer: console.can(Permission::TransferStock),
        q,
    };
    console.page(&page)
}

// ----- movements -----

pub fn kind_label(console: &Console, kind: MovementKind) -> &'static str {
    match kind {
        MovementKind::Receive => console.tr("入库", "Received"),
        MovementKind::Adjust => console.tr("调整", "Adjusted"),
        MovementKind::TransferOut => console.tr("调出", "Transferred out"),
        MovementKind::TransferIn => console.tr("调入", "Transferred in"),
        MovementKind::Reserve => console.tr("订单占用", "Reserved"),
        MovementKind::Release => console.tr("释放占用", "Released"),
        MovementKind::Fulfil => console.tr("出库", "Fulfilled"),
        MovementKind::Return => console.tr("退货入库", "Returned"),
        MovementKind::PoolOut => console.tr("转入秒杀", "To flash sale"),
        MovementKind::PoolIn => console.tr("秒杀退回", "From flash sale"),
        MovementKind::Sell => console.tr("门店售出", "Sold at till"),
        MovementKind::OfflineOversell => console.tr("离线超卖", "Offline oversell"),
    }
}

pub fn reason_label(console: &Console, reason: AdjustReason) -> &'static str {
    match reason {
        AdjustReason::CountCorrection => console.tr("盘点更正", "Count correction"),
        AdjustReason::Damaged => console.tr("损坏", "Damaged"),
        AdjustReason::Lost => console.tr("丢失", "Lost"),
        AdjustReason::Found => console.tr("找到", "Found"),
        AdjustReason::Other => console.tr("其他", "Other"),
    }
}

struct MovementRow {
    at: String,
    location: String,
    sku_code: String,
    product_id: String,
    kind: &'static str,
    reason: String,
    on_hand: String,
    reserved: String,
    after: String,
    note: String,
    who: String,
    /// An order's console page, when the movement came from one.
    order: Option<String>,
    reference: String,
}

#[derive(Template)]
#[template(path = "console/stock_movements.html")]
struct MovementsPage {
    c: Chrome,
    q: StockQuery,
    locations: Vec<Choice>,
    kinds: Vec<Choice>,
    rows: Vec<MovementRow>,
    next: Option<String>,
    paged: bool,
}

fn signed(n: i64) -> String {
    if n > 0 { format!("+{n}") } else { n.to_string() }
}

async fn movements(State(s): State<AppState>, console: Console, uri: Uri) -> Response {
    let q = StockQuery::from_uri(&uri);
    let locations = match visible_locations(&s, &console).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let a = match asked(&s, &console, &q).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut c = console.chrome(console.tr("库存流水", "Stock movements"));
    let (items, next) = if a.no_sku {
        c.notice = Some((console.tr("没有这个编码或条码的 SKU", "No SKU with this code or barcode").into(), true));
        (vec![], None)
    } else {
        match s.sweep.stock_movements(&console.actor, a.filter, &a.page).await {
            Ok(p) => (p.items, p.next_cursor),
            Err(e) => return console.failed(&e),
        }
    };
    let names = Names::of(&s, &console, items.iter().map(|m| m.sku_id)).await;
    // Who moved it: names of the staff the caller may see.
    let mut staff: HashMap<StaffId, String> = HashMap::new();
    for id in items.iter().filter_map(|m| m.actor_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = staff.entry(id) {
            slot.insert(s.sweep.get_staff(&console.actor, id).await.map(|st| st.display_name).unwrap_or_default());
        }
    }
    let offset = match console.actor.merchant_id {
        Some(m) => s.sweep.get_merchant(&console.actor, m).await.map(|m| m.time_zone().offset_minutes()).unwrap_or(480),
        None => 480,
    };
    let rows = items
        .iter()
        .map(|m| {
            let (sku_code, product_id, _) = names.sku(m.sku_id);
            let reference = m.reference.clone().unwrap_or_default();
            MovementRow {
                at: local_time(m.created_at, offset),
                location: location_name(&console, &locations, m.location_id),
                sku_code,
                product_id,
                kind: kind_label(&console, m.kind),
                reason: m.reason.map(|r| reason_label(&console, r)).unwrap_or_default().to_string(),
                on_hand: signed(m.on_hand_delta),
                reserved: signed(m.reserved_delta),
                after: format!("{} / {}", m.after.on_hand, m.after.reserved),
                note: m.note.clone(),
                who: match m.actor_id {
                    Some(id) => staff
                        .get(&id)
                        .filter(|n| !n.is_empty())
                        .cloned()
                        .unwrap_or_else(|| console.tr("员工", "Staff").into()),
                    None => console.tr("系统", "System").into(),
                },
                order: reference.strip_prefix("order:").map(|id| format!("/console/orders/{id}")),
                reference,
            }
        })
        .collect();
    let kinds = MovementKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: kind_label(&console, k).into(),
            selected: k.as_str() == q.kind,
        })
        .collect();
    let page = MovementsPage {
        c,
        locations: location_choices(&console, &locations, &q.location),
        kinds,
        rows,
        next: next.map(|n| q.query(Some(&n))),
        paged: !q.cursor.is_empty(),
        q,
    };
    console.page(&page)
}

/// `2026-05-01 14:03` in the merchant's time zone.
fn local_time(t: Timestamp, offset_minutes: i32) -> String {
    let d = t.plus_seconds(i64::from(offset_minutes) * 60).to_offset_datetime();
    format!("{}-{:02}-{:02} {:02}:{:02}", d.year(), u8::from(d.month()), d.day(), d.hour(), d.minute())
}
