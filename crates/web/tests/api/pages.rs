//! Staff sign-in pages: CSRF-protected forms, cookie flags, security headers.

use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};

use crate::api_test;
use crate::helpers::*;

fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap()
}

fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

api_test! {
    async fn staff_sign_in_and_out_through_the_pages(app) {
        let b = browser();
        let page = b.get(format!("{}/login", app.url)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        for header in ["content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy", "x-request-id"] {
            assert!(page.headers().contains_key(header), "missing {header}");
        }
        let html = page.text().await.unwrap();
        let csrf = hidden_csrf(&html);

        // Without the form's token the sign-in is refused, even with the right password.
        let forged = reqwest::Client::new()
            .post(format!("{}/login", app.url))
            .form(&[("login", ADMIN), ("password", PASSWORD), ("csrf", "made-up")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        // From another site, too.
        let cross = b
            .post(format!("{}/login", app.url))
            .header("origin", "https://evil.example")
            .form(&[("login", ADMIN), ("password", PASSWORD), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(cross.status(), StatusCode::FORBIDDEN);
        // The refusal hands out a fresh form (and token).
        let csrf = hidden_csrf(&cross.text().await.unwrap());

        let wrong = b.post(format!("{}/login", app.url)).form(&[("login", ADMIN), ("password", "nope nope"), ("csrf", csrf.as_str())]).send().await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let html = wrong.text().await.unwrap();
        assert!(html.contains("账号或密码错误"), "says what went wrong");
        let csrf = hidden_csrf(&html);

        let ok = b.post(format!("{}/login", app.url)).form(&[("login", ADMIN), ("password", PASSWORD), ("csrf", csrf.as_str())]).send().await.unwrap();
        assert_eq!(ok.status(), StatusCode::SEE_OTHER);
        assert_eq!(ok.headers()["location"], "/console");
        let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.starts_with("sweep_session=sws_") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http: no Secure flag, or the browser would drop it");

        let console = b.get(format!("{}/console", app.url)).send().await.unwrap().text().await.unwrap();
        assert!(console.contains("Admin") && console.contains("平台管理员"));
        let session_csrf = hidden_csrf(&console);
        let out = b.post(format!("{}/logout", app.url)).form(&[("csrf", session_csrf.as_str())]).send().await.unwrap();
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let after = b.get(format!("{}/console", app.url)).send().await.unwrap();
        assert_eq!((after.status(), after.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/login"));
    }
}

api_test! {
    async fn health_readiness_and_metrics(app) {
        let c = reqwest::Client::new();
        assert_eq!(c.get(format!("{}/healthz", app.url)).send().await.unwrap().status(), StatusCode::OK);
        assert_eq!(c.get(format!("{}/readyz", app.url)).send().await.unwrap().status(), StatusCode::OK);
        c.get(format!("{}/api/v1/me", app.url)).send().await.unwrap();
        let metrics = c.get(format!("{}/metrics", app.url)).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("sweep_http_requests_total") && metrics.contains("route=\"/api/v1/me\""), "{metrics}");
        let doc: serde_json::Value = c.get(format!("{}/api/openapi.json", app.url)).send().await.unwrap().json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    }
}

/// With a metrics token set, a scrape must bring it; the rest of the site is unchanged.
#[tokio::test]
async fn a_metrics_token_keeps_metrics_to_the_scraper() {
    const TOKEN: &str = "scrape-token-0123456789";
    let app = TestApp::spawn_with_web(sweep_store::Backend::Sqlite, sweep_app::Settings::default(), |web| {
        web.metrics_token = Some(TOKEN.into())
    })
    .await;
    let c = reqwest::Client::new();
    let metrics = format!("{}/metrics", app.url);
    let anonymous = c.get(&metrics).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
    for wrong in [format!("Bearer {TOKEN}x"), "Bearer scrape-token".into(), format!("Basic {TOKEN}"), TOKEN.into()] {
        let refused = c.get(&metrics).header("authorization", wrong.as_str()).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{wrong}");
    }
    let lowercase = c.get(&metrics).header("authorization", format!("bearer {TOKEN}")).send().await.unwrap();
    assert_eq!(lowercase.status(), StatusCode::OK, "the scheme is case-insensitive");
    let scraped = c.get(&metrics).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(scraped.text().await.unwrap().contains("sweep_http_requests_total"));
    assert_eq!(c.get(format!("{}/healthz", app.url)).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn https_public_urls_get_secure_cookies_and_hsts() {
    use tower::ServiceExt;
    let app = TestApp::spawn(sweep_store::Backend::Sqlite).await;
    let state = sweep_web::AppState {
        sweep: app.sweep.clone(),
        config: std::sync::Arc::new(sweep_web::WebConfig::new("https://shop.example.com")),
        metrics: sweep_web::metrics::handle(),
    };
    let request = axum::http::Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(serde_json::json!({"login": ADMIN, "password": PASSWORD}).to_string()))
        .unwrap();
    let response = sweep_web::router(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");
    assert!(response.headers().contains_key("strict-transport-security"));
}

api_test! {
    async fn console_follows_the_browser_language_and_remembers_a_choice(app) {
        let (_, owner) = app.merchant("lang").await;
        let (status, html) = owner.page("/console").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("概览") && html.contains("店主"), "Chinese without a preference");

        let english = owner.clone().with_header("accept-language", "en-GB,en;q=0.9,zh;q=0.5");
        let response = english.raw(Method::GET, "/console").await.send().await.unwrap();
        let html = response.text().await.unwrap();
        assert!(html.contains("Overview") && html.contains("Owner") && html.contains("lang=\"en\""), "English browser");

        // Choosing Chinese on an English browser sticks, through a cookie.
        let chosen = english.raw(Method::GET, "/console?lang=zh").await.send().await.unwrap();
        assert!(chosen.headers()["set-cookie"].to_str().unwrap().starts_with("sweep_lang=zh"));
        let html = english.raw(Method::GET, "/console").await.send().await.unwrap().text().await.unwrap();
        assert!(html.contains("概览") && !html.contains("Overview"), "the choice is remembered");

        let (_, html) = app.anonymous().page("/console").await;
        assert!(html.contains("name=\"password\""), "a signed-out browser lands on the sign-in page");
    }
}
