//! The storefront as JSON: everything the pages do, for apps and tests. The caller sends
//! SKU ids and quantities; every price and total comes from the server.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sweep_app::loyalty::{CouponView, MemberCode, MemberView};
use sweep_app::orders::OrderView;
use sweep_app::shop::{AddressInput, NearbyStore, PlaceOrderInput, ReturnInput};
use sweep_domain::Money;
use sweep_domain::coupon::{Coupon, CouponDef};
use sweep_domain::ids::{CouponDefId, OrderId, ProductId, SkuId};
use sweep_domain::location::Location;
use sweep_domain::loyalty::PointsEntry;
use sweep_domain::order::Order;
use sweep_domain::pricing::PriceSource;
use sweep_domain::shopper::{Address, Shopper};
use utoipa::ToSchema;

use super::Shop;
use crate::api::{PageBody, PageQuery, created};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Peer, path_id};
use crate::idempotency::HEADER as IDEMPOTENCY_HEADER;
use crate::state::{AppState, client_ip};

#[derive(Serialize, ToSchema)]
pub struct SessionBody {
    pub shopper: Option<Shopper>,
    /// Send as `X-CSRF-Token` on state-changing calls once there is a session.
    pub csrf_token: Option<String>,
}

fn with_cookie(shop: &Shop, state: &AppState, token: Option<String>, mut response: Response) -> Response {
    if let Some(token) = token {
        response.headers_mut().insert(header::SET_COOKIE, shop.session_cookie(state, &token));
    }
    response
}

