//! The OpenAPI 3 document, served at `/api/openapi.json` and snapshot-tested.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{api, shop};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sweep API",
        description = "Sweep: O2O commerce for retailers with shops on the street and shoppers on their phones. \
            Authenticate with `Authorization: Bearer <API token>`, or with the session cookie from \
            `/api/v1/auth/login` plus `X-CSRF-Token` on state-changing requests. Platform admins pick the \
            merchant they act in with `X-Merchant-Id`. Money is integer minor units (fen). POSTs that create \
            things honour `Idempotency-Key`.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        api::session::login, api::session::logout, api::session::me, api::session::change_password,
        api::session::create_token, api::session::list_tokens, api::session::revoke_token,
        api::merchants::create, api::merchants::list, api::merchants::show, api::merchants::update,
        api::staff::create, api::staff::list, api::staff::show, api::staff::update,
        api::locations::create, api::locations::list, api::locations::show, api::locations::update, api::locations::archive,
        api::catalog::create_category, api::catalog::list_categories, api::catalog::show_category,
        api::catalog::update_category, api::catalog::archive_category,
        api::catalog::create_product, api::catalog::list_products, api::catalog::show_product,
        api::catalog::update_product, api::catalog::archive_product,
        api::catalog::upload_image, api::catalog::delete_image,
        api::catalog::create_sku, api::catalog::list_skus, api::catalog::show_sku, api::catalog::update_sku,
        api::catalog::archive_sku, api::catalog::upload_media, api::catalog::list_banners, api::catalog::create_banner,
        api::catalog::delete_banner,
        api::prices::show, api::prices::set_channel, api::prices::delete_channel, api::prices::set_store,
        api::prices::delete_store, api::prices::quote, api::prices::parity,
        api::stock::receive, api::stock::adjust, api::stock::transfer, api::stock::levels, api::stock::movements,
        api::orders::list, api::orders::show, api::orders::ready, api::orders::handover, api::orders::lookup,
        api::orders::ship, api::orders::deliver, api::orders::cancel, api::orders::refund,
        api::orders::approve_return, api::orders::reject_return, api::payments::notify,
        api::payments::notify_merchant, api::payments::accounts, api::payments::put_account, api::payments::delete_account,
        api::payments::reconciliations, api::payments::reconcile,
        shop::api::session, shop::api::login_code, shop::api::login, shop::api::logout, shop::api::product,
        shop::api::cart, shop::api::cart_add, shop::api::cart_set, shop::api::pickup_stores, shop::api::addresses,
        shop::api::address_add, shop::api::place_order, shop::api::orders, shop::api::order, shop::api::pay, shop::api::payment_methods,
        shop::api::cancel, shop::api::received, shop::api::request_return, shop::api::nearby,
        api::cards::create_campaign, api::cards::list_campaigns, api::cards::show_campaign, api::cards::update_campaign,
        api::cards::create_cards, api::cards::list_cards, api::cards::show_card, api::cards::disable_card,
        api::cards::enable_card, api::cards::card_qr, api::cards::card_svg, api::cards::card_png, api::cards::sheet,
        api::cards::funnel, api::nearby::nearby,
        api::loyalty::show_program, api::loyalty::set_program, api::loyalty::find_member, api::loyalty::enrol_member,
        api::loyalty::member_points, api::pos::record_sale, shop::api::member, shop::api::points,
        api::loyalty::member_by_code, api::coupons::create, api::coupons::list, api::coupons::disable,
        api::coupons::issue, api::coupons::member_coupons, api::pos::return_sale, api::pos::close_shift,
        api::pos::shifts, shop::api::member_code, shop::api::coupons, shop::api::claimable_coupons,
        shop::api::claim_coupon,
        api::flash::create, api::flash::list, api::flash::show, api::flash::end, api::flash::board, api::flash::stream, api::flash::live,
        api::flash::rehearsal_members, shop::flash::sale, shop::flash::buy,
    ),
    // Enums only query parameters name: the paths refer to them but do not carry them.
    components(schemas(sweep_app::ports::FunnelGroup, sweep_domain::geo::Datum)),
    modifiers(&Security, &ResponseDescriptions),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "auth", description = "Sign-in, sessions and API tokens"),
        (name = "merchants", description = "Tenants of the deployment"),
        (name = "staff", description = "Staff accounts, roles and store assignments"),
        (name = "locations", description = "Stores and warehouses"),
        (name = "catalog", description = "Categories, products, images and SKUs"),
        (name = "prices", description = "Channel and store prices, quotes and price parity"),
        (name = "stock", description = "Stock levels, movements, receipts, adjustments and transfers"),
        (name = "orders", description = "Orders for staff: the pickup counter, shipping, cancelling, refunds and returns"),
        (name = "payments", description = "Notifications from payment providers; merchants' own provider accounts"),
        (name = "cards", description = "Campaigns, printable QR display cards for store shelves, and the scan funnel"),
        (name = "loyalty", description = "The member card: the loyalty programme, members by phone, points histories"),
        (name = "coupons", description = "Coupons: definitions in a campaign, issued to members or claimed by them, spent once online or at the till"),
        (name = "flash", description = "Double 11 flash sales: pools set aside per SKU, limits per member, group-committed orders, live totals"),
        (name = "pos", description = "Sales rung up at store tills, online or sent later from an offline till"),
        (name = "shop", description = "A merchant's storefront for shoppers, under /s/{slug}: session, sign-in by SMS code, cart, addresses, orders"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "shop_session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::shop::SHOP_COOKIE))),
        );
    }
}

/// OpenAPI requires a description on every response (where a handler gives none, the
/// status's reason phrase serves) and unique operation ids.
struct ResponseDescriptions;

impl Modify for ResponseDescriptions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                // Handlers are named per area (`list`, `create`); the tag makes them unique.
                if let (Some(tag), Some(id)) =
                    (operation.tags.as_ref().and_then(|t| t.first()), &operation.operation_id)
                    && !id.starts_with(tag.as_str())
                {
                    operation.operation_id = Some(format!("{tag}_{id}"));
                }
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let utoipa::openapi::RefOr::T(response) = response
                        && response.description.is_empty()
                    {
                        let reason = status
                            .parse::<u16>()
                            .ok()
                            .and_then(|code| axum::http::StatusCode::from_u16(code).ok())
                            .and_then(|code| code.canonical_reason())
                            .unwrap_or("Response");
                        response.description = reason.to_string();
                    }
                }
            }
        }
    }
}

static DOCUMENT: std::sync::LazyLock<utoipa::openapi::OpenApi> = std::sync::LazyLock::new(ApiDoc::openapi);

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    &DOCUMENT
}
