//! The till, phone or tablet sized: scan items (a barcode scanner types the code and
//! presses Enter), find the member by phone or by scanning the member code on their
//! phone, spend one of their coupons and their points, take the payment, complete the
//! sale and print the receipt. A WeChat or Alipay payment code the clerk scans is
//! charged through the payment provider as the sale completes; without one, the till's
//! own terminal took the money and the sale only records it.
//!
//! The sale in progress lives in the page's form: hidden inputs hold the lines and the
//! sale id the server put in the page when the sale began. Every post carries the
//! whole sale and the page that comes back is a function of it, so posting the same
//! form twice (a double tap, a reload) gives the same page, and completing it twice
//! records the sale once: the sale id is the till's own name for it.

// The error side of these results is a finished page, returned as is.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use sweep_app::AppError;
use sweep_app::loyalty::{
    CouponView, MemberCodeInput, MemberView, TillLineInput, TillPaymentInput, TillPaymentMethod, TillSaleInput,
};
use sweep_app::page::PageRequest;
use sweep_app::ports::{LocationFilter, SkuFilter};
use sweep_app::secrets::random_token;
use sweep_domain::channel::Channel;
use sweep_domain::coupon::CouponRejection;
use sweep_domain::ids::{CouponId, LocationId, ShopperId, SkuId};
use sweep_domain::location::{Location, LocationKind};
use sweep_domain::loyalty::LoyaltyProgram;
use sweep_domain::order::{MAX_LINE_QUANTITY, MAX_LINES};
use sweep_domain::shopper::Phone;
use sweep_domain::text::Lang;
use sweep_domain::{Currency, Money};

pub(super) use super::receipt::local_time;
use super::receipt::receipt;
pub(super) use super::till_form::method_label;
use super::till_form::{METHODS, Sale, is_code_method, is_member_code, method, payment_code_wallet};
use super::{Clerk, clerk, sign_in};
use crate::shop::pages::{coupon_minimum, coupon_value};
use crate::state::AppState;

#[derive(Clone)]
pub struct LineView {
    pub(super) sku_id: SkuId,
    pub(super) name: String,
    pub(super) label: String,
    pub(super) quantity: i64,
    pub(super) unit: String,
    pub(super) total: String,
}

pub struct MemberPanel {
    phone: String,
    tier: String,
    points: i64,
    /// The most points this sale takes from this member.
    max_points: i64,
    /// Found by their member code rather than by phone.
    by_code: bool,
}

/// One of the member's coupons, as the till offers it.
pub struct TillCoupon {
    id: String,
    name: String,
    terms: String,
    /// What it takes off this sale (yuan and fen); nothing when it does not apply.
    off: String,
    off_fen: i64,
    /// Why it does not apply to this sale, when it does not.
    reason: Option<String>,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "clerk_till.html")]
struct TillPage {
    csrf: String,
    stores: Vec<(String, String)>,
    store: String,
    sale: String,
    lines: Vec<LineView>,
    subtotal: String,
    subtotal_fen: i64,
    point_value: i64,
    phone: String,
    /// The member found by code, carried by the form.
    member_id: String,
    member: Option<MemberPanel>,
    /// A valid phone with no card yet: the sale enrols them.
    new_member: bool,
    /// The member's coupons usable at this store, and what the chosen one takes off.
    coupons: Vec<TillCoupon>,
    /// One of them is chosen.
    coupon_chosen: bool,
    coupon_off: String,
    coupon_off_fen: i64,
    points: String,
    points_off: String,
    points_off_fen: i64,
    due: String,
    methods: Vec<(&'static str, &'static str, bool)>,
    cash: bool,
    /// The method is a WeChat or Alipay code: the payment code field shows.
    code: bool,
    tendered: String,
    change: Option<String>,
    flash: Option<String>,
    error: bool,
    /// The phone field is where the clerk has to look next.
    focus_phone: bool,
    /// The payment code field is (a code was just declined).
    focus_code: bool,
    can_complete: bool,
}

/// A sale priced as the till will charge it.
struct Quote {
    lines: Vec<LineView>,
    subtotal: Money,
    /// The phone is a member's (or will be, with this sale): member prices.
    member_prices: bool,
    member: Option<MemberView>,
    coupons: Vec<TillCoupon>,
    coupon: Option<CouponId>,
    coupon_off: Money,
    program: LoyaltyProgram,
    max_points: i64,
    points: i64,
    discount: Money,
    due: Money,
    /// What stands in the way of completing the sale, for the clerk to read.
    problems: Vec<String>,
    bad_phone: bool,
}

