//! The checkout page: pickup store or delivery address, then the order.

#![allow(clippy::result_large_err)]

use super::*;

pub struct SummaryLine {
    pub(super) name: String,
    pub(super) label: String,
    pub(super) quantity: i64,
    pub(super) total: String,
}

#[derive(Template)]
#[template(path = "shop/checkout.html")]
struct CheckoutPage {
    l: Layout,
    key: String,
    /// Each pickup store with what the order comes to there (stores may price differently).
    stores: Vec<(StoreView, String)>,
    addresses: Vec<AddressView>,
    /// What a delivered order comes to.
    delivery_total: String,
    lines: Vec<SummaryLine>,
    /// What the option chosen first comes to.
    total: String,
}

/// Remembers the store a shopper chose with "pick up here" while they sign in.
pub(super) const PICKUP_COOKIE: &str = "sweep_pickup";

pub async fn checkout(
    State(s): State<AppState>,
    shop: Shop,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> Response {
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
            let mut stores = or_page(&shop, s.sweep.pickup_options(&shop.ctx, &wanted).await)?;
            // The store the shopper asked for ("pick up here", remembered across signing
            // in), else the one they stand in, comes first and is chosen.
            let asked = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                .find(|(k, _)| k == "store")
                .map(|(_, v)| v.into_owned())
                .or_else(|| crate::auth::cookie(&headers, PICKUP_COOKIE).map(str::to_string))
                .and_then(|v| v.parse::<LocationId>().ok());
            let preferred = match asked {
                Some(store) => Some(store),
                None => or_page(&shop, s.sweep.context_store(&shop.ctx).await)?,
            };
            let mut flash = None;
            match preferred.and_then(|p| stores.iter().position(|st| st.id == p)) {
                Some(at) => {
                    let store = stores.remove(at);
                    stores.insert(0, store);
                }
                None if asked.is_some() => flash = Some(shop.t().get("store_cannot_serve").to_string()),
                None => {}
            }
            let addresses = or_page(&shop, s.sweep.my_addresses(&shop.ctx).await)?;
            let key = or_page(&shop, sweep_app::secrets::random_token("ck_"))?;
            // What each choice comes to, exactly as the order will be charged.
            let mut choices: Vec<Option<LocationId>> = stores.iter().map(|st| Some(st.id)).collect();
            choices.push(None);
            let totals = or_page(&shop, s.sweep.cart_totals(&shop.ctx, shop.channel, &choices).await)?;
            let delivery_total = totals.last().copied().unwrap_or(view.subtotal);
            let first_total = if stores.is_empty() { delivery_total } else { totals[0] };
            let mut l = shop.layout(&s, "cart").await;
            l.flash = flash;
            let page = CheckoutPage {
                key,
                stores: stores.iter().zip(&totals).map(|(st, t)| (store_view(&shop, st), yuan(*t))).collect(),
                addresses: address_views(&addresses),
                delivery_total: yuan(delivery_total),
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
                total: yuan(first_total),
                l,
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
            let mut response = Redirect::to(&format!("{}/orders/{}", shop.base, order.id)).into_response();
            // The store chosen with "pick up here" served this order; the next checkout
            // starts afresh.
            let forget = SetCookie::expired(PICKUP_COOKIE, &shop.base).header(&s.config);
            response.headers_mut().append(header::SET_COOKIE, forget);
            Ok(response)
        }
        .await,
    )
}
