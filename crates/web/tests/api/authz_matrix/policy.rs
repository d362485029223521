//! Who may call each route: the policy the code implements (crates/domain/src/roles.rs's
//! permissions, the store and shopper scopes of the use cases), one rule a route. Paths
//! and bodies name the world's resources as `$name`; forms get the caller's CSRF token.
//! Rules run in this order, so what a success changes comes after what reads it.

use reqwest::Method;

use super::Role::{self, *};
use super::Set;

/// Everyone, signed in or not.
const PUBLIC: Set = super::world::ALL;
/// A signed-in shopper of the shop.
const SHOPPER: Set = Set::of(&[Shopper, OtherShopper]);
/// Any staff member, platform admins included (one's own session and tokens).
const STAFF: Set = Set::of(&[Clerk, Manager, OtherClerk, OtherManager, HeadOffice, Owner, OtherOwner, Admin, AdminInA]);
/// Staff acting in a merchant: every role (view, receive, fulfil, sell, members).
const CLERK: Set = STAFF.without(Set::of(&[Admin]));
/// Store managers and up: staff, stock counts and transfers, refunds, cards, reports.
const MANAGER: Set = CLERK.without(Set::of(&[Clerk, OtherClerk]));
/// Head office: catalogue, prices, campaigns, loyalty, opening stores, flash sales.
const HQ: Set = Set::of(&[HeadOffice, Owner, OtherOwner, AdminInA]);
/// The merchant's owner: payment settings.
const OWNER: Set = Set::of(&[Owner, OtherOwner, AdminInA]);
/// The platform admin.
const ADMIN: Set = Set::of(&[Admin, AdminInA]);
/// Nobody: a forged payment notification.
const NOBODY: Set = Set::of(&[]);

pub enum Body {
    Empty,
    Json(&'static str),
    /// Form fields (the caller's `csrf` goes first); a field `*` spreads a JSON object.
    Form(&'static [(&'static str, &'static str)]),
    Png,
}

pub struct Rule {
    pub method: Method,
    pub path: &'static str,
    pub level: Set,
    pub body: Body,
    pub headers: &'static [(&'static str, &'static str)],
    /// Who proves it works, when not the least privileged allowed role.
    pub by: Option<Role>,
    /// Its success ends the caller's sessions: proved after everything else.
    pub last: bool,
    /// Success shows this in the body or the redirect (pages that answer 200 either way).
    pub ok_text: Option<&'static str>,
    /// Why success cannot be shown here (refusals are still checked).
    pub unproven: Option<&'static str>,
    /// Ids (by name prefix) the answers may show to roles outside their scope, by design.
    pub sees: &'static [&'static str],
}

impl Rule {
    fn json(mut self, body: &'static str) -> Rule {
        self.body = Body::Json(body);
        self
    }
    fn form(mut self, fields: &'static [(&'static str, &'static str)]) -> Rule {
        self.body = Body::Form(fields);
        self
    }
    fn png(mut self) -> Rule {
        self.body = Body::Png;
        self
    }
    fn by(mut self, role: Role) -> Rule {
        self.by = Some(role);
        self
    }
    fn last(mut self) -> Rule {
        self.last = true;
        self
    }
    fn ok(mut self, text: &'static str) -> Rule {
        self.ok_text = Some(text);
        self
    }
    fn unproven(mut self, why: &'static str) -> Rule {
        self.unproven = Some(why);
        self
    }
    fn sees(mut self, prefixes: &'static [&'static str]) -> Rule {
        self.sees = prefixes;
        self
    }
    fn headers(mut self, headers: &'static [(&'static str, &'static str)]) -> Rule {
        self.headers = headers;
        self
    }

    /// The world's resources the request names.
    pub fn vars(&self) -> Vec<&'static str> {
        let mut texts: Vec<&'static str> = vec![self.path];
        match &self.body {
            Body::Json(t) => texts.push(t),
            Body::Form(fields) => fields.iter().for_each(|(k, v)| texts.extend([*k, *v])),
            Body::Empty | Body::Png => {}
        }
        texts.extend(self.headers.iter().map(|(_, v)| *v));
        let mut out = vec![];
        for text in texts {
            let mut rest = text;
            while let Some(at) = rest.find('$') {
                rest = &rest[at + 1..];
                let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
                if !out.contains(&&rest[..end]) {
                    out.push(&rest[..end]);
                }
                rest = &rest[end..];
            }
        }
        out
    }
}

