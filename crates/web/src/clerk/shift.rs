//! Closing the till's shift: the clerk enters the float the drawer started with and the
//! cash counted in it now; Sweep sets that against the cash the till's sales took and
//! its returns gave back since the last close, and shows the difference. The expected
//! figure is shown only once the drawer is counted (a blind count).

// The error side of these results is a finished page, returned as is.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sweep_app::AppError;
use sweep_app::loyalty::CloseShiftInput;
use sweep_app::page::PageRequest;
use sweep_domain::ids::LocationId;
use sweep_domain::till::TillShift;
use sweep_domain::{Currency, Money};

use super::till::{html, local_time, stores, till_id};
use super::{Clerk, clerk, sign_in};
use crate::state::AppState;

/// Closed shifts listed under the form, newest first.
const RECENT: u32 = 20;

pub struct ShiftView {
    closed_at: String,
    since: String,
    till: String,
    sales: i64,
    opening_float: String,
    cash_sales: String,
    cash_refunds: String,
    expected: String,
    counted: String,
    /// Signed: "-12.00" when cash is missing.
    difference: String,
    short: bool,
    over: bool,
    note: String,
}

fn shift_view(shift: &TillShift, offset: i32) -> ShiftView {
    let diff = shift.difference.minor();
    ShiftView {
        closed_at: local_time(shift.closed_at, offset),
        since: shift.since.map(|t| local_time(t, offset)).unwrap_or_else(|| "—".into()),
        till: shift.till_id.clone(),
        sales: shift.sales,
        opening_float: shift.opening_float.to_major_string(),
        cash_sales: shift.cash_sales.to_major_string(),
        cash_refunds: shift.cash_refunds.to_major_string(),
        expected: shift.expected_cash.to_major_string(),
        counted: shift.counted_cash.to_major_string(),
        difference: if diff > 0 {
            format!("+{}", shift.difference.to_major_string())
        } else {
            shift.difference.to_major_string()
        },
        short: diff < 0,
        over: diff > 0,
        note: shift.note.clone(),
    }
}

#[derive(Template)]
#[template(path = "clerk_shift.html")]
struct ShiftPage {
    csrf: String,
    stores: Vec<(String, String)>,
    store: String,
    till: String,
    /// When this till's shift began (its last close), as the form was filled in against.
    since: String,
    since_label: String,
    opening_float: String,
    counted_cash: String,
    note: String,
    flash: Option<String>,
    error: bool,
    /// The close just recorded.
    closed: Option<ShiftView>,
    shifts: Vec<ShiftView>,
}

struct Form {
    csrf: String,
    store: Option<LocationId>,
    since: String,
    opening_float: String,
    counted_cash: String,
    note: String,
}

impl Form {
    fn parse(body: &[u8]) -> Form {
        let mut f = Form {
            csrf: String::new(),
            store: None,
            since: String::new(),
            opening_float: String::new(),
            counted_cash: String::new(),
            note: String::new(),
        };
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.trim().to_string();
            match &*key {
                "csrf" => f.csrf = value,
                "store" => f.store = value.parse().ok(),
                "since" => f.since = value,
                "opening_float" => f.opening_float = value,
                "counted_cash" => f.counted_cash = value,
                "note" => f.note = value,
                _ => {}
            }
        }
        f
    }
}

/// The store's recent closes, and when this till's current shift began (its last
/// close, as an RFC 3339 mark; empty for its first shift).
async fn recent(s: &AppState, c: &Clerk, store: LocationId) -> Result<(Vec<TillShift>, String), AppError> {
    let shifts = s.sweep.shifts(&c.actor, store, &PageRequest::first(RECENT)).await?.items;
    let till = till_id(c);
    let since = shifts.iter().find(|sh| sh.till_id == till).map(|sh| sh.closed_at.to_rfc3339()).unwrap_or_default();
    Ok((shifts, since))
}

async fn offset(s: &AppState, c: &Clerk) -> i32 {
    match c.actor.merchant_id {
        Some(m) => s.sweep.get_merchant(&c.actor, m).await.map(|m| m.time_zone().offset_minutes()).unwrap_or(480),
        None => 480,
    }
}

