//! The member's coupons (held and to claim), and the member code the till scans.

#![allow(clippy::result_large_err)]

use sweep_app::loyalty::CouponView;
use sweep_app::page::PageRequest;
use sweep_domain::channel::Channel;
use sweep_domain::coupon::{CouponDef, CouponStatus, CouponValue};
use sweep_domain::ids::CouponDefId;

use super::*;

/// An amount in yuan as a coupon says it: "30", "12.5", "9.99".
fn short_yuan(minor: i64) -> String {
    let text = Money::new(minor, sweep_domain::Currency::Cny).to_major_string();
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What a coupon takes off: "¥30" / "8.5折" ("15% off"), with a cap if it has one.
pub fn coupon_value(def: &CouponDef, lang: Lang) -> String {
    let en = lang == Lang::En;
    match def.value {
        CouponValue::Fixed { amount } if en => format!("¥{} off", short_yuan(amount)),
        CouponValue::Fixed { amount } => format!("¥{}", short_yuan(amount)),
        CouponValue::Percent { percent, max_discount } => {
            let off = if en {
                format!("{percent}% off")
            } else {
                // 15% off is "8.5 折": what is paid, in tenths.
                let paid = 100 - percent;
                if paid % 10 == 0 { format!("{}折", paid / 10) } else { format!("{}.{}折", paid / 10, paid % 10) }
            };
            match max_discount {
                Some(cap) if en => format!("{off}, up to ¥{}", short_yuan(cap)),
                Some(cap) => format!("{off}，最多减¥{}", short_yuan(cap)),
                None => off,
            }
        }
    }
}

/// The least the goods must come to: "满¥200可用" / "on ¥200 or more".
pub fn coupon_minimum(def: &CouponDef, lang: Lang) -> String {
    match (def.min_spend, lang) {
        (0, Lang::En) => "no minimum spend".into(),
        (0, _) => "无门槛".into(),
        (min, Lang::En) => format!("on ¥{} or more", short_yuan(min)),
        (min, _) => format!("满¥{}可用", short_yuan(min)),
    }
}

/// Where a coupon can be spent, in words: online, in store, or both; and at which
/// stores.
async fn coupon_where(s: &AppState, shop: &Shop, def: &CouponDef, names: &mut StoreNames) -> String {
    let t = shop.t();
    let till = def.channels.is_empty() || def.channels.contains(&Channel::Pos);
    let online = def.channels.is_empty() || def.channels.iter().any(|c| *c != Channel::Pos);
    let mut text = match (online, till) {
        (true, true) => t.get("coupon_everywhere").to_string(),
        (true, false) => t.get("coupon_online_only").to_string(),
        _ => t.get("coupon_in_store_only").to_string(),
    };
    if !def.stores.is_empty() {
        let mut stores = Vec::with_capacity(def.stores.len());
        for id in &def.stores {
            if let Some(name) = names.name(s, shop, *id).await {
                stores.push(name);
            }
        }
        let sep = if t.is_en() { ", " } else { "、" };
        text = format!("{text} · {} {}", t.get("coupon_at_stores"), stores.join(sep));
    }
    text
}

/// One coupon on a page.
pub struct CouponRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) value: String,
    pub(super) minimum: String,
    pub(super) dates: String,
    pub(super) place: String,
    /// Held and spendable now.
    pub(super) usable: bool,
    /// What it is, when it is not spendable: used, ended, not yet.
    pub(super) state: Option<&'static str>,
    /// A coupon to claim: whether the member already holds as many as allowed.
    pub(super) claimed: bool,
    /// For the checkout's script: "fixed:3000" or "percent:15:4000", the minimum spend
    /// (fen), and the stores it is limited to (space-separated ids; empty: any).
    pub(super) rule: String,
    pub(super) min_spend: i64,
    pub(super) stores: String,
}

