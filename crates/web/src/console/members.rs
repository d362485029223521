//! Members and coupons: find a member by phone or by the code on their phone, with their
//! points, tier, points history and coupons; the loyalty programme's settings; coupon
//! definitions, created, disabled and issued to a member (once per form).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sweep_app::AppError;
use sweep_app::loyalty::{CouponDefInput, IssueCouponInput, MemberCodeInput, MemberView};
use sweep_app::page::PageRequest;
use sweep_domain::channel::Channel;
use sweep_domain::coupon::{CouponDefStatus, CouponStatus, CouponValue};
use sweep_domain::ids::{CampaignId, CouponDefId, LocationId};
use sweep_domain::loyalty::{LoyaltyProgram, PointsKind, Tier};
use sweep_domain::roles::Permission;
use sweep_domain::text::Localized;

use super::cards::{Check, Fields, Opt, cst, done_notice, locations, store_options};
use super::form_key::{self, Failure};
use super::{Chrome, Console, yuan};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/members", get(members))
        .route("/console/members/code", post(by_code))
        .route("/console/members/program", post(set_program))
        .route("/console/coupons", get(coupons).post(create_coupon))
        .route("/console/coupons/{id}/disable", post(disable_coupon))
        .route("/console/coupons/{id}/issue", post(issue_coupon))
}

// ----- members -----

pub struct MemberCard {
    phone: String,
    points: i64,
    points_value: String,
    tier: String,
    rolling_spend: String,
    next_tier: Option<(String, String)>,
    joined: String,
}

pub struct PointsLine {
    at: String,
    kind: &'static str,
    delta: i64,
    note: String,
    expires: String,
}

pub struct CouponLine {
    name: String,
    value: String,
    status: &'static str,
    usable: bool,
    issued: String,
}

pub struct TierRow {
    i: usize,
    code: String,
    zh: String,
    en: String,
    min_spend: String,
    percent: i64,
    member_prices: bool,
}

#[derive(Template)]
#[template(path = "console/members.html")]
struct MembersPage {
    c: Chrome,
    phone: String,
    member: Option<MemberCard>,
    points: Vec<PointsLine>,
    points_next: Option<String>,
    coupons: Vec<CouponLine>,
    program: ProgramView,
    can_manage_loyalty: bool,
}

pub struct ProgramView {
    spend_per_point: String,
    point_value: String,
    max_redeem_percent: i64,
    points_valid_days: i64,
    tier_window_days: i64,
    tiers: Vec<TierRow>,
}

fn tier_name(console: &Console, t: &Tier) -> String {
    t.name.get(console.lang).to_string()
}

fn points_kind(console: &Console, k: PointsKind) -> &'static str {
    match k {
        PointsKind::Earn => console.tr("获得", "Earned"),
        PointsKind::Redeem => console.tr("抵扣", "Spent"),
        PointsKind::Restore => console.tr("退回", "Given back"),
        PointsKind::Reverse => console.tr("扣回", "Taken back"),
        PointsKind::Expire => console.tr("过期", "Expired"),
    }
}

fn coupon_value(console: &Console, v: &CouponValue) -> String {
    match v {
        CouponValue::Fixed { amount } => format!("¥{} {}", yuan(*amount), console.tr("立减", "off")),
        CouponValue::Percent { percent, max_discount } => {
            let cap = max_discount.map(|m| format!(", {} ¥{}", console.tr("最多", "up to"), yuan(m)));
            format!("{percent}% {}{}", console.tr("折扣", "off"), cap.unwrap_or_default())
        }
    }
}

