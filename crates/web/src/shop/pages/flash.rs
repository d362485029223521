//! The Double 11 flash-sale page: the sale by the server's clock (counting down to the
//! start, units left, sold out, ended), complete as the server renders it. shop.js
//! counts down against the server's time, keeps the units left fresh from the sale's
//! JSON and buys through the JSON API; without scripts the buy buttons post here.

#![allow(clippy::result_large_err)]

use sweep_app::flash::{FlashBuyer, FlashOrderInput, FlashSaleView};
use sweep_domain::flash::FlashPhase;
use sweep_domain::ids::FlashSaleId;
use sweep_domain::location::LocationKind;

use super::*;

/// One SKU of the sale as the page shows it.
pub struct FlashItemView {
    sku_id: SkuId,
    product_url: String,
    name: String,
    label: String,
    price: String,
    /// The usual price, struck through, when it is above the sale's.
    list: Option<String>,
    pool: i64,
    left: i64,
    /// "限量 20 件", "剩余 3 件", "已售 20 件", by the phase.
    stock: String,
    /// Share of the pool taken, 0 to 100, for the bar.
    taken_pct: i64,
    buyable: bool,
    button: &'static str,
}

/// A delivery address to choose, for a sale held at a warehouse.
pub struct FlashAddress {
    id: AddressId,
    text: String,
    default: bool,
}

#[derive(Template)]
#[template(path = "shop/flash.html")]
struct FlashPage {
    l: Layout,
    name: String,
    phase: &'static str,
    phase_text: &'static str,
    /// The server's clock and the sale's window, in Unix milliseconds, to count down
    /// against (never the phone's clock).
    server_ms: i64,
    starts_ms: i64,
    ends_ms: i64,
    starts_at: String,
    ends_at: String,
    /// "Starts in" or "Ends in", and the time left as the server sees it.
    clock_label: &'static str,
    countdown: String,
    limit: String,
    pay_note: String,
    got_it: String,
    members_only: bool,
    /// Where the units are: the store to pick up at, or delivery.
    fulfilment: String,
    /// For a sale held at a warehouse, signed in: the addresses to deliver to.
    addresses: Option<Vec<FlashAddress>>,
    member: bool,
    /// A members-only sale, and this member joined after it started: they cannot buy.
    too_new: bool,
    login_url: String,
    api_url: String,
    buy_url: String,
    message: Option<&'static str>,
    items: Vec<FlashItemView>,
}

#[derive(Deserialize, Default)]
struct FlashQuery {
    #[serde(default)]
    error: String,
}

fn phase_code(phase: FlashPhase) -> &'static str {
    match phase {
        FlashPhase::Upcoming => "upcoming",
        FlashPhase::Live => "live",
        FlashPhase::SoldOut => "sold_out",
        FlashPhase::Ended => "ended",
    }
}

/// "2天 03:04:05" / "2d 03:04:05", or "03:04:05" within a day (as shop.js shows it).
fn countdown_text(t: T, secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60, secs % 60);
    let clock = format!("{h:02}:{m:02}:{s:02}");
    if d > 0 { format!("{} {clock}", t.get("flash_days").replace("{n}", &d.to_string())) } else { clock }
}

/// "5 分钟" / "5 min", or seconds when it is not whole minutes.
fn duration_text(t: T, secs: i64) -> String {
    if secs >= 60 && secs % 60 == 0 {
        t.get("flash_minutes").replace("{n}", &(secs / 60).to_string())
    } else {
        t.get("flash_seconds").replace("{n}", &secs.to_string())
    }
}

/// The localized message for a refusal the page was sent back with (`?error=`).
fn refusal_message(t: T, code: &str) -> Option<&'static str> {
    let key = match code {
        "sold_out" => "flash_err_sold_out",
        "limit_reached" => "flash_err_limit_reached",
        "sale_not_started" => "flash_err_sale_not_started",
        "sale_ended" => "flash_err_sale_ended",
        "members_only" => "flash_err_members_only",
        "not_in_sale" => "flash_err_not_in_sale",
        "busy" => "flash_err_busy",
        "address" => "flash_err_address",
        _ => return None,
    };
    Some(t.get(key))
}

