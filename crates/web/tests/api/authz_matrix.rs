//! The authorisation matrix, generated from the route table: every role against every
//! endpoint and page, on resources it owns and does not own.
//!
//! - The route table is read from the web crate's source ([`routes`]); the policy
//!   ([`policy`]) says for each route who may call it. A route without a policy, or a
//!   policy for a route that is gone, fails the test.
//! - A world of two merchants ([`world`]) gives every path parameter a resource of
//!   merchant A, store 1 or shopper 1. Each role that may not call a route gets a
//!   request with a body valid for one that may, and must be refused (4xx, or sent to a
//!   sign-in page); one that may not even see the resource must get exactly the answer a
//!   made-up id of the same shape gets (no existence leak), and no answer may carry the
//!   ids of what the role may not see. Then the least privileged role that may, calls it
//!   and must succeed: the refused requests were real ones.
//! - Every state-changing form and JSON call refuses a missing CSRF token and a foreign
//!   Origin; cookies are HttpOnly, SameSite and (over https) Secure; every response,
//!   errors included, carries the security headers ([`browser`]).

mod browser;
mod policy;
mod routes;
mod world;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use reqwest::{Method, StatusCode};

use crate::api_test;

/// Who is calling. Merchant A's shop is `alpha`; merchant B's is `beta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Anon,
    /// Shopper 1 of shop A, who owns the orders, addresses and coupons.
    Shopper,
    /// Shopper 2 of shop A.
    OtherShopper,
    /// Clerk and store manager of store 1 of merchant A.
    Clerk,
    Manager,
    /// Clerk and store manager of store 2 of merchant A.
    OtherClerk,
    OtherManager,
    /// Merchant A's head-office manager and owner.
    HeadOffice,
    Owner,
    /// Merchant B's owner.
    OtherOwner,
    /// The platform admin, acting platform-wide and (with `X-Merchant-Id`) in merchant A.
    Admin,
    AdminInA,
}

use Role::*;

pub const ROLES: [Role; 12] = [
    Anon,
    Shopper,
    OtherShopper,
    Clerk,
    Manager,
    OtherClerk,
    OtherManager,
    HeadOffice,
    Owner,
    OtherOwner,
    Admin,
    AdminInA,
];

/// A set of roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Set(u16);

impl Set {
    pub const fn of(roles: &[Role]) -> Set {
        let mut bits = 0;
        let mut i = 0;
        while i < roles.len() {
            bits |= 1 << roles[i] as u16;
            i += 1;
        }
        Set(bits)
    }
    pub const fn or(self, other: Set) -> Set {
        Set(self.0 | other.0)
    }
    pub const fn without(self, other: Set) -> Set {
        Set(self.0 & !other.0)
    }
    pub fn has(self, role: Role) -> bool {
        self.0 & (1 << role as u16) != 0
    }
}

/// The shop and the staff side know different people: on the shop a staff member is an
/// anonymous visitor, and on the staff side a shopper is. Only the JSON API takes
/// `X-Merchant-Id`: on the console's pages a platform admin acts platform-wide.
fn effective(role: Role, path: &str) -> Role {
    let shop = is_shop(path);
    let shopper = matches!(role, Shopper | OtherShopper);
    if shop != shopper && role != Anon {
        Anon
    } else if role == AdminInA && !path.starts_with("/api/") {
        Admin
    } else {
        role
    }
}

fn is_shop(path: &str) -> bool {
    path.starts_with("/s/") || path.starts_with("/c/")
}

/// What a role should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// May call it.
    Allow,
    /// May call such routes, but may not see this resource: answered as if it did not exist.
    Hidden,
    /// May not call it; `hidden` when it may not see the resource either.
    Deny { hidden: bool },
}

/// How a request departs from the page's own: no CSRF token, another site's Origin.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tweak {
    pub no_csrf: bool,
    pub origin: Option<&'static str>,
}

/// One answer, as far as the matrix looks at it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub code: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.status.is_success() || (self.status.is_redirection() && !self.to_login())
    }
    fn to_login(&self) -> bool {
        self.location.as_deref().is_some_and(|l| l.contains("/login"))
    }
    /// A refusal: a 4xx, or a redirect to a sign-in page.
    fn refused(&self) -> bool {
        self.status.is_client_error() || (self.status.is_redirection() && self.to_login())
    }
    fn signature(&self) -> (u16, Option<String>, Option<String>) {
        (self.status.as_u16(), self.code.clone(), self.location.clone())
    }
}

