//! Display cards: the list with filters, making cards for a store's SKUs, taking them off
//! the shelf and back, printing them, campaigns, and what the scans led to. Also the small
//! helpers the other settings pages share: posted fields, yuan and China-time inputs.

use std::collections::HashMap;
use std::str::FromStr;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use sweep_app::AppResult;
use sweep_app::analytics::DayRange;
use sweep_app::cards::{CampaignInput, CreateCardsInput, MAX_CARDS_PER_REQUEST};
use sweep_app::page::PageRequest;
use sweep_app::ports::{CardFilter, LocationFilter, SkuFilter, StaffFilter};
use sweep_domain::card::CardStatus;
use sweep_domain::day::CstDay;
use sweep_domain::ids::{CampaignId, CardId, LocationId, ProductId, SkuId, StaffId};
use sweep_domain::location::{Location, LocationKind, LocationStatus};
use sweep_domain::roles::{Actor, Permission, Role};
use sweep_domain::staff::StaffStatus;
use sweep_domain::{Currency, Money, Timestamp};

use super::{Chrome, Console, yuan};
use crate::state::AppState;

// One-time keys for the settings pages' "make something" forms (cards, flash sales,
// coupons issued).
use super::form_key;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/cards", axum::routing::get(list).post(create))
        .route("/console/cards/campaigns", post(create_campaign))
        .route("/console/cards/{id}/enable", post(enable))
        .route("/console/cards/{id}/disable", post(disable))
}

// ----- shared by the settings pages -----

/// A form's or query's fields in order, repeated names kept (multi-selects, checkboxes).
pub(super) struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn query(raw: Option<String>) -> Fields {
        let raw = raw.unwrap_or_default();
        Fields(form_urlencoded::parse(raw.as_bytes()).into_owned().collect())
    }

    /// A posted form, CSRF-checked.
    pub fn posted(console: &Console, s: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Fields, Response> {
        console.form::<Vec<(String, String)>>(s, headers, body).map(Fields)
    }

    /// The first value, trimmed; empty when missing.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
    }

    /// The first value exactly as sent (passwords), as an owned string.
    pub fn raw(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// Every non-empty value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim()).collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty() && v != "0" && v != "false")
    }

    /// What makes two sends of this form to `path` the same request, for its key.
    pub fn fingerprint(&self, path: &str) -> String {
        form_key::fingerprint(path, &self.0)
    }

    /// These fields again as a query string, for links that keep the filters.
    pub fn keep(&self, names: &[&str]) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for name in names {
            if let Some(v) = self.opt(name) {
                q.append_pair(name, v);
            }
        }
        q.finish()
    }
}

/// Checks a form's fields one by one, collecting every problem for one 422 page.
pub(super) struct Check<'a> {
    console: &'a Console,
    errors: Vec<String>,
}

impl<'a> Check<'a> {
    pub fn new(console: &'a Console) -> Check<'a> {
        Check { console, errors: vec![] }
    }

    pub fn fail(&mut self, label: &str, zh: &'static str, en: &'static str) {
        self.errors.push(format!("{label}: {}", self.console.tr(zh, en)));
    }

    pub fn required<'f>(&mut self, f: &'f Fields, name: &str, label: &str) -> &'f str {
        let v = f.get(name);
        if v.is_empty() {
            self.fail(label, "必填", "required");
        }
        v
    }

    pub fn id<T: FromStr>(&mut self, f: &Fields, name: &str, label: &str) -> Option<T> {
        let v = f.opt(name)?;
        let parsed = v.parse().ok();
        if parsed.is_none() {
            self.fail(label, "无效的选择", "not a valid choice");
        }
        parsed
    }

    pub fn ids<T: FromStr>(&mut self, f: &Fields, name: &str, label: &str) -> Vec<T> {
        let mut out = vec![];
        for v in f.all(name) {
            match v.parse() {
                Ok(id) => out.push(id),
                Err(_) => self.fail(label, "无效的选择", "not a valid choice"),
            }
        }
        out
    }

    /// Whole number; `None` when left empty.
    pub fn int(&mut self, f: &Fields, name: &str, label: &str) -> Option<i64> {
        let v = f.opt(name)?;
        let parsed = v.parse().ok();
        if parsed.is_none() {
            self.fail(label, "请填写整数", "enter a whole number");
        }
        parsed
    }

    /// Yuan with at most two decimals, as fen; `None` when left empty.
    pub fn yuan(&mut self, f: &Fields, name: &str, label: &str) -> Option<i64> {
        let v = f.opt(name)?;
        let parsed = Money::parse_major(v, Currency::Cny).map(|m| m.minor()).filter(|m| *m >= 0);
        if parsed.is_none() {
            self.fail(label, "请填写金额，如 12.50", "enter an amount such as 12.50");
        }
        parsed
    }

    /// A `datetime-local` input in China Standard Time, as RFC 3339; `None` when empty.
    pub fn time(&mut self, f: &Fields, name: &str, label: &str) -> Option<String> {
        let v = f.opt(name)?;
        let parsed = from_cst_input(v);
        if parsed.is_none() {
            self.fail(label, "请填写日期和时间", "enter a date and time");
        }
        parsed
    }

    /// Done: every problem on one page, or nothing.
    pub fn finish(self) -> Result<(), Response> {
        if self.errors.is_empty() {
            return Ok(());
        }
        Err(self.console.refusal(StatusCode::UNPROCESSABLE_ENTITY, &self.errors.join("; ")))
    }
}