#[utoipa::path(get, path = "/s/{slug}/api/session", tag = "shop", params(("slug" = String, Path)), responses((status = 200, body = SessionBody)), security(()))]
/// Who is browsing; starts a guest session (and sets its cookie) when there is none.
pub async fn session(State(s): State<AppState>, mut shop: Shop) -> ApiResult<Response> {
    let token = s.sweep.ensure_shop_session(&mut shop.ctx).await?;
    let body = SessionBody { shopper: shop.ctx.shopper.clone(), csrf_token: shop.ctx.csrf_token().map(str::to_string) };
    Ok(with_cookie(&shop, &s, token, Json(body).into_response()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneInput {
    pub phone: String,
}

#[utoipa::path(post, path = "/s/{slug}/api/login/code", tag = "shop", params(("slug" = String, Path)), request_body = PhoneInput, responses((status = 204), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)), security(()))]
/// Sends a sign-in code by SMS.
pub async fn login_code(
    State(s): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    shop: Shop,
    ApiJson(input): ApiJson<PhoneInput>,
) -> ApiResult<StatusCode> {
    let client = client_ip(&s.config, &headers, peer);
    s.sweep.send_login_code(&shop.ctx.merchant, &input.phone, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub phone: String,
    pub code: String,
}

#[utoipa::path(post, path = "/s/{slug}/api/login", tag = "shop", params(("slug" = String, Path)), request_body = LoginInput, responses((status = 200, body = SessionBody), (status = 422, body = ErrorBody)), security(()))]
/// Signs in with the code; the shopper becomes (or is) the merchant's member.
pub async fn login(State(s): State<AppState>, shop: Shop, ApiJson(input): ApiJson<LoginInput>) -> ApiResult<Response> {
    let (token, ctx) = s.sweep.sign_in_shopper(&shop.ctx, &input.phone, &input.code).await?;
    let body = SessionBody { shopper: ctx.shopper.clone(), csrf_token: ctx.csrf_token().map(str::to_string) };
    Ok(with_cookie(&shop, &s, Some(token), Json(body).into_response()))
}

#[utoipa::path(post, path = "/s/{slug}/api/logout", tag = "shop", params(("slug" = String, Path)), responses((status = 204)), security(("shop_session" = [])))]
pub async fn logout(State(s): State<AppState>, shop: Shop) -> ApiResult<Response> {
    s.sweep.sign_out_shopper(&shop.ctx).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, shop.expired_session_cookie(&s));
    Ok(response)
}

#[derive(Serialize, ToSchema)]
pub struct PriceBody {
    pub unit: Money,
    pub list: Money,
    pub source: PriceSource,
}

#[derive(Serialize, ToSchema)]
pub struct OfferBody {
    pub sku_id: SkuId,
    pub code: String,
    pub attributes: std::collections::BTreeMap<String, String>,
    pub price: PriceBody,
    /// Units that can be delivered now.
    pub available: i64,
}

#[derive(Serialize, ToSchema)]
pub struct StoreStockBody {
    pub store: Location,
    /// Available units at the store, by SKU id.
    pub available: std::collections::HashMap<String, i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductPageBody {
    pub product: sweep_domain::catalog::Product,
    pub image_urls: Vec<String>,
    pub offers: Vec<OfferBody>,
    pub pickup_stores: Vec<StoreStockBody>,
}

#[utoipa::path(get, path = "/s/{slug}/api/products/{product_id}", tag = "shop", params(("slug" = String, Path), ("product_id" = String, Path)), responses((status = 200, body = ProductPageBody), (status = 404, body = ErrorBody)), security(()))]
pub async fn product(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
) -> ApiResult<Json<ProductPageBody>> {
    let id: ProductId = path_id(&params.1)?;
    let page = s.sweep.product_page(&shop.ctx, id, shop.channel).await?;
    Ok(Json(ProductPageBody {
        image_urls: page.images.iter().map(|i| format!("{}/media/{}", s.config.public_url, i.file_key)).collect(),
        offers: page
            .offers
            .into_iter()
            .map(|o| OfferBody {
                sku_id: o.sku.id,
                code: o.sku.code,
                attributes: o.sku.attributes,
                price: PriceBody { unit: o.price.unit, list: o.price.list, source: o.price.source },
                available: o.available,
            })
            .collect(),
        pickup_stores: page
            .pickup_stores
            .into_iter()
            .map(|st| StoreStockBody {
                store: st.store,
                available: st.available.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            })
            .collect(),
        product: page.product,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CartLineBody {
    pub sku_id: SkuId,
    pub product_id: ProductId,
    pub name: sweep_domain::text::Localized,
    pub attributes: std::collections::BTreeMap<String, String>,
    pub quantity: i64,
    pub unit_price: Money,
    pub line_total: Money,
    pub available: i64,
    /// False when the item was withdrawn since it went into the cart.
    pub buyable: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CartBody {
    pub lines: Vec<CartLineBody>,
    pub subtotal: Money,
    pub units: i64,
}

#[utoipa::path(get, path = "/s/{slug}/api/cart", tag = "shop", params(("slug" = String, Path)), responses((status = 200, body = CartBody)), security(("shop_session" = [])))]
pub async fn cart(State(s): State<AppState>, shop: Shop) -> ApiResult<Json<CartBody>> {
    Ok(Json(cart_body(&s, &shop).await?))
}

async fn cart_body(s: &AppState, shop: &Shop) -> ApiResult<CartBody> {
    let view = s.sweep.cart(&shop.ctx, shop.channel).await?;
    Ok(CartBody {
        lines: view
            .lines
            .into_iter()
            .map(|l| CartLineBody {
                sku_id: l.sku.id,
                product_id: l.product.id,
                name: l.product.name,
                attributes: l.sku.attributes,
                quantity: l.quantity,
                unit_price: l.price.unit,
                line_total: l.line_total,
                available: l.available,
                buyable: l.buyable,
            })
            .collect(),
        subtotal: view.subtotal,
        units: view.units,
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartAddInput {
    pub sku_id: SkuId,
    pub quantity: i64,
}

#[utoipa::path(post, path = "/s/{slug}/api/cart/items", tag = "shop", params(("slug" = String, Path)), request_body = CartAddInput, responses((status = 200, body = CartBody), (status = 422, body = ErrorBody)), security(("shop_session" = [])))]
pub async fn cart_add(
    State(s): State<AppState>,
    mut shop: Shop,
    ApiJson(input): ApiJson<CartAddInput>,
) -> ApiResult<Response> {
    let token = s.sweep.add_to_cart(&mut shop.ctx, input.sku_id, input.quantity).await?;
    let body = cart_body(&s, &shop).await?;
    Ok(with_cookie(&shop, &s, token, Json(body).into_response()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuantityInput {
    pub quantity: i64,
}

#[utoipa::path(put, path = "/s/{slug}/api/cart/items/{sku_id}", tag = "shop", params(("slug" = String, Path), ("sku_id" = String, Path)), request_body = QuantityInput, responses((status = 200, body = CartBody), (status = 422, body = ErrorBody)), security(("shop_session" = [])))]
pub async fn cart_set(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<QuantityInput>,
) -> ApiResult<Json<CartBody>> {
    let sku: SkuId = path_id(&params.1)?;
    s.sweep.set_cart_quantity(&shop.ctx, sku, input.quantity).await?;
    Ok(Json(cart_body(&s, &shop).await?))
}

#[utoipa::path(get, path = "/s/{slug}/api/pickup-stores", tag = "shop", params(("slug" = String, Path)), responses((status = 200, body = Vec<Location>)), security(("shop_session" = [])))]
/// Stores where the whole cart can be picked up now.
pub async fn pickup_stores(State(s): State<AppState>, shop: Shop) -> ApiResult<Json<Vec<Location>>> {
    let view = s.sweep.cart(&shop.ctx, shop.channel).await?;
    let lines: Vec<(SkuId, i64)> = view.lines.iter().filter(|l| l.buyable).map(|l| (l.sku.id, l.quantity)).collect();
    Ok(Json(s.sweep.pickup_options(&shop.ctx, &lines).await?))
}

#[utoipa::path(get, path = "/s/{slug}/api/stores/nearby", tag = "shop",
    params(("slug" = String, Path), ("sku" = String, Query), ("lat" = Option<f64>, Query), ("lng" = Option<f64>, Query),
        ("coord" = Option<String>, Query, description = "wgs84 (default) or gcj02"), ("city" = Option<String>, Query),
        ("limit" = Option<usize>, Query)),
    responses((status = 200, body = Vec<NearbyStore>), (status = 422, body = ErrorBody)), security(()))]
/// The shop's stores that have the SKU, nearest first (the product page's "in stock near you").
pub async fn nearby(
    State(s): State<AppState>,
    shop: Shop,
    ApiQuery(q): ApiQuery<crate::api::nearby::ShopNearbyQuery>,
) -> ApiResult<Json<Vec<NearbyStore>>> {
    Ok(Json(crate::api::nearby::nearby_for(&s, &shop.ctx.merchant, q).await?))
}

#[utoipa::path(get, path = "/s/{slug}/api/addresses", tag = "shop", params(("slug" = String, Path)), responses((status = 200, body = Vec<Address>), (status = 401, body = ErrorBody)), security(("shop_session" = [])))]
pub async fn addresses(State(s): State<AppState>, shop: Shop) -> ApiResult<Json<Vec<Address>>> {
    Ok(Json(s.sweep.my_addresses(&shop.ctx).await?))
}

#[utoipa::path(post, path = "/s/{slug}/api/addresses", tag = "shop", params(("slug" = String, Path)), request_body = AddressInput, responses((status = 201, body = Address), (status = 422, body = ErrorBody)), security(("shop_session" = [])))]
pub async fn address_add(
    State(s): State<AppState>,
    shop: Shop,
    ApiJson(input): ApiJson<AddressInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.add_address(&shop.ctx, input).await?))
}

#[utoipa::path(post, path = "/s/{slug}/api/orders", tag = "shop", params(("slug" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key returns the same order")), request_body = PlaceOrderInput, responses((status = 201, body = Order), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("shop_session" = [])))]
/// Places an order from the cart (or the `lines` given). With `Idempotency-Key`, a retry
/// returns the same order.
pub async fn place_order(
    State(s): State<AppState>,
    shop: Shop,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PlaceOrderInput>,
) -> ApiResult<impl IntoResponse> {
    let key = headers
        .get(IDEMPOTENCY_HEADER)
        .map(|v| v.to_str().map_err(|_| ApiError::new(ErrorCode::ValidationFailed, "bad Idempotency-Key")));
    let key = key.transpose()?;
    Ok(created(s.sweep.place_order(&shop.ctx, input, shop.channel, key).await?))
}

#[utoipa::path(get, path = "/s/{slug}/api/orders", tag = "shop", params(("slug" = String, Path), PageQuery), responses((status = 200, body = PageBody<Order>)), security(("shop_session" = [])))]
pub async fn orders(
    State(s): State<AppState>,
    shop: Shop,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PageBody<Order>>> {
    Ok(Json(s.sweep.my_orders(&shop.ctx, &q.page()?).await?.into()))
}

fn order_id(params: &(String, String)) -> ApiResult<OrderId> {
    path_id(&params.1)
}

#[utoipa::path(get, path = "/s/{slug}/api/orders/{order_id}", tag = "shop", params(("slug" = String, Path), ("order_id" = String, Path)), responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)), security(("shop_session" = [])))]
pub async fn order(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.my_order(&shop.ctx, order_id(&params)?).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PayInput {
    /// A provider from `payment-methods`; the best one for this browser when omitted.
    #[serde(default)]
    pub provider: Option<String>,
    /// Show a QR to scan with the phone instead of going to the provider's page.
    #[serde(default)]
    pub qr: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PayBody {
    pub provider: Option<String>,
    /// `redirect` (go to `pay_url`), `qr` (show `qr_code` to scan with the wallet app),
    /// `jsapi` (call WeChat's `getBrandWCPayRequest` with `jsapi`), or `authorise`
    /// (inside WeChat: go to `pay_url`, WeChat's web authorisation, which comes back to
    /// the storefront's payment page). The order is paid when the provider confirms.
    pub next: &'static str,
    pub pay_url: Option<String>,
    pub qr_code: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub jsapi: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentMethodsBody {
    /// Provider names, best for this browser first.
    pub providers: Vec<String>,
}

/// The payment methods this shop takes in this browser (WeChat's in-app browser only
/// WeChat Pay, Alipay's only Alipay), best first.
#[utoipa::path(get, path = "/s/{slug}/api/payment-methods", tag = "shop", params(("slug" = String, Path)), responses((status = 200, body = PaymentMethodsBody)), security(("shop_session" = [])))]
pub async fn payment_methods(State(s): State<AppState>, shop: Shop) -> ApiResult<Json<PaymentMethodsBody>> {
    let device = sweep_app::payments::PayDevice::from_channel(shop.channel);
    Ok(Json(PaymentMethodsBody { providers: s.sweep.payment_choices(&shop.ctx, device).await? }))
}

#[utoipa::path(post, path = "/s/{slug}/api/orders/{order_id}/pay", tag = "shop", params(("slug" = String, Path), ("order_id" = String, Path)), request_body = PayInput, responses((status = 200, body = PayBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("shop_session" = [])))]
pub async fn pay(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    Peer(peer): Peer,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PayInput>,
) -> ApiResult<Json<PayBody>> {
    use sweep_app::payments::PayNext;
    use sweep_app::ports::PayAction;
    let id = order_id(&params)?;
    let request = super::pay_request(&s, &shop, &headers, peer, input.provider, input.qr);
    let body = match s.sweep.pay_order(&shop.ctx, id, &request).await? {
        PayNext::Act { provider, action } => {
            let mut body =
                PayBody { provider: Some(provider), next: "redirect", pay_url: None, qr_code: None, jsapi: None };
            match action {
                PayAction::Redirect(url) => body.pay_url = Some(url),
                PayAction::ShowQr(text) => (body.next, body.qr_code) = ("qr", Some(text)),
                PayAction::WeChatJsapi(params) => (body.next, body.jsapi) = ("jsapi", Some(params)),
            }
            body
        }
        PayNext::Authorise { provider } => {
            // WeChat's authorisation, coming back to the storefront's payment page, which
            // learns the openid and opens WeChat's payment sheet.
            let back = format!(
                "{}{}/orders/{id}/pay/authorised?provider={provider}",
                s.sweep.settings().public_url,
                shop.base
            );
            let state = super::pages::authorisation_state(&shop, id);
            let to = s.sweep.payer_authorisation_url(&shop.ctx, id, &provider, &back, &state).await?;
            PayBody { provider: Some(provider), next: "authorise", pay_url: Some(to), qr_code: None, jsapi: None }
        }
    };
    Ok(Json(body))
}

#[utoipa::path(post, path = "/s/{slug}/api/orders/{order_id}/cancel", tag = "shop", params(("slug" = String, Path), ("order_id" = String, Path)), responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)), security(("shop_session" = [])))]
pub async fn cancel(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.cancel_my_order(&shop.ctx, order_id(&params)?).await?))
}

#[utoipa::path(post, path = "/s/{slug}/api/orders/{order_id}/received", tag = "shop", params(("slug" = String, Path), ("order_id" = String, Path)), responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)), security(("shop_session" = [])))]
pub async fn received(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.confirm_delivery(&shop.ctx, order_id(&params)?).await?))
}

#[utoipa::path(post, path = "/s/{slug}/api/orders/{order_id}/returns", tag = "shop", params(("slug" = String, Path), ("order_id" = String, Path)), request_body = ReturnInput, responses((status = 200, body = OrderView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("shop_session" = [])))]
pub async fn request_return(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<ReturnInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.sweep.request_return(&shop.ctx, order_id(&params)?, input).await?))
}

#[utoipa::path(get, path = "/s/{slug}/api/member", tag = "shop", params(("slug" = String, Path)), responses((status = 200, body = MemberView), (status = 401, body = ErrorBody)), security(("shop_session" = [])))]
/// The signed-in shopper's member card: points (and what they are worth), tier, and the
/// spend still needed for the next tier. The same card works online and at the till.
pub async fn member(State(s): State<AppState>, shop: Shop) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.sweep.my_member_card(&shop.ctx).await?))
}

#[utoipa::path(get, path = "/s/{slug}/api/points", tag = "shop", params(("slug" = String, Path), PageQuery), responses((status = 200, body = PageBody<PointsEntry>), (status = 401, body = ErrorBody)), security(("shop_session" = [])))]
/// The signed-in shopper's points, newest first: online orders and till sales in one history.
pub async fn points(
    State(s): State<AppState>,
    shop: Shop,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PageBody<PointsEntry>>> {
    Ok(Json(s.sweep.my_points(&shop.ctx, &q.page()?).await?.into()))
}

#[utoipa::path(post, path = "/s/{slug}/api/member/code", tag = "shop", params(("slug" = String, Path)), responses((status = 201, body = MemberCode), (status = 401, body = ErrorBody)), security(("shop_session" = [])))]
/// A fresh code for the member card: 18 digits starting 99, for the till to scan. It
/// works once, for two minutes; ask for the next one after `refresh_in_secs`.
pub async fn member_code(State(s): State<AppState>, shop: Shop) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.my_member_code(&shop.ctx).await?))
}

#[utoipa::path(get, path = "/s/{slug}/api/coupons", tag = "shop", params(("slug" = String, Path), PageQuery), responses((status = 200, body = PageBody<CouponView>), (status = 401, body = ErrorBody)), security(("shop_session" = [])))]
/// The signed-in member's coupons, newest first, each with its definition and whether it
/// can be spent now. Spend one with `coupon_id` on `POST /s/{slug}/api/orders`.
pub async fn coupons(
    State(s): State<AppState>,
    shop: Shop,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PageBody<CouponView>>> {
    Ok(Json(s.sweep.my_coupons(&shop.ctx, &q.page()?).await?.into()))
}

#[utoipa::path(get, path = "/s/{slug}/api/coupons/claimable", tag = "shop", params(("slug" = String, Path)), responses((status = 200, body = Vec<CouponDef>)), security(("shop_session" = [])))]
/// Coupons members may claim now (active, not ended, some left).
pub async fn claimable_coupons(State(s): State<AppState>, shop: Shop) -> ApiResult<Json<Vec<CouponDef>>> {
    Ok(Json(s.sweep.claimable_coupons(&shop.ctx).await?))
}

#[utoipa::path(post, path = "/s/{slug}/api/coupons/{def_id}/claim", tag = "shop", params(("slug" = String, Path), ("def_id" = String, Path)), responses((status = 201, body = Coupon), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("shop_session" = [])))]
/// Claims one coupon of a claimable definition, within its limits (`409 coupons_gone`
/// when none are left, `409 coupon_limit` when the member holds as many as allowed).
pub async fn claim_coupon(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let def: CouponDefId = path_id(&params.1)?;
    Ok(created(s.sweep.claim_coupon(&shop.ctx, def).await?))
}
