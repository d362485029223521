//! Stores and warehouses: the list, creating one (head office), editing its names,
//! address, coordinates, opening hours and services, and archiving it. Store managers
//! see and edit only their own stores.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sweep_app::locations::{CreateLocationInput, LocalizedInput, PointInput, UpdateLocationInput};
use sweep_app::page::PageRequest;
use sweep_app::ports::LocationFilter;
use sweep_domain::ids::LocationId;
use sweep_domain::location::{Location, LocationKind, LocationStatus, WEEKDAYS};
use sweep_domain::roles::Permission;

use super::cards::{Check, Fields, Opt, done_notice};
use super::{Chrome, Console};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/stores", get(list).post(create))
        .route("/console/stores/new", get(new))
        .route("/console/stores/{id}", get(edit).post(update))
        .route("/console/stores/{id}/archive", post(archive))
        .route("/console/stores/{id}/restore", post(restore))
}

fn kind_label(console: &Console, kind: LocationKind) -> &'static str {
    match kind {
        LocationKind::Store => console.tr("门店", "Store"),
        LocationKind::Warehouse => console.tr("仓库", "Warehouse"),
    }
}

pub struct Row {
    id: String,
    code: String,
    name: String,
    kind: &'static str,
    address: String,
    services: String,
    archived: bool,
}

#[derive(Template)]
#[template(path = "console/stores.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    kinds: Vec<Opt>,
    statuses: Vec<Opt>,
    next_link: Option<String>,
    can_create: bool,
}

pub async fn list(State(s): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    let f = Fields::query(raw);
    let kind = f.opt("kind").and_then(LocationKind::parse);
    let status = f.opt("status").and_then(LocationStatus::parse);
    let Ok(page) = PageRequest::parse(f.opt("cursor"), Some(50)) else {
        return console.refusal(StatusCode::BAD_REQUEST, console.tr("无效的翻页", "Bad page"));
    };
    let filter = LocationFilter { kind, status, city: None, only: None };
    let found = match s.sweep.list_locations(&console.actor, filter, &page).await {
        Ok(p) => p,
        Err(e) => return console.failed(&e),
    };
    let rows = found
        .items
        .iter()
        .map(|l| {
            let mut services = vec![];
            if l.pickup_enabled {
                services.push(console.tr("自提", "pickup"));
            }
            if l.delivery_enabled {
                services.push(console.tr("配送", "delivery"));
            }
            Row {
                id: l.id.to_string(),
                code: l.code.clone(),
                name: l.name.get(console.lang).to_string(),
                kind: kind_label(&console, l.kind),
                address: [l.city.as_str(), l.district.as_str(), l.address.as_str()]
                    .iter()
                    .filter(|p| !p.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" "),
                services: services.join(" · "),
                archived: l.status == LocationStatus::Archived,
            }
        })
        .collect();
    let keep = f.keep(&["kind", "status"]);
    let mut c = console.chrome(console.tr("门店与仓库", "Stores & warehouses"));
    c.notice = done_notice(
        &console,
        &f,
        &[
            ("created", "已创建", "Created"),
            ("saved", "已保存", "Saved"),
            ("archived", "已归档", "Archived"),
            ("restored", "已恢复", "Restored"),
        ],
    );
    let page = ListPage {
        c,
        rows,
        kinds: vec![
            Opt::new("", console.tr("全部类型", "All kinds"), kind.is_none()),
            Opt::new("store", console.tr("门店", "Stores"), kind == Some(LocationKind::Store)),
            Opt::new("warehouse", console.tr("仓库", "Warehouses"), kind == Some(LocationKind::Warehouse)),
        ],
        statuses: vec![
            Opt::new("", console.tr("全部状态", "Any status"), status.is_none()),
            Opt::new("active", console.tr("营业中", "Active"), status == Some(LocationStatus::Active)),
            Opt::new("archived", console.tr("已归档", "Archived"), status == Some(LocationStatus::Archived)),
        ],
        next_link: found.next_cursor.map(|cur| {
            if keep.is_empty() {
                format!("/console/stores?cursor={cur}")
            } else {
                format!("/console/stores?{keep}&cursor={cur}")
            }
        }),
        can_create: console.can(Permission::CreateLocations),
    };
    console.page(&page)
}

