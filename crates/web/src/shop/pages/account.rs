//! The shopper's page and delivery addresses.

#![allow(clippy::result_large_err)]

use super::*;

pub struct AddressView {
    pub(super) id: AddressId,
    pub(super) recipient: String,
    pub(super) phone: String,
    pub(super) line: String,
    pub(super) is_default: bool,
}

pub(super) fn address_views(addresses: &[sweep_domain::shopper::Address]) -> Vec<AddressView> {
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
