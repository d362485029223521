//! What a browser relies on: CSRF protection on every state-changing request made with
//! a session, cookies that scripts and other sites cannot use (and that travel only over
//! https when the server is on https), and the security headers on every answer.

use std::collections::BTreeSet;
use std::sync::Arc;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::Role::*;
use super::{Matrix, Role, Tally, Tweak, fetch, policy, short};
use crate::helpers::*;

const EVIL: &str = "https://evil.example";

/// Routes whose token check is waived by design, and why (their Origin is still checked).
const NO_TOKEN_BY_DESIGN: &[(&str, &str)] = &[
    ("/api/v1/auth/login", "signing in needs no session; a JSON body cannot cross sites without a preflight"),
    ("/s/$slug/api/login", "signing in needs no session; a JSON body cannot cross sites without a preflight"),
];

pub fn security_headers(h: &HeaderMap, https: bool) -> Result<(), String> {
    let mut want = vec![
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    if https {
        want.push(("strict-transport-security", "max-age="));
    }
    for (name, value) in want {
        match h.get(name).and_then(|v| v.to_str().ok()) {
            Some(v) if v.starts_with(value) => {}
            other => return Err(format!("header {name} is {other:?}")),
        }
    }
    let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
    for part in ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "form-action 'self'"] {
        if !csp.contains(part) {
            return Err(format!("content-security-policy lacks {part}: {csp:?}"));
        }
    }
    if h.get("permissions-policy").is_none() {
        return Err("no permissions-policy".into());
    }
    Ok(())
}

/// Every cookie set: HttpOnly (but the language choice), SameSite, a path, and Secure
/// exactly when the server is on https.
pub fn cookies_well_made(h: &HeaderMap, https: bool) -> Result<usize, String> {
    let mut n = 0;
    for value in h.get_all("set-cookie") {
        let text = value.to_str().unwrap();
        let name = text.split('=').next().unwrap();
        let attrs: Vec<String> = text.split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
        let has = |a: &str| attrs.iter().any(|x| x == a || x.starts_with(&format!("{a}=")));
        let readable_by_design = name == "sweep_lang";
        if !readable_by_design && !has("httponly") {
            return Err(format!("cookie {name} is not HttpOnly: {text}"));
        }
        if !attrs.iter().any(|a| a == "samesite=lax" || a == "samesite=strict") {
            return Err(format!("cookie {name} has no SameSite: {text}"));
        }
        if !has("path") {
            return Err(format!("cookie {name} has no Path: {text}"));
        }
        if has("secure") != https {
            return Err(format!(
                "cookie {name} Secure is {} on {}: {text}",
                has("secure"),
                if https { "https" } else { "http" }
            ));
        }
        n += 1;
    }
    Ok(n)
}

/// Every state-changing request refuses a missing token and another site's Origin, for
/// that reason alone: these run before any success changed the world, and each request
/// is then made whole by the success phase.
pub async fn csrf(m: &mut Matrix<'_>, rules: &[policy::Rule]) {
    // Signing out last, each on a session of its own (a sign-out that went through would
    // end the session the rest use).
    let (outs, rest): (Vec<&policy::Rule>, Vec<&policy::Rule>) =
        rules.iter().filter(|r| r.method != Method::GET).partition(|r| r.path.ends_with("/logout"));
    for rule in rest.into_iter().chain(outs) {
        let Some(actor) = m.success_actor(rule) else { continue };
        let shop = super::is_shop(rule.path);
        let signing_out = rule.path.ends_with("/logout");
        // Someone with a session to protect.
        let role: Role = match actor {
            _ if signing_out && shop => OtherShopper,
            Anon if shop => Shopper,
            Anon if rule.path == "/login" => Anon,
            Anon => Owner,
            other => other,
        };
        let staff_api = rule.path.starts_with("/api/v1/");
        let exempt = NO_TOKEN_BY_DESIGN.iter().any(|(p, _)| *p == rule.path);
        let mut tweaks = vec![];
        if !exempt {
            tweaks.push(Tweak { no_csrf: true, origin: None });
        }
        // The staff API takes its token in a header no other site can set; the rest also
        // checks where a request comes from.
        if !staff_api {
            tweaks.push(Tweak { no_csrf: false, origin: Some(EVIL) });
        }
        for tweak in tweaks {
            let a = if signing_out && !shop {
                let fresh = super::world::staff_actor(&m.world.url, "owner@alpha.test").await;
                m.send_as(rule, role, &fresh, &BTreeSet::new(), tweak).await
            } else {
                m.send_with(rule, role, &BTreeSet::new(), tweak).await
            };
            m.tally.refusals_checked += 1;
            // A refusal for the token: 403, or the storefront's "page expired" (409).
            let page = shop && !rule.path.contains("/api/");
            let for_token = a.status == StatusCode::FORBIDDEN || (page && a.status == StatusCode::CONFLICT);
            if !for_token {
                if a.ok() {
                    m.tally.unauthorised_2xx += 1;
                }
                m.tally.fail(format!(
                    "CSRF: {} {} as {role:?} {tweak:?}: wanted a refusal, got {} {:?} {}",
                    rule.method,
                    rule.path,
                    a.status,
                    a.location,
                    short(&a.body)
                ));
            }
        }
    }
}

