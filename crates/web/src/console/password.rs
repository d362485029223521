//! Changing one's own password from the console: the current one, the new one twice.
//! Every session of the member ends with the change, this one included, so the page then
//! only offers to sign in again.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use sweep_app::AppError;
use sweep_app::staff::ChangePasswordInput;

use super::{Chrome, Console};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/password", get(show).post(change))
}

#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    c: Chrome,
    /// The member's login, for password managers to file the new password under.
    login: String,
    /// Changed: every session ended; offer to sign in again instead of the form.
    changed: bool,
}

fn page(console: &Console, notice: Option<(String, bool)>, changed: bool, status: StatusCode) -> Response {
    let mut c = console.chrome(console.tr("修改密码", "Change password"));
    c.notice = notice;
    let login = console.auth.staff.login.to_string();
    console.page_with_status(&PasswordPage { c, login, changed }, status)
}

async fn show(console: Console) -> Response {
    page(&console, None, false, StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    repeat_password: String,
}

async fn change(State(s): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let form: PasswordForm = match console.form(&s, &headers, &body) {
        Ok(f) => f,
        Err(page) => return page,
    };
    let refused = |message: String, status| page(&console, Some((message, true)), false, status);
    if form.new_password != form.repeat_password {
        let message = console.tr("两次输入的新密码不一致", "The new passwords do not match");
        return refused(message.to_string(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let input = ChangePasswordInput { current_password: form.current_password, new_password: form.new_password };
    match s.sweep.change_own_password(&console.actor, input).await {
        Ok(()) => {
            let done = console.tr(
                "密码已修改，所有登录已退出，请用新密码重新登录",
                "Password changed. Every session ended; sign in with the new one.",
            );
            page(&console, Some((done.to_string(), false)), true, StatusCode::OK)
        }
        Err(AppError::Invalid(fields)) => {
            let message = fields
                .iter()
                .map(|f| match f.field.as_str() {
                    "current_password" => console.tr("当前密码不对", "The current password is wrong").to_string(),
                    "new_password" => {
                        format!("{}: {}", console.tr("新密码不符合要求", "The new password is not allowed"), f.message)
                    }
                    _ => format!("{}: {}", f.field, f.message),
                })
                .collect::<Vec<_>>()
                .join("; ");
            refused(message, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => {
            let (status, message) = console.explain(&e);
            refused(message, status)
        }
    }
}