fn program_view(p: &LoyaltyProgram) -> ProgramView {
    let mut tiers: Vec<TierRow> = p
        .tiers
        .iter()
        .enumerate()
        .map(|(i, t)| TierRow {
            i,
            code: t.code.clone(),
            zh: t.name.zh.clone(),
            en: t.name.en.clone(),
            min_spend: yuan(t.min_spend),
            percent: t.points_percent,
            member_prices: t.member_prices,
        })
        .collect();
    // Room for two more tiers, up to the programme's ten.
    let more = (p.tiers.len()..MAX_TIERS).take(2);
    tiers.extend(more.map(|i| TierRow {
        i,
        code: String::new(),
        zh: String::new(),
        en: String::new(),
        min_spend: String::new(),
        percent: 100,
        member_prices: true,
    }));
    ProgramView {
        spend_per_point: yuan(p.spend_per_point),
        point_value: yuan(p.point_value),
        max_redeem_percent: p.max_redeem_percent,
        points_valid_days: p.points_valid_days,
        tier_window_days: p.tier_window_days,
        tiers,
    }
}

const MAX_TIERS: usize = 10;

/// The page, with a member found (or why not).
async fn member_page(
    s: &AppState,
    console: &Console,
    phone: String,
    found: Option<Result<MemberView, AppError>>,
    points_cursor: Option<&str>,
    notice: Option<(String, bool)>,
) -> Response {
    let mut c = console.chrome(console.tr("会员与优惠券", "Members & coupons"));
    c.notice = notice;
    let mut status = StatusCode::OK;
    let (mut member, mut points, mut points_next, mut coupons) = (None, vec![], None, vec![]);
    match found {
        Some(Ok(m)) => {
            let page = PageRequest::parse(points_cursor, Some(50)).unwrap_or_else(|_| PageRequest::first(50));
            if let Ok(history) = s.sweep.member_points(&console.actor, m.shopper_id, &page).await {
                points = history
                    .items
                    .iter()
                    .map(|e| PointsLine {
                        at: cst(e.created_at),
                        kind: points_kind(console, e.kind),
                        delta: e.delta,
                        note: e.note.clone(),
                        expires: e.expires_at.map(cst).unwrap_or_default(),
                    })
                    .collect();
                points_next = history.next_cursor.filter(|_| !phone.is_empty()).map(|cur| {
                    let q: String =
                        form_urlencoded::Serializer::new(String::new()).append_pair("phone", &phone).finish();
                    format!("/console/members?{q}&points_cursor={cur}")
                });
            }
            let held = s.sweep.member_coupons(&console.actor, m.shopper_id, &PageRequest::first(50)).await;
            coupons = held
                .map(|p| p.items)
                .unwrap_or_default()
                .iter()
                .map(|v| CouponLine {
                    name: v.def.name.get(console.lang).to_string(),
                    value: coupon_value(console, &v.def.value),
                    status: match v.coupon.status {
                        CouponStatus::Available => console.tr("可用", "Available"),
                        CouponStatus::Used => console.tr("已使用", "Used"),
                    },
                    usable: v.usable,
                    issued: cst(v.coupon.issued_at),
                })
                .collect();
            member = Some(MemberCard {
                phone: m.phone.clone(),
                points: m.points,
                points_value: yuan(m.points_value),
                tier: tier_name(console, &m.tier),
                rolling_spend: yuan(m.rolling_spend),
                next_tier: m
                    .next_tier
                    .as_ref()
                    .map(|t| (tier_name(console, t), yuan(m.spend_to_next_tier.unwrap_or(0)))),
                joined: m.joined_channel.clone(),
            });
        }
        Some(Err(e)) => {
            let (code, message) = match &e {
                AppError::NotFound(_) => {
                    (StatusCode::NOT_FOUND, console.tr("没有这个会员", "No member with that phone").to_string())
                }
                other => console.explain(other),
            };
            status = code;
            c.notice = Some((message, true));
        }
        None => {}
    }
    let program = match s.sweep.loyalty_program(&console.actor).await {
        Ok(p) => p,
        Err(e) => return console.failed(&e),
    };
    let page = MembersPage {
        c,
        phone,
        member,
        points,
        points_next,
        coupons,
        program: program_view(&program),
        can_manage_loyalty: console.can(Permission::ManageLoyalty),
    };
    console.page_with_status(&page, status)
}

