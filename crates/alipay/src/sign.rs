//! Sign contents, request forms, redirect URLs, and the provider side of requests and notifies.

use std::collections::BTreeMap;

use crate::keys::{AlipayPublicKey, AppSigner};
use crate::{Error, SIGN_TYPE_RSA2};

/// The request rule: every parameter with a non-empty name and value except `sign` (so
/// `sign_type` IS included), sorted by name in byte order, joined as `k=v` with `&`, raw
/// (not URL-encoded) values.
///
/// Parameters are taken as given: for a form received over HTTP, decode it once first
/// ([`decode_form`]). Repeated names are kept in input order; the `verify_*` functions refuse
/// them before getting here.
pub fn sign_content<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    join_sorted(params, &["sign"])
}

/// The notification rule: like [`sign_content`] but `sign_type` is left out as well.
pub fn notify_sign_content<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    join_sorted(params, &["sign", "sign_type"])
}

fn join_sorted<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>, drop: &[&str]) -> String {
    let mut kept: Vec<(&str, &str)> =
        params.into_iter().filter(|(k, v)| !k.is_empty() && !v.is_empty() && !drop.contains(k)).collect();
    // `str` orders by bytes; the sort is stable for repeated names.
    kept.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (i, (k, v)) in kept.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The public ("common") request parameters of gateway v2. `format=JSON` is always sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonParams {
    /// The merchant's application id.
    pub app_id: String,
    /// The API, e.g. `alipay.trade.precreate`.
    pub method: String,
    /// Always `utf-8` (the default).
    pub charset: String,
    /// Always `RSA2` (the default); the signature is SHA256withRSA whatever this says.
    pub sign_type: String,
    /// Always `1.0` (the default).
    pub version: String,
    /// `yyyy-MM-dd HH:mm:ss` in UTC+8, see [`timestamp_utc8`].
    pub timestamp: String,
    /// Where Alipay posts asynchronous notifications for this trade.
    pub notify_url: Option<String>,
    /// Where the buyer's browser returns after a page/wap payment.
    pub return_url: Option<String>,
    /// Token of a third-party application acting for the merchant.
    pub app_auth_token: Option<String>,
}

impl CommonParams {
    /// Common parameters with the defaults `charset=utf-8`, `sign_type=RSA2`, `version=1.0`.
    pub fn new(app_id: &str, method: &str, timestamp: String) -> Self {
        Self {
            app_id: app_id.to_owned(),
            method: method.to_owned(),
            charset: "utf-8".to_owned(),
            sign_type: SIGN_TYPE_RSA2.to_owned(),
            version: "1.0".to_owned(),
            timestamp,
            notify_url: None,
            return_url: None,
            app_auth_token: None,
        }
    }

    /// Sets `notify_url`.
    pub fn with_notify_url(mut self, url: &str) -> Self {
        self.notify_url = Some(url.to_owned());
        self
    }

    /// Sets `return_url`.
    pub fn with_return_url(mut self, url: &str) -> Self {
        self.return_url = Some(url.to_owned());
        self
    }
}

/// Formats Unix seconds as the gateway's `timestamp`: `yyyy-MM-dd HH:mm:ss` in UTC+8
/// (Beijing time, no daylight saving).
pub fn timestamp_utc8(unix_seconds: i64) -> String {
    let local = i128::from(unix_seconds) + 8 * 3600;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Parses a `yyyy-MM-dd HH:mm:ss` UTC+8 time (`timestamp`, `notify_time`, `gmt_payment`, …)
/// back into Unix seconds. `None` if it is not exactly that shape or not a real date.
pub fn parse_timestamp_utc8(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) { s.parse().ok() } else { None }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    if civil_from_days(i128::from(days)) != (i128::from(y), mo as u32, d as u32) {
        return None; // e.g. 02-30
    }
    Some(days * 86_400 + h * 3600 + mi * 60 + s - 8 * 3600)
}

// Howard Hinnant's days <-> civil date algorithms (proleptic Gregorian, day 0 = 1970-01-01).
fn civil_from_days(z: i128) -> (i128, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i128::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The complete form to POST (as `application/x-www-form-urlencoded`, see [`encode_form`]) to
/// the gateway: the common parameters, `format=JSON`, `biz_content`, and `sign` over all of
/// them by the request rule. Absent and empty values are not sent.
///
/// Refuses a `sign_type` other than `RSA2` and a `charset` other than `utf-8`, since the
/// signature is always SHA256withRSA over UTF-8 bytes.
pub fn signed_params(
    common: &CommonParams,
    biz_content_json: &str,
    signer: &AppSigner,
) -> Result<Vec<(String, String)>, Error> {
    if common.sign_type != SIGN_TYPE_RSA2 {
        return Err(Error::UnsupportedSignType(common.sign_type.clone()));
    }
    if !common.charset.eq_ignore_ascii_case("utf-8") {
        return Err(Error::UnsupportedCharset(common.charset.clone()));
    }
    let mut params: Vec<(String, String)> = Vec::with_capacity(12);
    let mut push = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            params.push((k.to_owned(), v.to_owned()));
        }
    };
    push("app_id", Some(&common.app_id));
    push("method", Some(&common.method));
    push("format", Some("JSON"));
    push("charset", Some(&common.charset));
    push("sign_type", Some(&common.sign_type));
    push("timestamp", Some(&common.timestamp));
    push("version", Some(&common.version));
    push("notify_url", common.notify_url.as_deref());
    push("return_url", common.return_url.as_deref());
    push("app_auth_token", common.app_auth_token.as_deref());
    push("biz_content", Some(biz_content_json));
    let content = sign_content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let sign = signer.sign(&content)?;
    params.push(("sign".to_owned(), sign));
    Ok(params)
}

