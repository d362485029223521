//! The product page: the SKU picker with this browser's prices; the store it stands in
//! (after scanning one of its cards) first; "in stock near you", nearest first.

#![allow(clippy::result_large_err)]

use super::*;
use sweep_app::shop::{NearbyStore, Whereabouts};
use sweep_domain::regions;

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
    pub(super) id: LocationId,
    pub(super) name: String,
    pub(super) address: String,
    pub(super) hours: String,
}

pub(super) fn store_view(shop: &Shop, l: &Location) -> StoreView {
    let hours = l.opening_hours.days().get("mon").map(|r| r.join(", ")).unwrap_or_default();
    StoreView { id: l.id, name: l.name.get(shop.lang).to_string(), address: l.address.clone(), hours }
}

/// The store the shopper stands in.
pub struct HereView {
    id: LocationId,
    name: String,
    address: String,
    /// Units of the chosen SKU there.
    available: i64,
    /// `sku:units` for every SKU, for the page to follow the variant picker.
    stock: String,
    pickup: bool,
}

pub struct NearbyView {
    id: LocationId,
    name: String,
    address: String,
    distance: String,
    hours: String,
    open_now: bool,
    available: i64,
    pickup: bool,
}

/// "850 m" or "3.2 km".
fn distance_text(metres: i64) -> String {
    if metres < 1_000 { format!("{metres} m") } else { format!("{}.{} km", metres / 1_000, metres % 1_000 / 100) }
}

fn nearby_view(shop: &Shop, n: &NearbyStore) -> NearbyView {
    NearbyView {
        id: n.store.id,
        name: n.store.name.get(shop.lang).to_string(),
        address: n.store.address.clone(),
        distance: distance_text(n.distance_m),
        hours: n.hours_today.join(", "),
        open_now: n.open_now,
        available: n.available,
        pickup: n.store.pickup_enabled,
    }
}

#[derive(Template)]
#[template(path = "shop/product.html")]
struct ProductPageView {
    l: Layout,
    name: String,
    images: Vec<String>,
    offers: Vec<OfferView>,
    member_teaser: Option<String>,
    here: Option<HereView>,
    nearby: Vec<NearbyView>,
    /// The SKU the nearby list is for, and where it was measured from.
    nearby_sku: String,
    origin: Option<(f64, f64)>,
    city: String,
    cities: Vec<(&'static str, &'static str)>,
    description: String,
}

#[derive(Deserialize, Default)]
struct ProductQuery {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    city: String,
}

pub async fn product(
    State(s): State<AppState>,
    shop: Shop,
    uri: axum::http::Uri,
    ApiPath(params): ApiPath<(String, String)>,
) -> Response {
    unwrap(
        async {
            let id: ProductId = path_id(&params.1).map_err(|_| error_page(&shop, AppError::NotFound("product")))?;
            let q: ProductQuery = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
            let page = or_page(&shop, s.sweep.product_page(&shop.ctx, id, shop.channel).await)?;
            let t = shop.t();
            // A variant can be had if it can be delivered, or picked up at a store (the
            // one the shopper stands in first).
            let here_units = |sku: SkuId| page.here.as_ref().and_then(|h| h.available.get(&sku).copied()).unwrap_or(0);
            let pickup_units = |sku: SkuId| {
                page.pickup_stores.iter().map(|st| st.available.get(&sku).copied().unwrap_or(0)).max().unwrap_or(0)
            };
            let obtainable = |o: &sweep_app::shop::SkuOffer| {
                o.available > 0 || here_units(o.sku.id) > 0 || pickup_units(o.sku.id) > 0
            };
            // The SKU a card led to, else the first one to be had.
            let wanted = q.sku.parse::<SkuId>().ok();
            let chosen = page
                .offers
                .iter()
                .position(|o| Some(o.sku.id) == wanted && obtainable(o))
                .or_else(|| page.offers.iter().position(&obtainable));
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
                        StockState::SoldOut if here_units(o.sku.id) > 0 => {
                            format!("{} {} {}", t.get("here_stock"), here_units(o.sku.id), t.get("units"))
                        }
                        StockState::SoldOut if pickup_units(o.sku.id) > 0 => t.get("pickup_only").to_string(),
                        StockState::SoldOut => t.get("sold_out").to_string(),
                    },
                    sold_out: !obtainable(o),
                    checked: Some(i) == chosen,
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
            let sku = chosen.or(wanted.and_then(|w| page.offers.iter().position(|o| o.sku.id == w))).unwrap_or(0);
            let sku = page.offers[sku].sku.id;
            let here = page.here.as_ref().map(|h| HereView {
                id: h.store.id,
                name: h.store.name.get(shop.lang).to_string(),
                address: h.store.address.clone(),
                available: h.available.get(&sku).copied().unwrap_or(0),
                stock: page
                    .offers
                    .iter()
                    .map(|o| format!("{}:{}", o.sku.id, h.available.get(&o.sku.id).copied().unwrap_or(0)))
                    .collect::<Vec<_>>()
                    .join(","),
                pickup: h.store.pickup_enabled,
            });
            // Nearest to the store the shopper stands in, else to the chosen city, else to
            // the city of the merchant's first store. The browser's own position, when the
            // shopper allows it, refines this on the page.
            let city = if q.city.is_empty() {
                page.pickup_stores.first().map(|st| st.store.city.clone()).unwrap_or_default()
            } else {
                q.city.clone()
            };
            let origin = match &page.here {
                Some(h) if q.city.is_empty() => Some(h.store.point),
                _ => regions::city_centre(&city),
            };
            let whereabouts = match origin {
                Some(p) => Whereabouts::Point { lat: p.lat, lng: p.lng, datum: sweep_domain::geo::Datum::Wgs84 },
                None => Whereabouts::City(&city),
            };
            let nearby = match s.sweep.nearby_stores(&shop.ctx.merchant, sku, whereabouts, 5).await {
                Ok(list) => list.iter().map(|n| nearby_view(&shop, n)).collect(),
                // An unknown city just means no list until the shopper picks one.
                Err(AppError::Invalid(_)) => vec![],
                Err(e) => return Err(error_page(&shop, e)),
            };
            let view = ProductPageView {
                name: page.product.name.get(shop.lang).to_string(),
                images: page.images.iter().map(|i| format!("/media/{}", i.file_key)).collect(),
                offers,
                member_teaser,
                here,
                nearby,
                nearby_sku: sku.to_string(),
                origin: origin.map(|p| (p.lat, p.lng)),
                city,
                cities: regions::cities(),
                description: page.product.description.get(shop.lang).to_string(),
                l: shop.layout(&s, "home").await,
            };
            Ok(render(&shop, view))
        }
        .await,
    )
}
