//! The matrix's world: merchants A (`alpha`) and B (`beta`), A's staff in two stores,
//! two shoppers, and one resource of merchant A / store 1 / shopper 1 for every path
//! parameter, several where a route changes what it touches (each such route gets its
//! own). Every resource has a scope: the roles that may see it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Answer, Role, Role::*, Set};
use crate::helpers::*;

pub const SLUG: &str = "alpha";
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n0000";
const PHONE_1: &str = "13800000001";
const PHONE_2: &str = "13800000002";

// Who may see what, in the roles the shop and the staff side know (see `effective`).
pub const ALL: Set = Set::of(&super::ROLES);
/// Merchant A's public face: its shop, catalogue, stores, sales.
pub const PUBLIC_A: Set = ALL.without(Set::of(&[OtherOwner]));
pub const STAFF_A: Set = Set::of(&[Clerk, Manager, OtherClerk, OtherManager, HeadOffice, Owner, Admin, AdminInA]);
pub const HEAD_OFFICE_A: Set = Set::of(&[HeadOffice, Owner, Admin, AdminInA]);
pub const STORE_1: Set = HEAD_OFFICE_A.or(Set::of(&[Clerk, Manager]));
const STORE_2: Set = HEAD_OFFICE_A.or(Set::of(&[OtherClerk, OtherManager]));
const SHOP_VISITORS: Set = Set::of(&[Anon, Shopper, OtherShopper]);
/// Shopper 1's orders at store 1.
pub const ORDER_1: Set = STORE_1.or(Set::of(&[Shopper]));
/// Shopper 1 as a member, and what they hold.
pub const SHOPPER_1: Set = STAFF_A.or(Set::of(&[Shopper]));
/// The clerk's own API token: theirs, and the owner's to oversee.
const TOKEN: Set = Set::of(&[Clerk, Owner, Admin, AdminInA]);

struct Var {
    value: String,
    scope: Set,
    /// Its value must not show in answers to roles outside its scope.
    secret: bool,
    ghost: String,
}

pub struct Actor {
    pub http: reqwest::Client,
    pub csrf: Option<String>,
    pub headers: Vec<(&'static str, String)>,
}

pub struct World {
    pub url: String,
    vars: HashMap<&'static str, Var>,
    actors: HashMap<Role, Actor>,
}

impl World {
    fn set(&mut self, name: &'static str, value: impl Into<String>, scope: Set, secret: bool) {
        let value = value.into();
        let ghost = ghost_of(&value);
        self.vars.insert(name, Var { value, scope, secret, ghost });
    }

    /// A resource's id or code, visible to `scope`.
    fn id(&mut self, name: &'static str, value: impl Into<String>, scope: Set) {
        self.set(name, value, scope, true);
    }

    /// A value anyone may know (a slug, a channel, a phone number, a date).
    fn plain(&mut self, name: &'static str, value: impl Into<String>) {
        self.set(name, value, ALL, false);
    }

    pub fn value(&self, name: &str) -> &str {
        &self.vars.get(name).unwrap_or_else(|| panic!("no ${name} in the world")).value
    }

    pub fn scope(&self, name: &str) -> Set {
        if name == "key" { ALL } else { self.vars.get(name).unwrap_or_else(|| panic!("no ${name} in the world")).scope }
    }

    pub fn secrets(&self) -> impl Iterator<Item = (&'static str, &String)> {
        self.vars.iter().filter(|(_, v)| v.secret).map(|(k, v)| (*k, &v.value))
    }

    pub fn actor(&self, role: Role) -> &Actor {
        &self.actors[&role]
    }

    /// `text` with each `$name` replaced by its value (its ghost when in `ghosted`);
    /// `$key` is a fresh key each time (forms' one-time keys, sale ids).
    pub fn fill(&self, text: &str, ghosted: &BTreeSet<&str>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let name_len =
                rest[at + 1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len() - at - 1);
            let name = &rest[at + 1..at + 1 + name_len];
            if name == "key" {
                out.push_str(&uuid::Uuid::now_v7().to_string());
            } else {
                let var = self.vars.get(name).unwrap_or_else(|| panic!("no ${name} in the world ({text})"));
                out.push_str(if ghosted.contains(name) { &var.ghost } else { &var.value });
            }
            rest = &rest[at + 1 + name_len..];
        }
        out.push_str(rest);
        out
    }