pub async fn members(State(s): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    let f = Fields::query(raw);
    let phone = f.get("phone").to_string();
    let found = match phone.is_empty() {
        true => None,
        false => Some(s.sweep.find_member(&console.actor, &phone).await),
    };
    let notice = done_notice(&console, &f, &[("program_saved", "会员规则已保存", "Loyalty programme saved")]);
    member_page(&s, &console, phone, found, f.opt("points_cursor"), notice).await
}

/// A member by the code on their phone: a code works once, so this is a POST, answered
/// with the page itself.
pub async fn by_code(State(s): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let found = s.sweep.member_by_code(&console.actor, MemberCodeInput { code: f.get("code").to_string() }).await;
    member_page(&s, &console, String::new(), Some(found), None, None).await
}

pub async fn set_program(State(s): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut check = Check::new(&console);
    let whole = |check: &mut Check, name: &str, zh: &'static str, en: &'static str| {
        let label = console.tr(zh, en);
        check.required(&f, name, label);
        check.int(&f, name, label).unwrap_or(0)
    };
    let max_redeem_percent = whole(&mut check, "max_redeem_percent", "积分最多抵扣（%）", "Points pay at most (%)");
    let points_valid_days = whole(&mut check, "points_valid_days", "积分有效天数", "Points valid for (days)");
    let tier_window_days = whole(&mut check, "tier_window_days", "等级统计天数", "Tier window (days)");
    let spend_label = console.tr("每得 1 积分需消费（元）", "Spend per point (yuan)");
    check.required(&f, "spend_per_point", spend_label);
    let spend_per_point = check.yuan(&f, "spend_per_point", spend_label).unwrap_or(0);
    let value_label = console.tr("1 积分抵扣（元）", "One point is worth (yuan)");
    check.required(&f, "point_value", value_label);
    let point_value = check.yuan(&f, "point_value", value_label).unwrap_or(0);
    let mut tiers = vec![];
    for i in 0..MAX_TIERS {
        let field = |name: &str| format!("tier{i}_{name}");
        let (code, zh, en) = (f.get(&field("code")), f.get(&field("zh")), f.get(&field("en")));
        if code.is_empty() && zh.is_empty() && en.is_empty() {
            continue;
        }
        let label = format!("{} {}", console.tr("等级", "Tier"), i + 1);
        tiers.push(Tier {
            code: code.to_string(),
            name: Localized { zh: zh.to_string(), en: en.to_string() },
            min_spend: check.yuan(&f, &field("min_spend"), &label).unwrap_or(0),
            points_percent: check.int(&f, &field("percent"), &label).unwrap_or(100),
            member_prices: f.checked(&field("member_prices")),
        });
    }
    if let Err(r) = check.finish() {
        return r;
    }
    let program =
        LoyaltyProgram { spend_per_point, point_value, max_redeem_percent, points_valid_days, tier_window_days, tiers };
    match s.sweep.set_loyalty_program(&console.actor, program).await {
        Ok(_) => Redirect::to("/console/members?done=program_saved").into_response(),
        Err(e) => console.failed(&e),
    }
}

// ----- coupons -----

pub struct DefRow {
    id: String,
    name: String,
    campaign: String,
    value: String,
    min_spend: String,
    window: String,
    issued: i64,
    total: String,
    per_member: i64,
    claimable: bool,
    active: bool,
    /// The issue form's one-time key.
    key: String,
}

#[derive(Template)]
#[template(path = "console/coupons.html")]
struct CouponsPage {
    c: Chrome,
    rows: Vec<DefRow>,
    next_link: Option<String>,
    filter_campaigns: Vec<Opt>,
    campaigns: Vec<Opt>,
    stores: Vec<Opt>,
    channels: Vec<Opt>,
    can_manage: bool,
}