pub(super) async fn coupon_row(s: &AppState, shop: &Shop, def: &CouponDef, names: &mut StoreNames) -> CouponRow {
    CouponRow {
        id: def.id.to_string(),
        name: def.name.get(shop.lang).to_string(),
        value: coupon_value(def, shop.lang),
        minimum: coupon_minimum(def, shop.lang),
        dates: format!("{} – {}", local_time(shop, def.starts_at), local_time(shop, def.ends_at)),
        place: coupon_where(s, shop, def, names).await,
        usable: false,
        state: None,
        claimed: false,
        rule: match def.value {
            CouponValue::Fixed { amount } => format!("fixed:{amount}"),
            CouponValue::Percent { percent, max_discount } => {
                format!("percent:{percent}:{}", max_discount.map(|m| m.to_string()).unwrap_or_default())
            }
        },
        min_spend: def.min_spend,
        stores: def.stores.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(" "),
    }
}

/// The member's coupons as views, usable ones first (then the newest first, as held).
pub(super) async fn held_coupons(s: &AppState, shop: &Shop) -> Result<Vec<CouponView>, AppError> {
    let mut held = s.sweep.my_coupons(&shop.ctx, &PageRequest::first(COUPONS_PAGE)).await?.items;
    held.sort_by_key(|c| !c.usable);
    Ok(held)
}

/// Coupons on the coupons page (and offered at checkout): the newest this many.
const COUPONS_PAGE: u32 = 100;

#[derive(Template)]
#[template(path = "shop/coupons.html")]
struct CouponsPage {
    l: Layout,
    held: Vec<CouponRow>,
    claimable: Vec<CouponRow>,
    error: Option<String>,
}

async fn coupons_page(s: &AppState, shop: &Shop, flash: Option<String>, error: Option<String>) -> PageResult {
    if !shop.ctx.is_member() {
        return Ok(Redirect::to(&format!("{}/login", shop.base)).into_response());
    }
    let t = shop.t();
    let now = s.sweep.now();
    let held = or_page(shop, held_coupons(s, shop).await)?;
    let offered = or_page(shop, s.sweep.claimable_coupons(&shop.ctx).await)?;
    let mut names = StoreNames::default();
    let mut held_rows = Vec::with_capacity(held.len());
    for c in &held {
        let mut row = coupon_row(s, shop, &c.def, &mut names).await;
        row.usable = c.usable;
        row.state = match c.coupon.status {
            _ if c.usable => None,
            CouponStatus::Used => Some(t.get("coupon_used")),
            CouponStatus::Available if now < c.def.starts_at => Some(t.get("coupon_not_yet")),
            CouponStatus::Available => Some(t.get("coupon_expired")),
        };
        held_rows.push(row);
    }
    let mut claimable = Vec::with_capacity(offered.len());
    for def in &offered {
        let mut row = coupon_row(s, shop, def, &mut names).await;
        let holding = held.iter().filter(|c| c.def.id == def.id).count() as i64;
        row.claimed = holding >= def.per_member_limit;
        claimable.push(row);
    }
    let mut l = shop.layout(s, "me").await;
    l.flash = flash;
    Ok(render(shop, CouponsPage { l, held: held_rows, claimable, error }))
}

pub async fn coupons(State(s): State<AppState>, shop: Shop, uri: axum::http::Uri) -> Response {
    let claimed = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).any(|(k, _)| k == "claimed");
    let flash = claimed.then(|| shop.t().get("coupon_claimed").to_string());
    unwrap(coupons_page(&s, &shop, flash, None).await)
}

/// The words for a coupon the order or the claim could not take.
pub(super) fn coupon_error_key(e: &AppError) -> Option<&'static str> {
    let code = match e {
        AppError::Conflict { code, .. } => *code,
        AppError::Invalid(fields) => fields.iter().find(|f| f.field == "coupon_id").map(|f| f.code)?,
        _ => return None,
    };
    Some(match code {
        "coupon_unavailable" => "coupon_error_unavailable",
        "coupon_not_started" => "coupon_error_not_started",
        "coupon_ended" => "coupon_error_ended",
        "coupon_wrong_channel" => "coupon_error_channel",
        "coupon_wrong_store" => "coupon_error_store",
        "coupon_below_minimum" => "coupon_error_minimum",
        "coupon_limit" => "coupon_error_limit",
        "coupons_gone" => "coupon_error_gone",
        _ => return None,
    })
}

