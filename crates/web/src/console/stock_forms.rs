//! Receiving, adjusting and transferring stock from the console. Each form carries a
//! key made when it was drawn, so sending it twice (a double click, a reload) moves the
//! stock once: the second send is led to where the first went.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use sweep_app::AppResult;
use sweep_app::inventory::{AdjustInput, QuantityLine, ReceiveInput, TransferInput};
use sweep_app::page::all_pages;
use sweep_app::ports::LocationFilter;
use sweep_domain::ids::LocationId;
use sweep_domain::inventory::AdjustReason;
use sweep_domain::location::LocationStatus;
use sweep_domain::roles::Permission;

use super::{Choice, location_choices, reason_label, sku_by_code, visible_locations};
use crate::console::catalog::Errors;
use crate::console::{Chrome, Console};
use crate::state::AppState;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Receive,
    Adjust,
    Transfer,
}

impl Mode {
    fn path(self) -> &'static str {
        match self {
            Mode::Receive => "/console/stock/receive",
            Mode::Adjust => "/console/stock/adjust",
            Mode::Transfer => "/console/stock/transfer",
        }
    }

    fn permission(self) -> Permission {
        match self {
            Mode::Receive => Permission::ReceiveStock,
            Mode::Adjust => Permission::AdjustStock,
            Mode::Transfer => Permission::TransferStock,
        }
    }

    fn title(self, console: &Console) -> &'static str {
        match self {
            Mode::Receive => console.tr("入库", "Receive stock"),
            Mode::Adjust => console.tr("调整库存", "Adjust stock"),
            Mode::Transfer => console.tr("调拨", "Transfer stock"),
        }
    }
}

/// The fields of all three forms; each uses its own.
#[derive(Deserialize, Default)]
pub struct StockForm {
    #[serde(default)]
    key: String,
    /// Where stock is received or adjusted; where a transfer starts.
    #[serde(default)]
    location: String,
    /// Where a transfer goes.
    #[serde(default)]
    to: String,
    /// A SKU code or barcode.
    #[serde(default)]
    sku: String,
    /// Units received or transferred; the signed change of an adjustment.
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "console/stock_form.html")]
struct FormPage {
    c: Chrome,
    action: &'static str,
    receive: bool,
    adjust: bool,
    transfer: bool,
    v: StockForm,
    locations: Vec<Choice>,
    destinations: Vec<Choice>,
    reasons: Vec<Choice>,
    errors: Errors,
}

async fn render(
    s: &AppState,
    console: &Console,
    mode: Mode,
    mut v: StockForm,
    errors: Errors,
    failure: Option<(StatusCode, String)>,
    notice: Option<(String, bool)>,
) -> Response {
    let locations = match visible_locations(s, console).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    // A transfer may go to any active location of the merchant, also a sister store
    // a store manager does not run (the use case allows it): names and codes only.
    let mut destinations = Vec::new();
    if let (Mode::Transfer, Some(merchant)) = (mode, console.actor.merchant_id) {
        let filter = LocationFilter { status: Some(LocationStatus::Active), ..Default::default() };
        let all = all_pages(|page| {
            let filter = filter.clone();
            async move { s.sweep.repos().locations.list_locations(merchant, &filter, &page).await }
        })
        .await;
        match all {
            Ok(all) => destinations = location_choices(console, &all, &v.to),
            Err(e) => return console.failed(&e),
        }
    }
    let reasons = [
        AdjustReason::CountCorrection,
        AdjustReason::Damaged,
        AdjustReason::Lost,
        AdjustReason::Found,
        AdjustReason::Other,
    ]
    .into_iter()
    .map(|r| Choice {
        value: r.as_str().into(),
        label: reason_label(console, r).into(),
        selected: r.as_str() == v.reason,
    })
    .collect();
    if v.key.is_empty() {
        v.key = crate::console::form_key::new_key();
    }
    let mut c = console.chrome(mode.title(console));
    let status = match failure {
        Some((status, message)) => {
            c.notice = Some((message, true));
            status
        }
        None if !errors.is_empty() => {
            c.notice = Some((errors.summary(console), true));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        None => {
            c.notice = notice;
            StatusCode::OK
        }
    };
    let page = FormPage {
        c,
        action: mode.path(),
        receive: mode == Mode::Receive,
        adjust: mode == Mode::Adjust,
        transfer: mode == Mode::Transfer,
        locations: location_choices(console, &locations, &v.location),
        destinations,
        reasons,
        v,
        errors,
    };
    console.page_with_status(&page, status)
}

fn allowed(console: &Console, mode: Mode) -> Result<(), Response> {
    if console.can(mode.permission()) {
        Ok(())
    } else {
        Err(console.refusal(StatusCode::FORBIDDEN, console.tr("你没有权限这样做", "You may not do this")))
    }
}

async fn show(s: AppState, console: Console, uri: Uri, mode: Mode) -> Response {
    if let Err(r) = allowed(&console, mode) {
        return r;
    }
    let done = uri.query().is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "done"));
    let notice = done.then(|| {
        let text = match mode {
            Mode::Receive => console.tr("已入库", "Stock received"),
            Mode::Adjust => console.tr("库存已调整", "Stock adjusted"),
            Mode::Transfer => console.tr("已调拨", "Stock transferred"),
        };
        (text.to_string(), false)
    });
    render(&s, &console, mode, StockForm::default(), Errors::default(), None, notice).await
}