    /// The answer to a ghost request, with the ghosts' ids put back, to compare.
    pub fn unghost(&self, a: &Answer, ghosted: &BTreeSet<&str>) -> Answer {
        let mut a = a.clone();
        for name in ghosted {
            let var = &self.vars[name];
            a.location = a.location.map(|l| l.replace(&var.ghost, &var.value));
        }
        a
    }

    /// Shopper 1's member codes, fresh: each works once, for two minutes; the routes that
    /// take one get theirs made just before they run.
    pub async fn member_codes(&mut self) {
        let (http, csrf) = (self.actors[&Shopper].http.clone(), self.actors[&Shopper].csrf.clone().unwrap());
        for name in ["member_code_api", "member_code_page"] {
            let r = http
                .post(format!("{}/s/{SLUG}/api/member/code", self.url))
                .header("x-csrf-token", &csrf)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            let code = str_of(&r.json::<Value>().await.unwrap()["code"]);
            self.plain(name, code);
        }
    }

    /// A JSON object of credentials as the console's form fields (lists one a line).
    pub fn form_fields(&self, json_text: &str) -> Vec<(String, String)> {
        let creds: Value = serde_json::from_str(json_text).unwrap();
        creds
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::Array(list) => list.iter().map(|p| p.as_str().unwrap()).collect::<Vec<_>>().join("\n"),
                    other => other.as_str().unwrap().to_string(),
                };
                (k.clone(), text)
            })
            .collect()
    }
}

/// A made-up value of the same shape: a UUID with other random bits, a code with other digits.
fn ghost_of(value: &str) -> String {
    if let Ok(id) = value.parse::<uuid::Uuid>() {
        let text = id.to_string();
        let fresh = uuid::Uuid::new_v4().simple().to_string();
        return format!("{}{}", &text[..24], &fresh[..12]);
    }
    // Digits keep their first three (a mobile number stays one, a member code stays one).
    let keep = if value.bytes().all(|b| b.is_ascii_digit()) { value.len().min(3) } else { 0 };
    value[..keep].to_string()
        + &value[keep..]
            .chars()
            .map(|c| match c {
                '0'..='8' => char::from(c as u8 + 1),
                '9' => '0',
                'a'..='y' | 'A'..='Y' => char::from(c as u8 + 1),
                'z' => 'a',
                'Z' => 'A',
                other => other,
            })
            .collect::<String>()
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_string()
}

fn no_redirects(jar: Option<Arc<reqwest::cookie::Jar>>) -> reqwest::Client {
    let b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    match jar {
        Some(jar) => b.cookie_provider(jar),
        None => b,
    }
    .build()
    .unwrap()
}

/// A staff member signed in on a client that keeps its cookies and follows no redirects.
pub async fn staff_actor(url: &str, login: &str) -> Actor {
    let http = no_redirects(Some(Arc::new(reqwest::cookie::Jar::default())));
    let r = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"login": login, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "sign-in of {login}");
    let body: Value = r.json().await.unwrap();
    Actor {
        http,
        csrf: Some(str_of(&body["csrf_token"])),
        headers: vec![("x-csrf-token", str_of(&body["csrf_token"]))],
    }
}