pub async fn coupon_claim(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    body: Bytes,
) -> Response {
    unwrap(
        async {
            let form: CsrfForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            if !shop.ctx.is_member() {
                return Ok(Redirect::to(&format!("{}/login", shop.base)).into_response());
            }
            let id: CouponDefId = path_id(&params.1).map_err(|_| error_page(&shop, AppError::NotFound("coupon")))?;
            match s.sweep.claim_coupon(&shop.ctx, id).await {
                // Back to the list, which now holds it; a reload claims nothing more.
                Ok(_) => Ok(Redirect::to(&format!("{}/coupons?claimed=1", shop.base)).into_response()),
                Err(e) => {
                    let Some(key) = coupon_error_key(&e) else { return Err(error_page(&shop, e)) };
                    let status = match e {
                        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                        _ => StatusCode::CONFLICT,
                    };
                    let mut response = unwrap(coupons_page(&s, &shop, None, Some(shop.t().get(key).into())).await);
                    if response.status().is_success() {
                        *response.status_mut() = status;
                    }
                    Ok(response)
                }
            }
        }
        .await,
    )
}

#[derive(Template)]
#[template(path = "shop/card.html")]
struct MemberCodePage {
    l: Layout,
    code: String,
    /// The code as spaced digits, easier to read out: "99 1234 5678 ...".
    spaced: String,
    /// The QR code, an inline SVG drawn on the server.
    qr: String,
    expires: String,
    refresh_in: i64,
    tier: String,
    points: i64,
}

/// The member code for the till to scan: a fresh one on every load. The page is never
/// cached (`no-store`) and reloads itself before the code runs out; loading it only
/// issues the shopper a new single-use code of their own, so a plain link (GET) does.
pub async fn member_code(State(s): State<AppState>, shop: Shop) -> Response {
    unwrap(
        async {
            if !shop.ctx.is_member() {
                return Ok(Redirect::to(&format!("{}/login", shop.base)).into_response());
            }
            let card = match s.sweep.my_member_card(&shop.ctx).await {
                Ok(card) => card,
                // Signed in, but not on the programme: no card to show.
                Err(AppError::Unauthenticated) => {
                    return Ok(Redirect::to(&format!("{}/me", shop.base)).into_response());
                }
                Err(e) => return Err(error_page(&shop, e)),
            };
            let code = or_page(&shop, s.sweep.my_member_code(&shop.ctx).await)?;
            let svg = sweep_cards::qr_svg(&code.code);
            // Inline in the page: the document without its XML declaration.
            let qr = match svg.find("<svg") {
                Some(at) => svg[at..].to_string(),
                None => svg,
            };
            let spaced = code
                .code
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            let page = MemberCodePage {
                spaced,
                qr,
                expires: local_time_seconds(&shop, code.expires_at),
                refresh_in: code.refresh_in_secs.max(5),
                tier: card.tier.name.get(shop.lang).to_string(),
                points: card.points,
                code: code.code,
                l: shop.layout(&s, "me").await,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

fn local_time_seconds(shop: &Shop, t: sweep_domain::Timestamp) -> String {
    let offset = sweep_domain::merchant::MerchantTimeZone::parse("tz", &shop.ctx.merchant.time_zone)
        .map(|z| z.offset_minutes())
        .unwrap_or(480);
    let d = t.plus_seconds(offset as i64 * 60).to_offset_datetime();
    format!("{:02}:{:02}:{:02}", d.hour(), d.minute(), d.second())
}
