//! The shopper's orders: the list, one order with its pickup code, and its actions.

#![allow(clippy::result_large_err)]

use super::*;

pub struct OrderRow {
    url: String,
    number: String,
    status: &'static str,
    summary: String,
    total: String,
    /// Bought at a store's till: the store.
    in_store: Option<String>,
}

/// The store of a till sale (the one whose stock it sold).
fn till_store(o: &sweep_domain::order::Order) -> Option<LocationId> {
    (o.fulfilment == Fulfilment::InStore)
        .then(|| o.shipments.first().map(|sh| sh.location_id).or(o.influencer_store_id))
        .flatten()
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
            let mut stores = StoreNames::default();
            let mut rows = Vec::with_capacity(page.items.len());
            for o in &page.items {
                let in_store = match till_store(o) {
                    Some(id) => Some(stores.name(&s, &shop, id).await.unwrap_or_default()),
                    None if o.fulfilment == Fulfilment::InStore => Some(String::new()),
                    None => None,
                };
                rows.push(OrderRow {
                    url: format!("{}/orders/{}", shop.base, o.id),
                    number: o.number.clone(),
                    status: t.status(o.status),
                    summary: format!(
                        "{} · {}",
                        local_time(&shop, o.created_at),
                        o.lines.first().map(|l| l.name.get(shop.lang).to_string()).unwrap_or_default()
                    ),
                    total: yuan(o.total),
                    in_store,
                });
            }
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
    /// Points spent on the order: how many and what they took off (yuan).
    points_used: Option<(i64, String)>,
    /// What the coupon spent on the order took off (yuan).
    coupon_used: Option<String>,
    total: String,
    /// Bought at a store's till: the store.
    in_store: Option<String>,
    payable: bool,
    /// Provider and its name, best for this browser first.
    pay_choices: Vec<(String, &'static str)>,
    /// Providers that can also show a QR to scan with the phone (desktop browsers).
    qr_choices: Vec<(String, &'static str)>,
    pay_by: String,
    receivable: bool,
    cancellable: bool,
    events: Vec<(String, &'static str)>,
}

pub(super) fn order_id(shop: &Shop, text: &str) -> Result<OrderId, Response> {
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
            let payable = o.status == OrderStatus::PendingPayment && o.pay_by > now;
            let device = sweep_app::payments::PayDevice::from_channel(shop.channel);
            let pay_choices: Vec<(String, &'static str)> = if payable {
                let names = or_page(&shop, s.sweep.payment_choices(&shop.ctx, device).await)?;
                names
                    .into_iter()
                    .map(|p| {
                        let label = super::pay::provider_label(&t, &p);
                        (p, label)
                    })
                    .collect()
            } else {
                vec![]
            };
            let qr_choices = if device == sweep_app::payments::PayDevice::Desktop {
                pay_choices.iter().filter(|(p, _)| p != sweep_app::payments::WECHAT_PAY).cloned().collect()
            } else {
                vec![]
            };
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
                // The order's discount is the points' and the coupon's together.
                points_used: (o.points_used > 0)
                    .then(|| (o.points_used, yuan(o.discount.checked_sub(o.coupon_discount).unwrap_or(o.discount)))),
                coupon_used: (o.coupon_discount.minor() > 0).then(|| yuan(o.coupon_discount)),
                total: yuan(o.total),
                in_store: match till_store(o) {
                    Some(id) => Some(StoreNames::default().name(&s, &shop, id).await.unwrap_or_default()),
                    None if o.fulfilment == Fulfilment::InStore => Some(String::new()),
                    None => None,
                },
                payable,
                pay_choices,
                qr_choices,
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
            Ok(Redirect::to(&to.unwrap_or_else(|| format!("{}/orders/{id}", shop.base))).into_response())
        }
        .await,
    )
}

pub async fn order_cancel(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    body: Bytes,
) -> Response {
    order_action(&shop, &params, &body, async |id| s.sweep.cancel_my_order(&shop.ctx, id).await.map(|_| None)).await
}

pub async fn order_received(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    body: Bytes,
) -> Response {
    order_action(&shop, &params, &body, async |id| s.sweep.confirm_delivery(&shop.ctx, id).await.map(|_| None)).await
}