/// The shop's sign-in page, to come back to this sale.
fn login_url(shop: &Shop, id: FlashSaleId) -> String {
    format!("{}/login?next=flash/{id}", shop.base)
}

fn items(shop: &Shop, view: &FlashSaleView, phase: FlashPhase, too_new: bool) -> Vec<FlashItemView> {
    let t = shop.t();
    view.products
        .iter()
        .map(|p| {
            let pool = view.sale.item(p.sku_id).map(|i| i.pool_size).unwrap_or(p.left + p.taken);
            let (stock_key, n) = match phase {
                FlashPhase::Upcoming => ("flash_set_aside", pool),
                FlashPhase::Live | FlashPhase::SoldOut => ("flash_left", p.left),
                FlashPhase::Ended => ("flash_sold", p.taken),
            };
            let buyable = phase == FlashPhase::Live && p.left > 0 && !too_new;
            let button = match phase {
                FlashPhase::Upcoming => "flash_not_started",
                FlashPhase::Ended => "flash_ended",
                _ if p.left <= 0 => "flash_sold_out",
                _ => "flash_buy",
            };
            FlashItemView {
                sku_id: p.sku_id,
                product_url: format!("{}/p/{}", shop.base, p.product_id),
                name: p.name.get(shop.lang).to_string(),
                label: p.sku_label.clone(),
                price: yuan(p.price),
                list: (p.list_price.minor() > p.price.minor()).then(|| yuan(p.list_price)),
                pool,
                left: p.left,
                stock: t.get(stock_key).replace("{n}", &n.to_string()),
                taken_pct: if pool > 0 { ((pool - p.left) * 100 / pool).clamp(0, 100) } else { 100 },
                buyable,
                button: t.get(button),
            }
        })
        .collect()
}

