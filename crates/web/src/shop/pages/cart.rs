//! The cart page and its forms.

#![allow(clippy::result_large_err)]

use super::*;

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
            let pickup = form.then.strip_prefix("pickup:").and_then(|id| id.parse::<LocationId>().ok());
            let to = match (form.then.as_str(), pickup) {
                ("checkout", _) => format!("{}/checkout", shop.base),
                // "Pick up here" from the product page: checkout with that store chosen.
                (_, Some(store)) => format!("{}/checkout?store={store}", shop.base),
                _ => format!("{}/cart", shop.base),
            };
            let mut response = Redirect::to(&to).into_response();
            if let Some(store) = pickup {
                // Kept for an hour, so a guest who must sign in first still finds it chosen
                // (placing the order clears it).
                let store = store.to_string();
                let cookie = SetCookie::new(PICKUP_COOKIE, &store).path(&shop.base).max_age(3600);
                response.headers_mut().append(header::SET_COOKIE, cookie.header(&s.config));
            }
            if let Some(token) = token {
                response.headers_mut().append(header::SET_COOKIE, shop.session_cookie(&s, &token));
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