/// A shopper of shop A signed in by phone, as [`staff_actor`].
pub async fn shopper_actor(app: &TestApp, phone: &str) -> Actor {
    let http = no_redirects(Some(Arc::new(reqwest::cookie::Jar::default())));
    let base = format!("{}/s/{SLUG}/api", app.url);
    let session: Value = http.get(format!("{base}/session")).send().await.unwrap().json().await.unwrap();
    let csrf = str_of(&session["csrf_token"]);
    let r = http
        .post(format!("{base}/login/code"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"phone": phone}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let code = app.last_code(phone).await;
    let r = http
        .post(format!("{base}/login"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"phone": phone, "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let csrf = str_of(&body["csrf_token"]);
    Actor { http, csrf: Some(csrf.clone()), headers: vec![("x-csrf-token", csrf)] }
}

/// The value of the form field `name` on a page.
pub fn input(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("no field {name} in {html}"));
    let tag_start = html[..at].rfind('<').unwrap();
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>').unwrap()];
    let v = tag.find("value=\"").map(|i| &tag[i + 7..]).unwrap_or("\"");
    v[..v.find('"').unwrap()].to_string()
}

pub async fn build(app: &TestApp) -> World {
    let a = world(app, SLUG).await;
    let b = world(app, "beta").await;
    let owner = &a.owner;
    let mut w = World { url: app.url.clone(), vars: HashMap::new(), actors: HashMap::new() };
    // All of A's stock goes to store 1, which serves pickups and deliveries alike.
    owner
        .create("/api/v1/stock/transfers", json!({"from_location_id": a.warehouse, "to_location_id": a.store_a, "lines": [{"sku_id": a.sku, "quantity": 100}]}))
        .await;
    for (name, value) in [
        ("slug", SLUG),
        ("password", PASSWORD),
        ("channel", "pos"),
        ("sandbox", "sandbox"),
        ("wechatpay", "wechatpay"),
        ("alipay", "alipay"),
        ("owner_login", "owner@alpha.test"),
        ("wechat", "wechat"),
        ("days_csv", "days.csv"),
        ("ready", "ready"),
    ] {
        w.plain(name, value);
    }
    w.plain("t_start", days_from_now(-1));
    w.plain("t_end", days_from_now(30));
    let cst = |days: i64| days_from_now(days).chars().take(16).collect::<String>();
    w.plain("cst_start", cst(-1));
    w.plain("cst_end", cst(30));
    w.plain("yesterday", days_from_now(-1).chars().take(10).collect::<String>());
    w.set("merchant", &a.merchant_id, PUBLIC_A, false);
    // Its id is public (payment providers are given it); as such, anyone may name it.
    w.plain("merchant_public", &a.merchant_id);
    w.id("merchant_b", &b.merchant_id, Set::of(&[OtherOwner, Admin, AdminInA]));
    // Stores are public in the shop: their ids are no secret, but store roles see only theirs.
    w.set("store1", &a.store_a, STORE_1.or(SHOP_VISITORS), false);
    w.set("store2", &a.store_b, STORE_2.or(SHOP_VISITORS), false);
    // Store 2 as where stock may be sent: any store of the merchant.
    w.set("sister", &a.store_b, PUBLIC_A, false);
    w.id("product", &a.product, PUBLIC_A);
    w.id("sku", &a.sku, PUBLIC_A);

    // Staff.
    let (clerk, _) = staff_with_id(app, owner, "clerk1@alpha.test", "clerk", &[&a.store_a]).await;
    staff(app, owner, "manager1@alpha.test", "store_manager", &[&a.store_a]).await;
    staff(app, owner, "clerk2@alpha.test", "clerk", &[&a.store_b]).await;
    staff(app, owner, "manager2@alpha.test", "store_manager", &[&a.store_b]).await;
    staff(app, owner, "hq@alpha.test", "merchant_manager", &[]).await;
    let (_, target) = staff_with_id(app, owner, "target@alpha.test", "clerk", &[&a.store_a]).await;
    w.id("staff1", target, STORE_1);
    let token = clerk.create("/api/v1/api-tokens", json!({"name": "the clerk's"})).await;
    w.id("token", str_of(&token["token"]["id"]), TOKEN);

    // Catalogue.
    for name in ["category", "category_arch"] {
        let c = owner.create("/api/v1/categories", json!({"name": {"en": name}})).await;
        w.id(name, str_of(&c["id"]), PUBLIC_A);
    }
    for name in ["product_arch", "product_arch2"] {
        let p = owner.create("/api/v1/products", json!({"name": {"zh": name, "en": name}, "status": "active"})).await;
        w.id(name, str_of(&p["id"]), PUBLIC_A);
    }
    for (name, code) in [("sku_arch", "TWL-A1"), ("sku_arch2", "TWL-A2")] {
        let s = owner
            .create(&format!("/api/v1/products/{}/skus", a.product), json!({"code": code, "base_price": 100}))
            .await;
        w.id(name, str_of(&s["id"]), PUBLIC_A);
    }
    let upload = |path: String| {
        let owner = owner.clone();
        async move {
            let r = owner
                .raw(reqwest::Method::POST, &path)
                .await
                .header("content-type", "image/png")
                .body(PNG.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()
        }
    };
    let image = upload(format!("/api/v1/products/{}/images", a.product)).await;
    w.id("image", str_of(&image["id"]), PUBLIC_A);
    let media = upload("/api/v1/media".into()).await;
    w.plain("media_key", str_of(&media["key"]));
    let banner = owner
        .create("/api/v1/banners", json!({"title": {"zh": "横幅", "en": "Banner"}, "image_key": media["key"], "link": format!("/p/{}", a.product)}))
        .await;
    w.id("banner", str_of(&banner["id"]), PUBLIC_A);
    for (path, price) in
        [("channels/wechat", 3600), ("channels/alipay", 3600), (&format!("stores/{}", a.store_b), 3600)]
    {
        let (status, body) = owner.put(&format!("/api/v1/skus/{}/prices/{path}", a.sku), json!({"price": price})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for (name, code) in [("loc_arch", "S3"), ("loc_arch2", "S4"), ("loc_restore", "S5")] {
        let l = owner.create("/api/v1/locations", location_body(code, "store")).await;
        w.set(name, str_of(&l["id"]), HEAD_OFFICE_A.or(SHOP_VISITORS), false);
    }
    let (status, _) = owner.post_empty(&format!("/api/v1/locations/{}/archive", w.value("loc_restore"))).await;
    assert_eq!(status, StatusCode::OK);

    // Campaigns, cards, coupons, flash sales.
    let campaign = campaign(owner, "Spring").await;
    // Campaigns show in the shop (coupons, flash sales).
    w.id("campaign", &campaign, PUBLIC_A);
    let skus = vec![a.sku.clone(); 5];
    let cards =
        owner.create("/api/v1/cards", json!({"store_id": a.store_a, "sku_ids": skus, "campaign_id": campaign})).await;
    let cards = cards.as_array().unwrap();
    for (i, name) in ["card", "card_dis", "card_en", "card_dis2", "card_en2"].into_iter().enumerate() {
        w.id(name, str_of(&cards[i]["id"]), STORE_1.or(SHOP_VISITORS));
    }
    w.plain("card_code", str_of(&cards[0]["code"]));
    for name in ["card_en", "card_en2"] {
        let (status, _) = owner.post_empty(&format!("/api/v1/cards/{}/disable", w.value(name))).await;
        assert_eq!(status, StatusCode::OK);
    }
    let fixed = json!({"type": "fixed", "amount": 500});
    let def = coupon_def(owner, &campaign, fixed.clone(), json!({"claimable": true, "per_member_limit": 10})).await;
    w.id("def", str_of(&def["id"]), PUBLIC_A);
    for name in ["def_dis", "def_dis2"] {
        let d = coupon_def(owner, &campaign, fixed.clone(), json!({})).await;
        w.id(name, str_of(&d["id"]), PUBLIC_A);
    }
    for name in ["flash", "flash_end", "flash_end2"] {
        let body = json!({
            "campaign_id": campaign, "name": name, "location_id": a.store_a,
            "starts_at": days_from_now(-1), "ends_at": days_from_now(1),
            "per_member_limit": 5, "items": [{"sku_id": a.sku, "price": 990, "units": 5}]
        });
        let sale = owner.create("/api/v1/flash-sales", body).await;
        w.id(name, str_of(&sale["id"]), PUBLIC_A);
    }

    // Shoppers, their addresses, coupons and orders.
    // Signed in once each (a phone gets one code a minute): the matrix's clients serve setup too.
    w.actors.insert(Shopper, shopper_actor(app, PHONE_1).await);
    w.actors.insert(OtherShopper, shopper_actor(app, PHONE_2).await);
    let s1 = Client { base: app.url.clone(), http: w.actors[&Shopper].http.clone(), headers: Default::default() }
        .with_header("x-csrf-token", w.actors[&Shopper].csrf.as_deref().unwrap());
    w.id("shopper1", shopper_id(&s1, SLUG).await, SHOPPER_1);
    // Shopper 1's phone finds them as a member: it names them as their id does.
    w.set("phone1", PHONE_1, SHOPPER_1, false);
    for name in ["address", "address_del"] {
        let addr = s1.create(&format!("/s/{SLUG}/api/addresses"), address_body(PHONE_1)).await;
        w.id(name, str_of(&addr["id"]), SHOPPER_1);
    }
    w.id("coupon1", issue_coupon(owner, w.value("def"), PHONE_1).await, SHOPPER_1);
    let shop = format!("/s/{SLUG}/api");
    let address = w.value("address").to_string();
    let place = |fulfilment: &str| {
        let body = if fulfilment == "pickup" {
            json!({"fulfilment": "pickup", "store_id": a.store_a, "lines": [{"sku_id": a.sku, "quantity": 1}]})
        } else {
            json!({"fulfilment": "delivery", "address_id": address, "lines": [{"sku_id": a.sku, "quantity": 1}]})
        };
        let (s1, shop) = (s1.clone(), shop.clone());
        async move { s1.create(&format!("{shop}/orders"), body).await }
    };
    let code_of = |id: String| {
        let (s1, shop) = (s1.clone(), shop.clone());
        async move { str_of(&s1.get(&format!("{shop}/orders/{id}")).await.1["pickup_code"]["code"]) }
    };
    let step = |path: String, body: Value| {
        let owner = owner.clone();
        async move {
            let (status, view) = owner.post(&path, body).await;
            assert_eq!(status, StatusCode::OK, "{path}: {view}");
            view
        }
    };
    for name in ["o_pay", "o_pay_page", "o_cancel", "o_cancel_page", "o_cancel_staff"] {
        w.id(name, str_of(&place("pickup").await["id"]), ORDER_1);
    }
    for name in
        ["o_show", "o_ready", "o_handover", "o_lookup", "o_console", "o_pickup", "o_clerk_ready", "o_clerk_handover"]
    {
        let id = str_of(&place("pickup").await["id"]);
        app.pay_in_sandbox(&s1, SLUG, &id).await;
        w.id(name, id, ORDER_1);
    }
    for name in ["o_handover", "o_lookup", "o_clerk_handover"] {
        let code = code_of(w.value(name).to_string()).await;
        w.plain(
            if name == "o_handover" {
                "code_handover"
            } else if name == "o_lookup" {
                "code_lookup"
            } else {
                "code_clerk"
            },
            code,
        );
    }
    step(format!("/api/v1/orders/{}/ready", w.value("o_handover")), json!({})).await;
    for name in ["o_ship", "o_deliver", "o_received", "o_received_page"] {
        let order = place("delivery").await;
        let id = str_of(&order["id"]);
        app.pay_in_sandbox(&s1, SLUG, &id).await;
        let shipment = str_of(&order["shipments"][0]["id"]);
        if name == "o_ship" {
            w.id("shipment", shipment, ORDER_1);
        } else {
            let ship = json!({"shipment_id": shipment, "carrier": "顺丰速运", "tracking_number": "SF0000000001"});
            step(format!("/api/v1/orders/{id}/ship"), ship).await;
        }
        w.id(name, id, ORDER_1);
    }
    for name in ["o_refund", "o_return_ok", "o_return_no", "o_return_ask"] {
        let id = str_of(&place("pickup").await["id"]);
        app.pay_in_sandbox(&s1, SLUG, &id).await;
        let code = code_of(id.clone()).await;
        let done = step(format!("/api/v1/orders/{id}/handover"), json!({"code": code})).await;
        let line = str_of(&done["lines"][0]["id"]);
        if name == "o_return_ask" {
            w.id("line_ask", line, ORDER_1);
        } else if name != "o_refund" {
            let body = json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "颜色不合适"});
            let asked = s1.post(&format!("{shop}/orders/{id}/returns"), body).await.1;
            w.id(
                if name == "o_return_ok" { "return_ok" } else { "return_no" },
                str_of(&asked["returns"][0]["id"]),
                ORDER_1,
            );
        }
        w.id(name, id, ORDER_1);
    }
    // Sales at store 1's till.
    for name in ["till_sale", "till_sale_page"] {
        let sale = json!({"sale_id": name, "store_id": a.store_a, "till_id": "T1", "lines": [{"sku_id": a.sku, "quantity": 2}], "payments": [{"method": "cash", "amount": 7800}]});
        let sold = clerk.create("/api/v1/pos/sales", sale).await;
        w.id(name, str_of(&sold["order"]["id"]), STORE_1);
        w.id(
            if name == "till_sale" { "till_line" } else { "till_line_page" },
            str_of(&sold["order"]["lines"][0]["id"]),
            STORE_1,
        );
    }

    // Codes to sign in with, and member codes, each used once by the route that takes it.
    let anyone = app.anonymous();
    for (name, phone) in [("code3", "13800000003"), ("code5", "13800000005")] {
        let (status, _) = anyone.post(&format!("{shop}/login/code"), json!({"phone": phone})).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        w.plain(name, app.last_code(phone).await);
    }
    w.member_codes().await;

    // The loyalty programme as it is, to be set again; something in shopper 1's cart.
    w.plain("program", owner.get("/api/v1/loyalty/program").await.1.to_string());
    let (status, cart) = s1.post(&format!("{shop}/cart/items"), json!({"sku_id": a.sku, "quantity": 1})).await;
    assert_eq!(status, StatusCode::OK, "{cart}");

    // Payment accounts (after the payments above, made through the sandbox).
    let (status, body) = owner.put("/api/v1/payment-accounts/alipay", app.sim.create_alipay_account()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.plain("wechat_creds", app.sim.create_wechat_account().to_string());
    w.plain("alipay_creds", app.sim.create_alipay_account().to_string());

    // Everyone signs in again on a client of the matrix's own.
    let url = app.url.clone();
    w.actors.insert(Anon, Actor { http: no_redirects(None), csrf: None, headers: vec![] });
    for (role, login) in [
        (Clerk, "clerk1@alpha.test"),
        (Manager, "manager1@alpha.test"),
        (OtherClerk, "clerk2@alpha.test"),
        (OtherManager, "manager2@alpha.test"),
        (HeadOffice, "hq@alpha.test"),
        (Owner, "owner@alpha.test"),
        (OtherOwner, "owner@beta.test"),
        (Admin, ADMIN),
        (AdminInA, ADMIN),
    ] {
        w.actors.insert(role, staff_actor(&url, login).await);
    }
    w.actors.get_mut(&AdminInA).unwrap().headers.push(("x-merchant-id", a.merchant_id.clone()));

    // What the counter pages hand out: the shift being counted, the return form's version.
    let page = |path: String| {
        let http = w.actors[&Clerk].http.clone();
        let url = url.clone();
        async move { http.get(format!("{url}{path}")).send().await.unwrap().text().await.unwrap() }
    };
    let shift = page(format!("/clerk/shift?store={}", a.store_a)).await;
    let since = input(&shift, "since");
    let returns = page(format!("/clerk/returns/{}", w.value("till_sale_page"))).await;
    let seen = input(&returns, "seen");
    w.plain("shift_since", since);
    w.plain("seen", seen);
    w
}
