//! The checkout page: pickup store or delivery address, then the order.

#![allow(clippy::result_large_err)]

use sweep_app::loyalty::CouponView;

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
    /// Each with its total and whether it is the choice checked.
    stores: Vec<(StoreView, String, bool)>,
    addresses: Vec<(AddressView, bool)>,
    /// What a delivered order comes to.
    delivery_total: String,
    lines: Vec<SummaryLine>,
    /// What the checked option comes to with the coupon and points chosen.
    due: String,
    /// The member's coupons that can be spent now; the one chosen (by id; empty: none)
    /// and what it takes off the checked option.
    coupons: Vec<CouponRow>,
    coupon: String,
    coupon_off: String,
    /// Member points the shopper may spend here, when they have some.
    points: Option<PointsOffer>,
    /// Why the order was not placed, shown above the button.
    error: Option<String>,
}

/// "Use points": up to what the balance and the cheapest choice allow.
pub struct PointsOffer {
    balance: i64,
    max: i64,
    /// What `max` points take off, in yuan.
    max_value: String,
    /// Minor units one point is worth, for the page's script.
    point_value: i64,
    /// Ticked and filled in (after a refused attempt, as the shopper sent it).
    use_points: bool,
    value: i64,
    /// What `value` points take off, in yuan.
    value_off: String,
    /// What `value` points take off when ticked, in minor units.
    off: i64,
}

/// Remembers the store a shopper chose with "pick up here" while they sign in.
pub(super) const PICKUP_COOKIE: &str = "sweep_pickup";

/// What the shopper sent, when a refused order sends them back to the page.
#[derive(Default)]
struct Sent {
    choice: Option<String>,
    points: Option<i64>,
    /// The coupon chosen (its id), if any.
    coupon: Option<String>,
    error: Option<String>,
}

pub async fn checkout(
    State(s): State<AppState>,
    shop: Shop,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    // The store the shopper asked for ("pick up here", remembered across signing in).
    let asked = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "store")
        .map(|(_, v)| v.into_owned())
        .or_else(|| crate::auth::cookie(&headers, PICKUP_COOKIE).map(str::to_string))
        .and_then(|v| v.parse::<LocationId>().ok());
    unwrap(checkout_page(&s, &shop, asked, Sent::default()).await)
}