pub struct DayHours {
    day: &'static str,
    label: &'static str,
    hours: String,
}

/// The create and edit form; `id` is `None` for a new location.
#[derive(Template)]
#[template(path = "console/stores_form.html")]
struct FormPage {
    c: Chrome,
    id: Option<String>,
    code: String,
    is_store: bool,
    name_zh: String,
    name_en: String,
    address: String,
    city: String,
    district: String,
    phone: String,
    lat: String,
    lng: String,
    days: Vec<DayHours>,
    pickup: bool,
    delivery: bool,
    archived: bool,
    can_archive: bool,
}

fn day_label(console: &Console, day: &str) -> &'static str {
    match day {
        "mon" => console.tr("周一", "Mon"),
        "tue" => console.tr("周二", "Tue"),
        "wed" => console.tr("周三", "Wed"),
        "thu" => console.tr("周四", "Thu"),
        "fri" => console.tr("周五", "Fri"),
        "sat" => console.tr("周六", "Sat"),
        _ => console.tr("周日", "Sun"),
    }
}

fn form_page(console: &Console, title: &str, l: Option<&Location>) -> FormPage {
    let hours = |day: &str| l.and_then(|l| l.opening_hours.days().get(day)).map(|r| r.join(", "));
    let days = WEEKDAYS
        .iter()
        .map(|d| DayHours {
            day: d,
            label: day_label(console, d),
            // A new store opens at mall hours unless told otherwise.
            hours: if l.is_some() { hours(d).unwrap_or_default() } else { "10:00-22:00".into() },
        })
        .collect();
    let mut c = console.chrome(title);
    c.notice = None;
    FormPage {
        c,
        id: l.map(|l| l.id.to_string()),
        code: l.map(|l| l.code.clone()).unwrap_or_default(),
        is_store: l.is_none_or(|l| l.kind == LocationKind::Store),
        name_zh: l.map(|l| l.name.zh.clone()).unwrap_or_default(),
        name_en: l.map(|l| l.name.en.clone()).unwrap_or_default(),
        address: l.map(|l| l.address.clone()).unwrap_or_default(),
        city: l.map(|l| l.city.clone()).unwrap_or_default(),
        district: l.map(|l| l.district.clone()).unwrap_or_default(),
        phone: l.map(|l| l.phone.clone()).unwrap_or_default(),
        lat: l.map(|l| l.point.lat.to_string()).unwrap_or_default(),
        lng: l.map(|l| l.point.lng.to_string()).unwrap_or_default(),
        days,
        pickup: l.is_none_or(|l| l.pickup_enabled),
        delivery: l.is_some_and(|l| l.delivery_enabled),
        archived: l.is_some_and(|l| l.status == LocationStatus::Archived),
        can_archive: console.can(Permission::CreateLocations),
    }
}

pub async fn new(console: Console) -> Response {
    if !console.can(Permission::CreateLocations) {
        return console.refusal(StatusCode::FORBIDDEN, console.tr("门店由总部创建", "Head office creates locations"));
    }
    console.page(&form_page(&console, console.tr("新建门店或仓库", "New store or warehouse"), None))
}

/// What the form says about a location, checked: names, address, coordinates, hours.
struct Posted {
    name: (String, String),
    address: String,
    city: String,
    district: String,
    phone: String,
    point: PointInput,
    hours: BTreeMap<String, Vec<String>>,
}

