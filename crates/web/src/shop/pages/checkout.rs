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
    stores: Vec<StoreView>,
    addresses: Vec<AddressView>,
    lines: Vec<SummaryLine>,
    total: String,
}

pub async fn checkout(State(s): State<AppState>, shop: Shop, uri: axum::http::Uri) -> Response {
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
            // The store the shopper asked for ("pick up here"), else the one they stand in,
            // comes first and is chosen.
            let asked = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                .find(|(k, _)| k == "store")
                .and_then(|(_, v)| v.parse::<LocationId>().ok());
            let preferred = match asked {
                Some(store) => Some(store),
                None => or_page(&shop, s.sweep.context_store(&shop.ctx).await)?,
            };
            if let Some(at) = preferred.and_then(|p| stores.iter().position(|st| st.id == p)) {
                let store = stores.remove(at);
                stores.insert(0, store);
            }
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