impl Quote {
    fn change(&self, sale: &Sale) -> Option<Money> {
        let tendered = Money::parse_major(&sale.tendered, self.due.currency())?;
        tendered.checked_sub(self.due).ok().filter(|c| c.minor() >= 0)
    }
}

async fn quote(s: &AppState, c: &Clerk, store: LocationId, sale: &mut Sale) -> Result<Quote, AppError> {
    let merchant_id = c.actor.merchant_id.ok_or(AppError::Forbidden)?;
    let merchant = s.sweep.get_merchant(&c.actor, merchant_id).await?;
    let mut problems = Vec::new();

    let mut bad_phone = false;
    let (member_prices, member) = if let Some(id) = sale.member {
        match member_by_id(s, c, id).await? {
            Some(member) => (true, Some(member)),
            None => {
                sale.member = None;
                problems.push("会员不存在 No such member".to_string());
                (false, None)
            }
        }
    } else if sale.phone.is_empty() {
        (false, None)
    } else if Phone::parse("phone", &sale.phone).is_err() {
        bad_phone = true;
        problems.push("手机号无效 Not a valid mobile number".to_string());
        (false, None)
    } else {
        match s.sweep.find_member(&c.actor, &sale.phone).await {
            Ok(member) => (true, Some(member)),
            Err(AppError::NotFound(_)) => (true, None),
            Err(e) => return Err(e),
        }
    };

    let mut lines = Vec::with_capacity(sale.lines.len());
    let mut subtotal = Money::zero(merchant.currency);
    let mut gone = Vec::new();
    for (sku_id, quantity) in &sale.lines {
        let sku = match s.sweep.get_sku(&c.actor, *sku_id).await {
            Ok(sku) => sku,
            Err(AppError::NotFound(_)) => {
                gone.push(*sku_id);
                continue;
            }
            Err(e) => return Err(e),
        };
        let product = s.sweep.get_product(&c.actor, sku.product_id).await?;
        let price = s.sweep.quote_price(&c.actor, sku.id, Channel::Pos, Some(store), member_prices).await?;
        let total = price.unit.checked_mul(*quantity)?;
        subtotal = subtotal.checked_add(total)?;
        lines.push(LineView {
            sku_id: sku.id,
            name: format!("{} {}", product.name.zh, product.name.en).trim().to_string(),
            label: sku.label(),
            quantity: *quantity,
            unit: price.unit.to_major_string(),
            total: total.to_major_string(),
        });
    }
    if !gone.is_empty() {
        sale.lines.retain(|(id, _)| !gone.contains(id));
        problems.push("有商品已不存在，已移除 An item no longer exists and was taken off".to_string());
    }

    // The member's coupons usable here now; the one chosen comes off before points.
    let now = s.sweep.now();
    let held = match &member {
        Some(m) => s.sweep.member_coupons(&c.actor, m.shopper_id, &PageRequest::first(100)).await?.items,
        None => vec![],
    };
    let usable: Vec<&CouponView> = held
        .iter()
        .filter(|v| v.usable && (v.def.channels.is_empty() || v.def.channels.contains(&Channel::Pos)))
        .collect();
    let mut coupon = None;
    let mut coupon_off = Money::zero(subtotal.currency());
    let mut coupons = Vec::with_capacity(usable.len());
    for v in &usable {
        let chosen = v.coupon.id.to_string() == sale.coupon;
        let check = v.def.check(Channel::Pos, Some(store), subtotal, now);
        let off = if check.is_ok() { v.def.discount(subtotal) } else { Money::zero(subtotal.currency()) };
        if chosen {
            match check {
                Ok(()) => {
                    coupon = Some(v.coupon.id);
                    coupon_off = off;
                }
                Err(e) => problems.push(format!("优惠券不可用：{} Coupon: {e}", coupon_reason(e))),
            }
        }
        coupons.push(TillCoupon {
            id: v.coupon.id.to_string(),
            name: format!("{} {}", v.def.name.zh, v.def.name.en).trim().to_string(),
            terms: format!(
                "{} / {} · {} / {}",
                coupon_value(&v.def, Lang::Zh),
                coupon_value(&v.def, Lang::En),
                coupon_minimum(&v.def, Lang::Zh),
                coupon_minimum(&v.def, Lang::En)
            ),
            off: off.to_major_string(),
            off_fen: off.minor(),
            reason: check.err().map(coupon_reason),
            chosen,
        });
    }
    if !sale.coupon.is_empty() && !coupons.iter().any(|c| c.chosen) {
        problems.push(if member.is_some() {
            "这张优惠券已使用或不可用 That coupon is used or not this member's".to_string()
        } else {
            "请先找到会员再用优惠券 Find the member to spend a coupon".to_string()
        });
    }
    let goods = subtotal.checked_sub(coupon_off)?;

    let program = s.sweep.loyalty_program_of(merchant_id).await?;
    let max_points = member.as_ref().map(|m| m.points.min(program.max_points_for(goods))).unwrap_or(0).max(0);
    let mut points = 0;
    let mut discount = Money::zero(subtotal.currency());
    if !sale.points.is_empty() {
        match sale.points.parse::<i64>() {
            Ok(0) => {}
            Ok(n) if n < 0 => problems.push("积分须为正整数 Points must be a whole number above 0".to_string()),
            Ok(_) if member.is_none() => {
                problems.push("请先输入会员手机号 Enter the member's phone to spend points".to_string())
            }
            Ok(n) if n > max_points => {
                problems.push(format!("本单最多可用 {max_points} 积分 At most {max_points} points on this sale"))
            }
            Ok(n) => match program.redemption(n, goods) {
                Ok(off) => {
                    points = n;
                    discount = off;
                }
                Err(e) => problems.push(e.to_string()),
            },
            Err(_) => problems.push("积分须为正整数 Points must be a whole number above 0".to_string()),
        }
    }
    let due = goods.checked_sub(discount)?;
    Ok(Quote {
        lines,
        subtotal,
        member_prices,
        member,
        coupons,
        coupon,
        coupon_off,
        program,
        max_points,
        points,
        discount,
        due,
        problems,
        bad_phone,
    })
}

