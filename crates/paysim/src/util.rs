//! Small shared helpers: clock, random identifiers, amounts, URLs, cookies and the HTML shell
//! of the simulator's pages.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use axum::response::Html;
use qrcode::QrCode;
use qrcode::render::svg;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};

/// Unix seconds now.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Unix milliseconds now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// RFC 3339 in Beijing time, as WeChat Pay writes times: `2018-06-08T10:34:56+08:00`.
pub(crate) fn rfc3339_cst(unix: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH).to_offset(offset!(+8));
    t.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+08:00")).unwrap_or_default()
}

/// Parses an RFC 3339 time into Unix seconds.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(OffsetDateTime::unix_timestamp)
}

/// `yyyyMMdd` of a Unix time in Beijing time, for provider-style identifiers.
pub(crate) fn ymd_cst(unix: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH).to_offset(offset!(+8));
    t.format(format_description!("[year][month][day]")).unwrap_or_default()
}

/// `n` random bytes from the system source.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("system random source");
    buf
}

/// `n` uniformly random decimal digits.
pub(crate) fn random_digits(n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        // 250 = 25 * 10: larger bytes would bias the modulo.
        for b in random_bytes(n * 2).into_iter().filter(|&b| b < 250) {
            if out.len() == n {
                break;
            }
            out.push(char::from(b'0' + b % 10));
        }
    }
    out
}

/// `n` random hex characters.
pub(crate) fn random_hex(n: usize, upper: bool) -> String {
    let hex: String = random_bytes(n.div_ceil(2)).iter().map(|b| format!("{b:02x}")).collect();
    let hex = &hex[..n];
    if upper { hex.to_ascii_uppercase() } else { hex.to_owned() }
}

/// A random version-4 UUID in its usual text form.
pub(crate) fn random_uuid() -> String {
    let mut b = random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// Fen as yuan with two decimals: `1234` → `12.34`.
pub(crate) fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}{}.{:02}", fen / 100, fen % 100)
}

/// Parses a yuan amount (`12`, `12.3`, `12.34`; no sign, no exponent, at most two decimals)
/// into fen, accepting 0.01 to 100 000 000 as Alipay does.
pub(crate) fn parse_yuan(text: &str) -> Option<i64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 9 || !digits(int) || frac.len() > 2 || !digits(frac) {
        return None;
    }
    if text.contains('.') && frac.is_empty() {
        return None;
    }
    let fen = int.parse::<i64>().ok()? * 100 + format!("{frac:0<2}").parse::<i64>().ok()?;
    (1..=10_000_000_000).contains(&fen).then_some(fen)
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `url` is an absolute `http` or `https` URL (what may be redirected to or notified).
pub(crate) fn is_http_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_whitespace))
}

/// Appends form-encoded parameters to a URL's query, keeping any `#fragment` at the end.
pub(crate) fn append_query(url: &str, encoded: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let sep = if base.contains('?') { if base.ends_with('?') || base.ends_with('&') { "" } else { "&" } } else { "?" };
    let mut out = format!("{base}{sep}{encoded}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Form-encodes `(name, value)` pairs.
pub(crate) fn encode_pairs(pairs: &[(&str, &str)]) -> String {
    let owned: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    sweep_alipay::encode_form(&owned)
}

/// The value of a cookie in the request's `Cookie` headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// An inline SVG QR code of `data` (empty if the data does not fit in a QR code).
pub(crate) fn qr_svg(data: &str) -> String {
    match QrCode::new(data.as_bytes()) {
        Ok(code) => {
            let svg = code.render::<svg::Color<'_>>().min_dimensions(200, 200).build();
            svg.find("<svg").map_or(svg.clone(), |i| svg[i..].to_owned())
        }
        Err(_) => String::new(),
    }
}

/// Which provider a page imitates.
#[derive(Clone, Copy)]
pub(crate) enum Brand {
    /// WeChat Pay: green.
    Wechat,
    /// Alipay: blue.
    Alipay,
}

impl Brand {
    fn parts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Wechat => ("微信支付", "WeChat Pay", "#07c160"),
            Self::Alipay => ("支付宝", "Alipay", "#1677ff"),
        }
    }
}