/// A moment in China Standard Time, `2026-11-11 20:00`.
pub(super) fn cst(at: Timestamp) -> String {
    cst_input(at).replace('T', " ")
}

/// A moment as a `datetime-local` input's value in China Standard Time.
pub(super) fn cst_input(at: Timestamp) -> String {
    let minute = (at.unix_seconds() + 8 * 3600).rem_euclid(86_400) / 60;
    format!("{}T{:02}:{:02}", CstDay::of(at), minute / 60, minute % 60)
}

/// `2026-11-11T20:00` (or with seconds, or a space) in China Standard Time, as RFC 3339.
pub(super) fn from_cst_input(text: &str) -> Option<String> {
    let t = text.trim().replace(' ', "T");
    let full = match t.len() {
        16 => format!("{t}:00+08:00"),
        19 => format!("{t}+08:00"),
        _ => return None,
    };
    Timestamp::parse_rfc3339(&full).map(|at| at.to_rfc3339())
}

/// The `done` outcome of the last action as a notice, for the keys a page knows.
pub(super) fn done_notice(
    console: &Console,
    f: &Fields,
    known: &[(&str, &'static str, &'static str)],
) -> Option<(String, bool)> {
    let done = f.get("done");
    known.iter().find(|(k, _, _)| *k == done).map(|(_, zh, en)| (console.tr(zh, en).to_string(), false))
}

/// The locations the actor may see (store staff: their own), up to 200.
pub(super) async fn locations(s: &AppState, actor: &Actor) -> AppResult<Vec<Location>> {
    Ok(s.sweep.list_locations(actor, LocationFilter::default(), &PageRequest::first(200)).await?.items)
}

/// One `<option>` of a select.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl ToString, label: impl Into<String>, selected: bool) -> Opt {
        Opt { value: value.to_string(), label: label.into(), selected }
    }
}

/// Active stores as options, `selected` marked.
pub(super) fn store_options(console: &Console, all: &[Location], selected: &[String]) -> Vec<Opt> {
    all.iter()
        .filter(|l| l.kind == LocationKind::Store && l.status == LocationStatus::Active)
        .map(|l| {
            let id = l.id.to_string();
            let chosen = selected.contains(&id);
            Opt::new(&id, format!("{} {}", l.code, l.name.get(console.lang)), chosen)
        })
        .collect()
}

/// A SKU by its code (what staff read off the label), or `None`.
pub(super) async fn sku_by_code(s: &AppState, actor: &Actor, code: &str) -> AppResult<Option<SkuId>> {
    let filter = SkuFilter { code: Some(code.to_string()), ..Default::default() };
    Ok(s.sweep.list_skus(actor, filter, &PageRequest::first(1)).await?.items.first().map(|sku| sku.id))
}

/// A SKU's code and its product's name, for tables; remembered across one page's rows.
#[derive(Default)]
pub(super) struct SkuNames {
    skus: HashMap<SkuId, (String, String, ProductId)>,
    products: HashMap<ProductId, String>,
}

impl SkuNames {
    /// (SKU code, "product · label"), or the id when it is gone.
    pub async fn of(&mut self, s: &AppState, console: &Console, id: SkuId) -> (String, String) {
        let (code, label, product) = match self.skus.get(&id) {
            Some(known) => known.clone(),
            None => {
                let Ok(sku) = s.sweep.get_sku(&console.actor, id).await else {
                    return (id.to_string(), String::new());
                };
                let found = (sku.code.clone(), sku.label(), sku.product_id);
                self.skus.insert(id, found.clone());
                found
            }
        };
        let name = match self.products.get(&product) {
            Some(name) => name.clone(),
            None => {
                let name = match s.sweep.get_product(&console.actor, product).await {
                    Ok(p) => p.name.get(console.lang).to_string(),
                    Err(_) => String::new(),
                };
                self.products.insert(product, name.clone());
                name
            }
        };
        (code, if label.is_empty() { name.clone() } else { format!("{name} · {label}") })
    }
}