/// The tally, and what went wrong, for the report.
#[derive(Default)]
pub struct Tally {
    pub requests: usize,
    pub refusals_checked: usize,
    pub ghosts_compared: usize,
    pub successes: usize,
    pub unauthorised_2xx: usize,
    pub leaks: usize,
    pub server_errors: usize,
    pub failures: Vec<String>,
}

impl Tally {
    fn fail(&mut self, text: String) {
        self.failures.push(text);
    }
}

pub struct Matrix<'a> {
    pub world: &'a world::World,
    pub tally: Tally,
}

impl Matrix<'_> {
    /// Sends a rule's request as `role`, with the resources in `ghosted` replaced by
    /// made-up ids of the same shape.
    pub async fn send(&mut self, rule: &policy::Rule, role: Role, ghosted: &BTreeSet<&str>) -> Answer {
        self.send_with(rule, role, ghosted, Tweak::default()).await
    }

    pub async fn send_with(
        &mut self,
        rule: &policy::Rule,
        role: Role,
        ghosted: &BTreeSet<&str>,
        tweak: Tweak,
    ) -> Answer {
        let actor = self.world.actor(role);
        self.send_as(rule, role, actor, ghosted, tweak).await
    }

    /// As [`send_with`](Self::send_with), on `actor`'s client (a fresh session of `role`).
    pub async fn send_as(
        &mut self,
        rule: &policy::Rule,
        role: Role,
        actor: &world::Actor,
        ghosted: &BTreeSet<&str>,
        tweak: Tweak,
    ) -> Answer {
        let w = self.world;
        let subst = |text: &str| w.fill(text, ghosted);
        let path = subst(rule.path);
        let mut req = actor.http.request(rule.method.clone(), format!("{}{path}", w.url));
        for (k, v) in &actor.headers {
            if !(tweak.no_csrf && *k == "x-csrf-token") {
                req = req.header(*k, v);
            }
        }
        for (k, v) in rule.headers {
            if !(tweak.no_csrf && *k == "cookie") {
                req = req.header(*k, subst(v));
            }
        }
        if let Some(origin) = tweak.origin {
            req = req.header("origin", origin);
        }
        req = match &rule.body {
            policy::Body::Empty => req,
            policy::Body::Json(t) => req.header("content-type", "application/json").body(subst(t)),
            policy::Body::Png => req.header("content-type", "image/png").body(world::PNG.to_vec()),
            policy::Body::Form(fields) => {
                let mut form: Vec<(String, String)> = vec![];
                if let Some(csrf) = actor.csrf.as_ref().filter(|_| !tweak.no_csrf) {
                    form.push(("csrf".into(), csrf.clone()));
                }
                for (k, v) in *fields {
                    if *k == "*" {
                        form.extend(w.form_fields(&subst(v)));
                    } else if tweak.no_csrf && *k == "csrf" {
                        form.push((k.to_string(), "forged".into()));
                    } else {
                        form.push((subst(k), subst(v)));
                    }
                }
                req.form(&form)
            }
        };
        let answer = fetch(req).await;
        self.tally.requests += 1;
        self.after(rule, role, &path, &answer);
        answer
    }

    /// Checks every answer gets: no 5xx, the security headers, well-made cookies.
    fn after(&mut self, rule: &policy::Rule, role: Role, path: &str, a: &Answer) {
        let what = format!("{} {path} as {role:?}", rule.method);
        if a.status.is_server_error() {
            self.tally.server_errors += 1;
            self.tally.fail(format!("{what}: server error {} {}", a.status, short(&a.body)));
        }
        if let Err(e) = browser::security_headers(&a.headers, false) {
            self.tally.fail(format!("{what}: {e}"));
        }
        if let Err(e) = browser::cookies_well_made(&a.headers, false) {
            self.tally.fail(format!("{what}: {e}"));
        }
    }

    fn expect(&self, rule: &policy::Rule, role: Role) -> (Expect, BTreeSet<&'static str>) {
        // What anyone may call hides nothing.
        if rule.level == world::ALL {
            return (Expect::Allow, BTreeSet::new());
        }
        let eff = effective(role, rule.path);
        let outside: BTreeSet<&'static str> =
            rule.vars().into_iter().filter(|v| !self.world.scope(v).has(eff)).collect();
        let expect = match (rule.level.has(eff), outside.is_empty()) {
            (true, true) => Expect::Allow,
            (true, false) => Expect::Hidden,
            (false, _) => Expect::Deny { hidden: !outside.is_empty() },
        };
        (expect, outside)
    }

    /// Ids in `a` of resources `role` may not see (and did not name itself).
    fn leaks(&self, rule: &policy::Rule, role: Role, a: &Answer) -> Vec<&'static str> {
        if rule.level == world::ALL {
            return vec![];
        }
        let eff = effective(role, rule.path);
        let named = rule.vars();
        self.world
            .secrets()
            .filter(|(name, _)| !named.contains(name) && !self.world.scope(name).has(eff))
            .filter(|(name, _)| !rule.sees.iter().any(|p| name.starts_with(p)))
            .filter(|(_, value)| a.body.contains(value.as_str()))
            .map(|(name, _)| name)
            .collect()
    }

    /// Phase 1: every role that may not call the route is refused, and every role that
    /// may read it reads it.
    pub async fn refusals(&mut self, rule: &policy::Rule) {
        let none = BTreeSet::new();
        for role in ROLES {
            let (expect, outside) = self.expect(rule, role);
            let read = rule.method == Method::GET;
            if expect == Expect::Allow && !read {
                continue;
            }
            let what = format!("{} {} as {role:?} ({expect:?})", rule.method, rule.path);
            let a = self.send(rule, role, &none).await;
            match expect {
                Expect::Allow => {
                    if !a.ok() && rule.unproven.is_none() {
                        self.tally.fail(format!("{what}: wanted success, got {} {}", a.status, short(&a.body)));
                    }
                    let leaked = self.leaks(rule, role, &a);
                    if !leaked.is_empty() {
                        self.tally.leaks += 1;
                        self.tally.fail(format!("{what}: shows {leaked:?}"));
                    }
                    continue;
                }
                Expect::Hidden if read => {
                    let leaked = self.leaks(rule, role, &a);
                    if !leaked.is_empty() {
                        self.tally.leaks += 1;
                        self.tally.fail(format!("{what}: shows {leaked:?}"));
                    }
                }
                _ => {
                    self.tally.refusals_checked += 1;
                    if !a.refused() {
                        if a.ok() {
                            self.tally.unauthorised_2xx += 1;
                        }
                        let to = a.location.clone().unwrap_or_default();
                        self.tally.fail(format!("{what}: wanted a refusal, got {} {to} {}", a.status, short(&a.body)));
                    }
                }
            }
            if matches!(expect, Expect::Hidden | Expect::Deny { hidden: true }) {
                let ghost = self.send(rule, role, &outside).await;
                self.tally.ghosts_compared += 1;
                let unghosted = self.world.unghost(&ghost, &outside);
                if a.signature() != unghosted.signature() {
                    self.tally.leaks += 1;
                    self.tally.fail(format!(
                        "{what}: tells A's resource from none: {:?} against {:?} for a made-up {outside:?}",
                        a.signature(),
                        unghosted.signature()
                    ));
                }
            }
        }
    }

    /// The role that proves a route works: the least privileged one allowed.
    pub fn success_actor(&self, rule: &policy::Rule) -> Option<Role> {
        if let Some(by) = rule.by {
            return Some(by);
        }
        [Anon, Shopper, Clerk, Manager, HeadOffice, Owner, AdminInA, Admin]
            .into_iter()
            .find(|r| self.expect(rule, *r).0 == Expect::Allow)
    }

    /// Phase 2: the allowed request succeeds.
    pub async fn success(&mut self, rule: &policy::Rule) {
        if rule.method == Method::GET || rule.unproven.is_some() {
            return;
        }
        let Some(role) = self.success_actor(rule) else { return };
        let a = self.send(rule, role, &BTreeSet::new()).await;
        let what = format!("{} {} as {role:?}", rule.method, rule.path);
        let shows = |t: &str| {
            let t = self.world.fill(t, &BTreeSet::new());
            a.body.contains(&t) || a.location.as_deref().is_some_and(|l| l.contains(&t))
        };
        let worked = match rule.ok_text {
            // Pages that answer either way (or that send one to sign in, signing out) say which.
            Some(t) => shows(t) && (a.status.is_success() || a.status.is_redirection()),
            None => a.ok(),
        };
        if !worked {
            let to = a.location.clone().unwrap_or_default();
            self.tally.fail(format!("{what}: wanted success, got {} {to} {}", a.status, short(&a.body)));
        } else {
            self.tally.successes += 1;
        }
        let leaked = self.leaks(rule, role, &a);
        if !leaked.is_empty() {
            self.tally.leaks += 1;
            self.tally.fail(format!("{what}: shows {leaked:?}"));
        }
    }
}