async fn page(
    s: &AppState,
    c: &Clerk,
    store: Option<LocationId>,
    sent: Option<&Form>,
    flash: Option<(String, bool)>,
    closed: Option<&TillShift>,
    status: StatusCode,
) -> Response {
    let all = stores(s, c).await;
    let store = store.filter(|id| all.iter().any(|l| l.id == *id)).or(all.first().map(|l| l.id));
    let offset = offset(s, c).await;
    let mut flash = flash;
    let (shifts, since) = match store {
        Some(store) => match recent(s, c, store).await {
            Ok(x) => x,
            Err(e) => {
                flash = flash.or(Some((super::message(&e), true)));
                (vec![], String::new())
            }
        },
        None => {
            flash = flash.or(Some(("没有可收银的门店 No store of yours has a till".into(), true)));
            (vec![], String::new())
        }
    };
    let since_label = sweep_domain::Timestamp::parse_rfc3339(&since)
        .map(|t| local_time(t, offset))
        .unwrap_or_else(|| "本机首个班次 This till's first shift".into());
    // After a close the form starts afresh; after a refusal it keeps what was typed.
    let keep = sent.filter(|_| closed.is_none());
    let view = ShiftPage {
        csrf: c.auth.csrf_token.clone().unwrap_or_default(),
        stores: all.iter().map(|l| (l.id.to_string(), format!("{} {}", l.code, l.name.zh))).collect(),
        store: store.map(|id| id.to_string()).unwrap_or_default(),
        till: till_id(c),
        since,
        since_label,
        opening_float: keep.map(|f| f.opening_float.clone()).unwrap_or_default(),
        counted_cash: keep.map(|f| f.counted_cash.clone()).unwrap_or_default(),
        note: keep.map(|f| f.note.clone()).unwrap_or_default(),
        error: flash.as_ref().is_some_and(|f| f.1),
        flash: flash.map(|f| f.0),
        closed: closed.map(|sh| shift_view(sh, offset)),
        shifts: shifts.iter().map(|sh| shift_view(sh, offset)).collect(),
    };
    html(view.render(), status)
}

pub async fn show(State(s): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let Some(c) = clerk(&s, &headers).await else { return sign_in() };
    let store = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "store")
        .and_then(|(_, v)| v.parse().ok());
    page(&s, &c, store, None, None, None, StatusCode::OK).await
}

/// Yuan as typed ("500", "1234.5") into fen; `None` if it is not an amount.
fn yuan(text: &str, currency: Currency) -> Option<Money> {
    Money::parse_major(text, currency).filter(|m| m.minor() >= 0)
}

fn message(e: &AppError) -> String {
    match e {
        AppError::Conflict { code: "shift_closed", .. } => {
            "这个班次刚刚已交班，请刷新后重新清点 This shift was closed meanwhile: reload and count again".into()
        }
        AppError::Invalid(fields) => fields
            .iter()
            .map(|f| match f.field.as_str() {
                "opening_float" => "备用金金额无效 The float is not a valid amount".to_string(),
                "counted_cash" => "清点现金金额无效 The cash counted is not a valid amount".to_string(),
                "note" => "备注最多 500 字 The note takes up to 500 characters".to_string(),
                "store_id" => "不是您的门店 Not a store of yours".to_string(),
                _ => f.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("；"),
        other => super::message(other),
    }
}

pub async fn submit(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(c) = clerk(&s, &headers).await else { return sign_in() };
    let form = Form::parse(&body);
    if !super::form_ok(&s, &c, &headers, &form.csrf) {
        return (StatusCode::FORBIDDEN, "page expired; reload it").into_response();
    }
    let Some(store) = form.store else {
        let flash = Some(("请选择门店 Choose a store".into(), true));
        return page(&s, &c, None, Some(&form), flash, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let refuse = async |text: String, status: StatusCode| {
        page(&s, &c, Some(store), Some(&form), Some((text, true)), None, status).await
    };
    // Sent twice (a double tap, a reload): the shift it was counted for is closed
    // already. Show that close rather than open and close an empty one.
    match recent(&s, &c, store).await {
        Ok((shifts, since)) if since != form.since => {
            let till = till_id(&c);
            let last = shifts.iter().find(|sh| sh.till_id == till);
            let text = "这个班次已交班，以下是交班结果 This shift is closed already: here is its close".to_string();
            return page(&s, &c, Some(store), None, Some((text, true)), last, StatusCode::CONFLICT).await;
        }
        Ok(_) => {}
        Err(e) => return refuse(message(&e), StatusCode::CONFLICT).await,
    }
    let currency = match c.actor.merchant_id {
        Some(m) => s.sweep.get_merchant(&c.actor, m).await.map(|m| m.currency).unwrap_or(Currency::Cny),
        None => Currency::Cny,
    };
    let Some(float) = yuan(&form.opening_float, currency) else {
        return refuse("请填写备用金（元）Enter the float, in yuan".into(), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let Some(counted) = yuan(&form.counted_cash, currency) else {
        return refuse(
            "请填写清点的现金（元）Enter the cash counted, in yuan".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let input = CloseShiftInput {
        store_id: store,
        till_id: till_id(&c),
        opening_float: float.minor(),
        counted_cash: counted.minor(),
        note: form.note.clone(),
        // The shift the page counted for: a close racing this one makes it a 409.
        since: Some(form.since.clone()).filter(|t| !t.is_empty()),
    };
    match s.sweep.close_shift(&c.actor, input).await {
        Ok(shift) => {
            let text = match shift.difference.minor() {
                0 => "交班完成，现金相符 Shift closed: the cash is right".to_string(),
                d if d < 0 => format!(
                    "交班完成，现金短款 ¥{} Shift closed: cash short",
                    shift.difference.to_major_string().trim_start_matches('-')
                ),
                _ => format!("交班完成，现金长款 ¥{} Shift closed: cash over", shift.difference.to_major_string()),
            };
            let short = shift.difference.minor() < 0;
            page(&s, &c, Some(store), Some(&form), Some((text, short)), Some(&shift), StatusCode::OK).await
        }
        Err(e) => {
            let status = match e {
                AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::CONFLICT,
            };
            refuse(message(&e), status).await
        }
    }
}
