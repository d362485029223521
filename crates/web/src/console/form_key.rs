//! One-time form keys for the console's "make something" forms: the page puts a fresh
//! key in a hidden `key` field, and a form sent twice with it (a double click, a reload)
//! acts once; the repeat is led where the first send went. Order steps, stock forms,
//! cards, flash sales and coupon issues all go through `once`.

use std::future::Future;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};
use sweep_app::ports::IdempotencyStart;
use sweep_app::{AppError, AppResult};

use crate::console::Console;
use crate::state::AppState;

/// A fresh key for one drawing of a form.
pub fn new_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Why `once` did not lead on.
pub enum Failure {
    /// The key was missing, reused for other values, or its first send is still running.
    Form(StatusCode, String),
    /// The step itself failed (the key is freed, so a corrected form may be sent again).
    Step(AppError),
}

impl Failure {
    /// The failure as a status and a message, for pages that show it themselves.
    pub fn explained(self, console: &Console) -> (StatusCode, String) {
        match self {
            Failure::Form(status, message) => (status, message),
            Failure::Step(e) => console.explain(&e),
        }
    }

    /// The failure as a refusal page.
    pub fn page(self, console: &Console) -> Response {
        match self {
            Failure::Form(status, message) => console.refusal(status, &message),
            Failure::Step(e) => console.failed(&e),
        }
    }
}

/// What makes two sends of a form the same request: its path and fields in order,
/// without the CSRF token and the key.
pub fn fingerprint(path: &str, fields: &[(String, String)]) -> String {
    let mut out = String::from(path);
    for (k, v) in fields.iter().filter(|(k, _)| k != "csrf" && k != "key") {
        out.push('\n');
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Runs `step` at most once per form key (the key is the staff member's, for exactly
/// `request`): the first send runs it and remembers where it led (`done` of its
/// result); a repeat is led there too, unless the first is still running or the key came
/// with other values. A step that fails is forgotten, so the form may be sent again.
pub async fn once<T>(
    s: &AppState,
    console: &Console,
    key: &str,
    request: &str,
    step: impl Future<Output = AppResult<T>>,
    done: impl FnOnce(&T) -> String,
) -> Result<Response, Failure> {
    if !(1..=255).contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        let message = console.tr("页面已过期，请刷新后重试", "This page expired; reload it and try again");
        return Err(Failure::Form(StatusCode::BAD_REQUEST, message.to_string()));
    }
    let scope = format!(
        "console:staff:{}:merchant:{}",
        console.actor.staff_id,
        console.actor.merchant_id.map(|m| m.to_string()).unwrap_or_default()
    );
    let hash = hex::encode(Sha256::digest(request.as_bytes()));
    match s.sweep.idempotency_start(&scope, key, &hash).await {
        Err(e) => Err(Failure::Step(e)),
        Ok(IdempotencyStart::Replay { status, body }) if status == StatusCode::SEE_OTHER.as_u16() => {
            Ok(Redirect::to(&String::from_utf8_lossy(&body)).into_response())
        }
        Ok(IdempotencyStart::Replay { .. } | IdempotencyStart::Mismatch) => Err(Failure::Form(
            StatusCode::CONFLICT,
            console
                .tr(
                    "这个表单已用别的内容提交过，请刷新页面后重试",
                    "This form was sent before with other values; reload the page",
                )
                .to_string(),
        )),
        Ok(IdempotencyStart::InProgress) => Err(Failure::Form(
            StatusCode::CONFLICT,
            console
                .tr("上一次提交仍在处理中，请稍后刷新", "The first send is still running; reload in a moment")
                .to_string(),
        )),
        Ok(IdempotencyStart::Started) => match step.await {
            Ok(made) => {
                let done = done(&made);
                let saved = s.sweep.idempotency_complete(&scope, key, StatusCode::SEE_OTHER.as_u16(), done.as_bytes());
                if let Err(e) = saved.await {
                    tracing::error!(error = %e, "could not remember a console form");
                }
                Ok(Redirect::to(&done).into_response())
            }
            Err(e) => {
                if let Err(e) = s.sweep.idempotency_abandon(&scope, key).await {
                    tracing::error!(error = %e, "could not free a console form key");
                }
                Err(Failure::Step(e))
            }
        },
    }
}