pub async fn fetch(req: reqwest::RequestBuilder) -> Answer {
    let response = req.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let location = headers.get("location").map(|v| v.to_str().unwrap().to_string());
    let streaming = headers.get("content-type").is_some_and(|v| v.to_str().unwrap().starts_with("text/event-stream"));
    // An event stream never ends: its status and headers are the answer.
    let body = if streaming { String::new() } else { response.text().await.unwrap_or_default() };
    let code = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
    Answer { status, location, code, body, headers }
}

pub fn short(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one.chars().take(300).collect()
}

/// `{id}`-style parameters and `$var`s alike become `{}`; the query goes.
pub fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap();
    path.split('/')
        .map(|seg| if seg.starts_with('{') || seg.starts_with('$') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

api_test! {
    async fn every_role_against_every_route(app) {
        // The table and the policy name the same routes.
        let table = routes::table();
        let rules = policy::rules();
        let routed: BTreeMap<(String, String), String> =
            table.iter().map(|(m, p)| ((m.clone(), shape(p)), p.clone())).collect();
        let mut covered: HashMap<(String, String), usize> = HashMap::new();
        let mut problems = String::new();
        for rule in &rules {
            let key = (rule.method.to_string(), shape(rule.path));
            if !routed.contains_key(&key) {
                writeln!(problems, "policy for a route that does not exist: {} {}", rule.method, rule.path).unwrap();
            }
            *covered.entry(key).or_default() += 1;
        }
        for ((method, _), path) in routed.iter().filter(|(k, _)| !covered.contains_key(*k)) {
            writeln!(problems, "route without a policy: {method} {path}").unwrap();
        }
        for ((method, shape), n) in covered.iter().filter(|(_, n)| **n > 1) {
            writeln!(problems, "{n} policies for {method} {shape}").unwrap();
        }
        assert!(problems.is_empty(), "the policy and the route table differ:\n{problems}");

        let mut world = world::build(&app).await;
        let mut m = Matrix { world: &world, tally: Tally::default() };
        for rule in &rules {
            m.refusals(rule).await;
        }
        let tally = m.tally;
        world.member_codes().await;
        let mut m = Matrix { world: &world, tally };
        // Before the successes, so that a refused request is refused for its token alone.
        browser::csrf(&mut m, &rules).await;
        for rule in rules.iter().filter(|r| !r.last) {
            m.success(rule).await;
        }
        for rule in rules.iter().filter(|r| r.last) {
            m.success(rule).await;
        }
        browser::https_cookies_and_headers(&app, &world, &mut m.tally).await;

        let t = &m.tally;
        let unproven: Vec<String> =
            rules.iter().filter_map(|r| r.unproven.map(|why| format!("{} {} ({why})", r.method, r.path))).collect();
        eprintln!(
            "authz matrix: {} routes, {} roles, {} requests; {} refusals checked, {} compared with a made-up id, \
             {} successes; unauthorised 2xx = {}, leaks = {}, 5xx = {}; success not provable for {}: {unproven:?}",
            table.len(),
            ROLES.len(),
            t.requests,
            t.refusals_checked,
            t.ghosts_compared,
            t.successes,
            t.unauthorised_2xx,
            t.leaks,
            t.server_errors,
            unproven.len(),
        );
        assert!(t.failures.is_empty(), "{} problems:\n{}", t.failures.len(), t.failures.join("\n"));
        assert_eq!((t.unauthorised_2xx, t.leaks, t.server_errors), (0, 0, 0));
    }
}