pub async fn coupons(State(s): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    let f = Fields::query(raw);
    let mut check = Check::new(&console);
    let campaign: Option<CampaignId> = check.id(&f, "campaign_id", console.tr("活动", "Campaign"));
    if let Err(r) = check.finish() {
        return r;
    }
    let Ok(page) = PageRequest::parse(f.opt("cursor"), Some(50)) else {
        return console.refusal(StatusCode::BAD_REQUEST, console.tr("无效的翻页", "Bad page"));
    };
    let defs = match s.sweep.coupon_defs(&console.actor, campaign, &page).await {
        Ok(d) => d,
        Err(e) => return console.failed(&e),
    };
    let campaigns = s.sweep.list_campaigns(&console.actor, &PageRequest::first(200)).await;
    let campaigns = campaigns.map(|p| p.items).unwrap_or_default();
    let campaign_name = |id: CampaignId| campaigns.iter().find(|c| c.id == id).map(|c| c.name.clone());
    let rows = defs
        .items
        .iter()
        .map(|d| DefRow {
            id: d.id.to_string(),
            name: d.name.get(console.lang).to_string(),
            campaign: campaign_name(d.campaign_id).unwrap_or_default(),
            value: coupon_value(&console, &d.value),
            min_spend: yuan(d.min_spend),
            window: format!("{} – {}", cst(d.starts_at), cst(d.ends_at)),
            issued: d.issued,
            total: d.total_limit.map(|t| t.to_string()).unwrap_or_else(|| "∞".into()),
            per_member: d.per_member_limit,
            claimable: d.claimable,
            active: d.status == CouponDefStatus::Active,
            key: form_key::new_key(),
        })
        .collect();
    let chosen = campaign.map(|c| c.to_string()).unwrap_or_default();
    let mut filter_campaigns = vec![Opt::new("", console.tr("全部活动", "All campaigns"), campaign.is_none())];
    filter_campaigns.extend(campaigns.iter().map(|x| Opt::new(x.id, &x.name, x.id.to_string() == chosen)));
    let all_locations = locations(&s, &console.actor).await.unwrap_or_default();
    let mut c = console.chrome(console.tr("优惠券", "Coupons"));
    c.notice = done_notice(
        &console,
        &f,
        &[
            ("created", "优惠券已创建", "Coupon created"),
            ("disabled", "优惠券已停发", "Coupon disabled"),
            ("issued", "已发给会员", "Issued to the member"),
        ],
    );
    let page = CouponsPage {
        c,
        rows,
        next_link: defs.next_cursor.map(|cur| match campaign {
            Some(id) => format!("/console/coupons?campaign_id={id}&cursor={cur}"),
            None => format!("/console/coupons?cursor={cur}"),
        }),
        filter_campaigns,
        campaigns: campaigns.iter().map(|x| Opt::new(x.id, &x.name, x.id.to_string() == chosen)).collect(),
        stores: store_options(&console, &all_locations, &[]),
        channels: Channel::ALL.iter().map(|ch| Opt::new(ch.as_str(), channel_label(&console, *ch), false)).collect(),
        can_manage: console.can(Permission::ManageCampaigns),
    };
    console.page(&page)
}

fn channel_label(console: &Console, ch: Channel) -> &'static str {
    match ch {
        Channel::Mobile => console.tr("手机浏览器", "Phone browser"),
        Channel::Wechat => console.tr("微信", "WeChat"),
        Channel::Alipay => console.tr("支付宝", "Alipay"),
        Channel::Web => console.tr("电脑网页", "Desktop web"),
        Channel::Pos => console.tr("门店收银", "Store till"),
        Channel::Api => "API",
    }
}

