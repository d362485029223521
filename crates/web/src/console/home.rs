//! The console's first page: who is signed in, today's figures for head office, and the
//! day's usual tasks one click away.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use sweep_domain::roles::Permission;

use super::{Chrome, Console, yuan};
use crate::state::AppState;

pub struct Today {
    gmv: String,
    orders: i64,
    paid: i64,
    mobile_share: String,
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    c: Chrome,
    merchant: String,
    today: Option<Today>,
    can_edit_catalog: bool,
    can_refund: bool,
}

pub async fn show(State(s): State<AppState>, console: Console) -> Response {
    let merchant = match console.actor.merchant_id {
        Some(id) => s.sweep.get_merchant(&console.actor, id).await.map(|m| m.name).unwrap_or_else(|_| id.to_string()),
        None => console.tr("平台", "Platform").to_string(),
    };
    let today = match sweep_app::flash::may_watch_live(&console.actor) {
        Ok(_) => s.sweep.live_board(&console.actor).await.ok().map(|b| Today {
            gmv: yuan(b.today.gmv),
            orders: b.today.placed,
            paid: b.today.paid,
            mobile_share: format!("{:.1}%", b.today.mobile_share_bp as f64 / 100.0),
        }),
        Err(_) => None,
    };
    let page = HomePage {
        c: console.chrome(console.tr("概览", "Overview")),
        merchant,
        today,
        can_edit_catalog: console.can(Permission::EditCatalog),
        can_refund: console.can(Permission::RefundOrders),
    };
    console.page(&page)
}