fn read_form(console: &Console, f: &Fields) -> Result<Posted, Response> {
    let mut check = Check::new(console);
    let (zh, en) = (f.get("name_zh").to_string(), f.get("name_en").to_string());
    if zh.is_empty() && en.is_empty() {
        check.fail(console.tr("名称", "Name"), "请填写中文或英文名称", "give a Chinese or an English name");
    }
    let mut coordinate = |name: &str, zh: &'static str, en: &'static str| {
        let label = console.tr(zh, en);
        match f.get(name).parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                check.fail(label, "请填写坐标（小数）", "enter a coordinate (decimal degrees)");
                0.0
            }
        }
    };
    let lat = coordinate("lat", "纬度", "Latitude");
    let lng = coordinate("lng", "经度", "Longitude");
    let mut hours = BTreeMap::new();
    for day in WEEKDAYS {
        let ranges: Vec<String> = f
            .get(&format!("hours_{day}"))
            .split([',', '，', ' ', ';'])
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect();
        if !ranges.is_empty() {
            hours.insert(day.to_string(), ranges);
        }
    }
    check.finish()?;
    Ok(Posted {
        name: (zh, en),
        address: f.get("address").to_string(),
        city: f.get("city").to_string(),
        district: f.get("district").to_string(),
        phone: f.get("phone").to_string(),
        point: PointInput { lat, lng },
        hours,
    })
}

pub async fn create(State(s): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(kind) = LocationKind::parse(f.get("kind")) else {
        return console.refusal(StatusCode::UNPROCESSABLE_ENTITY, console.tr("请选择类型", "Choose a kind"));
    };
    let p = match read_form(&console, &f) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let input = CreateLocationInput {
        code: f.get("code").to_string(),
        kind,
        name: LocalizedInput { zh: p.name.0, en: p.name.1 },
        address: p.address,
        city: p.city,
        district: p.district,
        phone: p.phone,
        point: p.point,
        opening_hours: p.hours,
        pickup_enabled: kind == LocationKind::Store && f.checked("pickup_enabled"),
        delivery_enabled: f.checked("delivery_enabled"),
    };
    match s.sweep.create_location(&console.actor, input).await {
        Ok(_) => Redirect::to("/console/stores?done=created").into_response(),
        Err(e) => console.failed(&e),
    }
}

fn location_id(console: &Console, id: &str) -> Result<LocationId, Response> {
    id.parse().map_err(|_| console.refusal(StatusCode::NOT_FOUND, console.tr("找不到", "Not found")))
}

pub async fn edit(State(s): State<AppState>, console: Console, Path(id): Path<String>) -> Response {
    let id = match location_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match s.sweep.get_location(&console.actor, id).await {
        Ok(l) => {
            let title = format!("{} {}", l.code, l.name.get(console.lang));
            console.page(&form_page(&console, &title, Some(&l)))
        }
        Err(e) => console.failed(&e),
    }
}

pub async fn update(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let id = match location_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let p = match read_form(&console, &f) {
        Ok(p) => p,
        Err(r) => return r,
    };
    // Pickup is a store's service: a warehouse's form has no such box and keeps it off.
    let is_store = match s.sweep.get_location(&console.actor, id).await {
        Ok(l) => l.kind == LocationKind::Store,
        Err(e) => return console.failed(&e),
    };
    let input = UpdateLocationInput {
        name: Some(LocalizedInput { zh: p.name.0, en: p.name.1 }),
        address: Some(p.address),
        city: Some(p.city),
        district: Some(p.district),
        phone: Some(p.phone),
        point: Some(p.point),
        opening_hours: Some(p.hours),
        pickup_enabled: is_store.then(|| f.checked("pickup_enabled")),
        delivery_enabled: Some(f.checked("delivery_enabled")),
        status: None,
    };
    match s.sweep.update_location(&console.actor, id, input).await {
        Ok(_) => Redirect::to("/console/stores?done=saved").into_response(),
        Err(e) => console.failed(&e),
    }
}

async fn set_status(
    s: AppState,
    console: Console,
    id: String,
    headers: HeaderMap,
    body: Bytes,
    status: LocationStatus,
) -> Response {
    if let Err(r) = Fields::posted(&console, &s, &headers, &body) {
        return r;
    }
    let id = match location_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let input = UpdateLocationInput { status: Some(status), ..Default::default() };
    match s.sweep.update_location(&console.actor, id, input).await {
        Ok(_) => {
            let done = if status == LocationStatus::Archived { "archived" } else { "restored" };
            Redirect::to(&format!("/console/stores?done={done}")).into_response()
        }
        Err(e) => console.failed(&e),
    }
}

pub async fn archive(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    set_status(s, console, id, headers, body, LocationStatus::Archived).await
}

pub async fn restore(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    set_status(s, console, id, headers, body, LocationStatus::Active).await
}
