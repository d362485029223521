//! The counter, phone-sized: scan or type a pickup code, see the order, mark it ready,
//! hand it over. Built for a barcode scanner that types like a keyboard. A clerk sees
//! only their own stores.

// The error side of these results is a finished page, returned as is.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use sweep_app::AppError;
use sweep_app::auth::Authenticated;
use sweep_app::orders::OrderView;
use sweep_app::ports::{LocationFilter, OrderFilter};
use sweep_app::secrets::constant_time_eq;
use sweep_domain::ids::{LocationId, OrderId};
use sweep_domain::location::LocationKind;
use sweep_domain::order::{Fulfilment, OrderStatus};
use sweep_domain::roles::Actor;
use sweep_domain::text::Lang;

use crate::auth::{SESSION_COOKIE, cookie};
use crate::extract::{ApiPath, path_id};
use crate::shop::i18n::T;
use crate::state::{AppState, same_origin};

mod receipt;
pub mod returns;
pub mod shift;
pub mod till;
mod till_form;

pub struct OrderPanel {
    id: OrderId,
    number: String,
    status: &'static str,
    lines: Vec<(String, i64)>,
    total: String,
    shopper: String,
    /// The order came through one of this store's display cards.
    from_our_card: bool,
    can_ready: bool,
    can_hand_over: bool,
    code: String,
}

pub struct QueueRow {
    id: OrderId,
    number: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "clerk.html")]
struct CounterPage {
    csrf: String,
    stores: Vec<(String, String)>,
    store: String,
    flash: Option<String>,
    error: bool,
    order: Option<OrderPanel>,
    queue: Vec<QueueRow>,
}

struct Clerk {
    auth: Authenticated,
    actor: Actor,
}

async fn clerk(s: &AppState, headers: &HeaderMap) -> Option<Clerk> {
    let token = cookie(headers, SESSION_COOKIE)?;
    let auth = s.sweep.authenticate_session(token).await.ok().flatten()?;
    let actor = s.sweep.actor_for(&auth, None).await.ok()?;
    actor.merchant_id?;
    Some(Clerk { auth, actor })
}

fn sign_in() -> Response {
    Redirect::to("/login?next=clerk").into_response()
}

