//! Staff and roles: the list, creating staff in the roles the signed-in member may grant,
//! and changing a member's name, role, stores, status or password. A store manager looks
//! after the clerks of their own stores (the use cases enforce it; the forms offer only
//! what is allowed).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sweep_app::page::PageRequest;
use sweep_app::ports::StaffFilter;
use sweep_app::staff::{CreateStaffInput, UpdateStaffInput};
use sweep_domain::ids::{LocationId, StaffId};
use sweep_domain::location::{Location, LocationStatus};
use sweep_domain::roles::{Permission, Role};
use sweep_domain::staff::{Staff, StaffStatus};

use super::cards::{Check, Fields, Opt, done_notice, locations};
use super::{Chrome, Console, role_label};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/staff", get(list).post(create)).route("/console/staff/{id}", get(edit).post(update))
}

/// The roles the signed-in member may give (never platform admin, in a merchant's console).
fn grantable(console: &Console, current: Option<Role>) -> Vec<Opt> {
    Role::ALL
        .into_iter()
        .filter(|r| *r != Role::PlatformAdmin && console.actor.role.can_manage_staff_role(*r))
        .map(|r| Opt::new(r.as_str(), role_label(console.lang, r), Some(r) == current))
        .collect()
}

/// Active locations the member may assign (a store manager: their own), `chosen` marked.
fn location_options(console: &Console, all: &[Location], chosen: &[LocationId]) -> Vec<Opt> {
    all.iter()
        .filter(|l| l.status == LocationStatus::Active || chosen.contains(&l.id))
        .map(|l| Opt::new(l.id, format!("{} {}", l.code, l.name.get(console.lang)), chosen.contains(&l.id)))
        .collect()
}

pub struct Row {
    id: String,
    login: String,
    name: String,
    role: &'static str,
    stores: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "console/staff.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    next_link: Option<String>,
    filter_roles: Vec<Opt>,
    filter_stores: Vec<Opt>,
    roles: Vec<Opt>,
    stores: Vec<Opt>,
    can_manage: bool,
}

pub async fn list(State(s): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    let f = Fields::query(raw);
    let role = f.opt("role").and_then(Role::parse);
    let mut check = Check::new(&console);
    let store: Option<LocationId> = check.id(&f, "store_id", console.tr("门店", "Store"));
    if let Err(r) = check.finish() {
        return r;
    }
    let Ok(page) = PageRequest::parse(f.opt("cursor"), Some(50)) else {
        return console.refusal(StatusCode::BAD_REQUEST, console.tr("无效的翻页", "Bad page"));
    };
    let filter = StaffFilter { role, status: None, stores: store.map(|s| vec![s]) };
    let found = match s.sweep.list_staff(&console.actor, filter, &page).await {
        Ok(p) => p,
        Err(e) => return console.failed(&e),
    };
    let all = locations(&s, &console.actor).await.unwrap_or_default();
    let names: HashMap<LocationId, String> = all.iter().map(|l| (l.id, l.name.get(console.lang).to_string())).collect();
    let rows = found
        .items
        .iter()
        .map(|m| Row {
            id: m.id.to_string(),
            login: m.login.as_str().to_string(),
            name: m.display_name.clone(),
            role: role_label(console.lang, m.role),
            stores: m
                .stores
                .iter()
                .map(|s| names.get(s).cloned().unwrap_or_else(|| s.to_string()))
                .collect::<Vec<_>>()
                .join("、"),
            active: m.status == StaffStatus::Active,
        })
        .collect();
    let mut filter_roles = vec![Opt::new("", console.tr("全部角色", "All roles"), role.is_none())];
    filter_roles.extend(
        Role::ALL
            .into_iter()
            .filter(|r| *r != Role::PlatformAdmin)
            .map(|r| Opt::new(r.as_str(), role_label(console.lang, r), Some(r) == role)),
    );
    let mut filter_stores = vec![Opt::new("", console.tr("全部门店", "All stores"), store.is_none())];
    filter_stores.extend(location_options(&console, &all, &store.into_iter().collect::<Vec<_>>()));
    let keep = f.keep(&["role", "store_id"]);
    let mut c = console.chrome(console.tr("员工与角色", "Staff & roles"));
    c.notice =
        done_notice(&console, &f, &[("created", "员工已创建", "Staff member created"), ("saved", "已保存", "Saved")]);
    let page = ListPage {
        c,
        rows,
        next_link: found.next_cursor.map(|cur| {
            if keep.is_empty() {
                format!("/console/staff?cursor={cur}")
            } else {
                format!("/console/staff?{keep}&cursor={cur}")
            }
        }),
        filter_roles,
        filter_stores,
        roles: grantable(&console, Some(Role::Clerk)),
        stores: location_options(&console, &all, &[]),
        can_manage: console.can(Permission::ManageStaff),
    };
    console.page(&page)
}

