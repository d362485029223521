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
    card: Option<MemberCard>,
}

/// The member card as the shopper sees it.
pub struct MemberCard {
    tier: String,
    points: i64,
    /// What the points are worth, in yuan.
    points_value: String,
    /// The next tier and the spend (yuan) still needed to reach it.
    next: Option<(String, String)>,
}

pub async fn me(State(s): State<AppState>, shop: Shop) -> Response {
    unwrap(
        async {
            let card = if shop.ctx.is_member() {
                match s.sweep.my_member_card(&shop.ctx).await {
                    Ok(m) => {
                        let money = |minor: i64| yuan(Money::new(minor, shop.ctx.merchant.currency));
                        Some(MemberCard {
                            tier: m.tier.name.get(shop.lang).to_string(),
                            points: m.points,
                            points_value: money(m.points_value),
                            next: match (&m.next_tier, m.spend_to_next_tier) {
                                (Some(t), Some(spend)) => Some((t.name.get(shop.lang).to_string(), money(spend))),
                                _ => None,
                            },
                        })
                    }
                    // Signed in, but not on the programme: no card to show.
                    Err(AppError::Unauthenticated) => None,
                    Err(e) => return Err(error_page(&shop, e)),
                }
            } else {
                None
            };
            let page = MePage {
                phone: shop.ctx.shopper.as_ref().map(|sh| sh.phone.masked()),
                card,
                l: shop.layout(&s, "me").await,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

/// One line of the points ledger.
pub struct PointsRow {
    kind: &'static str,
    /// `+120` or `-50`.
    delta: String,
    incoming: bool,
    when: String,
    /// The order it belongs to: its number and page.
    order: Option<(String, String)>,
    store: Option<String>,
    /// Points in: when they lapse.
    expires: Option<String>,
}

#[derive(Template)]
#[template(path = "shop/points.html")]
struct PointsPage {
    l: Layout,
    balance: i64,
    rows: Vec<PointsRow>,
    /// The next page's link, when there is more.
    next: Option<String>,
    /// This is not the first page.
    later: bool,
}

#[derive(Deserialize, Default)]
struct PointsQuery {
    #[serde(default)]
    after: Option<String>,
}

/// Entries on one page of the points history.
const POINTS_PAGE: u32 = 20;

pub async fn points(State(s): State<AppState>, shop: Shop, uri: axum::http::Uri) -> Response {
    unwrap(
        async {
            if !shop.ctx.is_member() {
                return Ok(Redirect::to(&format!("{}/login", shop.base)).into_response());
            }
            let q: PointsQuery = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
            let card = or_page(&shop, s.sweep.my_member_card(&shop.ctx).await)?;
            let request = sweep_app::page::PageRequest { after: q.after.clone(), limit: POINTS_PAGE };
            let page = or_page(&shop, s.sweep.my_points(&shop.ctx, &request).await)?;
            let t = shop.t();
            let mut stores = StoreNames::default();
            let mut rows = Vec::with_capacity(page.items.len());
            for e in &page.items {
                rows.push(PointsRow {
                    kind: t.points_kind(e.kind),
                    delta: if e.delta > 0 { format!("+{}", e.delta) } else { e.delta.to_string() },
                    incoming: e.delta > 0,
                    when: local_time(&shop, e.created_at),
                    // The note of an order's entry is the order's number.
                    order: e.order_id.map(|id| {
                        let number = if e.note.is_empty() { t.get("order").to_string() } else { e.note.clone() };
                        (number, format!("{}/orders/{id}", shop.base))
                    }),
                    store: match e.store_id {
                        Some(id) => stores.name(&s, &shop, id).await,
                        None => None,
                    },
                    expires: e.expires_at.filter(|_| e.delta > 0).map(|at| local_time(&shop, at)),
                });
            }
            let next = page.next_cursor.map(|c| {
                let query = form_urlencoded::Serializer::new(String::new()).append_pair("after", &c).finish();
                format!("{}/points?{query}", shop.base)
            });
            let view = PointsPage {
                balance: card.points,
                rows,
                next,
                later: q.after.is_some(),
                l: shop.layout(&s, "me").await,
            };
            Ok(render(&shop, view))
        }
        .await,
    )
}

/// Store names for a page that lists many entries, each looked up once.
#[derive(Default)]
pub(super) struct StoreNames(std::collections::HashMap<LocationId, Option<String>>);

impl StoreNames {
    pub(super) async fn name(&mut self, s: &AppState, shop: &Shop, id: LocationId) -> Option<String> {
        if let Some(name) = self.0.get(&id) {
            return name.clone();
        }
        let name = match s.sweep.repos().locations.location(shop.ctx.merchant.id, id).await {
            Ok(l) => l.map(|l| l.name.get(shop.lang).to_string()),
            Err(e) => {
                // A name is a nicety: the page shows without it.
                tracing::warn!(error = %e, "store name lookup failed");
                None
            }
        };
        self.0.insert(id, name.clone());
        name
    }
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