fn rule(method: Method, path: &'static str, level: Set) -> Rule {
    // Pages post forms (with their CSRF token); the JSON APIs take JSON.
    let page = !path.starts_with("/api/") && !path.contains("/api/") && method != Method::GET;
    let body = if page { Body::Form(&[]) } else { Body::Empty };
    Rule { method, path, level, body, headers: &[], by: None, last: false, ok_text: None, unproven: None, sees: &[] }
}
fn get(path: &'static str, level: Set) -> Rule {
    rule(Method::GET, path, level)
}
fn post(path: &'static str, level: Set) -> Rule {
    rule(Method::POST, path, level)
}
fn put(path: &'static str, level: Set) -> Rule {
    rule(Method::PUT, path, level)
}
fn patch(path: &'static str, level: Set) -> Rule {
    rule(Method::PATCH, path, level)
}
fn delete(path: &'static str, level: Set) -> Rule {
    rule(Method::DELETE, path, level)
}

pub fn rules() -> Vec<Rule> {
    let mut all = vec![];
    all.extend(system());
    all.extend(api());
    all.extend(console());
    all.extend(counter());
    all.extend(shop());
    all
}

fn system() -> Vec<Rule> {
    vec![
        get("/", PUBLIC),
        get("/login", PUBLIC),
        // The sign-in form's token is the one in its cookie (double submit).
        post("/login", PUBLIC)
            .form(&[("csrf", "matrix-login-token"), ("login", "$owner_login"), ("password", "$password"), ("next", "")])
            .headers(&[("cookie", "sweep_login_csrf=matrix-login-token")]),
        post("/logout", PUBLIC).ok("/login"),
        get("/console/live", HQ),
        get("/healthz", PUBLIC),
        get("/readyz", PUBLIC),
        get("/metrics", PUBLIC),
        get("/api/openapi.json", PUBLIC),
        get("/media/$media_key", PUBLIC),
        get("/static/shop.css", PUBLIC),
        get("/static/shop.js", PUBLIC),
        get("/static/live.css", PUBLIC),
        get("/static/live.js", PUBLIC),
        get("/static/console.css", PUBLIC),
        get("/static/console.js", PUBLIC),
        get("/static/vendor/echarts.min.js", PUBLIC),
        // The demo's SMS outbox: on only where configured (demo servers and these tests).
        get("/dev/sms", PUBLIC),
    ]
}

