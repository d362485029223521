//! `Set-Cookie` headers, built one way: every cookie the web layer sets goes through
//! [`SetCookie`], which adds `Secure` whenever the public URL is https.

use axum::http::HeaderValue;

use crate::state::WebConfig;

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent on top-level navigations from other sites (following a link in), not on
    /// their subrequests or POSTs.
    Lax,
    /// Never sent on requests started by another site.
    Strict,
}

/// A cookie to set (or, with a max age of 0, to expire). HttpOnly and `SameSite=Lax`
/// unless told otherwise.
#[derive(Debug, Clone)]
pub struct SetCookie<'a> {
    name: &'a str,
    value: &'a str,
    path: &'a str,
    max_age_secs: i64,
    same_site: SameSite,
    http_only: bool,
}

impl<'a> SetCookie<'a> {
    /// `name=value` for the whole site, HttpOnly, Lax, expiring at once until given a
    /// [`max_age`](Self::max_age).
    pub fn new(name: &'a str, value: &'a str) -> Self {
        SetCookie { name, value, path: "/", max_age_secs: 0, same_site: SameSite::Lax, http_only: true }
    }

    /// Expires the cookie `name` at `path` (the path must be the one it was set with).
    pub fn expired(name: &'a str, path: &'a str) -> Self {
        SetCookie::new(name, "").path(path)
    }

    pub fn path(mut self, path: &'a str) -> Self {
        self.path = path;
        self
    }

    pub fn max_age(mut self, secs: i64) -> Self {
        self.max_age_secs = secs;
        self
    }

    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Scripts on the page may read it (nothing secret in it).
    pub fn readable_by_scripts(mut self) -> Self {
        self.http_only = false;
        self
    }

    /// The header value; `Secure` when the public URL is https.
    pub fn header(&self, config: &WebConfig) -> HeaderValue {
        self.header_for(config.is_https())
    }

    pub(crate) fn header_for(&self, secure: bool) -> HeaderValue {
        let SetCookie { name, value, path, max_age_secs, same_site, http_only } = self;
        let http_only = if *http_only { "; HttpOnly" } else { "" };
        let same_site = match same_site {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
        };
        let secure = if secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path={path}{http_only}; SameSite={same_site}; Max-Age={max_age_secs}{secure}"
        ))
        .expect("cookie names, values and paths are visible ASCII")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_carry_their_attributes() {
        let http = WebConfig::new("http://127.0.0.1:8080");
        let https = WebConfig::new("https://shop.example.com");
        let session = SetCookie::new("sweep_session", "sws_x").max_age(60);
        assert_eq!(session.header(&http), "sweep_session=sws_x; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
        assert_eq!(session.header(&https), "sweep_session=sws_x; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure");
        let csrf = SetCookie::new("c", "v").path("/login").same_site(SameSite::Strict).max_age(3600);
        assert_eq!(csrf.header(&http), "c=v; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600");
        let lang = SetCookie::new("sweep_lang", "en").readable_by_scripts().max_age(1);
        assert_eq!(lang.header(&http), "sweep_lang=en; Path=/; SameSite=Lax; Max-Age=1");
        assert_eq!(SetCookie::expired("p", "/s/x").header(&http), "p=; Path=/s/x; HttpOnly; SameSite=Lax; Max-Age=0");
    }
}
