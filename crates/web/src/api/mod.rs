//! The JSON API under `/api/v1`. Handlers parse input, call one use case and shape the
//! answer; rules and storage live in `sweep-app`.

pub mod cards;
pub mod catalog;
pub mod coupons;
pub mod flash;
pub mod locations;
pub mod loyalty;
pub mod merchants;
pub mod nearby;
pub mod orders;
pub mod payments;
pub mod pos;
pub mod prices;
pub mod session;
pub mod staff;
pub mod stock;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use sweep_app::page::{Page, PageRequest};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiResult;
use crate::state::AppState;

/// One page of a list. Pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageBody<T> {
    pub items: Vec<T>,
    /// Absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for PageBody<T> {
    fn from(page: Page<T>) -> Self {
        PageBody { items: page.items, next_cursor: page.next_cursor }
    }
}

/// The query of a plain paged list: `?cursor=…&limit=…`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

impl PageQuery {
    pub fn page(&self) -> ApiResult<PageRequest> {
        page(self.cursor.as_deref(), self.limit)
    }
}

pub fn page(cursor: Option<&str>, limit: Option<i64>) -> ApiResult<PageRequest> {
    Ok(PageRequest::parse(cursor, limit).map_err(sweep_app::AppError::from)?)
}

pub fn created<T>(body: T) -> (StatusCode, axum::Json<T>) {
    (StatusCode::CREATED, axum::Json(body))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(session::login))
        .route("/auth/logout", post(session::logout))
        .route("/me", get(session::me))
        .route("/me/password", post(session::change_password))
        .route("/api-tokens", get(session::list_tokens).post(session::create_token))
        .route("/api-tokens/{id}/revoke", post(session::revoke_token))
        .route("/merchants", get(merchants::list).post(merchants::create))
        .route("/merchants/{id}", get(merchants::show).patch(merchants::update))
        .route("/staff", get(staff::list).post(staff::create))
        .route("/staff/{id}", get(staff::show).patch(staff::update))
        .route("/locations", get(locations::list).post(locations::create))
        .route("/locations/{id}", get(locations::show).patch(locations::update))
        .route("/locations/{id}/archive", post(locations::archive))
        .route("/categories", get(catalog::list_categories).post(catalog::create_category))
        .route("/categories/{id}", get(catalog::show_category).patch(catalog::update_category))
        .route("/categories/{id}/archive", post(catalog::archive_category))
        .route("/products", get(catalog::list_products).post(catalog::create_product))
        .route("/products/{id}", get(catalog::show_product).patch(catalog::update_product))
        .route("/products/{id}/archive", post(catalog::archive_product))
        .route("/products/{id}/images", post(catalog::upload_image))
        .route("/products/{id}/images/{image_id}", axum::routing::delete(catalog::delete_image))
        .route("/products/{id}/skus", post(catalog::create_sku))
        .route("/skus", get(catalog::list_skus))
        .route("/media", post(catalog::upload_media))
        .route("/banners", get(catalog::list_banners).post(catalog::create_banner))
        .route("/banners/{id}", axum::routing::delete(catalog::delete_banner))
        .route("/skus/{id}", get(catalog::show_sku).patch(catalog::update_sku))
        .route("/skus/{id}/archive", post(catalog::archive_sku))
        .route("/skus/{id}/prices", get(prices::show))
        .route("/skus/{id}/prices/channels/{channel}", put(prices::set_channel).delete(prices::delete_channel))
        .route("/skus/{id}/prices/stores/{location_id}", put(prices::set_store).delete(prices::delete_store))
        .route("/prices/quote", get(prices::quote))
        .route("/reports/price-parity", get(prices::parity))
        .route("/stock", get(stock::levels))
        .route("/stock/movements", get(stock::movements))
        .route("/stock/receipts", post(stock::receive))
        .route("/stock/adjustments", post(stock::adjust))
        .route("/stock/transfers", post(stock::transfer))
        .route("/orders", get(orders::list))
        .route("/orders/{id}", get(orders::show))
        .route("/orders/{id}/ready", post(orders::ready))
        .route("/orders/{id}/handover", post(orders::handover))
        .route("/orders/{id}/ship", post(orders::ship))
        .route("/orders/{id}/deliver", post(orders::deliver))
        .route("/orders/{id}/cancel", post(orders::cancel))
        .route("/orders/{id}/refunds", post(orders::refund))
        .route("/orders/{id}/returns/{return_id}/approve", post(orders::approve_return))
        .route("/orders/{id}/returns/{return_id}/reject", post(orders::reject_return))
        .route("/pickup/lookup", post(orders::lookup))
        .route("/payments/{provider}/notify", post(payments::notify))
        .route("/payments/{provider}/notify/{merchant_id}", post(payments::notify_merchant))
        .route("/payment-accounts", get(payments::accounts))
        .route("/reconciliations", get(payments::reconciliations).post(payments::reconcile))
        .route("/payment-accounts/{provider}", put(payments::put_account).delete(payments::delete_account))
        .route("/campaigns", get(cards::list_campaigns).post(cards::create_campaign))
        .route("/campaigns/{id}", get(cards::show_campaign).patch(cards::update_campaign))
        .route("/cards", get(cards::list_cards).post(cards::create_cards))
        .route("/cards/sheet.pdf", get(cards::sheet))
        .route("/cards/{id}", get(cards::show_card))
        .route("/cards/{id}/disable", post(cards::disable_card))
        .route("/cards/{id}/enable", post(cards::enable_card))
        .route("/cards/{id}/qr.svg", get(cards::card_qr))
        .route("/cards/{id}/card.svg", get(cards::card_svg))
        .route("/cards/{id}/card.png", get(cards::card_png))
        .route("/reports/scan-funnel", get(cards::funnel))
        .route("/stores/nearby", get(nearby::nearby))
        .route("/loyalty/program", get(loyalty::show_program).put(loyalty::set_program))
        .route("/members", get(loyalty::find_member).post(loyalty::enrol_member))
        .route("/members/by-code", post(loyalty::member_by_code))
        .route("/members/{shopper_id}/points", get(loyalty::member_points))
        .route("/members/{shopper_id}/coupons", get(coupons::member_coupons))
        .route("/coupons", get(coupons::list).post(coupons::create))
        .route("/coupons/{id}/disable", post(coupons::disable))
        .route("/coupons/{id}/issue", post(coupons::issue))
        .route("/flash-sales", get(flash::list).post(flash::create))
        .route("/flash-sales/{id}", get(flash::show))
        .route("/flash-sales/{id}/end", post(flash::end))
        .route("/live", get(flash::live))
        .route("/live/board", get(flash::board))
        .route("/live/stream", get(flash::stream))
        .route("/dev/rehearsal-members", post(flash::rehearsal_members))
        .route("/pos/sales", post(pos::record_sale))
        .route("/pos/sales/{order_id}/returns", post(pos::return_sale))
        .route("/pos/shifts", get(pos::shifts).post(pos::close_shift))
}
