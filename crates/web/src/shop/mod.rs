//! The mobile storefront under `/s/{slug}`: server-rendered pages, and the same actions
//! as JSON under `/s/{slug}/api`. One cookie per shop holds the shopper's session.

pub mod api;
pub(crate) mod context;
pub mod flash;
pub mod i18n;
pub mod pages;

pub use context::{SHOP_COOKIE, Shop};

use axum::Router;
use axum::routing::{get, post, put};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/s/{slug}", get(pages::home))
        .route("/s/{slug}/c/{category_id}", get(pages::category))
        .route("/s/{slug}/p/{product_id}", get(pages::product))
        .route("/s/{slug}/flash/{sale_id}", get(pages::flash).post(pages::flash_buy))
        .route("/s/{slug}/search", get(pages::search))
        .route("/s/{slug}/scan/{code}", get(pages::scan))
        .route("/c/{code}", get(pages::card_link))
        .route("/s/{slug}/cart", get(pages::cart).post(pages::cart_update))
        .route("/s/{slug}/cart/add", post(pages::cart_add))
        .route("/s/{slug}/login", get(pages::login).post(pages::login_submit))
        .route("/s/{slug}/login/code", post(pages::login_code))
        .route("/s/{slug}/logout", post(pages::logout))
        .route("/s/{slug}/checkout", get(pages::checkout).post(pages::checkout_submit))
        .route("/s/{slug}/orders", get(pages::orders))
        .route("/s/{slug}/orders/{order_id}", get(pages::order))
        .route("/s/{slug}/orders/{order_id}/pay", post(pages::order_pay))
        .route("/s/{slug}/orders/{order_id}/pay/authorised", get(pages::order_pay_authorised))
        .route("/s/{slug}/orders/{order_id}/cancel", post(pages::order_cancel))
        .route("/s/{slug}/orders/{order_id}/received", post(pages::order_received))
        .route("/s/{slug}/orders/{order_id}/qr.svg", get(pages::pickup_qr))
        .route("/s/{slug}/me", get(pages::me))
        .route("/s/{slug}/points", get(pages::points))
        .route("/s/{slug}/coupons", get(pages::coupons))
        .route("/s/{slug}/coupons/{def_id}/claim", post(pages::coupon_claim))
        .route("/s/{slug}/card", get(pages::member_code))
        .route("/s/{slug}/addresses", get(pages::addresses).post(pages::address_add))
        .route("/s/{slug}/addresses/{address_id}/delete", post(pages::address_delete))
        .route("/s/{slug}/api/session", get(api::session))
        .route("/s/{slug}/api/login/code", post(api::login_code))
        .route("/s/{slug}/api/login", post(api::login))
        .route("/s/{slug}/api/logout", post(api::logout))
        .route("/s/{slug}/api/products/{product_id}", get(api::product))
        .route("/s/{slug}/api/cart", get(api::cart))
        .route("/s/{slug}/api/cart/items", post(api::cart_add))
        .route("/s/{slug}/api/cart/items/{sku_id}", put(api::cart_set))
        .route("/s/{slug}/api/pickup-stores", get(api::pickup_stores))
        .route("/s/{slug}/api/stores/nearby", get(api::nearby))
        .route("/s/{slug}/api/addresses", get(api::addresses).post(api::address_add))
        .route("/s/{slug}/api/orders", get(api::orders).post(api::place_order))
        .route("/s/{slug}/api/orders/{order_id}", get(api::order))
        .route("/s/{slug}/api/orders/{order_id}/pay", post(api::pay))
        .route("/s/{slug}/api/payment-methods", get(api::payment_methods))
        .route("/s/{slug}/api/orders/{order_id}/cancel", post(api::cancel))
        .route("/s/{slug}/api/orders/{order_id}/received", post(api::received))
        .route("/s/{slug}/api/orders/{order_id}/returns", post(api::request_return))
        .route("/s/{slug}/api/member", get(api::member))
        .route("/s/{slug}/api/points", get(api::points))
        .route("/s/{slug}/api/member/code", post(api::member_code))
        .route("/s/{slug}/api/coupons", get(api::coupons))
        .route("/s/{slug}/api/coupons/claimable", get(api::claimable_coupons))
        .route("/s/{slug}/api/coupons/{def_id}/claim", post(api::claim_coupon))
        .route("/s/{slug}/api/flash/{sale_id}", get(flash::sale))
        .route("/s/{slug}/api/flash/{sale_id}/orders", post(flash::buy))
}

/// How this browser asks to pay: the device from its channel, the client address as the
/// trusted proxies report it (WeChat H5 wants the payer's address).
pub(crate) fn pay_request(
    s: &crate::state::AppState,
    shop: &Shop,
    headers: &axum::http::HeaderMap,
    peer: Option<std::net::SocketAddr>,
    provider: Option<String>,
    qr: bool,
) -> sweep_app::payments::PayRequest {
    sweep_app::payments::PayRequest {
        provider,
        device: sweep_app::payments::PayDevice::from_channel(shop.channel),
        qr,
        openid: None,
        client_ip: crate::state::client_ip(&s.config, headers, peer),
    }
}
