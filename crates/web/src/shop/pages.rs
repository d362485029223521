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
use crate::extract::{ApiPath, Peer, path_id};
use crate::state::{AppState, client_ip};

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
        let other = if self.lang == Lang::En { "zh" } else { "en" };
        Layout {
            t: T { lang: self.lang },
            base: self.base.clone(),
            shop_name: self.ctx.merchant.name.clone(),
            cart_units,
            tab,
            csrf: self.ctx.csrf_token().unwrap_or_default().to_string(),
            lang_link: format!("?lang={other}"),
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

// ----- browsing -----

pub struct BannerView {
    url: String,
    image: String,
    title: String,
}

pub struct Link {
    url: String,
    name: String,
}

#[derive(Template)]
#[template(path = "shop/home.html")]
struct HomePage {
    l: Layout,
    banners: Vec<BannerView>,
    categories: Vec<Link>,
    hot: Vec<Card>,
    new_arrivals: Vec<Card>,
}

pub async fn home(State(s): State<AppState>, shop: Shop) -> Response {
    unwrap(
        async {
            let feed = or_page(&shop, s.sweep.home_feed(&shop.ctx, shop.channel).await)?;
            let page = HomePage {
                banners: feed
                    .banners
                    .iter()
                    .map(|b| BannerView {
                        url: format!("{}{}", shop.base, b.link),
                        image: format!("/media/{}", b.image_key),
                        title: b.title.get(shop.lang).to_string(),
                    })
                    .collect(),
                categories: feed
                    .categories
                    .iter()
                    .map(|c| Link { url: format!("{}/c/{}", shop.base, c.id), name: c.name.get(shop.lang).to_string() })
                    .collect(),
                hot: feed.hot.iter().map(|c| shop.card(c)).collect(),
                new_arrivals: feed.new_arrivals.iter().map(|c| shop.card(c)).collect(),
                l: shop.layout(&s, "home").await,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

#[derive(Template)]
#[template(path = "shop/list.html")]
struct ListPage {
    l: Layout,
    heading: String,
    cards: Vec<Card>,
    more: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default, rename = "lang")]
    _lang: Option<String>,
}

fn list_query(uri: &axum::http::Uri) -> ListQuery {
    serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or(ListQuery { cursor: None, q: None, _lang: None })
}

pub async fn category(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    unwrap(
        async {
            let id: CategoryId = path_id(&params.1).map_err(|_| error_page(&shop, AppError::NotFound("category")))?;
            let q = list_query(&uri);
            let page = or_page(
                &shop,
                sweep_app::page::PageRequest::parse(q.cursor.as_deref(), Some(20)).map_err(AppError::from),
            )?;
            let (category, cards) = or_page(&shop, s.sweep.category_page(&shop.ctx, id, shop.channel, &page).await)?;
            let more = cards.next_cursor.as_ref().map(|c| format!("{}/c/{}?cursor={c}", shop.base, id));
            let page = ListPage {
                heading: category.name.get(shop.lang).to_string(),
                cards: cards.items.iter().map(|c| shop.card(c)).collect(),
                more,
                l: shop.layout(&s, "categories").await,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

pub async fn search(State(s): State<AppState>, shop: Shop, uri: axum::http::Uri) -> Response {
    unwrap(
        async {
            let q = list_query(&uri);
            let query = q.q.clone().unwrap_or_default();
            let page = or_page(
                &shop,
                sweep_app::page::PageRequest::parse(q.cursor.as_deref(), Some(20)).map_err(AppError::from),
            )?;
            let cards = or_page(&shop, s.sweep.search_shop(&shop.ctx, &query, shop.channel, &page).await)?;
            let more = cards.next_cursor.as_ref().map(|c| {
                format!(
                    "{}/search?q={}&cursor={c}",
                    shop.base,
                    form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
                )
            });
            let mut l = shop.layout(&s, "home").await;
            l.query = query.clone();
            let page = ListPage {
                heading: format!("{} “{}”", shop.t().get("search"), query),
                cards: cards.items.iter().map(|c| shop.card(c)).collect(),
                more,
                l,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

pub struct OfferView {
    sku_id: SkuId,
    label: String,
    price: String,
    list: Option<String>,
    stock: String,
    sold_out: bool,
    checked: bool,
}

pub struct StoreView {
    id: LocationId,
    name: String,
    address: String,
    hours: String,
}

fn store_view(shop: &Shop, l: &Location) -> StoreView {
    let hours = l.opening_hours.days().get("mon").map(|r| r.join(", ")).unwrap_or_default();
    StoreView { id: l.id, name: l.name.get(shop.lang).to_string(), address: l.address.clone(), hours }
}

#[derive(Template)]
#[template(path = "shop/product.html")]
struct ProductPageView {
    l: Layout,
    name: String,
    images: Vec<String>,
    offers: Vec<OfferView>,
    member_teaser: Option<String>,
    stores: Vec<StoreView>,
    description: String,
}

pub async fn product(State(s): State<AppState>, shop: Shop, ApiPath(params): ApiPath<(String, String)>) -> Response {
    unwrap(
        async {
            let id: ProductId = path_id(&params.1).map_err(|_| error_page(&shop, AppError::NotFound("product")))?;
            let page = or_page(&shop, s.sweep.product_page(&shop.ctx, id, shop.channel).await)?;
            let t = shop.t();
            let first_available = page.offers.iter().position(|o| o.available > 0);
            let offers = page
                .offers
                .iter()
                .enumerate()
                .map(|(i, o)| OfferView {
                    sku_id: o.sku.id,
                    label: o.sku.attributes.values().cloned().collect::<Vec<_>>().join(" / "),
                    price: yuan(o.price.unit),
                    list: (o.price.list != o.price.unit).then(|| yuan(o.price.list)),
                    stock: match o.state {
                        StockState::InStock => t.get("in_stock").to_string(),
                        StockState::Few(n) => format!("{} {n} {}", t.get("few_left"), t.get("left")),
                        StockState::SoldOut => t.get("sold_out").to_string(),
                    },
                    sold_out: o.available <= 0,
                    checked: Some(i) == first_available,
                })
                .collect();
            let member_teaser = if shop.ctx.is_member() {
                None
            } else {
                page.offers
                    .iter()
                    .filter_map(|o| o.sku.member_price)
                    .filter(|m| page.offers.iter().any(|o| *m < o.price.unit))
                    .min_by_key(|m| m.minor())
                    .map(yuan)
            };
            let view = ProductPageView {
                name: page.product.name.get(shop.lang).to_string(),
                images: page.images.iter().map(|i| format!("/media/{}", i.file_key)).collect(),
                offers,
                member_teaser,
                stores: page.pickup_stores.iter().map(|st| store_view(&shop, &st.store)).collect(),
                description: page.product.description.get(shop.lang).to_string(),
                l: shop.layout(&s, "home").await,
            };
            Ok(render(&shop, view))
        }
        .await,
    )
}

// ----- cart -----

pub struct CartLineView {
    sku_id: SkuId,
    url: String,
    name: String,
    label: String,
    price: String,
    quantity: i64,
    buyable: bool,
    image: Option<String>,
}

#[derive(Template)]
#[template(path = "shop/cart.html")]
struct CartPage {
    l: Layout,
    lines: Vec<CartLineView>,
    subtotal: String,
}

fn cart_lines(shop: &Shop, view: &CartView) -> Vec<CartLineView> {
    view.lines
        .iter()
        .map(|line| CartLineView {
            sku_id: line.sku.id,
            url: format!("{}/p/{}", shop.base, line.product.id),
            name: line.product.name.get(shop.lang).to_string(),
            label: line.sku.attributes.values().cloned().collect::<Vec<_>>().join(" / "),
            price: yuan(line.price.unit),
            quantity: line.quantity,
            buyable: line.buyable,
            image: line.image_key.as_ref().map(|k| format!("/media/{k}")),
        })
        .collect()
}

pub async fn cart(State(s): State<AppState>, shop: Shop) -> Response {
    unwrap(
        async {
            let view = or_page(&shop, s.sweep.cart(&shop.ctx, shop.channel).await)?;
            let page = CartPage {
                lines: cart_lines(&shop, &view),
                subtotal: yuan(view.subtotal),
                l: shop.layout(&s, "cart").await,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

#[derive(Deserialize)]
struct AddForm {
    #[serde(default)]
    csrf: String,
    sku_id: String,
    quantity: i64,
    #[serde(default)]
    then: String,
}

pub async fn cart_add(State(s): State<AppState>, mut shop: Shop, body: Bytes) -> Response {
    unwrap(
        async {
            let form: AddForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            let sku: SkuId = path_id(&form.sku_id)
                .map_err(|_| error_page(&shop, AppError::invalid("sku_id", "unknown_sku", "choose a variant")))?;
            let added = s.sweep.add_to_cart(&mut shop.ctx, sku, form.quantity).await;
            let token = or_page(&shop, added)?;
            let to =
                if form.then == "checkout" { format!("{}/checkout", shop.base) } else { format!("{}/cart", shop.base) };
            let mut response = Redirect::to(&to).into_response();
            if let Some(token) = token {
                let days = s.sweep.settings().shopper_session_days;
                response.headers_mut().insert(header::SET_COOKIE, shop.cookie(&s.config, &token, days * 86_400));
            }
            Ok(response)
        }
        .await,
    )
}

#[derive(Deserialize)]
struct QuantityForm {
    #[serde(default)]
    csrf: String,
    sku_id: String,
    quantity: i64,
}

pub async fn cart_update(State(s): State<AppState>, shop: Shop, body: Bytes) -> Response {
    unwrap(
        async {
            // Two "quantity" fields (typed and "remove"): the last one sent wins.
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
            let get = |k: &str| pairs.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
            let form = QuantityForm {
                csrf: get("csrf"),
                sku_id: get("sku_id"),
                quantity: get("quantity").parse().unwrap_or(-1),
            };
            check_csrf(&shop, &form.csrf)?;
            let sku: SkuId = path_id(&form.sku_id).map_err(|_| error_page(&shop, AppError::NotFound("cart line")))?;
            or_page(&shop, s.sweep.set_cart_quantity(&shop.ctx, sku, form.quantity).await)?;
            Ok(Redirect::to(&format!("{}/cart", shop.base)).into_response())
        }
        .await,
    )
}

// ----- sign-in -----

#[derive(Template)]
#[template(path = "shop/login.html")]
struct LoginPage {
    l: Layout,
    phone: String,
    next: String,
    sent: bool,
    outbox: bool,
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

fn safe_next(shop: &Shop, next: &str) -> String {
    // Only paths inside this shop: never an open redirect.
    match next {
        "checkout" => format!("{}/checkout", shop.base),
        _ => format!("{}/me", shop.base),
    }
}

pub async fn login(State(s): State<AppState>, mut shop: Shop, uri: axum::http::Uri) -> Response {
    unwrap(
        async {
            // The form needs a session, so that the code comes back with its CSRF token.
            let ensured = s.sweep.ensure_shop_session(&mut shop.ctx).await;
            let token = or_page(&shop, ensured)?;
            let q: LoginQuery = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
            let page = LoginPage {
                phone: q.phone,
                next: q.next,
                sent: q.sent.is_some(),
                outbox: s.config.sms_outbox_page,
                l: shop.layout(&s, "me").await,
            };
            let mut response = render(&shop, page);
            if let Some(token) = token {
                let days = s.sweep.settings().shopper_session_days;
                response.headers_mut().append(header::SET_COOKIE, shop.cookie(&s.config, &token, days * 86_400));
            }
            Ok(response)
        }
        .await,
    )
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    phone: String,
    #[serde(default)]
    next: String,
}

pub async fn login_code(
    State(s): State<AppState>,
    shop: Shop,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    unwrap(
        async {
            let form: CodeForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            let client = client_ip(&s.config, &headers, peer);
            or_page(&shop, s.sweep.send_login_code(&shop.ctx.merchant, &form.phone, &client).await)?;
            let phone: String = form_urlencoded::byte_serialize(form.phone.as_bytes()).collect();
            Ok(Redirect::to(&format!("{}/login?sent=1&phone={phone}&next={}", shop.base, form.next)).into_response())
        }
        .await,
    )
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    phone: String,
    code: String,
    #[serde(default)]
    next: String,
}

pub async fn login_submit(State(s): State<AppState>, shop: Shop, body: Bytes) -> Response {
    unwrap(
        async {
            let form: SignInForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            let (token, _) = or_page(&shop, s.sweep.sign_in_shopper(&shop.ctx, &form.phone, &form.code).await)?;
            let mut response = Redirect::to(&safe_next(&shop, &form.next)).into_response();
            let days = s.sweep.settings().shopper_session_days;
            response.headers_mut().insert(header::SET_COOKIE, shop.cookie(&s.config, &token, days * 86_400));
            Ok(response)
        }
        .await,
    )
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(State(s): State<AppState>, shop: Shop, body: Bytes) -> Response {
    unwrap(
        async {
            let form: CsrfForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            or_page(&shop, s.sweep.sign_out_shopper(&shop.ctx).await)?;
            let mut response = Redirect::to(&shop.base).into_response();
            response.headers_mut().insert(header::SET_COOKIE, shop.cookie(&s.config, "", 0));
            Ok(response)
        }
        .await,
    )
}

// ----- checkout -----

pub struct AddressView {
    id: AddressId,
    recipient: String,
    phone: String,
    line: String,
    is_default: bool,
}

pub struct SummaryLine {
    name: String,
    label: String,
    quantity: i64,
    total: String,
}

#[derive(Template)]
#[template(path = "shop/checkout.html")]
struct CheckoutPage {
    l: Layout,
    key: String,
    stores: Vec<StoreView>,
    addresses: Vec<AddressView>,
    lines: Vec<SummaryLine>,
    total: String,
}

fn address_views(addresses: &[sweep_domain::shopper::Address]) -> Vec<AddressView> {
    addresses
        .iter()
        .map(|a| AddressView {
            id: a.id,
            recipient: a.recipient.clone(),
            phone: a.phone.masked(),
            line: format!("{} {} {}", a.city, a.district, a.detail),
            is_default: a.is_default,
        })
        .collect()
}

pub async fn checkout(State(s): State<AppState>, shop: Shop) -> Response {
    unwrap(
        async {
            if !shop.ctx.is_member() {
                return Ok(Redirect::to(&format!("{}/login?next=checkout", shop.base)).into_response());
            }
            let view = or_page(&shop, s.sweep.cart(&shop.ctx, shop.channel).await)?;
            if view.lines.iter().all(|l| !l.buyable) {
                return Ok(Redirect::to(&format!("{}/cart", shop.base)).into_response());
            }
            let wanted: Vec<(SkuId, i64)> =
                view.lines.iter().filter(|l| l.buyable).map(|l| (l.sku.id, l.quantity)).collect();
            let stores = or_page(&shop, s.sweep.pickup_options(&shop.ctx, &wanted).await)?;
            let addresses = or_page(&shop, s.sweep.my_addresses(&shop.ctx).await)?;
            let key = or_page(&shop, sweep_app::secrets::random_token("ck_"))?;
            let page = CheckoutPage {
                key,
                stores: stores.iter().map(|st| store_view(&shop, st)).collect(),
                addresses: address_views(&addresses),
                lines: view
                    .lines
                    .iter()
                    .filter(|l| l.buyable)
                    .map(|l| SummaryLine {
                        name: l.product.name.get(shop.lang).to_string(),
                        label: l.sku.attributes.values().cloned().collect::<Vec<_>>().join(" / "),
                        quantity: l.quantity,
                        total: yuan(l.line_total),
                    })
                    .collect(),
                total: yuan(view.subtotal),
                l: shop.layout(&s, "cart").await,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

#[derive(Deserialize)]
struct CheckoutForm {
    #[serde(default)]
    csrf: String,
    idempotency_key: String,
    choice: String,
}

pub async fn checkout_submit(State(s): State<AppState>, shop: Shop, body: Bytes) -> Response {
    unwrap(
        async {
            let form: CheckoutForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            let bad = || error_page(&shop, AppError::invalid("choice", "required", "choose pickup or delivery"));
            let (kind, id) = form.choice.split_once(':').ok_or_else(bad)?;
            let input = match kind {
                "pickup" => PlaceOrderInput {
                    fulfilment: Fulfilment::Pickup,
                    store_id: Some(path_id(id).map_err(|_| bad())?),
                    address_id: None,
                    lines: None,
                },
                "delivery" => PlaceOrderInput {
                    fulfilment: Fulfilment::Delivery,
                    store_id: None,
                    address_id: Some(path_id(id).map_err(|_| bad())?),
                    lines: None,
                },
                _ => return Err(bad()),
            };
            let order =
                or_page(&shop, s.sweep.place_order(&shop.ctx, input, shop.channel, Some(&form.idempotency_key)).await)?;
            Ok(Redirect::to(&format!("{}/orders/{}", shop.base, order.id)).into_response())
        }
        .await,
    )
}

// ----- orders -----

pub struct OrderRow {
    url: String,
    number: String,
    status: &'static str,
    summary: String,
    total: String,
}

#[derive(Template)]
#[template(path = "shop/orders.html")]
struct OrdersPage {
    l: Layout,
    orders: Vec<OrderRow>,
}

pub async fn orders(State(s): State<AppState>, shop: Shop) -> Response {
    unwrap(
        async {
            let page = or_page(&shop, s.sweep.my_orders(&shop.ctx, &sweep_app::page::PageRequest::first(50)).await)?;
            let t = shop.t();
            let rows = page
                .items
                .iter()
                .map(|o| OrderRow {
                    url: format!("{}/orders/{}", shop.base, o.id),
                    number: o.number.clone(),
                    status: t.status(o.status),
                    summary: format!(
                        "{} · {}",
                        local_time(&shop, o.created_at),
                        o.lines.first().map(|l| l.name.get(shop.lang).to_string()).unwrap_or_default()
                    ),
                    total: yuan(o.total),
                })
                .collect();
            Ok(render(&shop, OrdersPage { orders: rows, l: shop.layout(&s, "me").await }))
        }
        .await,
    )
}

#[derive(Template)]
#[template(path = "shop/order.html")]
struct OrderPage {
    l: Layout,
    url: String,
    number: String,
    status: &'static str,
    refresh: bool,
    pickup_code: Option<String>,
    qr_url: String,
    ready: bool,
    store: String,
    pickup_until: String,
    shipments: Vec<String>,
    lines: Vec<SummaryLine>,
    total: String,
    payable: bool,
    pay_by: String,
    receivable: bool,
    cancellable: bool,
    events: Vec<(String, &'static str)>,
}

fn order_id(shop: &Shop, text: &str) -> Result<OrderId, Response> {
    path_id(text).map_err(|_| error_page(shop, AppError::NotFound("order")))
}

pub async fn order(State(s): State<AppState>, shop: Shop, ApiPath(params): ApiPath<(String, String)>) -> Response {
    unwrap(
        async {
            let id = order_id(&shop, &params.1)?;
            let view = or_page(&shop, s.sweep.my_order(&shop.ctx, id).await)?;
            let o = &view.order;
            let t = shop.t();
            let now = s.sweep.now();
            let payment_started = view.payments.iter().any(|p| p.status == sweep_domain::order::PaymentStatus::Pending);
            let store = match o.pickup_store_id {
                Some(id) => s
                    .sweep
                    .repos()
                    .locations
                    .location(o.merchant_id, id)
                    .await
                    .ok()
                    .flatten()
                    .map(|l| format!("{} {}", l.name.get(shop.lang), l.address))
                    .unwrap_or_default(),
                None => String::new(),
            };
            let shipments = o
                .shipments
                .iter()
                .filter(|sh| sh.status == ShipmentStatus::Shipped || sh.status == ShipmentStatus::Delivered)
                .filter_map(|sh| {
                    sh.carrier.as_ref().map(|c| {
                        format!("{} {c} {}", t.get("shipped_with"), sh.tracking_number.clone().unwrap_or_default())
                    })
                })
                .collect();
            let page = OrderPage {
                url: format!("{}/orders/{}", shop.base, o.id),
                number: o.number.clone(),
                status: t.status(o.status),
                refresh: o.status == OrderStatus::PendingPayment && payment_started && o.pay_by > now,
                pickup_code: view.pickup_code.as_ref().map(|c| c.code.clone()),
                qr_url: format!("{}/orders/{}/qr.svg", shop.base, o.id),
                ready: o.status == OrderStatus::ReadyForPickup,
                store,
                pickup_until: o.pickup_deadline.map(|d| local_time(&shop, d)).unwrap_or_default(),
                shipments,
                lines: o
                    .lines
                    .iter()
                    .map(|l| SummaryLine {
                        name: l.name.get(shop.lang).to_string(),
                        label: l.sku_label.clone(),
                        quantity: l.quantity,
                        total: yuan(l.total),
                    })
                    .collect(),
                total: yuan(o.total),
                payable: o.status == OrderStatus::PendingPayment && o.pay_by > now,
                pay_by: local_time(&shop, o.pay_by),
                receivable: o.status == OrderStatus::Shipped,
                cancellable: o.status == OrderStatus::PendingPayment
                    || (o.status == OrderStatus::Paid
                        && o.shipments.iter().all(|sh| sh.status == ShipmentStatus::Pending)),
                events: view.events.iter().map(|e| (local_time(&shop, e.created_at), t.status(e.to))).collect(),
                l: shop.layout(&s, "me").await,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

/// The pickup code as a QR code for the counter's scanner (drawn by the `qrcode` crate).
pub async fn pickup_qr(State(s): State<AppState>, shop: Shop, ApiPath(params): ApiPath<(String, String)>) -> Response {
    unwrap(
        async {
            let id = order_id(&shop, &params.1)?;
            let view = or_page(&shop, s.sweep.my_order(&shop.ctx, id).await)?;
            let Some(code) = view.pickup_code else { return Err(error_page(&shop, AppError::NotFound("pickup code"))) };
            let qr = qrcode::QrCode::new(code.code.as_bytes())
                .map_err(|_| error_page(&shop, AppError::Internal("qr".into())))?;
            let svg = qr.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
            let mut response = svg.into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            Ok(response)
        }
        .await,
    )
}

async fn order_action(
    s: &AppState,
    shop: &Shop,
    params: &(String, String),
    body: &[u8],
    action: impl AsyncFnOnce(OrderId) -> Result<Option<String>, AppError>,
) -> Response {
    unwrap(
        async {
            let form: CsrfForm = parse_form(shop, body)?;
            check_csrf(shop, &form.csrf)?;
            let id = order_id(shop, &params.1)?;
            let to = or_page(shop, action(id).await)?;
            let _ = s;
            Ok(Redirect::to(&to.unwrap_or_else(|| format!("{}/orders/{id}", shop.base))).into_response())
        }
        .await,
    )
}

pub async fn order_pay(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    body: Bytes,
) -> Response {
    order_action(&s, &shop, &params, &body, async |id| s.sweep.pay_order(&shop.ctx, id, None).await.map(Some)).await
}

pub async fn order_cancel(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    body: Bytes,
) -> Response {
    order_action(&s, &shop, &params, &body, async |id| s.sweep.cancel_my_order(&shop.ctx, id).await.map(|_| None)).await
}

pub async fn order_received(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    body: Bytes,
) -> Response {
    order_action(&s, &shop, &params, &body, async |id| s.sweep.confirm_delivery(&shop.ctx, id).await.map(|_| None))
        .await
}

// ----- me and addresses -----

#[derive(Template)]
#[template(path = "shop/me.html")]
struct MePage {
    l: Layout,
    phone: Option<String>,
}

pub async fn me(State(s): State<AppState>, shop: Shop) -> Response {
    let page = MePage { phone: shop.ctx.shopper.as_ref().map(|sh| sh.phone.masked()), l: shop.layout(&s, "me").await };
    render(&shop, page)
}

#[derive(Template)]
#[template(path = "shop/addresses.html")]
struct AddressesPage {
    l: Layout,
    addresses: Vec<AddressView>,
    districts: Vec<(String, String)>,
    next: String,
}

pub async fn addresses(State(s): State<AppState>, shop: Shop, uri: axum::http::Uri) -> Response {
    unwrap(
        async {
            if !shop.ctx.is_member() {
                return Ok(Redirect::to(&format!("{}/login", shop.base)).into_response());
            }
            let list = or_page(&shop, s.sweep.my_addresses(&shop.ctx).await)?;
            let q: LoginQuery = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
            let districts = sweep_domain::regions::districts()
                .map(|d| {
                    let label = if shop.lang == Lang::En {
                        format!("{} · {}", d.city_en, d.district_en)
                    } else {
                        format!("{} · {}", d.city_zh, d.district_zh)
                    };
                    (format!("{}|{}", d.city_zh, d.district_zh), label)
                })
                .collect();
            let page = AddressesPage {
                addresses: address_views(&list),
                districts,
                next: q.next,
                l: shop.layout(&s, "me").await,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

#[derive(Deserialize)]
struct AddressForm {
    #[serde(default)]
    csrf: String,
    recipient: String,
    phone: String,
    district_key: String,
    detail: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lng: String,
    #[serde(default)]
    next: String,
}

pub async fn address_add(State(s): State<AppState>, shop: Shop, body: Bytes) -> Response {
    unwrap(
        async {
            let form: AddressForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            let (city, district) = form.district_key.split_once('|').unwrap_or(("", ""));
            let input = AddressInput {
                recipient: form.recipient,
                phone: form.phone,
                city: city.to_string(),
                district: district.to_string(),
                detail: form.detail,
                lat: form.lat.parse().ok(),
                lng: form.lng.parse().ok(),
                is_default: false,
            };
            or_page(&shop, s.sweep.add_address(&shop.ctx, input).await)?;
            let to = if form.next == "checkout" {
                format!("{}/checkout", shop.base)
            } else {
                format!("{}/addresses", shop.base)
            };
            Ok(Redirect::to(&to).into_response())
        }
        .await,
    )
}

pub async fn address_delete(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    body: Bytes,
) -> Response {
    unwrap(
        async {
            let form: CsrfForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            let id: AddressId = path_id(&params.1).map_err(|_| error_page(&shop, AppError::NotFound("address")))?;
            or_page(&shop, s.sweep.delete_address(&shop.ctx, id).await)?;
            Ok(Redirect::to(&format!("{}/addresses", shop.base)).into_response())
        }
        .await,
    )
}