/// Why a coupon does not go on this sale, for the clerk.
fn coupon_reason(e: CouponRejection) -> String {
    match e {
        CouponRejection::NotStarted => "未到使用时间 Not valid yet".into(),
        CouponRejection::Ended => "已过期 Ended".into(),
        CouponRejection::WrongChannel => "不能在门店使用 Not for the till".into(),
        CouponRejection::WrongStore => "不能在本店使用 Not at this store".into(),
        CouponRejection::BelowMinimum(min) => {
            let min = Money::new(min, Currency::Cny).to_major_string();
            format!("未满 ¥{min} Below the ¥{min} minimum")
        }
    }
}

/// The member a member code found earlier, as the till shows them.
async fn member_by_id(s: &AppState, c: &Clerk, id: ShopperId) -> Result<Option<MemberView>, AppError> {
    let merchant = c.actor.merchant_id.ok_or(AppError::Forbidden)?;
    let Some(record) = s.sweep.repos().loyalty.member(merchant, id).await? else { return Ok(None) };
    // Through the use case, which checks the clerk may see members; the full number
    // stays on the server.
    match s.sweep.find_member(&c.actor, record.phone.as_str()).await {
        Ok(member) => Ok(Some(member)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(super) async fn stores(s: &AppState, c: &Clerk) -> Vec<Location> {
    let filter = LocationFilter { kind: Some(LocationKind::Store), ..Default::default() };
    match s.sweep.list_locations(&c.actor, filter, &PageRequest::first(200)).await {
        Ok(page) => page.items,
        Err(e) => {
            tracing::warn!(error = %e, "till: listing stores failed");
            vec![]
        }
    }
}

pub(super) fn html(body: Result<String, askama::Error>, status: StatusCode) -> Response {
    match body {
        Ok(body) => {
            let mut r = (status, Html(body)).into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "till page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The till with `sale` on it; `flash` says what just happened (or went wrong).
async fn page(s: &AppState, c: &Clerk, mut sale: Sale, flash: Option<(String, bool)>, status: StatusCode) -> Response {
    let stores = stores(s, c).await;
    let store = sale.store.filter(|id| stores.iter().any(|l| l.id == *id)).or_else(|| stores.first().map(|l| l.id));
    let mut flash = flash;
    let mut quote = match store {
        Some(store) => match quote(s, c, store, &mut sale).await {
            Ok(q) => Some(q),
            Err(e) => {
                flash = Some((message(&e), true));
                None
            }
        },
        None => {
            flash = flash.or(Some(("没有可收银的门店 No store of yours has a till".into(), true)));
            None
        }
    };
    if sale.sale.is_empty() {
        match random_token("ts_") {
            Ok(id) => sale.sale = id,
            Err(e) => {
                tracing::error!(error = %e, "till: no sale id");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    }
    let method = method(&sale.method).unwrap_or(TillPaymentMethod::Cash);
    let zero = Money::zero(quote.as_ref().map(|q| q.subtotal.currency()).unwrap_or(Currency::Cny));
    let coupons = quote.as_mut().map(|q| std::mem::take(&mut q.coupons)).unwrap_or_default();
    let q = quote.as_ref();
    let view = TillPage {
        csrf: c.auth.csrf_token.clone().unwrap_or_default(),
        stores: stores.iter().map(|l| (l.id.to_string(), format!("{} {}", l.code, l.name.zh))).collect(),
        store: store.map(|s| s.to_string()).unwrap_or_default(),
        sale: sale.sale.clone(),
        lines: q.map(|q| q.lines.clone()).unwrap_or_default(),
        subtotal: q.map(|q| q.subtotal).unwrap_or(zero).to_major_string(),
        subtotal_fen: q.map(|q| q.subtotal.minor()).unwrap_or(0),
        point_value: q.map(|q| q.program.point_value).unwrap_or(0),
        phone: sale.phone.clone(),
        member_id: sale.member.map(|id| id.to_string()).unwrap_or_default(),
        member: q.and_then(|q| {
            q.member.as_ref().map(|m| MemberPanel {
                phone: m.phone.clone(),
                tier: format!("{} {}", m.tier.name.zh, m.tier.name.en).trim().to_string(),
                points: m.points,
                max_points: q.max_points,
                by_code: sale.member.is_some(),
            })
        }),
        new_member: q.is_some_and(|q| q.member_prices && q.member.is_none()),
        coupon_chosen: coupons.iter().any(|c| c.chosen),
        coupons,
        coupon_off: q.map(|q| q.coupon_off).unwrap_or(zero).to_major_string(),
        coupon_off_fen: q.map(|q| q.coupon_off.minor()).unwrap_or(0),
        points: sale.points.clone(),
        points_off: q.map(|q| q.discount).unwrap_or(zero).to_major_string(),
        points_off_fen: q.map(|q| q.discount.minor()).unwrap_or(0),
        due: q.map(|q| q.due).unwrap_or(zero).to_major_string(),
        methods: METHODS.iter().map(|(m, label)| (m.as_str(), *label, *m == method)).collect(),
        cash: method == TillPaymentMethod::Cash,
        code: is_code_method(method),
        tendered: sale.tendered.clone(),
        change: q.and_then(|q| q.change(&sale)).map(Money::to_major_string),
        flash: flash
            .as_ref()
            .map(|f| f.0.clone())
            .or_else(|| q.filter(|q| !q.problems.is_empty()).map(|q| q.problems.join("；"))),
        error: flash.as_ref().is_some_and(|f| f.1) || q.is_some_and(|q| !q.problems.is_empty()),
        focus_phone: sale.focus_member || q.is_some_and(|q| q.bad_phone),
        focus_code: sale.focus_code,
        can_complete: q.is_some_and(|q| !q.lines.is_empty() && q.problems.is_empty()),
    };
    html(view.render(), status)
}

/// What the clerk reads when the till refuses.
fn message(e: &AppError) -> String {
    match e {
        AppError::Conflict { code: "insufficient_points", .. } => "积分不足 Not enough points on the card".into(),
        AppError::Conflict { code: "payment_mismatch", .. } => {
            "价格有变动，请核对应收金额后重试 Prices changed: check the total and try again".into()
        }
        AppError::Conflict { code: "sale_id_taken", .. } => {
            "这笔交易已在其他门店记录 Another store recorded this sale; start a new one".into()
        }
        AppError::InsufficientStock { available, .. } => {
            format!("库存不足，仅剩 {available} 件 Not enough stock: {available} left")
        }
        AppError::Invalid(fields) if fields.iter().any(|f| f.code == "above_cap") => {
            "超出本单可用积分 More points than this sale takes".into()
        }
        AppError::Invalid(fields) if fields.iter().any(|f| f.field == "member_phone") => {
            "手机号无效 Not a valid mobile number".into()
        }
        AppError::Invalid(fields) if fields.iter().any(|f| f.code == "invalid_member_code") => {
            "会员码无效或已使用，请顾客刷新会员码 Member code expired or used: ask the member to refresh it".into()
        }
        AppError::Conflict { code: "payment_declined", message, .. } => {
            format!("付款未成功，请顾客刷新付款码或换一种方式付款 Not paid: {message}")
        }
        AppError::Unavailable(_) => {
            "支付通道暂时无法扣款，请稍后再试或换一种方式付款 The payment provider is not answering: try again or take another method".into()
        }
        AppError::Conflict { code: "coupon_unavailable", .. } => {
            "这张优惠券已使用或不可用 That coupon is used or not this member's".into()
        }
        AppError::Invalid(fields) if fields.iter().any(|f| f.field == "coupon_id") => {
            let code = fields.iter().find(|f| f.field == "coupon_id").map(|f| f.code).unwrap_or_default();
            let why = match code {
                "coupon_not_started" => "未到使用时间 Not valid yet",
                "coupon_ended" => "已过期 Ended",
                "coupon_wrong_channel" => "不能在门店使用 Not for the till",
                "coupon_wrong_store" => "不能在本店使用 Not at this store",
                "coupon_below_minimum" => "未达到最低消费 Below its minimum spend",
                _ => "不可用 Cannot be used",
            };
            format!("优惠券{why}")
        }
        other => super::message(other),
    }
}

pub async fn till(State(s): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let Some(c) = clerk(&s, &headers).await else { return sign_in() };
    let store = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "store")
        .and_then(|(_, v)| v.parse().ok());
    page(&s, &c, Sale { store, ..Sale::default() }, None, StatusCode::OK).await
}

pub async fn till_submit(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(c) = clerk(&s, &headers).await else { return sign_in() };
    let mut sale = Sale::parse(&body);
    if !super::form_ok(&s, &c, &headers, &sale.csrf) {
        return (StatusCode::FORBIDDEN, "page expired; reload it").into_response();
    }
    // A member code, scanned into either field, finds the member first: it works once,
    // so the sale keeps the member it found, not the code.
    let scan = std::mem::take(&mut sale.scan);
    let code = if is_member_code(&scan) {
        Some(scan.clone())
    } else if is_member_code(&sale.phone) {
        Some(std::mem::take(&mut sale.phone))
    } else {
        None
    };
    if let Some(code) = code {
        let flash = member_from_code(&s, &c, &mut sale, code).await;
        return page(&s, &c, sale, flash, StatusCode::OK).await;
    }
    // A phone typed in replaces the member found by code.
    if !sale.phone.is_empty() && sale.member.is_some() {
        sale.member = None;
        sale.coupon.clear();
    }
    // A payment code scanned into the barcode field: the shopper pays with it, now.
    if let Some(wallet) = payment_code_wallet(&scan) {
        sale.method = wallet.as_str().to_string();
        sale.auth_code = scan;
        return complete(&s, &c, sale).await;
    }
    // What the scanner typed goes on the sale first, whatever button was pressed; a sale
    // is completed only as the clerk last saw it.
    if !scan.is_empty() {
        let flash = scanned(&s, &c, &mut sale, &scan).await;
        return page(&s, &c, sale, flash, StatusCode::OK).await;
    }
    let action = std::mem::take(&mut sale.action);
    if action == "no-member" {
        sale.member = None;
        sale.phone.clear();
        sale.coupon.clear();
        sale.points.clear();
        return page(&s, &c, sale, None, StatusCode::OK).await;
    }
    match action.split_once(':') {
        Some(("inc", id)) | Some(("dec", id)) | Some(("rm", id)) => {
            if let Ok(sku) = id.parse::<SkuId>() {
                let by = match &action[..3] {
                    "inc" => 1,
                    "dec" => -1,
                    _ => -MAX_LINE_QUANTITY,
                };
                sale.add(sku, by);
            }
            page(&s, &c, sale, None, StatusCode::OK).await
        }
        _ if action == "complete" => complete(&s, &c, sale).await,
        // A payment code and Enter (the form's first button, or none: a scanner, the
        // camera) completes the sale with it.
        _ if matches!(&*action, "" | "scan") && sale.code_to_charge().is_some() => complete(&s, &c, sale).await,
        _ => page(&s, &c, sale, None, StatusCode::OK).await,
    }
}

/// The member whose phone shows `code`; the sale goes on with them (and without any
/// coupon or points chosen for whoever was there before).
async fn member_from_code(s: &AppState, c: &Clerk, sale: &mut Sale, code: String) -> Option<(String, bool)> {
    match s.sweep.member_by_code(&c.actor, MemberCodeInput { code }).await {
        Ok(member) => {
            if sale.member != Some(member.shopper_id) {
                sale.coupon.clear();
                sale.points.clear();
            }
            sale.member = Some(member.shopper_id);
            sale.phone.clear();
            Some((format!("已识别会员 {} Member found", member.phone), false))
        }
        Err(e) => {
            sale.focus_member = true;
            Some((message(&e), true))
        }
    }
}

/// A scanned barcode (or a SKU code typed in) joins the sale: a new line, or one more
/// of a line it has.
async fn scanned(s: &AppState, c: &Clerk, sale: &mut Sale, code: &str) -> Option<(String, bool)> {
    let find = |filter: SkuFilter| async move { s.sweep.list_skus(&c.actor, filter, &PageRequest::first(1)).await };
    let mut found = find(SkuFilter { barcode: Some(code.to_string()), ..Default::default() }).await;
    if matches!(&found, Ok(page) if page.items.is_empty()) {
        found = find(SkuFilter { code: Some(code.to_string()), ..Default::default() }).await;
    }
    match found.map(|p| p.items.into_iter().next()) {
        Ok(Some(sku)) => {
            if sale.lines.len() >= MAX_LINES && !sale.lines.iter().any(|(id, _)| *id == sku.id) {
                return Some((format!("一笔最多 {MAX_LINES} 种商品 At most {MAX_LINES} items a sale"), true));
            }
            sale.add(sku.id, 1);
            None
        }
        Ok(None) => Some((format!("找不到条码 {code} No item with this barcode"), true)),
        Err(e) => Some((message(&e), true)),
    }
}

async fn complete(s: &AppState, c: &Clerk, sale: Sale) -> Response {
    let Some(store) = sale.store else {
        return page(s, c, sale, Some(("请选择门店 Choose a store".into(), true)), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let mut sale = sale;
    let q = match quote(s, c, store, &mut sale).await {
        Ok(q) => q,
        Err(e) => return page(s, c, sale, Some((message(&e), true)), StatusCode::CONFLICT).await,
    };
    let refuse = |text: String| (text, true);
    if q.lines.is_empty() {
        let flash = refuse("请先扫描商品 Scan an item first".into());
        return page(s, c, sale, Some(flash), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if !q.problems.is_empty() {
        return page(s, c, sale, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let Some(mut method) = method(&sale.method) else {
        let flash = refuse("请选择付款方式 Choose how they pay".into());
        return page(s, c, sale, Some(flash), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    // A payment code is charged for the wallet it belongs to, whichever was ticked.
    let auth_code = sale.code_to_charge();
    if let Some(wallet) = auth_code.as_deref().and_then(payment_code_wallet) {
        method = wallet;
        sale.method = wallet.as_str().to_string();
    }
    let cash = method == TillPaymentMethod::Cash;
    if cash && !sale.tendered.is_empty() && q.change(&sale).is_none() {
        let flash = refuse("收到的现金不足 Less cash than the total".into());
        return page(s, c, sale, Some(flash), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let input = TillSaleInput {
        sale_id: sale.sale.clone(),
        store_id: store,
        till_id: till_id(c),
        occurred_at: None,
        offline: false,
        lines: sale
            .lines
            .iter()
            .map(|(sku, quantity)| TillLineInput { sku_id: Some(*sku), barcode: None, quantity: *quantity })
            .collect(),
        member_phone: (sale.member.is_none() && !sale.phone.is_empty()).then(|| sale.phone.clone()),
        member_id: sale.member,
        points: q.points,
        coupon_id: q.coupon,
        payments: vec![TillPaymentInput { method, amount: q.due.minor(), auth_code }],
    };
    match s.sweep.record_till_sale(&c.actor, input).await {
        Ok(view) => {
            let tendered = if cash { Money::parse_major(&sale.tendered, q.due.currency()) } else { None };
            receipt(s, c, view, q.lines, tendered, Some(method)).await
        }
        Err(e) => {
            let status = match e {
                AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::CONFLICT,
            };
            // The sale stays as it was; the clerk scans another code, or takes another
            // method. (The code itself is not put back: it is spent or refused.)
            sale.focus_code = matches!(e, AppError::Conflict { code: "payment_declined", .. });
            page(s, c, sale, Some((message(&e), true)), status).await
        }
    }
}

/// This browser's till: the web till of the signed-in clerk.
pub(super) fn till_id(c: &Clerk) -> String {
    let id = c.actor.staff_id.to_string();
    let tail: String = id.chars().filter(char::is_ascii_alphanumeric).rev().take(12).collect();
    format!("web-{}", tail.chars().rev().collect::<String>())
}