/// A complete phone-sized page: the provider's name, a banner saying it is a simulator with no
/// real money, and `body` (already escaped HTML).
pub(crate) fn page(brand: Brand, body: &str) -> Html<String> {
    let (zh, en, color) = brand.parts();
    Html(format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{zh} · {en} (Sweep simulator, no real money)</title>
<style>
body{{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f2f3f5;color:#222}}
.sim{{background:#fff3cd;color:#664d03;text-align:center;font-size:13px;padding:6px 8px;border-bottom:1px solid #ffe69c}}
header{{background:{color};color:#fff;text-align:center;padding:14px 8px}}
header h1{{margin:0;font-size:20px}} header small{{display:block;font-size:12px;opacity:.9}}
main{{max-width:420px;margin:16px auto;background:#fff;border-radius:10px;padding:20px;box-sizing:border-box}}
.en{{display:block;color:#777;font-size:12px;margin-top:2px}}
.amount{{font-size:36px;font-weight:600;text-align:center;margin:12px 0}}
.desc{{text-align:center;font-size:16px;word-break:break-all}}
.meta{{color:#777;font-size:12px;text-align:center;word-break:break-all;margin-top:8px}}
.status{{text-align:center;font-size:18px;margin:18px 0}}
button{{display:block;width:100%;margin-top:20px;padding:14px;font-size:17px;border:0;border-radius:8px;background:{color};color:#fff}}
.wide-only{{display:none;text-align:center;margin-top:20px}}
@media (min-width:700px){{.wide-only{{display:block}}}}
a{{color:{color}}}
</style></head>
<body>
<div class="sim">模拟器：不涉及真实资金<span class="en">Simulator: no real money is involved</span></div>
<header><h1>{zh}</h1><small>{en} (Sweep simulator, no real money)</small></header>
<main>
{body}
</main>
</body></html>
"#
    ))
}

/// The block of a page showing the description and amount.
pub(crate) fn order_block(description: &str, fen: i64, meta: &str) -> String {
    format!(
        r#"<div class="desc">{}</div><div class="amount">¥{}</div><div class="meta">{}</div>"#,
        esc(description),
        yuan(fen),
        esc(meta)
    )
}

/// A status line in Chinese with English beneath.
pub(crate) fn status_line(zh: &str, en: &str) -> String {
    format!(r#"<div class="status" id="sim-status">{}<span class="en">{}</span></div>"#, esc(zh), esc(en))
}

/// A form with the Pay button (`id="sim-pay"`) posting to `action` with hidden fields.
pub(crate) fn pay_form(action: &str, hidden: &[(&str, &str)]) -> String {
    let fields: String =
        hidden.iter().map(|(k, v)| format!(r#"<input type="hidden" name="{}" value="{}">"#, esc(k), esc(v))).collect();
    format!(
        r#"<form method="post" action="{}">{fields}<button id="sim-pay" type="submit">确认支付<span class="en" style="color:#fff">Pay (simulated)</span></button></form>"#,
        esc(action)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_yuan("12.34"), Some(1234));
        assert_eq!(parse_yuan("12.3"), Some(1230));
        assert_eq!(parse_yuan("12"), Some(1200));
        assert_eq!(parse_yuan("0.01"), Some(1));
        for bad in ["", "0", "0.00", "-1.00", "+1", "1.", ".5", "1.234", "1e3", "1,00", "100000000.01", " 1"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
        assert_eq!(yuan(1), "0.01");
        assert_eq!(yuan(123_456), "1234.56");
    }

    #[test]
    fn urls_and_escaping() {
        assert_eq!(append_query("https://a/b", "x=1"), "https://a/b?x=1");
        assert_eq!(append_query("https://a/b?y=2#f", "x=1"), "https://a/b?y=2&x=1#f");
        assert!(is_http_url("http://127.0.0.1:1/n"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("https:///x"));
        assert_eq!(esc(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(rfc3339_cst(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(parse_rfc3339("1970-01-01T08:00:00+08:00"), Some(0));
        assert_eq!(random_digits(18).len(), 18);
        assert_eq!(random_hex(40, true).len(), 40);
        assert_eq!(random_uuid().len(), 36);
    }
}
