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
use crate::cookies::SetCookie;
use crate::error::{ApiError, ErrorCode};
use crate::extract::ApiPath;
use crate::state::{AppState, same_origin};

pub const SHOP_COOKIE: &str = "sweep_shop";
pub(crate) const LANG_COOKIE: &str = "sweep_lang";

/// The shop and the browser in it.
pub struct Shop {
    pub ctx: ShopContext,
    pub channel: Channel,
    pub lang: Lang,
    /// The shop's base path, `/s/<slug>`.
    pub base: String,
    /// The language came from `?lang=`: remember it in a cookie.
    pub chosen_lang: Option<Lang>,
    /// The request's query string (without `?`), for links back to the same page.
    pub query: String,
    /// Cookies get `Secure` (the public URL is https).
    secure_cookies: bool,
}

impl Shop {
    /// The session cookie for this shop, for the shopper session days the settings give:
    /// scoped to the shop's path, HttpOnly, Lax, Secure over https.
    pub fn session_cookie(&self, s: &AppState, token: &str) -> HeaderValue {
        let max_age = s.sweep.settings().shopper_session_days * 86_400;
        SetCookie::new(SHOP_COOKIE, token).path(&self.base).max_age(max_age).header(&s.config)
    }

    /// Ends this shop's session cookie (signing out).
    pub fn expired_session_cookie(&self, s: &AppState) -> HeaderValue {
        SetCookie::expired(SHOP_COOKIE, &self.base).header(&s.config)
    }

    /// Remembers a language chosen with `?lang=` for a year, on every shop.
    pub fn lang_cookie(&self, lang: Lang) -> HeaderValue {
        let value = if lang == Lang::En { "en" } else { "zh" };
        SetCookie::new(LANG_COOKIE, value).readable_by_scripts().max_age(31_536_000).header_for(self.secure_cookies)
    }

    /// A link to this same page (path and query kept) in the other language.
    pub fn lang_link(&self) -> String {
        lang_link(&self.query, if self.lang == Lang::En { Lang::Zh } else { Lang::En })
    }

    /// A form's CSRF token must match the session's (when there is a session to protect).
    pub fn csrf_ok(&self, sent: &str) -> bool {
        match self.ctx.csrf_token() {
            Some(expected) => constant_time_eq(expected, sent),
            None => true,
        }
    }
}

/// `?<query>` with `lang` set to `lang` (replacing any there was), the rest kept as is.
fn lang_link(query: &str, lang: Lang) -> String {
    let mut link = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k != "lang") {
        link.append_pair(&k, &v);
    }
    link.append_pair("lang", if lang == Lang::En { "en" } else { "zh" });
    format!("?{}", link.finish())
}

/// `?lang=` first (also returned as the choice to remember), then the remembered
/// choice, then the browser's first language. The shop and the console both use it.
pub(crate) fn language(parts: &Parts) -> (Lang, Option<Lang>) {
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
        Ok(Shop {
            base: format!("/s/{slug}"),
            ctx,
            channel,
            lang,
            chosen_lang,
            query: parts.uri.query().unwrap_or("").to_string(),
            secure_cookies: state.config.is_https(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_link_keeps_the_page_query() {
        assert_eq!(lang_link("", Lang::En), "?lang=en");
        assert_eq!(
            lang_link("sku=019a&city=%E4%B8%8A%E6%B5%B7", Lang::En),
            "?sku=019a&city=%E4%B8%8A%E6%B5%B7&lang=en"
        );
        assert_eq!(lang_link("q=tea+cup&lang=en&cursor=c2", Lang::Zh), "?q=tea+cup&cursor=c2&lang=zh");
        assert_eq!(lang_link("store=019b&lang=zh", Lang::En), "?store=019b&lang=en");
    }
}