async fn page(
    s: &AppState,
    c: &Clerk,
    store: Option<LocationId>,
    flash: Option<(String, bool)>,
    order: Option<(OrderView, String)>,
) -> Response {
    let filter = LocationFilter { kind: Some(LocationKind::Store), ..Default::default() };
    let stores = s
        .sweep
        .list_locations(&c.actor, filter, &sweep_app::page::PageRequest::first(200))
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let store = store.filter(|id| stores.iter().any(|l| l.id == *id)).or_else(|| stores.first().map(|l| l.id));
    let t = T { lang: Lang::Zh };
    let queue = match store {
        Some(store) => {
            let filter = OrderFilter {
                status: Some(OrderStatus::Paid),
                fulfilment: Some(Fulfilment::Pickup),
                locations: Some(vec![store]),
                shopper: None,
                ..Default::default()
            };
            s.sweep
                .list_orders(&c.actor, filter, &sweep_app::page::PageRequest::first(50))
                .await
                .map(|p| p.items)
                .unwrap_or_default()
        }
        None => vec![],
    };
    let panel = order.map(|(view, code)| {
        let o = &view.order;
        OrderPanel {
            id: o.id,
            number: o.number.clone(),
            status: t.status(o.status),
            lines: o.lines.iter().map(|l| (format!("{} {}", l.name.zh, l.sku_label), l.quantity)).collect(),
            total: o.total.to_major_string(),
            shopper: view.shopper_phone.clone().unwrap_or_default(),
            from_our_card: o.card_id.is_some() && o.influencer_store_id == store,
            can_ready: o.status == OrderStatus::Paid,
            can_hand_over: matches!(o.status, OrderStatus::Paid | OrderStatus::ReadyForPickup),
            code,
        }
    });
    let view = CounterPage {
        csrf: c.auth.csrf_token.clone().unwrap_or_default(),
        stores: stores.iter().map(|l| (l.id.to_string(), format!("{} {}", l.code, l.name.zh))).collect(),
        store: store.map(|s| s.to_string()).unwrap_or_default(),
        error: flash.as_ref().is_some_and(|f| f.1),
        flash: flash.map(|f| f.0),
        order: panel,
        queue: queue
            .iter()
            .map(|o| QueueRow {
                id: o.id,
                number: o.number.clone(),
                summary: o.lines.iter().map(|l| format!("{}×{}", l.name.zh, l.quantity)).collect::<Vec<_>>().join("，"),
            })
            .collect(),
    };
    match view.render() {
        Ok(html) => {
            let mut r = Html(html).into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "counter page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Deserialize, Default)]
struct StoreQuery {
    #[serde(default)]
    store: String,
}

pub async fn counter(State(s): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let Some(c) = clerk(&s, &headers).await else { return sign_in() };
    let q: StoreQuery = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
    page(&s, &c, q.store.parse().ok(), None, None).await
}

#[derive(Deserialize)]
struct CounterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    store: String,
    #[serde(default)]
    code: String,
}

fn message(e: &AppError) -> String {
    match e {
        AppError::NotFound(_) => "找不到这个取货码 No order with this code".into(),
        AppError::TooManyAttempts { .. } => "错误次数过多，请稍后再试 Too many wrong codes; wait a few minutes".into(),
        AppError::Invalid(f) => f.first().map(|f| f.message.clone()).unwrap_or_default(),
        AppError::Conflict { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// A posted counter, till, return or shift form: the session's CSRF token, sent from our
/// own pages (as the console's forms).
fn form_ok(s: &AppState, c: &Clerk, headers: &HeaderMap, sent: &str) -> bool {
    let expected = c.auth.csrf_token.as_deref().unwrap_or_default();
    !expected.is_empty() && constant_time_eq(expected, sent) && same_origin(&s.config, headers)
}

async fn form(s: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(Clerk, CounterForm), Response> {
    let Some(c) = clerk(s, headers).await else { return Err(sign_in()) };
    let form: CounterForm = serde_urlencoded::from_bytes(body).map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
    if !form_ok(s, &c, headers, &form.csrf) {
        return Err((StatusCode::FORBIDDEN, "page expired; reload it").into_response());
    }
    Ok((c, form))
}

/// The counter page saying why a step was refused, with the refusal's status (a refused
/// step is never a 200).
async fn refused(s: &AppState, c: &Clerk, store: Option<LocationId>, e: AppError) -> Response {
    let text = message(&e);
    let mut response = page(s, c, store, Some((text, true)), None).await;
    if response.status().is_success() {
        *response.status_mut() = crate::error::ApiError::from(e).code.status();
    }
    response
}

pub async fn lookup(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (c, f) = match form(&s, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let store: Option<LocationId> = f.store.parse().ok();
    let Some(store_id) = store else {
        let mut response = page(&s, &c, None, Some(("请选择门店 Choose a store".into(), true)), None).await;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return response;
    };
    match s.sweep.find_by_pickup_code(&c.actor, store_id, &f.code).await {
        Ok(view) => page(&s, &c, store, None, Some((view, f.code.trim().to_string()))).await,
        Err(e) => refused(&s, &c, store, e).await,
    }
}

pub async fn ready(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Response {
    let (c, f) = match form(&s, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let store = f.store.parse().ok();
    let Ok(id) = path_id::<OrderId>(&id) else { return StatusCode::NOT_FOUND.into_response() };
    match s.sweep.mark_ready(&c.actor, id).await {
        Ok(view) => {
            page(
                &s,
                &c,
                store,
                Some((format!("{} 已备货，已通知顾客 Ready; the shopper was told", view.order.number), false)),
                None,
            )
            .await
        }
        Err(e) => refused(&s, &c, store, e).await,
    }
}

pub async fn hand_over(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Response {
    let (c, f) = match form(&s, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let store = f.store.parse().ok();
    let Ok(id) = path_id::<OrderId>(&id) else { return StatusCode::NOT_FOUND.into_response() };
    match s.sweep.hand_over(&c.actor, id, &f.code).await {
        Ok(view) => {
            page(
                &s,
                &c,
                store,
                Some((format!("{} 已交付，订单完成 Handed over; order complete", view.order.number), false)),
                None,
            )
            .await
        }
        Err(e) => refused(&s, &c, store, e).await,
    }
}