async fn checkout_page(s: &AppState, shop: &Shop, asked: Option<LocationId>, sent: Sent) -> PageResult {
    if !shop.ctx.is_member() {
        return Ok(Redirect::to(&format!("{}/login?next=checkout", shop.base)).into_response());
    }
    let view = or_page(shop, s.sweep.cart(&shop.ctx, shop.channel).await)?;
    if view.lines.iter().all(|l| !l.buyable) {
        return Ok(Redirect::to(&format!("{}/cart", shop.base)).into_response());
    }
    let wanted: Vec<(SkuId, i64)> = view.lines.iter().filter(|l| l.buyable).map(|l| (l.sku.id, l.quantity)).collect();
    let mut stores = or_page(shop, s.sweep.pickup_options(&shop.ctx, &wanted).await)?;
    // The store the shopper asked for, else the one they stand in, comes first and is
    // chosen.
    let preferred = match asked {
        Some(store) => Some(store),
        None => or_page(shop, s.sweep.context_store(&shop.ctx).await)?,
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
    let addresses = or_page(shop, s.sweep.my_addresses(&shop.ctx).await)?;
    let key = or_page(shop, sweep_app::secrets::random_token("ck_"))?;
    // What each choice comes to, exactly as the order will be charged.
    let mut choices: Vec<Option<LocationId>> = stores.iter().map(|st| Some(st.id)).collect();
    choices.push(None);
    let totals = or_page(shop, s.sweep.cart_totals(&shop.ctx, shop.channel, &choices).await)?;
    let delivery_total = totals.last().copied().unwrap_or(view.subtotal);

    // Every choice on the page, with its total; the one checked: what the shopper sent,
    // else the first store, else the first address.
    let mut options: Vec<(String, Money)> =
        stores.iter().zip(&totals).map(|(st, t)| (format!("pickup:{}", st.id), *t)).collect();
    options.extend(addresses.iter().map(|a| (format!("delivery:{}", a.id), delivery_total)));
    let (checked, checked_total) = sent
        .choice
        .as_ref()
        .and_then(|c| options.iter().find(|(v, _)| v == c))
        .or(options.first())
        .cloned()
        .unwrap_or((String::new(), delivery_total));

    // The coupons the member can spend now; the one sent stays chosen if it still is.
    let now = s.sweep.now();
    let held = or_page(shop, held_coupons(s, shop).await)?;
    // (Coupons for the till only are not offered here.)
    let usable: Vec<&CouponView> = held
        .iter()
        .filter(|c| c.usable && (c.def.channels.is_empty() || c.def.channels.contains(&shop.channel)))
        .collect();
    let chosen: Option<&CouponView> =
        sent.coupon.as_deref().and_then(|id| usable.iter().find(|c| c.coupon.id.to_string() == id).copied());
    let checked_store = checked.strip_prefix("pickup:").and_then(|id| id.parse::<LocationId>().ok());
    // What a coupon takes off a choice's goods, when it applies to that choice.
    let coupon_off = |total: Money, store: Option<LocationId>| match chosen {
        Some(c) if c.def.check(shop.channel, store, total, now).is_ok() => c.def.discount(total),
        _ => Money::zero(total.currency()),
    };
    let off = coupon_off(checked_total, checked_store);
    let after_coupon: Vec<(String, Money)> = options
        .iter()
        .map(|(v, t)| {
            let store = v.strip_prefix("pickup:").and_then(|id| id.parse::<LocationId>().ok());
            (v.clone(), t.checked_sub(coupon_off(*t, store)).unwrap_or(*t))
        })
        .collect();
    let checked_after = checked_total.checked_sub(off).unwrap_or(checked_total);
    let points = points_offer(s, shop, &after_coupon, checked_after, &sent).await?;
    let due = checked_after.checked_sub(Money::new(points.as_ref().map_or(0, |p| p.off), checked_total.currency()));
    let mut names = StoreNames::default();
    let mut coupons = Vec::with_capacity(usable.len());
    for c in &usable {
        let mut row = coupon_row(s, shop, &c.def, &mut names).await;
        row.id = c.coupon.id.to_string();
        row.usable = true;
        coupons.push(row);
    }
    let mut l = shop.layout(s, "cart").await;
    l.flash = flash;
    let page = CheckoutPage {
        key,
        stores: stores
            .iter()
            .zip(&totals)
            .map(|(st, t)| (store_view(shop, st), yuan(*t), checked == format!("pickup:{}", st.id)))
            .collect(),
        addresses: address_views(&addresses)
            .into_iter()
            .map(|a| {
                let on = checked == format!("delivery:{}", a.id);
                (a, on)
            })
            .collect(),
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
        due: yuan(due.unwrap_or(checked_after)),
        coupons,
        coupon: chosen.map(|c| c.coupon.id.to_string()).unwrap_or_default(),
        coupon_off: yuan(off),
        points,
        error: sent.error,
        l,
    };
    Ok(render(shop, page))
}

/// The points a member may spend: no more than they hold, nor than the cheapest choice
/// takes after the coupon chosen (so the offer holds whichever they pick). Nothing to
/// offer without points.
async fn points_offer(
    s: &AppState,
    shop: &Shop,
    options: &[(String, Money)],
    checked_total: Money,
    sent: &Sent,
) -> Result<Option<PointsOffer>, Response> {
    let card = match s.sweep.my_member_card(&shop.ctx).await {
        Ok(card) => card,
        // Signed in but not (yet) on the programme: nothing to spend.
        Err(AppError::Unauthenticated) => return Ok(None),
        Err(e) => return Err(error_page(shop, e)),
    };
    if card.points <= 0 {
        return Ok(None);
    }
    let program = or_page(shop, s.sweep.loyalty_program_of(shop.ctx.merchant.id).await)?;
    let cheapest = options.iter().map(|(_, t)| *t).min_by_key(|t| t.minor()).unwrap_or(checked_total);
    let max = card.points.min(program.max_points_for(cheapest));
    if max <= 0 {
        return Ok(None);
    }
    let currency = checked_total.currency();
    let worth = |points: i64| Money::new(points.saturating_mul(program.point_value), currency);
    let use_points = sent.points.is_some();
    let value = sent.points.unwrap_or(max).max(0);
    let off = if use_points { worth(value) } else { Money::zero(currency) };
    Ok(Some(PointsOffer {
        balance: card.points,
        max,
        max_value: yuan(worth(max)),
        point_value: program.point_value,
        use_points,
        value,
        value_off: yuan(worth(value)),
        off: off.minor(),
    }))
}

#[derive(Deserialize)]
struct CheckoutForm {
    #[serde(default)]
    csrf: String,
    idempotency_key: String,
    choice: String,
    /// The "use points" box, and how many.
    #[serde(default)]
    use_points: Option<String>,
    #[serde(default)]
    points: String,
    /// The coupon to spend (its id); empty: none.
    #[serde(default)]
    coupon: String,
}

pub async fn checkout_submit(State(s): State<AppState>, shop: Shop, body: Bytes) -> Response {
    unwrap(
        async {
            let form: CheckoutForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            let bad = || error_page(&shop, AppError::invalid("choice", "required", "choose pickup or delivery"));
            let (kind, id) = form.choice.split_once(':').ok_or_else(bad)?;
            // Back to the page, as the shopper left it, with what went wrong.
            let refused = async |status: StatusCode, key: &str, points: Option<i64>| {
                let sent = Sent {
                    choice: Some(form.choice.clone()),
                    points: points.or(Some(0)),
                    coupon: Some(form.coupon.trim().to_string()).filter(|c| !c.is_empty()),
                    error: Some(shop.t().get(key).to_string()),
                };
                let mut response = unwrap(checkout_page(&s, &shop, None, sent).await);
                if response.status().is_success() {
                    *response.status_mut() = status;
                }
                response
            };
            let points = match (&form.use_points, form.points.trim()) {
                (None, _) | (Some(_), "") => None,
                (Some(_), text) => match text.parse::<i64>() {
                    Ok(0) => None,
                    Ok(n) => Some(n),
                    Err(_) => {
                        return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, "points_error_invalid", None).await);
                    }
                },
            };
            let coupon_id = match form.coupon.trim() {
                "" => None,
                text => match text.parse() {
                    Ok(id) => Some(id),
                    Err(_) => {
                        return Ok(refused(StatusCode::CONFLICT, "coupon_error_unavailable", points).await);
                    }
                },
            };
            let input = match kind {
                "pickup" => PlaceOrderInput {
                    fulfilment: Fulfilment::Pickup,
                    store_id: Some(path_id(id).map_err(|_| bad())?),
                    address_id: None,
                    lines: None,
                    points,
                    coupon_id,
                },
                "delivery" => PlaceOrderInput {
                    fulfilment: Fulfilment::Delivery,
                    store_id: None,
                    address_id: Some(path_id(id).map_err(|_| bad())?),
                    lines: None,
                    points,
                    coupon_id,
                },
                _ => return Err(bad()),
            };
            let placed = s.sweep.place_order(&shop.ctx, input, shop.channel, Some(&form.idempotency_key)).await;
            let order = match placed {
                Ok(order) => order,
                Err(e) if coupon_error_key(&e).is_some() => {
                    let status = match e {
                        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                        _ => StatusCode::CONFLICT,
                    };
                    let key = coupon_error_key(&e).unwrap_or("coupon_error_unavailable");
                    return Ok(refused(status, key, points).await);
                }
                Err(AppError::Conflict { code: "insufficient_points", .. }) => {
                    return Ok(refused(StatusCode::CONFLICT, "points_error_insufficient", points).await);
                }
                Err(AppError::Invalid(fields)) if fields.iter().any(|f| f.field == "points") => {
                    let key = if fields.iter().any(|f| f.code == "above_cap") {
                        "points_error_cap"
                    } else {
                        "points_error_invalid"
                    };
                    return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, key, points).await);
                }
                Err(e) => return Err(error_page(&shop, e)),
            };
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
