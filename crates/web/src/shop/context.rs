//! Which shop a request is for, who is browsing, on which channel, in which language.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use sweep_app::secrets::constant_time_eq;
use sweep_app::shop::ShopContext;
use sweep_domain::channel::Channel;
use sweep_domain::text::Lang;

use crate::auth::{CSRF_HEADER, cookie, is_state_changing};
use crate::error::{ApiError, ErrorCode};
use crate::extract::ApiPath;
use crate::state::{AppState, WebConfig, same_origin};

pub const SHOP_COOKIE: &str = "sweep_shop";
const LANG_COOKIE: &str = "sweep_lang";

/// The shop and the browser in it.
pub struct Shop {
    pub ctx: ShopContext,
    pub channel: Channel,
    pub lang: Lang,
    /// The shop's base path, `/s/<slug>`.
    pub base: String,
    /// The language came from `?lang=`: remember it in a cookie.
    pub chosen_lang: Option<Lang>,
}

impl Shop {
    /// The session cookie for this shop: scoped to its path, HttpOnly, Lax, Secure over https.
    pub fn cookie(&self, config: &WebConfig, token: &str, max_age_secs: i64) -> HeaderValue {
        let secure = if config.is_https() { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{SHOP_COOKIE}={token}; Path={}; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}",
            self.base
        ))
        .expect("visible ASCII")
    }

    pub fn lang_cookie(&self, lang: Lang) -> HeaderValue {
        let value = if lang == Lang::En { "en" } else { "zh" };
        HeaderValue::from_str(&format!("{LANG_COOKIE}={value}; Path=/; SameSite=Lax; Max-Age=31536000")).expect("ASCII")
    }

    /// A form's CSRF token must match the session's (when there is a session to protect).
    pub fn csrf_ok(&self, sent: &str) -> bool {
        match self.ctx.csrf_token() {
            Some(expected) => constant_time_eq(expected, sent),
            None => true,
        }
    }
}

fn language(parts: &Parts) -> (Lang, Option<Lang>) {
    let asked = parts.uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| if v == "en" { Lang::En } else { Lang::Zh })
    });
    if let Some(lang) = asked {
        return (lang, Some(lang));
    }
    if let Some(c) = cookie(&parts.headers, LANG_COOKIE) {
        return (if c == "en" { Lang::En } else { Lang::Zh }, None);
    }
    let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let first = accept.split(',').next().unwrap_or("").trim().to_ascii_lowercase();
    (if first.starts_with("en") { Lang::En } else { Lang::Zh }, None)
}

impl FromRequestParts<AppState> for Shop {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ApiPath(params) = ApiPath::<HashMap<String, String>>::from_request_parts(parts, state).await?;
        let slug = params.get("slug").ok_or_else(ApiError::not_found)?;
        let merchant = state.sweep.shop(slug).await?;
        let token = cookie(&parts.headers, SHOP_COOKIE);
        let ctx = state.sweep.shop_context(merchant, token).await?;
        // JSON calls carry the session's CSRF token in a header; forms carry it in a field,
        // which their handlers check.
        // Whatever the session, a browser's state-changing request must come from our
        // own pages: no signing a shopper in (or out) from another site's form.
        if is_state_changing(&parts.method) && !same_origin(&state.config, &parts.headers) {
            tracing::warn!(target: "security", event = "cross_site_request", path = %parts.uri.path());
            return Err(ApiError::new(ErrorCode::CsrfFailed, "this request did not come from the shop's own pages"));
        }
        let guarded = parts.uri.path().contains("/api/")
            && is_state_changing(&parts.method)
            && !parts.uri.path().ends_with("/api/login");
        if let (true, Some(expected)) = (guarded, ctx.csrf_token()) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !constant_time_eq(expected, sent) {
                return Err(ApiError::new(ErrorCode::CsrfFailed, "send the session's CSRF token in X-CSRF-Token"));
            }
        }
        let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
        let channel = if parts.uri.path().contains("/api/") && !user_agent.contains("Mozilla") {
            Channel::Api
        } else {
            Channel::from_user_agent(user_agent)
        };
        let (lang, chosen_lang) = language(parts);
        Ok(Shop { base: format!("/s/{slug}"), ctx, channel, lang, chosen_lang })
    }
}