/// A GET redirect for `alipay.trade.wap.pay` / `alipay.trade.page.pay`: `gateway_url` with
/// every parameter (from [`signed_params`]) URL-encoded into the query string.
pub fn page_url(gateway_url: &str, params: &[(String, String)]) -> String {
    let sep = if gateway_url.contains('?') { '&' } else { '?' };
    format!("{gateway_url}{sep}{}", encode_form(params))
}

/// Encodes parameters as `application/x-www-form-urlencoded` (UTF-8, space as `+`).
pub fn encode_form(params: &[(String, String)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        ser.append_pair(k, v);
    }
    ser.finish()
}

/// Decodes an `application/x-www-form-urlencoded` body (or query string) exactly once, in
/// order, keeping repeated names. Invalid UTF-8 is replaced by U+FFFD (which then fails any
/// signature check).
pub fn decode_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Collects decoded parameters into a map, refusing repeated names, non-RSA2 `sign_type`
/// and non-UTF-8 `charset`; returns the map and the `sign` value.
pub(crate) fn collect_signed<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(BTreeMap<String, String>, String), Error> {
    let mut map = BTreeMap::new();
    for (k, v) in params {
        if map.insert(k.to_owned(), v.to_owned()).is_some() {
            return Err(Error::DuplicateParam(k.to_owned()));
        }
    }
    if let Some(t) = map.get("sign_type").filter(|t| !t.is_empty())
        && t != SIGN_TYPE_RSA2
    {
        return Err(Error::UnsupportedSignType(t.clone()));
    }
    if let Some(c) = map.get("charset").filter(|c| !c.is_empty())
        && !c.eq_ignore_ascii_case("utf-8")
        && !c.eq_ignore_ascii_case("utf8")
    {
        return Err(Error::UnsupportedCharset(c.clone()));
    }
    let sign = map.get("sign").filter(|s| !s.is_empty()).cloned().ok_or(Error::MissingSign)?;
    Ok((map, sign))
}

/// Provider side: checks a merchant's request (all parameters, already form-decoded once;
/// merge query string and body first if the client split them) against the merchant's
/// application public key, by the request rule (only `sign` left out).
///
/// Refuses repeated parameter names, a `sign_type` other than `RSA2` and a `charset` other
/// than UTF-8. Returns all parameters, `sign` included.
pub fn verify_request<'a>(
    form_params: impl IntoIterator<Item = (&'a str, &'a str)>,
    app_public_key: &AlipayPublicKey,
) -> Result<BTreeMap<String, String>, Error> {
    let (map, sign) = collect_signed(form_params)?;
    let content = sign_content(map.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    app_public_key.verify(&content, &sign)?;
    Ok(map)
}

/// Provider side: the urlencoded body of an asynchronous notification. The signature covers
/// the parameters by the notification rule (no `sign`, no `sign_type`, no empty values);
/// `sign_type=RSA2` and `sign` are appended. Any `sign`/`sign_type` passed in is replaced.
pub fn signed_notify_form<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    signer: &AppSigner,
) -> Result<String, Error> {
    let mut form: Vec<(String, String)> = params
        .into_iter()
        .filter(|(k, _)| *k != "sign" && *k != "sign_type")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let content = notify_sign_content(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let sign = signer.sign(&content)?;
    form.push(("sign_type".to_owned(), SIGN_TYPE_RSA2.to_owned()));
    form.push(("sign".to_owned(), sign));
    Ok(encode_form(&form))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_in_utc8() {
        assert_eq!(timestamp_utc8(0), "1970-01-01 08:00:00");
        // 2024-02-29 15:59:59 UTC is midnight minus one second in Beijing.
        assert_eq!(timestamp_utc8(1_709_222_399), "2024-02-29 23:59:59");
        assert_eq!(timestamp_utc8(1_709_222_400), "2024-03-01 00:00:00");
        assert_eq!(timestamp_utc8(-1), "1970-01-01 07:59:59");
        for t in [0, 1_709_222_399, 1_767_294_245, -86_401, 4_102_444_800] {
            assert_eq!(parse_timestamp_utc8(&timestamp_utc8(t)), Some(t));
        }
        assert_eq!(parse_timestamp_utc8("2023-02-29 00:00:00"), None);
        assert_eq!(parse_timestamp_utc8("2024-1-01 00:00:00"), None);
        assert_eq!(parse_timestamp_utc8("2024-01-01T00:00:00"), None);
        assert_eq!(parse_timestamp_utc8("2024-01-01 24:00:00"), None);
        assert_eq!(parse_timestamp_utc8("+024-01-01 00:00:00"), None);
    }

    #[test]
    fn content_rules_differ_only_in_sign_type() {
        let p = [
            ("b", "2"),
            ("sign", "S"),
            ("a", "1"),
            ("sign_type", "RSA2"),
            ("empty", ""),
            ("", "nameless"),
            ("B", "upper sorts first"),
        ];
        assert_eq!(sign_content(p), "B=upper sorts first&a=1&b=2&sign_type=RSA2");
        assert_eq!(notify_sign_content(p), "B=upper sorts first&a=1&b=2");
    }
}