pub async fn create(State(s): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut check = Check::new(&console);
    let login = check.required(&f, "login", console.tr("登录名", "Login")).to_string();
    let display_name = check.required(&f, "display_name", console.tr("姓名", "Name")).to_string();
    // Passwords are taken as typed: spaces may be part of them.
    let password = f.raw("password");
    if password.is_empty() {
        check.fail(console.tr("密码", "Password"), "必填", "required");
    }
    let role = Role::parse(f.get("role"));
    if role.is_none() {
        check.fail(console.tr("角色", "Role"), "请选择角色", "choose a role");
    }
    let stores: Vec<LocationId> = check.ids(&f, "stores", console.tr("门店", "Stores"));
    if let Err(r) = check.finish() {
        return r;
    }
    let Some(role) = role else { return console.refusal(StatusCode::UNPROCESSABLE_ENTITY, "role") };
    // Head-office roles work everywhere: stores ticked for them mean nothing.
    let stores = if role.is_store_scoped() { stores } else { vec![] };
    let input = CreateStaffInput { login, display_name, password, role, stores };
    match s.sweep.create_staff(&console.actor, input).await {
        Ok(_) => Redirect::to("/console/staff?done=created").into_response(),
        Err(e) => console.failed(&e),
    }
}

#[derive(Template)]
#[template(path = "console/staff_edit.html")]
struct EditPage {
    c: Chrome,
    id: String,
    login: String,
    name: String,
    role: &'static str,
    is_self: bool,
    /// The member may change this person's role, stores and status.
    manageable: bool,
    active: bool,
    roles: Vec<Opt>,
    stores: Vec<Opt>,
}

fn staff_id(console: &Console, id: &str) -> Result<StaffId, Response> {
    id.parse().map_err(|_| console.refusal(StatusCode::NOT_FOUND, console.tr("找不到", "Not found")))
}

/// Whether the signed-in member may change `staff`'s role, stores and status (the use
/// case decides; this only keeps the form from offering what it would refuse).
fn manageable(console: &Console, staff: &Staff) -> bool {
    let a = &console.actor;
    staff.id != a.staff_id
        && a.can(Permission::ManageStaff)
        && a.role.can_manage_staff_role(staff.role)
        && (a.is_head_office() || staff.stores.iter().all(|s| a.stores.contains(s)))
}

pub async fn edit(State(s): State<AppState>, console: Console, Path(id): Path<String>) -> Response {
    let id = match staff_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let staff = match s.sweep.get_staff(&console.actor, id).await {
        Ok(m) => m,
        Err(e) => return console.failed(&e),
    };
    let all = locations(&s, &console.actor).await.unwrap_or_default();
    let page = EditPage {
        c: console.chrome(&staff.display_name),
        id: staff.id.to_string(),
        login: staff.login.as_str().to_string(),
        name: staff.display_name.clone(),
        role: role_label(console.lang, staff.role),
        is_self: staff.id == console.actor.staff_id,
        manageable: manageable(&console, &staff),
        active: staff.status == StaffStatus::Active,
        roles: grantable(&console, Some(staff.role)),
        stores: location_options(&console, &all, &staff.stores),
    };
    console.page(&page)
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
    let id = match staff_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut check = Check::new(&console);
    let display_name = check.required(&f, "display_name", console.tr("姓名", "Name")).to_string();
    let password = Some(f.raw("password")).filter(|p| !p.is_empty());
    let mut input = UpdateStaffInput { display_name: Some(display_name), password, ..Default::default() };
    // Role, stores and status come only from the form of someone else the member manages.
    if f.checked("access") {
        let role = Role::parse(f.get("role"));
        if role.is_none() {
            check.fail(console.tr("角色", "Role"), "请选择角色", "choose a role");
        }
        let stores: Vec<LocationId> = check.ids(&f, "stores", console.tr("门店", "Stores"));
        input.stores = Some(if role.is_some_and(Role::is_store_scoped) { stores } else { vec![] });
        input.role = role;
        input.status = Some(if f.checked("active") { StaffStatus::Active } else { StaffStatus::Disabled });
    }
    if let Err(r) = check.finish() {
        return r;
    }
    match s.sweep.update_staff(&console.actor, id, input).await {
        Ok(_) => Redirect::to("/console/staff?done=saved").into_response(),
        Err(e) => console.failed(&e),
    }
}