pub async fn receive_form(State(s): State<AppState>, console: Console, uri: Uri) -> Response {
    show(s, console, uri, Mode::Receive).await
}

pub async fn adjust_form(State(s): State<AppState>, console: Console, uri: Uri) -> Response {
    show(s, console, uri, Mode::Adjust).await
}

pub async fn transfer_form(State(s): State<AppState>, console: Console, uri: Uri) -> Response {
    show(s, console, uri, Mode::Transfer).await
}

pub async fn receive(
    State(s): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    submit(s, console, headers, body, Mode::Receive).await
}

pub async fn adjust(
    State(s): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    submit(s, console, headers, body, Mode::Adjust).await
}

pub async fn transfer(
    State(s): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    submit(s, console, headers, body, Mode::Transfer).await
}

fn location(console: &Console, errors: &mut Errors, field: &str, text: &str) -> Option<LocationId> {
    let parsed = text.trim().parse::<LocationId>().ok();
    if parsed.is_none() {
        errors.add(field, console.tr("请选择门店或仓库", "Choose a location"));
    }
    parsed
}

async fn submit(s: AppState, console: Console, headers: HeaderMap, body: axum::body::Bytes, mode: Mode) -> Response {
    let v: StockForm = match console.form(&s, &headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = allowed(&console, mode) {
        return r;
    }
    // Check what can be checked here, naming the boxes; the use case checks the rest.
    let mut errors = Errors::default();
    let from = location(&console, &mut errors, "location", &v.location);
    let to = if mode == Mode::Transfer { location(&console, &mut errors, "to", &v.to) } else { None };
    let sku = sku_by_code(&s, &console, &v.sku).await;
    if sku.is_none() {
        errors.add("sku", console.tr("没有这个编码或条码的 SKU", "No SKU with this code or barcode"));
    }
    let quantity = v.quantity.trim().parse::<i64>().ok().filter(|q| mode == Mode::Adjust || *q > 0);
    if quantity.is_none() {
        let message = match mode {
            Mode::Adjust => console.tr("请填写整数，如 -2 或 5", "Enter a whole number, e.g. -2 or 5"),
            _ => console.tr("请填写正整数", "Enter a whole number above 0"),
        };
        errors.add("quantity", message);
    }
    let reason = AdjustReason::parse(&v.reason);
    if mode == Mode::Adjust && reason.is_none() {
        errors.add("reason", console.tr("请选择原因", "Choose a reason"));
    }
    let (Some(from), Some(sku), Some(quantity), true) = (from, sku, quantity, errors.is_empty()) else {
        return render(&s, &console, mode, v, errors, None, None).await;
    };
    // The key is the staff member's, for exactly this request.
    let request = format!("{}\n{from}\n{:?}\n{}\n{quantity}\n{}\n{}", mode.path(), to, sku.id, v.reason, v.note);
    let done = format!("{}?done=1", mode.path());
    let actor = &console.actor;
    let note = v.note.clone();
    let outcome = match mode {
        Mode::Receive => {
            let input =
                ReceiveInput { location_id: from, lines: vec![QuantityLine { sku_id: sku.id, quantity }], note };
            once(&s, &console, &v.key, &request, done, async { s.sweep.receive_stock(actor, input).await.map(drop) })
                .await
        }
        Mode::Adjust => {
            let input = AdjustInput {
                location_id: from,
                sku_id: sku.id,
                delta: quantity,
                reason: reason.unwrap_or(AdjustReason::Other),
                note,
            };
            once(&s, &console, &v.key, &request, done, async { s.sweep.adjust_stock(actor, input).await.map(drop) })
                .await
        }
        Mode::Transfer => {
            let input = TransferInput {
                from_location_id: from,
                to_location_id: to.unwrap_or(from),
                lines: vec![QuantityLine { sku_id: sku.id, quantity }],
                note,
            };
            once(&s, &console, &v.key, &request, done, async { s.sweep.transfer_stock(actor, input).await.map(drop) })
                .await
        }
    };
    match outcome {
        Ok(redirect) => redirect,
        Err(failure) => render(&s, &console, mode, v, Errors::default(), Some(failure), None).await,
    }
}

/// Runs `step` at most once per form key (see `form_key::once`).
async fn once(
    s: &AppState,
    console: &Console,
    key: &str,
    request: &str,
    done: String,
    step: impl Future<Output = AppResult<()>>,
) -> Result<Response, (StatusCode, String)> {
    crate::console::form_key::once(s, console, key, request, step, |_| done).await.map_err(|f| f.explained(console))
}