// ----- the cards page -----

pub struct CardRow {
    id: String,
    code: String,
    store: String,
    sku_code: String,
    product: String,
    campaign: String,
    scans: Option<i64>,
    active: bool,
}

pub struct FunnelLine {
    label: String,
    scans: i64,
    views: i64,
    carts: i64,
    orders: i64,
    paid_orders: i64,
    paid: String,
}

#[derive(Template)]
#[template(path = "console/cards.html")]
struct CardsPage {
    c: Chrome,
    rows: Vec<CardRow>,
    filter_stores: Vec<Opt>,
    filter_campaigns: Vec<Opt>,
    filter_status: Vec<Opt>,
    form_stores: Vec<Opt>,
    clerks: Vec<Opt>,
    campaigns: Vec<Opt>,
    back: String,
    next_link: Option<String>,
    sheet_link: String,
    can_manage: bool,
    can_campaign: bool,
    max_cards: usize,
    funnel: Option<(Vec<FunnelLine>, Vec<FunnelLine>)>,
    campaign_start: String,
    campaign_end: String,
    /// The make-cards form's one-time key.
    key: String,
}

const FILTERS: [&str; 3] = ["store_id", "campaign_id", "status"];

pub async fn list(State(s): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    let f = Fields::query(raw);
    let mut check = Check::new(&console);
    let store: Option<LocationId> = check.id(&f, "store_id", console.tr("门店", "Store"));
    let campaign: Option<CampaignId> = check.id(&f, "campaign_id", console.tr("活动", "Campaign"));
    let status = f.opt("status").and_then(CardStatus::parse);
    let page = PageRequest::parse(f.opt("cursor"), Some(50));
    if let Err(e) = check.finish() {
        return e;
    }
    let Ok(page) = page else {
        return console.refusal(StatusCode::BAD_REQUEST, console.tr("无效的翻页", "Bad page"));
    };
    let actor = &console.actor;
    let filter = CardFilter { stores: store.map(|s| vec![s]), campaign, sku: None, status };
    let cards = match s.sweep.list_cards(actor, filter, &page).await {
        Ok(c) => c,
        Err(e) => return console.failed(&e),
    };
    let all_locations = locations(&s, actor).await.unwrap_or_default();
    let campaigns = s.sweep.list_campaigns(actor, &PageRequest::first(200)).await.map(|p| p.items).unwrap_or_default();
    let store_names: HashMap<LocationId, String> =
        all_locations.iter().map(|l| (l.id, format!("{} {}", l.code, l.name.get(console.lang)))).collect();
    let campaign_names: HashMap<CampaignId, String> = campaigns.iter().map(|c| (c.id, c.name.clone())).collect();

    // The last 30 days' scans, per store and per card (the busiest), from the folded
    // day totals, for those who see reports.
    let now = s.sweep.now();
    let funnel = if console.can(Permission::ViewReports) {
        match DayRange::parse("", "", s.sweep.today()) {
            Ok(range) => Some(s.sweep.scan_funnel(actor, range).await.unwrap_or_default()),
            Err(_) => None,
        }
    } else {
        None
    };
    let scans: HashMap<&str, i64> =
        funnel.iter().flat_map(|(_, cards)| cards.iter().map(|r| (r.key.as_str(), r.scans))).collect();
    // Only the busiest cards are listed: a card missing from them had no scans only if
    // the listed cards hold all the stores' scans.
    let complete = funnel.as_ref().is_some_and(|(stores, cards)| {
        stores.iter().map(|r| r.scans).sum::<i64>() == cards.iter().map(|r| r.scans).sum::<i64>()
    });

    let mut names = SkuNames::default();
    let mut rows = Vec::with_capacity(cards.items.len());
    for card in &cards.items {
        let (sku_code, product) = names.of(&s, &console, card.sku_id).await;
        let id = card.id.to_string();
        rows.push(CardRow {
            scans: scans.get(id.as_str()).copied().or(complete.then_some(0)),
            id,
            code: card.code.clone(),
            store: store_names.get(&card.store_id).cloned().unwrap_or_else(|| card.store_id.to_string()),
            sku_code,
            product,
            campaign: card.campaign_id.and_then(|c| campaign_names.get(&c).cloned()).unwrap_or_default(),
            active: card.status == CardStatus::Active,
        });
    }
    let line = |r: &sweep_app::cards::FunnelRow| FunnelLine {
        label: r.label.clone(),
        scans: r.scans,
        views: r.views,
        carts: r.carts,
        orders: r.orders,
        paid_orders: r.paid_orders,
        paid: yuan(r.paid_amount),
    };
    let funnel = funnel
        .map(|(stores, cards)| (stores.iter().take(20).map(line).collect(), cards.iter().take(20).map(line).collect()));

    let store_text = store.map(|s| s.to_string()).unwrap_or_default();
    let campaign_text = campaign.map(|c| c.to_string()).unwrap_or_default();
    let mut filter_stores = vec![Opt::new("", console.tr("全部门店", "All stores"), store.is_none())];
    filter_stores.extend(store_options(&console, &all_locations, std::slice::from_ref(&store_text)));
    let mut filter_campaigns = vec![Opt::new("", console.tr("全部活动", "All campaigns"), campaign.is_none())];
    filter_campaigns.extend(campaigns.iter().map(|c| Opt::new(c.id, &c.name, c.id.to_string() == campaign_text)));
    let filter_status = vec![
        Opt::new("", console.tr("全部状态", "Any status"), status.is_none()),
        Opt::new("active", console.tr("使用中", "Active"), status == Some(CardStatus::Active)),
        Opt::new("disabled", console.tr("已停用", "Disabled"), status == Some(CardStatus::Disabled)),
    ];
    let mut form_campaigns = vec![Opt::new("", console.tr("不属于活动", "No campaign"), campaign.is_none())];
    form_campaigns.extend(campaigns.iter().map(|c| Opt::new(c.id, &c.name, c.id.to_string() == campaign_text)));
    let can_manage = console.can(Permission::ManageCards);
    let clerks = if can_manage { clerk_options(&s, &console).await } else { vec![] };

    let back = f.keep(&FILTERS);
    let mut sheet = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [("store_id", &store_text), ("campaign_id", &campaign_text)] {
        if !v.is_empty() {
            sheet.append_pair(k, v);
        }
    }
    if let Some(st) = status {
        sheet.append_pair("status", st.as_str());
    }
    let mut c = console.chrome(console.tr("展示卡", "Display cards"));
    c.notice = done_notice(
        &console,
        &f,
        &[
            ("cards_created", "展示卡已生成", "Cards made"),
            ("card_disabled", "展示卡已停用", "Card disabled"),
            ("card_enabled", "展示卡已启用", "Card enabled"),
            ("campaign_created", "活动已创建", "Campaign created"),
        ],
    );
    let page = CardsPage {
        c,
        rows,
        form_stores: store_options(&console, &all_locations, std::slice::from_ref(&store_text)),
        filter_stores,
        filter_campaigns,
        filter_status,
        clerks,
        campaigns: form_campaigns,
        next_link: cards.next_cursor.map(|cur| {
            let keep = f.keep(&FILTERS);
            let cur: String = form_urlencoded::byte_serialize(cur.as_bytes()).collect();
            if keep.is_empty() {
                format!("/console/cards?cursor={cur}")
            } else {
                format!("/console/cards?{keep}&cursor={cur}")
            }
        }),
        sheet_link: format!("/api/v1/cards/sheet.pdf?{}", sheet.finish()),
        back,
        can_manage,
        can_campaign: console.can(Permission::ManageCampaigns),
        max_cards: MAX_CARDS_PER_REQUEST,
        funnel,
        campaign_start: cst_input(now),
        campaign_end: cst_input(now.plus_seconds(30 * 86_400)),
        key: form_key::new_key(),
    };
    console.page(&page)
}

