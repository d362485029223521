//! The sandbox cashier: the page a shopper pays on, as a provider would host it.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use super::Sandbox;

#[derive(Template)]
#[template(path = "cashier.html")]
struct CashierPage<'a> {
    description: &'a str,
    amount: String,
    return_url: &'a str,
    paid: bool,
    /// The merchant closed the transaction (the order was cancelled or expired).
    closed: bool,
}

pub fn router(sandbox: Arc<Sandbox>) -> Router {
    Router::new().route("/sandbox/pay/{out_trade_no}", get(show).post(pay)).with_state(sandbox)
}

/// The payment, or the page to answer with: 404 when there is none, 503 when the
/// database could not say (a payment is never "not found" for want of a connection).
async fn find(sandbox: &Sandbox, out_trade_no: &str) -> Result<sweep_app::ports::SandboxTransaction, Response> {
    match sandbox.transaction(out_trade_no).await {
        Ok(Some(txn)) => Ok(txn),
        Ok(None) => Err((StatusCode::NOT_FOUND, "no such payment").into_response()),
        Err(e) => {
            tracing::warn!(error = %e, "sandbox cashier could not read a payment");
            Err(try_again())
        }
    }
}

fn try_again() -> Response {
    ([(header::RETRY_AFTER, "2")], (StatusCode::SERVICE_UNAVAILABLE, "try again")).into_response()
}

async fn show(State(sandbox): State<Arc<Sandbox>>, Path(out_trade_no): Path<String>) -> Response {
    match find(&sandbox, &out_trade_no).await {
        Ok(txn) => render(&txn, StatusCode::OK),
        Err(page) => page,
    }
}

fn render(txn: &sweep_app::ports::SandboxTransaction, status: StatusCode) -> Response {
    let page = CashierPage {
        description: &txn.description,
        amount: txn.amount.to_major_string(),
        return_url: &txn.return_url,
        paid: txn.status == "SUCCESS",
        closed: txn.status == "CLOSED",
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "page failed").into_response(),
    }
}

/// Marks the transaction paid and sends the shopper back to the shop, which waits for
/// the notification. Only the cashier's own page may press the button.
async fn pay(State(sandbox): State<Arc<Sandbox>>, Path(out_trade_no): Path<String>, headers: HeaderMap) -> Response {
    let own_origin = {
        let url = &sandbox.public_url;
        let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
        url[..url[after_scheme..].find('/').map(|i| after_scheme + i).unwrap_or(url.len())].to_string()
    };
    let cross_site =
        headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).is_some_and(|o| o != "null" && o != own_origin);
    if cross_site {
        return (StatusCode::FORBIDDEN, "cross-site request").into_response();
    }
    let txn = match find(&sandbox, &out_trade_no).await {
        Ok(txn) => txn,
        Err(page) => return page,
    };
    if txn.status == "CLOSED" {
        return render(&txn, StatusCode::CONFLICT);
    }
    if let Err(e) = sandbox.pay(&out_trade_no, super::gateway_now()).await {
        tracing::error!(error = %e, "sandbox payment failed");
        return try_again();
    }
    Redirect::to(&txn.return_url).into_response()
}
