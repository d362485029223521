use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::http::{HeaderMap, header};
use ipnet::IpNet;
use metrics_exporter_prometheus::PrometheusHandle;
use sweep_app::Sweep;

/// How the web layer is reached and what it trusts.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The address shoppers' phones and staff browsers use, e.g. `https://shop.example.com`.
    /// Absolute links use it; an `https` URL makes cookies `Secure` and turns on HSTS.
    pub public_url: String,
    /// Proxies whose `X-Forwarded-For` is believed. Empty: the peer address counts.
    pub trusted_proxies: Vec<IpNet>,
    /// Show the development SMS outbox at `/dev/sms` (demo and tests only: it shows
    /// everyone's sign-in codes).
    pub sms_outbox_page: bool,
    /// How long a client may take to send a request's headers before its connection is
    /// closed (see [`crate::serve::serve`]): slow clients cannot hold connections for ever.
    pub header_read_timeout: std::time::Duration,
    /// When set, `/metrics` answers only `Authorization: Bearer <this>` (what a
    /// Prometheus scrape job sends with `authorization.credentials`); unset, anyone.
    pub metrics_token: Option<String>,
}

impl WebConfig {
    pub fn new(public_url: &str) -> WebConfig {
        WebConfig {
            public_url: public_url.trim_end_matches('/').to_string(),
            trusted_proxies: vec![],
            sms_outbox_page: false,
            header_read_timeout: crate::serve::HEADER_READ_TIMEOUT,
            metrics_token: None,
        }
    }

    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// `scheme://host[:port]` of the public URL, for same-origin checks.
    pub fn origin(&self) -> &str {
        origin_of(&self.public_url)
    }
}

/// `scheme://host[:port]` of a URL: everything before its path, query or fragment.
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[after_scheme..].find(['/', '?', '#']).map(|i| after_scheme + i).unwrap_or(url.len());
    &url[..end]
}

/// A state-changing browser request must come from our own pages. Browsers say where a
/// POST comes from in `Origin` (or at least `Referer`); it must be the public URL's
/// origin or the host the request was sent to. A request that names neither (not a
/// browser) passes: cookies alone never authorise one, its other checks still apply.
pub fn same_origin(config: &WebConfig, headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let claimed = match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(origin), _) => origin,
        (None, Some(referer)) => origin_of(referer),
        (None, None) => return true,
    };
    if claimed == config.origin() {
        return true;
    }
    // Served under another name than the public URL (a LAN address in a demo).
    let host = text(header::HOST).unwrap_or("");
    let claimed_host = claimed.split_once("://").map(|(_, h)| h).unwrap_or("");
    !host.is_empty() && claimed_host.eq_ignore_ascii_case(host)
}

#[derive(Clone)]
pub struct AppState {
    pub sweep: Arc<Sweep>,
    pub config: Arc<WebConfig>,
    pub metrics: PrometheusHandle,
}

/// The client address that counts for throttling: the peer, unless the peer is a
/// trusted proxy, in which case the right-most untrusted address in X-Forwarded-For.
pub fn client_ip(config: &WebConfig, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    let Some(peer) = peer else {
        return "unknown".into();
    };
    let peer_ip = peer.ip();
    let trusted = |ip: &IpAddr| config.trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer_ip) {
        return peer_ip.to_string();
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded.iter().rev().find(|ip| !trusted(ip)).copied().unwrap_or(peer_ip).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_counts_only_behind_trusted_proxies() {
        let mut config = WebConfig::new("http://127.0.0.1:8080");
        let proxy: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let h = headers("203.0.113.9, 198.51.100.7");
        assert_eq!(client_ip(&config, &h, Some(proxy)), "10.0.0.2", "untrusted peer: its own address");
        config.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(client_ip(&config, &h, Some(proxy)), "198.51.100.7", "right-most untrusted hop");
        assert_eq!(client_ip(&config, &headers("nonsense"), Some(proxy)), "10.0.0.2");
    }

    #[test]
    fn same_origin_accepts_our_pages_and_refuses_others() {
        let config = WebConfig::new("https://shop.example.com");
        let with = |pairs: &[(&'static str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().unwrap());
            }
            same_origin(&config, &h)
        };
        assert!(with(&[("origin", "https://shop.example.com")]));
        assert!(
            with(&[("origin", "http://192.168.1.5:8080"), ("host", "192.168.1.5:8080")]),
            "reached by its LAN name"
        );
        assert!(with(&[("referer", "https://shop.example.com/s/yunmian/cart?x=1")]));
        assert!(with(&[]), "no browser, no origin to check");
        assert!(!with(&[("origin", "https://evil.example"), ("host", "shop.example.com")]));
        assert!(!with(&[("origin", "null"), ("host", "shop.example.com")]), "sandboxed frames send null");
        assert!(!with(&[("referer", "https://shop.example.com.evil.example/"), ("host", "shop.example.com")]));
    }

    #[test]
    fn origin_of_public_url() {
        assert_eq!(WebConfig::new("https://shop.example.com/").origin(), "https://shop.example.com");
        assert_eq!(WebConfig::new("http://192.168.1.5:8080/sweep").origin(), "http://192.168.1.5:8080");
        assert_eq!(origin_of("https://shop.example.com?x=1"), "https://shop.example.com");
        assert_eq!(origin_of("https://shop.example.com#top"), "https://shop.example.com");
        assert_eq!(origin_of("https://shop.example.com"), "https://shop.example.com");
    }
}
