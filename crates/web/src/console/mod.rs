//! The merchant console: server-rendered pages for desktop and tablet, in Chinese or
//! English (the browser's language unless one was chosen). Every page calls the same
//! use cases as the JSON API with the signed-in staff member's actor, so store managers
//! see only their stores and each role only what it may do.

// The error side of these results is a finished page, returned as is.
#![allow(clippy::result_large_err)]

mod analytics;
mod cards;
mod catalog;
mod flash;
pub mod form_key;
mod home;
mod members;
mod orders;
mod password;
mod payments;
mod staff;
mod stock;
mod stores;

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::de::DeserializeOwned;
use sweep_app::AppError;
use sweep_app::auth::Authenticated;
use sweep_app::secrets::constant_time_eq;
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::text::Lang;

use crate::auth::{SESSION_COOKIE, cookie};
use crate::cookies::SetCookie;
use crate::shop::context::{LANG_COOKIE, language};
use crate::state::{AppState, same_origin};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(home::show))
        .merge(analytics::routes())
        .merge(cards::routes())
        .merge(catalog::routes())
        .merge(flash::routes())
        .merge(members::routes())
        .merge(orders::routes())
        .merge(password::routes())
        .merge(payments::routes())
        .merge(staff::routes())
        .merge(stock::routes())
        .merge(stores::routes())
}

/// The signed-in staff member on a console page, with the page's language.
pub struct Console {
    pub auth: Authenticated,
    pub actor: Actor,
    pub lang: Lang,
    /// The language came from `?lang=`: remember it.
    chosen_lang: Option<Lang>,
    /// The page's path and query, for the language switch.
    path: String,
    query: String,
    secure_cookies: bool,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let sign_in = || Redirect::to("/login").into_response();
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(sign_in)?;
        let auth = s.sweep.authenticate_session(token).await.ok().flatten().ok_or_else(sign_in)?;
        let actor = s.sweep.actor_for(&auth, None).await.map_err(|_| sign_in())?;
        let (lang, chosen_lang) = language(parts);
        Ok(Console {
            auth,
            actor,
            lang,
            chosen_lang,
            path: parts.uri.path().to_string(),
            query: parts.uri.query().unwrap_or("").to_string(),
            secure_cookies: s.config.is_https(),
        })
    }
}

/// One entry of the side menu.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every console page shows around its content: who is signed in, the menu,
/// the language switch and the session's CSRF token for forms.
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub display_name: String,
    pub role: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub lang_link: String,
    /// A one-line outcome of the last action: (text, is_error).
    pub notice: Option<(String, bool)>,
}

impl Chrome {
    /// The Chinese or the English text, by the page's language.
    pub fn tr(&self, zh: &'static str, en: &'static str) -> &'static str {
        if self.lang == Lang::En { en } else { zh }
    }

    pub fn html_lang(&self) -> &'static str {
        if self.lang == Lang::En { "en" } else { "zh-CN" }
    }

    pub fn lang_is_en(&self) -> bool {
        self.lang == Lang::En
    }

    pub fn other_lang(&self) -> &'static str {
        if self.lang == Lang::En { "中文" } else { "English" }
    }
}

