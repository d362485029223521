//! The storefront's pages. Forms post back with the session's CSRF token; every action
//! is a use case, as in the JSON API.

// The error side of these results is a finished page, returned as is.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use sweep_app::AppError;
use sweep_app::shop::{AddressInput, CartView, PlaceOrderInput, ProductCard, StockState};
use sweep_domain::ids::{AddressId, CategoryId, LocationId, OrderId, ProductId, SkuId};
use sweep_domain::location::Location;
use sweep_domain::order::{Fulfilment, OrderStatus, ShipmentStatus};
use sweep_domain::text::Lang;
use sweep_domain::{Money, Timestamp};

use super::Shop;
use super::i18n::T;
use crate::cookies::SetCookie;
use crate::extract::{ApiPath, Peer, path_id};
use crate::state::{AppState, client_ip};

mod account;
mod browse;
mod cart;
mod checkout;
mod coupons;
mod flash;
mod orders;
mod pay;
mod product;
mod scan;
mod signin;

pub use account::*;
pub use browse::*;
pub use cart::*;
pub use checkout::*;
pub use coupons::*;
pub use flash::*;
pub use orders::*;
pub use pay::*;
pub use product::*;
pub use scan::*;
pub use signin::*;

/// What every storefront page shows around its content.
pub struct Layout {
    pub t: T,
    pub base: String,
    pub shop_name: String,
    pub cart_units: i64,
    pub tab: &'static str,
    pub csrf: String,
    pub lang_link: String,
    pub query: String,
    pub flash: Option<String>,
}

pub struct Card {
    pub url: String,
    pub name: String,
    pub price: String,
    pub list: Option<String>,
    pub image: Option<String>,
    pub sold_out: bool,
}

fn yuan(m: Money) -> String {
    m.to_major_string()
}

fn local_time(shop: &Shop, t: Timestamp) -> String {
    let offset = sweep_domain::merchant::MerchantTimeZone::parse("tz", &shop.ctx.merchant.time_zone)
        .map(|z| z.offset_minutes())
        .unwrap_or(480);
    let d = t.plus_seconds(offset as i64 * 60).to_offset_datetime();
    format!("{}-{:02}-{:02} {:02}:{:02}", d.year(), u8::from(d.month()), d.day(), d.hour(), d.minute())
}

impl Shop {
    async fn layout(&self, s: &AppState, tab: &'static str) -> Layout {
        let cart_units = match self.ctx.cart_owner() {
            Some(owner) => s
                .sweep
                .repos()
                .carts
                .cart(self.ctx.merchant.id, &owner)
                .await
                .map(|c| c.iter().map(|(_, q)| q).sum())
                .unwrap_or(0),
            None => 0,
        };
        Layout {
            t: T { lang: self.lang },
            base: self.base.clone(),
            shop_name: self.ctx.merchant.name.clone(),
            cart_units,
            tab,
            csrf: self.ctx.csrf_token().unwrap_or_default().to_string(),
            lang_link: self.lang_link(),
            query: String::new(),
            flash: None,
        }
    }

    fn card(&self, c: &ProductCard) -> Card {
        Card {
            url: format!("{}/p/{}", self.base, c.product.id),
            name: c.product.name.get(self.lang).to_string(),
            price: yuan(c.price_from),
            list: (c.list_from != c.price_from).then(|| yuan(c.list_from)),
            image: c.image_key.as_ref().map(|k| format!("/media/{k}")),
            sold_out: !c.available,
        }
    }

    fn t(&self) -> T {
        T { lang: self.lang }
    }
}

/// Renders a page; personal pages are never cached, and a chosen language is remembered.
fn render(shop: &Shop, page: impl Template) -> Response {
    let mut response = match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page failed to render");
            return (StatusCode::INTERNAL_SERVER_ERROR, "page failed").into_response();
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Some(lang) = shop.chosen_lang {
        headers.append(header::SET_COOKIE, shop.lang_cookie(lang));
    }
    response
}

#[derive(Template)]
#[template(path = "shop/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    back: String,
    back_label: &'a str,
}

/// A use-case error as a page a shopper understands.
fn error_page(shop: &Shop, e: AppError) -> Response {
    let t = shop.t();
    let (status, title, message) = match &e {
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, t.get("not_found"), String::new()),
        AppError::Unauthenticated => return Redirect::to(&format!("{}/login", shop.base)).into_response(),
        AppError::Invalid(fields) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.get("try_again"),
            fields.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "),
        ),
        AppError::InsufficientStock { available, .. } => {
            (StatusCode::CONFLICT, t.get("try_again"), format!("{} {available} {}", t.get("few_left"), t.get("left")))
        }
        AppError::Conflict { message, .. } => (StatusCode::CONFLICT, t.get("try_again"), message.clone()),
        AppError::TooManyAttempts { retry_after_secs } => {
            (StatusCode::TOO_MANY_REQUESTS, t.get("try_again"), format!("{retry_after_secs} s"))
        }
        other => {
            tracing::error!(error = %other, "storefront error");
            (StatusCode::SERVICE_UNAVAILABLE, t.get("try_again"), String::new())
        }
    };
    let page = ErrorPage { title, message: &message, back: shop.base.clone(), back_label: t.get("back_home") };
    let mut response = render(shop, page);
    *response.status_mut() = status;
    response
}

type PageResult = Result<Response, Response>;

fn or_page<T>(shop: &Shop, r: Result<T, AppError>) -> Result<T, Response> {
    r.map_err(|e| error_page(shop, e))
}

fn parse_form<T: serde::de::DeserializeOwned>(shop: &Shop, body: &[u8]) -> Result<T, Response> {
    serde_urlencoded::from_bytes(body)
        .map_err(|_| error_page(shop, AppError::invalid("form", "invalid", "incomplete form")))
}

fn check_csrf(shop: &Shop, sent: &str) -> Result<(), Response> {
    if shop.csrf_ok(sent) {
        Ok(())
    } else {
        let t = shop.t();
        Err(error_page(shop, AppError::conflict("csrf", None, t.get("expired_page"))))
    }
}

fn unwrap(r: PageResult) -> Response {
    r.unwrap_or_else(|e| e)
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    sent: Option<String>,
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}