fn api() -> Vec<Rule> {
    vec![
        post("/api/v1/auth/login", PUBLIC).json(r#"{"login": "$owner_login", "password": "$password"}"#),
        post("/api/v1/auth/logout", PUBLIC),
        get("/api/v1/me", STAFF),
        post("/api/v1/me/password", STAFF)
            .json(r#"{"current_password": "$password", "new_password": "a brand new password 1"}"#)
            .last(),
        get("/api/v1/api-tokens", STAFF),
        post("/api/v1/api-tokens", STAFF).json(r#"{"name": "matrix"}"#),
        post("/api/v1/api-tokens/$token/revoke", STAFF),
        get("/api/v1/merchants", STAFF),
        post("/api/v1/merchants", ADMIN).json(
            r#"{"name": "Gamma", "slug": "gamma", "owner": {"login": "owner@gamma.test", "display_name": "Owner", "password": "$password"}}"#,
        ),
        get("/api/v1/merchants/$merchant", STAFF),
        patch("/api/v1/merchants/$merchant", OWNER.or(Set::of(&[Admin]))).json(r#"{"name": "Merchant alpha"}"#),
        // A platform admin lists the platform's own staff.
        get("/api/v1/staff", MANAGER.or(Set::of(&[Admin]))),
        post("/api/v1/staff", MANAGER).json(
            r#"{"login": "hired@alpha.test", "display_name": "Hired", "password": "$password", "role": "clerk", "stores": ["$store1"]}"#,
        ),
        get("/api/v1/staff/$staff1", MANAGER),
        patch("/api/v1/staff/$staff1", MANAGER).json(r#"{"display_name": "Target"}"#),
        get("/api/v1/locations", CLERK),
        post("/api/v1/locations", HQ).json(
            r#"{"code": "NEW", "kind": "store", "name": {"zh": "新店", "en": "New"}, "address": "文三路 2 号", "city": "杭州",
                "point": {"lat": 30.27, "lng": 120.15}, "opening_hours": {"mon": ["10:00-22:00"]}, "pickup_enabled": true, "delivery_enabled": true}"#,
        ),
        get("/api/v1/locations/$store1", CLERK),
        patch("/api/v1/locations/$store1", MANAGER).json(r#"{"phone": "0571-88880000"}"#),
        post("/api/v1/locations/$loc_arch/archive", HQ),
        get("/api/v1/categories", CLERK),
        post("/api/v1/categories", HQ).json(r#"{"name": {"en": "New"}}"#),
        get("/api/v1/categories/$category", CLERK),
        patch("/api/v1/categories/$category", HQ).json(r#"{"name": {"en": "Renamed"}}"#),
        post("/api/v1/categories/$category_arch/archive", HQ),
        get("/api/v1/products", CLERK),
        post("/api/v1/products", HQ).json(r#"{"name": {"zh": "新品", "en": "New"}, "status": "active"}"#),
        get("/api/v1/products/$product", CLERK),
        patch("/api/v1/products/$product", HQ).json(r#"{"name": {"zh": "纯棉毛巾", "en": "Cotton towel"}}"#),
        post("/api/v1/products/$product_arch/archive", HQ),
        post("/api/v1/products/$product/images", HQ).png(),
        delete("/api/v1/products/$product/images/$image", HQ),
        post("/api/v1/products/$product/skus", HQ).json(r#"{"code": "NEW-1", "base_price": 100}"#),
        get("/api/v1/skus", CLERK),
        post("/api/v1/media", HQ).png(),
        get("/api/v1/banners", CLERK),
        post("/api/v1/banners", HQ)
            .json(r#"{"title": {"zh": "横幅", "en": "Banner"}, "image_key": "$media_key", "link": "/search?q=towel"}"#),
        delete("/api/v1/banners/$banner", HQ),
        get("/api/v1/skus/$sku", CLERK),
        patch("/api/v1/skus/$sku", HQ).json(r#"{"base_price": 3900}"#),
        post("/api/v1/skus/$sku_arch/archive", HQ),
        get("/api/v1/skus/$sku/prices", CLERK),
        put("/api/v1/skus/$sku/prices/channels/$channel", HQ).json(r#"{"price": 3800}"#),
        delete("/api/v1/skus/$sku/prices/channels/$wechat", HQ),
        put("/api/v1/skus/$sku/prices/stores/$store1", HQ).json(r#"{"price": 3900}"#),
        delete("/api/v1/skus/$sku/prices/stores/$store2", HQ),
        get("/api/v1/prices/quote?sku_id=$sku&channel=pos&store_id=$store1", CLERK),
        get("/api/v1/reports/price-parity", MANAGER),
        get("/api/v1/stock", CLERK),
        get("/api/v1/stock/movements", CLERK),
        post("/api/v1/stock/receipts", CLERK).json(r#"{"location_id": "$store1", "lines": [{"sku_id": "$sku", "quantity": 5}]}"#),
        post("/api/v1/stock/adjustments", MANAGER)
            .json(r#"{"location_id": "$store1", "sku_id": "$sku", "delta": 1, "reason": "count_correction"}"#),
        post("/api/v1/stock/transfers", MANAGER).json(
            r#"{"from_location_id": "$store1", "to_location_id": "$sister", "lines": [{"sku_id": "$sku", "quantity": 1}]}"#,
        ),
        get("/api/v1/orders", CLERK),
        get("/api/v1/orders/$o_show", CLERK),
        post("/api/v1/orders/$o_ready/ready", CLERK),
        post("/api/v1/orders/$o_handover/handover", CLERK).json(r#"{"code": "$code_handover"}"#),
        post("/api/v1/orders/$o_ship/ship", CLERK)
            .json(r#"{"shipment_id": "$shipment", "carrier": "顺丰速运", "tracking_number": "SF0000000002"}"#),
        post("/api/v1/orders/$o_deliver/deliver", CLERK),
        post("/api/v1/orders/$o_cancel_staff/cancel", CLERK).json(r#"{"reason": "缺货"}"#),
        post("/api/v1/orders/$o_refund/refunds", MANAGER).json(r#"{"amount": 100, "reason": "goodwill"}"#),
        post("/api/v1/orders/$o_return_ok/returns/$return_ok/approve", MANAGER),
        post("/api/v1/orders/$o_return_no/returns/$return_no/reject", MANAGER),
        post("/api/v1/pickup/lookup", CLERK).json(r#"{"store_id": "$store1", "code": "$code_lookup"}"#),
        // Forged notifications: nobody gets them accepted.
        post("/api/v1/payments/$sandbox/notify", NOBODY).json(r#"{"out_trade_no": "$o_pay", "status": "paid"}"#),
        post("/api/v1/payments/$alipay/notify/$merchant_public", NOBODY).json(r#"{"out_trade_no": "$o_pay", "status": "paid"}"#),
        get("/api/v1/payment-accounts", OWNER),
        get("/api/v1/reconciliations", HQ),
        post("/api/v1/reconciliations", HQ).json(r#"{"day": "$yesterday"}"#),
        put("/api/v1/payment-accounts/$wechatpay", OWNER).json("$wechat_creds"),
        delete("/api/v1/payment-accounts/$alipay", OWNER),
        get("/api/v1/campaigns", CLERK),
        post("/api/v1/campaigns", HQ).json(r#"{"name": "Summer", "starts_at": "$t_start", "ends_at": "$t_end"}"#),
        get("/api/v1/campaigns/$campaign", CLERK),
        patch("/api/v1/campaigns/$campaign", HQ).json(r#"{"name": "Spring sale"}"#),
        get("/api/v1/cards", CLERK),
        post("/api/v1/cards", MANAGER).json(r#"{"store_id": "$store1", "sku_ids": ["$sku"], "campaign_id": "$campaign"}"#),
        get("/api/v1/cards/sheet.pdf?ids=$card", CLERK),
        get("/api/v1/cards/$card", CLERK),
        post("/api/v1/cards/$card_dis/disable", MANAGER),
        post("/api/v1/cards/$card_en/enable", MANAGER),
        get("/api/v1/cards/$card/qr.svg", CLERK),
        get("/api/v1/cards/$card/card.svg", CLERK),
        get("/api/v1/cards/$card/card.png", CLERK),
        get("/api/v1/reports/scan-funnel?from=$t_start&to=$t_end", MANAGER),
        get("/api/v1/stores/nearby?shop=$slug&sku=$sku&lat=30.27&lng=120.15", PUBLIC),
        get("/api/v1/loyalty/program", CLERK),
        put("/api/v1/loyalty/program", HQ).json("$program"),
        get("/api/v1/members?phone=$phone1", CLERK),
        post("/api/v1/members", CLERK).json(r#"{"phone": "13700000099", "store_id": "$store1"}"#),
        post("/api/v1/members/by-code", CLERK).json(r#"{"code": "$member_code_api"}"#),
        // Members are the merchant's: their points name the orders that earned them.
        get("/api/v1/members/$shopper1/points", CLERK).sees(&["o_"]),
        get("/api/v1/members/$shopper1/coupons", CLERK),
        get("/api/v1/coupons", CLERK),
        post("/api/v1/coupons", HQ)
            .json(r#"{"campaign_id": "$campaign", "name": {"zh": "券", "en": "Coupon"}, "value": {"type": "fixed", "amount": 500}}"#),
        post("/api/v1/coupons/$def_dis/disable", HQ),
        post("/api/v1/coupons/$def/issue", HQ).json(r#"{"phone": "$phone1"}"#),
        get("/api/v1/flash-sales", CLERK),
        post("/api/v1/flash-sales", HQ).json(
            r#"{"campaign_id": "$campaign", "name": "New sale", "location_id": "$store1", "starts_at": "$t_start", "ends_at": "$t_end",
                "per_member_limit": 1, "items": [{"sku_id": "$sku", "price": 990, "units": 1}]}"#,
        ),
        get("/api/v1/flash-sales/$flash", CLERK),
        post("/api/v1/flash-sales/$flash_end/end", HQ),
        get("/api/v1/live", MANAGER),
        get("/api/v1/live/board", HQ),
        get("/api/v1/live/stream", HQ),
        post("/api/v1/dev/rehearsal-members", HQ).json(r#"{"first_phone": "13600000000", "count": 1}"#),
        post("/api/v1/pos/sales", CLERK).json(
            r#"{"sale_id": "$key", "store_id": "$store1", "till_id": "T1", "lines": [{"sku_id": "$sku", "quantity": 1}],
                "payments": [{"method": "cash", "amount": 3900}]}"#,
        ),
        post("/api/v1/pos/sales/$till_sale/returns", CLERK)
            .json(r#"{"lines": [{"line_id": "$till_line", "quantity": 1}], "reason": "wrong size"}"#),
        get("/api/v1/pos/shifts?store_id=$store1", CLERK),
        post("/api/v1/pos/shifts", CLERK)
            .json(r#"{"store_id": "$store1", "till_id": "T9", "opening_float": 0, "counted_cash": 0, "note": "matrix"}"#),
    ]
}

fn console() -> Vec<Rule> {
    vec![
        // A platform admin has the console without a merchant: its overview, the platform's
        // staff and the empty forms; everything of a merchant answers 422.
        get("/console", CLERK.or(Set::of(&[Admin]))),
        get("/console/analytics", MANAGER),
        get("/console/analytics/$days_csv", MANAGER),
        get("/console/cards", CLERK),
        post("/console/cards", MANAGER).form(&[
            ("key", "$key"),
            ("store_id", "$store1"),
            ("sku_codes", "TWL-1"),
            ("copies", "1"),
        ]),
        post("/console/cards/campaigns", HQ).form(&[
            ("name", "Autumn"),
            ("starts_at", "$cst_start"),
            ("ends_at", "$cst_end"),
        ]),
        post("/console/cards/$card_en2/enable", MANAGER).form(&[("back", "")]),
        post("/console/cards/$card_dis2/disable", MANAGER).form(&[("back", "")]),
        get("/console/products", CLERK),
        get("/console/products.csv", CLERK),
        get("/console/products/new", HQ),
        post("/console/products/new", HQ).form(&[
            ("category", ""),
            ("name_zh", "亚麻枕套"),
            ("name_en", "Linen pillowcase"),
            ("description_zh", ""),
            ("description_en", ""),
            ("status", "active"),
            ("code", "PIL-1"),
            ("barcode", ""),
            ("attributes", ""),
            ("base_price", "49.90"),
            ("member_price", ""),
        ]),
        get("/console/products/prices", HQ),
        post("/console/products/prices", HQ).form(&[
            ("sku", "$sku"),
            ("base.$sku", "38.00"),
            ("member.$sku", "35.00"),
            ("was_base.$sku", "39.00"),
            ("was_member.$sku", "35.00"),
        ]),
        get("/console/products/import", HQ.or(Set::of(&[Admin]))),
        post("/console/products/import", HQ)
            .form(&[("csv", "product_ref,name_zh,sku_code,base_price\nNEW-P,导入,IMP-1,9.90\n"), ("action", "check")]),
        get("/console/products/$product", CLERK),
        post("/console/products/$product", HQ).form(&[
            ("name_zh", "纯棉毛巾"),
            ("name_en", "Cotton towel"),
            ("description_zh", ""),
            ("description_en", ""),
            ("status", "active"),
            ("category", ""),
        ]),
        post("/console/products/$product_arch2/archive", HQ),
        post("/console/products/$product/skus", HQ).form(&[
            ("code", "TWL-9"),
            ("barcode", ""),
            ("attributes", "size=S"),
            ("base_price", "9.90"),
            ("member_price", ""),
        ]),
        post("/console/products/$product/skus/$sku", HQ).form(&[("base_price", "39"), ("member_price", "35")]),
        post("/console/products/$product/skus/$sku_arch2/archive", HQ),
        post("/console/products/$product/overrides", HQ).form(&[
            ("sku", "$sku"),
            ("scope", "store:$store1"),
            ("price", "36"),
        ]),
        post("/console/products/$product/overrides/delete", HQ).form(&[("sku", "$sku"), ("scope", "channel:alipay")]),
        get("/console/flash", HQ),
        post("/console/flash", HQ).form(&[
            ("key", "$key"),
            ("name", "页面秒杀"),
            ("campaign_id", "$campaign"),
            ("location_id", "$store1"),
            ("sku_code", "TWL-1"),
            ("price", "9.90"),
            ("units", "1"),
            ("starts_at", "$cst_start"),
            ("ends_at", "$cst_end"),
            ("per_member_limit", "1"),
        ]),
        get("/console/flash/$flash", HQ),
        post("/console/flash/$flash_end2/end", HQ),
        get("/console/members", CLERK),
        post("/console/members/code", CLERK).form(&[("code", "$member_code_page")]).ok("138****0001"),
        post("/console/members/program", HQ).form(&[
            ("spend_per_point", "1.00"),
            ("point_value", "0.01"),
            ("max_redeem_percent", "50"),
            ("points_valid_days", "365"),
            ("tier_window_days", "365"),
            ("tier0_code", "member"),
            ("tier0_zh", "会员"),
            ("tier0_en", "Member"),
            ("tier0_min_spend", "0"),
            ("tier0_percent", "100"),
        ]),
        get("/console/coupons", CLERK),
        post("/console/coupons", HQ).form(&[
            ("campaign_id", "$campaign"),
            ("name_zh", "满50减5"),
            ("kind", "fixed"),
            ("amount", "5"),
        ]),
        post("/console/coupons/$def_dis2/disable", HQ),
        post("/console/coupons/$def/issue", HQ).form(&[("key", "$key"), ("phone", "$phone1")]),
        get("/console/orders", CLERK),
        get("/console/orders.csv", CLERK),
        get("/console/orders/$o_show", CLERK),
        post("/console/orders/$o_console/$ready", CLERK).form(&[("key", "$key")]),
        get("/console/pickup", CLERK),
        post("/console/pickup/$o_pickup/ready", CLERK).form(&[("key", "$key"), ("store", "$store1")]),
        get("/console/password", STAFF),
        post("/console/password", STAFF)
            .form(&[
                ("current_password", "$password"),
                ("new_password", "a brand new password 2"),
                ("repeat_password", "a brand new password 2"),
            ])
            .by(Manager)
            .last(),
        get("/console/payments", OWNER),
        post("/console/payments/$alipay", OWNER).form(&[("*", "$alipay_creds")]),
        post("/console/payments/$wechatpay/disconnect", OWNER),
        get("/console/staff", MANAGER.or(Set::of(&[Admin]))),
        post("/console/staff", MANAGER).form(&[
            ("login", "hired2@alpha.test"),
            ("display_name", "小王"),
            ("password", "$password"),
            ("role", "clerk"),
            ("stores", "$store1"),
        ]),
        get("/console/staff/$staff1", MANAGER),
        post("/console/staff/$staff1", MANAGER).form(&[
            ("display_name", "小王"),
            ("access", "1"),
            ("role", "clerk"),
            ("stores", "$store1"),
        ]),
        get("/console/stock", CLERK),
        get("/console/stock/movements", CLERK),
        get("/console/stock/receive", CLERK),
        post("/console/stock/receive", CLERK).form(&[
            ("key", "$key"),
            ("location", "$store1"),
            ("sku", "TWL-1"),
            ("quantity", "2"),
            ("note", ""),
        ]),
        get("/console/stock/adjust", MANAGER),
        post("/console/stock/adjust", MANAGER).form(&[
            ("key", "$key"),
            ("location", "$store1"),
            ("sku", "TWL-1"),
            ("quantity", "1"),
            ("reason", "count_correction"),
            ("note", ""),
        ]),
        get("/console/stock/transfer", MANAGER),
        post("/console/stock/transfer", MANAGER).form(&[
            ("key", "$key"),
            ("location", "$store1"),
            ("to", "$sister"),
            ("sku", "TWL-1"),
            ("quantity", "1"),
            ("note", ""),
        ]),
        get("/console/stores", CLERK),
        post("/console/stores", HQ).form(&[
            ("code", "HZ-02"),
            ("kind", "store"),
            ("name_zh", "湖滨店"),
            ("name_en", "Hubin"),
            ("city", "杭州"),
            ("address", "湖滨路 1 号"),
            ("lat", "30.2590"),
            ("lng", "120.1650"),
            ("hours_mon", "10:00-22:00"),
        ]),
        get("/console/stores/new", HQ.or(Set::of(&[Admin]))),
        get("/console/stores/$store1", CLERK),
        post("/console/stores/$store1", MANAGER).form(&[
            ("name_zh", "西湖店"),
            ("name_en", "SA store"),
            ("city", "杭州"),
            ("address", "西湖区文三路 1 号"),
            ("lat", "30.2741"),
            ("lng", "120.1551"),
            ("hours_mon", "10:00-22:00"),
            ("pickup_enabled", "1"),
            ("delivery_enabled", "1"),
        ]),
        post("/console/stores/$loc_arch2/archive", HQ),
        post("/console/stores/$loc_restore/restore", HQ),
    ]
}

/// The counter, the till, returns and the shift close (`/clerk`).
fn counter() -> Vec<Rule> {
    vec![
        get("/clerk", CLERK),
        post("/clerk/lookup", CLERK).form(&[("store", "$store1"), ("code", "$code_lookup")]).ok("$code_lookup"),
        post("/clerk/orders/$o_clerk_ready/ready", CLERK).form(&[("store", "$store1")]).ok("已备货"),
        post("/clerk/orders/$o_clerk_handover/handover", CLERK)
            .form(&[("store", "$store1"), ("code", "$code_clerk")])
            .ok("已交付"),
        get("/clerk/till", CLERK),
        post("/clerk/till", CLERK).form(&[
            ("store", "$store1"),
            ("sale", "ts_$key"),
            ("line", "$sku:1"),
            ("method", "cash"),
            ("tendered", "100"),
            ("action", "complete"),
        ]),
        get("/clerk/returns", CLERK),
        get("/clerk/returns/$till_sale_page", CLERK),
        post("/clerk/returns/$till_sale_page", CLERK).form(&[
            ("seen", "$seen"),
            ("qty:$till_line_page", "1"),
            ("reason", "wrong size"),
        ]),
        get("/clerk/shift", CLERK),
        post("/clerk/shift", CLERK).form(&[
            ("store", "$store1"),
            ("since", "$shift_since"),
            ("opening_float", "0"),
            ("counted_cash", "78"),
            ("note", ""),
        ]),
    ]
}

/// The storefront, pages and JSON (`/s/alpha`), and display cards' short links.
fn shop() -> Vec<Rule> {
    vec![
        get("/s/$slug", PUBLIC),
        get("/s/$slug/c/$category", PUBLIC),
        get("/s/$slug/p/$product", PUBLIC),
        get("/s/$slug/flash/$flash", PUBLIC),
        post("/s/$slug/flash/$flash", SHOPPER).form(&[("sku_id", "$sku"), ("address_id", "")]).ok("/orders/"),
        get("/s/$slug/search?q=towel", PUBLIC),
        get("/s/$slug/scan/$card_code", PUBLIC),
        get("/c/$card_code", PUBLIC),
        get("/s/$slug/cart", PUBLIC),
        // Changing a line needs one: shopper 1 has one.
        post("/s/$slug/cart", PUBLIC).form(&[("sku_id", "$sku"), ("quantity", "1")]).by(Shopper),
        post("/s/$slug/cart/add", PUBLIC).form(&[("sku_id", "$sku"), ("quantity", "1"), ("then", "")]),
        get("/s/$slug/login", PUBLIC),
        post("/s/$slug/login", PUBLIC).form(&[("phone", "13800000005"), ("code", "$code5"), ("next", "")]),
        post("/s/$slug/login/code", PUBLIC).form(&[("phone", "13800000006"), ("next", "")]).ok("sent=1"),
        post("/s/$slug/logout", PUBLIC).ok("/s/alpha"),
        get("/s/$slug/checkout", SHOPPER),
        post("/s/$slug/checkout", SHOPPER)
            .form(&[("idempotency_key", "$key"), ("choice", "pickup:$store1"), ("points", ""), ("coupon", "")])
            .ok("/orders/"),
        get("/s/$slug/orders", SHOPPER),
        get("/s/$slug/orders/$o_show", SHOPPER),
        post("/s/$slug/orders/$o_pay_page/pay", SHOPPER).form(&[]),
        get("/s/$slug/orders/$o_pay_page/pay/authorised?provider=wechatpay&code=x&state=y", SHOPPER)
            .unproven("needs WeChat's sign-in round trip"),
        post("/s/$slug/orders/$o_cancel_page/cancel", SHOPPER).form(&[]),
        post("/s/$slug/orders/$o_received_page/received", SHOPPER).form(&[]),
        get("/s/$slug/orders/$o_show/qr.svg", SHOPPER),
        get("/s/$slug/me", PUBLIC),
        get("/s/$slug/points", SHOPPER),
        get("/s/$slug/coupons", SHOPPER),
        post("/s/$slug/coupons/$def/claim", SHOPPER).form(&[]),
        get("/s/$slug/card", SHOPPER),
        get("/s/$slug/addresses", SHOPPER),
        post("/s/$slug/addresses", SHOPPER).form(&[
            ("recipient", "王小明"),
            ("phone", "13800000001"),
            ("district_key", "杭州|西湖区"),
            ("detail", "文三路 90 号"),
            ("lat", ""),
            ("lng", ""),
            ("next", ""),
        ]),
        post("/s/$slug/addresses/$address_del/delete", SHOPPER).form(&[]),
        get("/s/$slug/api/session", PUBLIC),
        post("/s/$slug/api/login/code", PUBLIC).json(r#"{"phone": "13800000004"}"#),
        post("/s/$slug/api/login", PUBLIC).json(r#"{"phone": "13800000003", "code": "$code3"}"#),
        post("/s/$slug/api/logout", PUBLIC),
        get("/s/$slug/api/products/$product", PUBLIC),
        get("/s/$slug/api/cart", PUBLIC),
        post("/s/$slug/api/cart/items", PUBLIC).json(r#"{"sku_id": "$sku", "quantity": 1}"#),
        put("/s/$slug/api/cart/items/$sku", PUBLIC).json(r#"{"quantity": 1}"#).by(Shopper),
        get("/s/$slug/api/pickup-stores", PUBLIC),
        get("/s/$slug/api/stores/nearby?sku=$sku&lat=30.27&lng=120.15", PUBLIC),
        get("/s/$slug/api/addresses", SHOPPER),
        post("/s/$slug/api/addresses", SHOPPER)
            .json(r#"{"recipient": "王小明", "phone": "13800000001", "city": "杭州", "district": "西湖区", "detail": "文三路 90 号"}"#),
        get("/s/$slug/api/orders", SHOPPER),
        post("/s/$slug/api/orders", SHOPPER)
            .json(r#"{"fulfilment": "pickup", "store_id": "$store1", "lines": [{"sku_id": "$sku", "quantity": 1}]}"#),
        get("/s/$slug/api/orders/$o_show", SHOPPER),
        post("/s/$slug/api/orders/$o_pay/pay", SHOPPER).json("{}"),
        get("/s/$slug/api/payment-methods", PUBLIC),
        post("/s/$slug/api/orders/$o_cancel/cancel", SHOPPER),
        post("/s/$slug/api/orders/$o_received/received", SHOPPER),
        post("/s/$slug/api/orders/$o_return_ask/returns", SHOPPER)
            .json(r#"{"lines": [{"line_id": "$line_ask", "quantity": 1}], "reason": "颜色不合适"}"#),
        get("/s/$slug/api/member", SHOPPER),
        get("/s/$slug/api/points", SHOPPER),
        post("/s/$slug/api/member/code", SHOPPER),
        get("/s/$slug/api/coupons", SHOPPER),
        get("/s/$slug/api/coupons/claimable", PUBLIC),
        post("/s/$slug/api/coupons/$def/claim", SHOPPER),
        get("/s/$slug/api/flash/$flash", PUBLIC),
        post("/s/$slug/api/flash/$flash/orders", SHOPPER).json(r#"{"sku_id": "$sku"}"#),
    ]
}