/// Active clerks the actor may see, to credit a card's sales to.
async fn clerk_options(s: &AppState, console: &Console) -> Vec<Opt> {
    if !console.can(Permission::ViewStaff) {
        return vec![];
    }
    let filter = StaffFilter { role: Some(Role::Clerk), status: Some(StaffStatus::Active), stores: None };
    let staff = s.sweep.list_staff(&console.actor, filter, &PageRequest::first(200)).await;
    let mut out = vec![Opt::new("", console.tr("不指定", "Nobody"), true)];
    out.extend(staff.map(|p| p.items).unwrap_or_default().iter().map(|m| Opt::new(m.id, &m.display_name, false)));
    out
}

/// The most copies of each SKU one form makes.
const MAX_COPIES: i64 = 20;

pub async fn create(State(s): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    // Before looking anything up (the use case checks again).
    if !console.can(Permission::ManageCards) {
        return console.refusal(StatusCode::FORBIDDEN, console.tr("你没有权限生成展示卡", "You may not make cards"));
    }
    let mut check = Check::new(&console);
    let store_label = console.tr("门店", "Store");
    check.required(&f, "store_id", store_label);
    let store: Option<LocationId> = check.id(&f, "store_id", store_label);
    let campaign: Option<CampaignId> = check.id(&f, "campaign_id", console.tr("活动", "Campaign"));
    let clerk: Option<StaffId> = check.id(&f, "clerk_id", console.tr("店员", "Clerk"));
    let copies_label = console.tr("每个 SKU 的张数", "Copies of each SKU");
    let copies = check.int(&f, "copies", copies_label).unwrap_or(1);
    if !(1..=MAX_COPIES).contains(&copies) {
        check.fail(copies_label, "1 到 20 张", "1 to 20");
    }
    let codes_label = console.tr("SKU 编码", "SKU codes");
    let codes: Vec<&str> = check
        .required(&f, "sku_codes", codes_label)
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';'))
        .filter(|c| !c.is_empty())
        .collect();
    // Refused before any lookup: each code costs a query.
    let copies_each = copies.clamp(1, MAX_COPIES) as usize;
    if codes.len().saturating_mul(copies_each) > MAX_CARDS_PER_REQUEST {
        let message = format!(
            "{} {MAX_CARDS_PER_REQUEST} {} ({} × {copies_each})",
            console.tr("一次最多生成", "At most"),
            console.tr("张展示卡，请分批粘贴 SKU 编码", "cards at a time; paste the SKU codes in parts"),
            codes.len(),
        );
        return console.refusal(StatusCode::BAD_REQUEST, &message);
    }
    let mut skus = vec![];
    for code in &codes {
        match sku_by_code(&s, &console.actor, code).await {
            Ok(Some(id)) => skus.extend(std::iter::repeat_n(id, copies_each)),
            Ok(None) => check.fail(&format!("{codes_label} {code}"), "没有这个 SKU", "no such SKU"),
            Err(e) => return console.failed(&e),
        }
    }
    if let Err(r) = check.finish() {
        return r;
    }
    let Some(store) = store else { return console.refusal(StatusCode::UNPROCESSABLE_ENTITY, store_label) };
    let input = CreateCardsInput { store_id: store, sku_ids: skus, campaign_id: campaign, clerk_id: clerk };
    let request = f.fingerprint("/console/cards");
    let made = s.sweep.create_cards(&console.actor, input);
    let done = |_: &_| format!("/console/cards?store_id={store}&done=cards_created");
    match form_key::once(&s, &console, f.get("key"), &request, made, done).await {
        Ok(redirect) => redirect,
        Err(failure) => failure.page(&console),
    }
}