impl Console {
    pub fn tr(&self, zh: &'static str, en: &'static str) -> &'static str {
        if self.lang == Lang::En { en } else { zh }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.actor.can(p)
    }

    /// The page frame with `title` (already in the page's language).
    pub fn chrome(&self, title: &str) -> Chrome {
        let item = |href: &'static str, zh: &'static str, en: &'static str| NavItem {
            href,
            label: self.tr(zh, en),
            current: if href == "/console" { self.path == href } else { self.path.starts_with(href) },
        };
        let mut nav = vec![item("/console", "概览", "Overview")];
        let head_office = self.actor.is_head_office();
        let menu: [(&'static str, &'static str, &'static str, bool); 13] = [
            ("/console/products", "商品与价格", "Products & prices", true),
            ("/console/stock", "库存", "Stock", true),
            ("/console/orders", "订单", "Orders", true),
            ("/console/pickup", "自提队列", "Pickup queue", true),
            ("/console/cards", "展示卡", "Display cards", true),
            ("/console/flash", "秒杀", "Flash sales", head_office),
            ("/console/members", "会员与优惠券", "Members & coupons", true),
            ("/console/analytics", "数据分析", "Analytics", self.can(Permission::ViewReports)),
            ("/console/live", "实时大屏", "Big screen", head_office),
            ("/console/stores", "门店与仓库", "Stores & warehouses", true),
            ("/console/payments", "支付设置", "Payment settings", self.can(Permission::EditMerchantSettings)),
            ("/console/staff", "员工与角色", "Staff & roles", self.can(Permission::ViewStaff)),
            ("/clerk", "柜台", "Counter", true),
        ];
        nav.extend(menu.into_iter().filter(|m| m.3).map(|(href, zh, en, _)| item(href, zh, en)));
        let other = if self.lang == Lang::En { "zh" } else { "en" };
        let mut link = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form_urlencoded::parse(self.query.as_bytes()).filter(|(k, _)| k != "lang" && k != "done") {
            link.append_pair(&k, &v);
        }
        link.append_pair("lang", other);
        Chrome {
            lang: self.lang,
            title: title.to_string(),
            display_name: self.auth.staff.display_name.clone(),
            role: role_label(self.lang, self.actor.role),
            csrf: self.auth.csrf_token.clone().unwrap_or_default(),
            nav,
            lang_link: format!("{}?{}", self.path, link.finish()),
            notice: None,
        }
    }

    /// A rendered page, never cached, remembering a language chosen with `?lang=`.
    pub fn page(&self, template: &impl Template) -> Response {
        self.page_with_status(template, StatusCode::OK)
    }

    pub fn page_with_status(&self, template: &impl Template, status: StatusCode) -> Response {
        let mut response = match template.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "console page failed to render");
                return (StatusCode::INTERNAL_SERVER_ERROR, "page failed to render").into_response();
            }
        };
        let h = response.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(lang) = self.chosen_lang {
            let value = if lang == Lang::En { "en" } else { "zh" };
            let c = SetCookie::new(LANG_COOKIE, value).readable_by_scripts().max_age(31_536_000);
            h.insert(header::SET_COOKIE, c.header_for(self.secure_cookies));
        }
        response
    }

    /// A posted form: from our own pages, carrying the session's CSRF token in `csrf`,
    /// and of the expected shape. Anything else is a 403 or 400 page, changing nothing.
    pub fn form<T: DeserializeOwned>(&self, s: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<T, Response> {
        let sent = form_urlencoded::parse(body).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned());
        let expected = self.auth.csrf_token.as_deref().unwrap_or("");
        if expected.is_empty()
            || !sent.is_some_and(|sent| constant_time_eq(expected, &sent))
            || !same_origin(&s.config, headers)
        {
            return Err(self.refusal(
                StatusCode::FORBIDDEN,
                self.tr("页面已过期，请返回刷新后重试", "This page expired; go back, reload and try again."),
            ));
        }
        serde_urlencoded::from_bytes(body).map_err(|e| {
            self.refusal(StatusCode::BAD_REQUEST, &format!("{}: {e}", self.tr("表单有误", "The form is not valid")))
        })
    }

    /// A plain page that says why something was refused.
    pub fn refusal(&self, status: StatusCode, message: &str) -> Response {
        let mut chrome = self.chrome(self.tr("无法完成", "Could not do that"));
        chrome.notice = Some((message.to_string(), true));
        self.page_with_status(&Refusal { c: chrome }, status)
    }

    /// What a failed use case means to the person at the console.
    pub fn explain(&self, e: &AppError) -> (StatusCode, String) {
        match e {
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, self.tr("找不到", "Not found").to_string()),
            AppError::Forbidden | AppError::Unauthenticated => {
                (StatusCode::FORBIDDEN, self.tr("你没有权限这样做", "You may not do this").to_string())
            }
            AppError::Invalid(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "),
            ),
            AppError::Conflict { message, .. } => (StatusCode::CONFLICT, message.clone()),
            AppError::InsufficientStock { field, available } => {
                (StatusCode::CONFLICT, format!("{}: {field} ({available})", self.tr("库存不足", "Not enough stock")))
            }
            AppError::TooManyAttempts { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                format!("{} {retry_after_secs} s", self.tr("操作过于频繁，请稍后再试", "Too many attempts; wait")),
            ),
            other => {
                tracing::error!(error = %other, "console action failed");
                (StatusCode::SERVICE_UNAVAILABLE, self.tr("暂时无法完成，请重试", "Unavailable; try again").to_string())
            }
        }
    }

    /// A failed use case as a refusal page.
    pub fn failed(&self, e: &AppError) -> Response {
        let (status, message) = self.explain(e);
        self.refusal(status, &message)
    }
}

pub fn role_label(lang: Lang, role: sweep_domain::roles::Role) -> &'static str {
    use sweep_domain::roles::Role::*;
    let (zh, en) = match role {
        PlatformAdmin => ("平台管理员", "Platform admin"),
        MerchantOwner => ("店主", "Owner"),
        MerchantManager => ("总部经理", "Head-office manager"),
        StoreManager => ("店长", "Store manager"),
        Clerk => ("店员", "Clerk"),
    };
    if lang == Lang::En { en } else { zh }
}

#[derive(Template)]
#[template(path = "console/refusal.html")]
struct Refusal {
    c: Chrome,
}

/// Money in fen as yuan with two decimals, for tables.
pub fn yuan(fen: i64) -> String {
    sweep_domain::Money::cny(fen).to_major_string()
}