/// The same application served on an https public URL: every cookie it sets is Secure,
/// and HSTS joins the security headers, on pages, API answers and errors alike.
pub async fn https_cookies_and_headers(app: &TestApp, world: &super::world::World, tally: &mut Tally) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = sweep_web::WebConfig::new("https://shop.example.test");
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let state = sweep_web::AppState {
        sweep: app.sweep.clone(),
        config: Arc::new(config),
        metrics: sweep_web::metrics::handle(),
    };
    let router = sweep_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let jar = Arc::new(reqwest::cookie::Jar::default());
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_provider(jar).build().unwrap();
    let slug = super::world::SLUG;
    let phone = "13800000007";
    let code = {
        let r =
            http.post(format!("{url}/s/{slug}/api/login/code")).json(&json!({"phone": phone})).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        app.last_code(phone).await
    };
    let sku = world.value("sku").to_string();
    // (what, answer, whether it sets a cookie)
    let mut answers = vec![("sign-in page", fetch(http.get(format!("{url}/login"))).await, true)];
    let body = json!({"login": "owner@alpha.test", "password": PASSWORD});
    let signed_in = fetch(http.post(format!("{url}/api/v1/auth/login")).json(&body)).await;
    let csrf =
        serde_json::from_str::<serde_json::Value>(&signed_in.body).unwrap()["csrf_token"].as_str().unwrap().to_string();
    answers.push(("staff sign-in", signed_in, true));
    let requests: Vec<(&str, reqwest::RequestBuilder, bool)> = vec![
        ("staff sign-out", http.post(format!("{url}/api/v1/auth/logout")).header("x-csrf-token", csrf), true),
        (
            "guest cart",
            http.post(format!("{url}/s/{slug}/api/cart/items")).json(&json!({"sku_id": sku, "quantity": 1})),
            true,
        ),
        (
            "shopper sign-in",
            http.post(format!("{url}/s/{slug}/api/login")).json(&json!({"phone": phone, "code": code})),
            true,
        ),
        ("shop in English", http.get(format!("{url}/s/{slug}?lang=en")), true),
        ("unknown route", http.get(format!("{url}/no/such/page")), false),
        ("wrong method", http.delete(format!("{url}/login")), false),
        ("unknown API route", http.get(format!("{url}/api/v1/nothing")), false),
    ];
    for (what, req, sets_cookie) in requests {
        answers.push((what, fetch(req).await, sets_cookie));
    }
    for (what, a, sets_cookie) in answers {
        tally.requests += 1;
        if let Err(e) = security_headers(&a.headers, true) {
            tally.fail(format!("https {what}: {e}"));
        }
        match cookies_well_made(&a.headers, true) {
            Ok(0) if sets_cookie => {
                tally.fail(format!("https {what}: no cookie set ({} {})", a.status, short(&a.body)))
            }
            Ok(_) => {}
            Err(e) => tally.fail(format!("https {what}: {e}")),
        }
    }
}