/// The sale's page. Rendered with the phase by the server's clock now; the units left
/// may be a second old (the sale's view is cached for the crowds that poll it).
pub async fn flash(
    State(s): State<AppState>,
    shop: Shop,
    uri: axum::http::Uri,
    ApiPath(params): ApiPath<(String, String)>,
) -> Response {
    unwrap(
        async {
            let id: FlashSaleId =
                path_id(&params.1).map_err(|_| error_page(&shop, AppError::NotFound("flash sale")))?;
            let q: FlashQuery = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
            let m = shop.ctx.merchant.id;
            let view = or_page(&shop, s.sweep.flash_sale_public(m, id).await)?;
            let t = shop.t();
            let now = s.sweep.now();
            let phase = view.sale.phase(now);
            let location = match s.sweep.repos().locations.location(m, view.sale.location_id).await {
                Ok(l) => l,
                Err(e) => {
                    // Where to collect is a nicety: the sale shows without it.
                    tracing::warn!(error = %e, "flash sale location lookup failed");
                    None
                }
            };
            let delivered = location.as_ref().is_some_and(|l| l.kind == LocationKind::Warehouse);
            let fulfilment = match &location {
                _ if delivered => t.get("flash_delivered").to_string(),
                Some(l) => format!("{} {}", t.get("flash_pickup_at"), l.name.get(shop.lang)),
                None => String::new(),
            };
            let member = shop.ctx.is_member();
            let too_new = view.sale.members_only
                && shop.ctx.shopper.as_ref().is_some_and(|m| m.created_at >= view.sale.starts_at);
            let addresses = if delivered && member {
                let list = or_page(&shop, s.sweep.my_addresses(&shop.ctx).await)?;
                Some(
                    list.into_iter()
                        .map(|a| FlashAddress {
                            id: a.id,
                            text: format!("{} · {}{}{}", a.recipient, a.city, a.district, a.detail),
                            default: a.is_default,
                        })
                        .collect(),
                )
            } else {
                None
            };
            let (clock_label, until) = match phase {
                FlashPhase::Upcoming => (t.get("flash_starts_in"), view.sale.starts_at),
                _ => (t.get("flash_ends_in"), view.sale.ends_at),
            };
            let ms = |ts: Timestamp| ts.unix_micros() / 1_000;
            let pay_within = duration_text(t, view.sale.pay_within_secs);
            let page = FlashPage {
                name: view.sale.name.clone(),
                phase: phase_code(phase),
                phase_text: t.get(match phase {
                    FlashPhase::Upcoming => "flash_upcoming",
                    FlashPhase::Live => "flash_live",
                    FlashPhase::SoldOut => "flash_sold_out",
                    FlashPhase::Ended => "flash_ended",
                }),
                server_ms: ms(now),
                starts_ms: ms(view.sale.starts_at),
                ends_ms: ms(view.sale.ends_at),
                starts_at: local_time(&shop, view.sale.starts_at),
                ends_at: local_time(&shop, view.sale.ends_at),
                clock_label,
                countdown: countdown_text(t, until.unix_seconds() - now.unix_seconds()),
                limit: t.get("flash_limit").replace("{n}", &view.sale.per_member_limit.to_string()),
                pay_note: t.get("flash_pay_within").replace("{n}", &pay_within),
                got_it: t.get("flash_got_it").replace("{n}", &pay_within),
                members_only: view.sale.members_only,
                fulfilment,
                addresses,
                member,
                login_url: login_url(&shop, id),
                api_url: format!("{}/api/flash/{id}", shop.base),
                buy_url: format!("{}/flash/{id}", shop.base),
                message: refusal_message(t, &q.error)
                    .or_else(|| (too_new && phase != FlashPhase::Ended).then(|| t.get("flash_err_members_only"))),
                too_new,
                items: items(&shop, &view, phase, too_new),
                l: shop.layout(&s, "home").await,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

#[derive(Deserialize)]
struct FlashBuyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sku_id: String,
    #[serde(default)]
    address_id: String,
}

/// Buying without scripts: the sale's buy button posts here. A placed order opens its
/// page (to pay within the sale's time); a refusal comes back to the sale, saying why.
pub async fn flash_buy(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    body: Bytes,
) -> Response {
    unwrap(
        async {
            let id: FlashSaleId =
                path_id(&params.1).map_err(|_| error_page(&shop, AppError::NotFound("flash sale")))?;
            let back = |code: &str| Redirect::to(&format!("{}/flash/{id}?error={code}", shop.base)).into_response();
            let form: FlashBuyForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            let Some(buyer) = FlashBuyer::from_context(&shop.ctx) else {
                return Ok(Redirect::to(&login_url(&shop, id)).into_response());
            };
            let Ok(sku_id) = form.sku_id.parse::<SkuId>() else { return Ok(back("not_in_sale")) };
            let address_id = match form.address_id.as_str() {
                "" => None,
                text => match text.parse::<AddressId>() {
                    Ok(a) => Some(a),
                    Err(_) => return Ok(back("address")),
                },
            };
            let input = FlashOrderInput { sku_id, quantity: Some(1), address_id };
            match s.sweep.buy_flash(&buyer, id, input, shop.channel).await {
                Ok(placed) => Ok(Redirect::to(&format!("{}/orders/{}", shop.base, placed.order_id)).into_response()),
                Err(AppError::Conflict { code, .. }) => Ok(back(code)),
                Err(AppError::TooManyAttempts { .. } | AppError::Unavailable(_)) => Ok(back("busy")),
                Err(AppError::Invalid(fields)) if fields.iter().any(|f| f.field == "address_id") => Ok(back("address")),
                Err(AppError::Unauthenticated) => Ok(Redirect::to(&login_url(&shop, id)).into_response()),
                Err(e) => Err(error_page(&shop, e)),
            }
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_countdown_reads_as_the_script_writes_it() {
        let zh = T { lang: Lang::Zh };
        let en = T { lang: Lang::En };
        assert_eq!(countdown_text(zh, 0), "00:00:00");
        assert_eq!(countdown_text(zh, -5), "00:00:00");
        assert_eq!(countdown_text(zh, 3_661), "01:01:01");
        assert_eq!(countdown_text(zh, 2 * 86_400 + 59), "2天 00:00:59");
        assert_eq!(countdown_text(en, 86_400), "1d 00:00:00");
        assert_eq!(duration_text(zh, 300), "5 分钟");
        assert_eq!(duration_text(en, 90), "90 s");
    }
}