pub async fn create_coupon(State(s): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut check = Check::new(&console);
    let campaign_label = console.tr("活动", "Campaign");
    check.required(&f, "campaign_id", campaign_label);
    let campaign: Option<CampaignId> = check.id(&f, "campaign_id", campaign_label);
    let (zh, en) = (f.get("name_zh").to_string(), f.get("name_en").to_string());
    if zh.is_empty() && en.is_empty() {
        check.fail(console.tr("名称", "Name"), "请填写中文或英文名称", "give a Chinese or an English name");
    }
    let value = match f.get("kind") {
        "percent" => {
            let label = console.tr("折扣（%）", "Percent off");
            check.required(&f, "percent", label);
            let percent = check.int(&f, "percent", label).unwrap_or(0);
            let max_discount = check.yuan(&f, "max_discount", console.tr("最多优惠（元）", "Cap (yuan)"));
            CouponValue::Percent { percent, max_discount }
        }
        _ => {
            let label = console.tr("减免金额（元）", "Amount off (yuan)");
            check.required(&f, "amount", label);
            CouponValue::Fixed { amount: check.yuan(&f, "amount", label).unwrap_or(0) }
        }
    };
    let min_spend = check.yuan(&f, "min_spend", console.tr("最低消费（元）", "Minimum spend (yuan)")).unwrap_or(0);
    let mut channels = vec![];
    for ch in f.all("channels") {
        match Channel::parse(ch) {
            Some(c) => channels.push(c),
            None => check.fail(console.tr("渠道", "Channels"), "无效的选择", "not a valid choice"),
        }
    }
    let stores: Vec<LocationId> = check.ids(&f, "stores", console.tr("门店", "Stores"));
    let starts_at = check.time(&f, "starts_at", console.tr("开始", "Starts"));
    let ends_at = check.time(&f, "ends_at", console.tr("结束", "Ends"));
    let total_limit = check.int(&f, "total_limit", console.tr("发放总量", "Total to issue"));
    let per_member_limit = check.int(&f, "per_member_limit", console.tr("每人限领", "Per member"));
    if let Err(r) = check.finish() {
        return r;
    }
    let Some(campaign_id) = campaign else { return console.refusal(StatusCode::UNPROCESSABLE_ENTITY, campaign_label) };
    let input = CouponDefInput {
        campaign_id,
        name: Localized { zh, en },
        value,
        min_spend,
        channels,
        stores,
        starts_at,
        ends_at,
        total_limit,
        per_member_limit,
        claimable: f.checked("claimable"),
    };
    match s.sweep.create_coupon_def(&console.actor, input).await {
        Ok(_) => Redirect::to("/console/coupons?done=created").into_response(),
        Err(e) => console.failed(&e),
    }
}

fn def_id(console: &Console, id: &str) -> Result<CouponDefId, Response> {
    id.parse().map_err(|_| console.refusal(StatusCode::NOT_FOUND, console.tr("找不到", "Not found")))
}

pub async fn disable_coupon(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = Fields::posted(&console, &s, &headers, &body) {
        return r;
    }
    let id = match def_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match s.sweep.disable_coupon_def(&console.actor, id).await {
        Ok(_) => Redirect::to("/console/coupons?done=disabled").into_response(),
        Err(e) => console.failed(&e),
    }
}

pub async fn issue_coupon(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if !console.can(Permission::ManageCampaigns) {
        return console.refusal(StatusCode::FORBIDDEN, console.tr("你没有权限发放优惠券", "You may not issue coupons"));
    }
    let id = match def_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut check = Check::new(&console);
    let phone = check.required(&f, "phone", console.tr("手机号", "Phone")).to_string();
    if let Err(r) = check.finish() {
        return r;
    }
    let input = IssueCouponInput { phone: Some(phone), shopper_id: None };
    // Once per form: a double click must not issue two coupons.
    let request = f.fingerprint(&format!("/console/coupons/{id}/issue"));
    let issued = s.sweep.issue_coupon(&console.actor, id, input);
    let done = |_: &_| "/console/coupons?done=issued".to_string();
    match form_key::once(&s, &console, f.get("key"), &request, issued, done).await {
        Ok(redirect) => redirect,
        Err(Failure::Step(AppError::NotFound("member"))) => {
            console.refusal(StatusCode::NOT_FOUND, console.tr("没有这个会员", "No member with that phone"))
        }
        Err(failure) => failure.page(&console),
    }
}