async fn set_status(
    s: AppState,
    console: Console,
    headers: HeaderMap,
    body: Bytes,
    id: String,
    to: CardStatus,
) -> Response {
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<CardId>() else {
        return console.refusal(StatusCode::NOT_FOUND, console.tr("找不到", "Not found"));
    };
    if let Err(e) = s.sweep.set_card_status(&console.actor, id, to).await {
        return console.failed(&e);
    }
    // Back to the list as it was filtered.
    let kept = Fields::query(Some(f.get("back").to_string())).keep(&FILTERS);
    let done = if to == CardStatus::Active { "card_enabled" } else { "card_disabled" };
    let sep = if kept.is_empty() { "" } else { "&" };
    Redirect::to(&format!("/console/cards?{kept}{sep}done={done}")).into_response()
}

pub async fn enable(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    set_status(s, console, headers, body, id, CardStatus::Active).await
}

pub async fn disable(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    set_status(s, console, headers, body, id, CardStatus::Disabled).await
}

pub async fn create_campaign(State(s): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut check = Check::new(&console);
    let name = check.required(&f, "name", console.tr("名称", "Name")).to_string();
    let (start_label, end_label) = (console.tr("开始", "Starts"), console.tr("结束", "Ends"));
    check.required(&f, "starts_at", start_label);
    check.required(&f, "ends_at", end_label);
    let starts_at = check.time(&f, "starts_at", start_label);
    let ends_at = check.time(&f, "ends_at", end_label);
    if let Err(r) = check.finish() {
        return r;
    }
    let input = CampaignInput { name, starts_at: starts_at.unwrap_or_default(), ends_at: ends_at.unwrap_or_default() };
    match s.sweep.create_campaign(&console.actor, input).await {
        Ok(_) => Redirect::to("/console/cards?done=campaign_created").into_response(),
        Err(e) => console.failed(&e),
    }
}
