//! The sandbox's notification protocol, shaped like WeChat Pay v3: the body is signed
//! with HMAC-SHA256 over `timestamp\nnonce\nbody\n`, and the signature, timestamp and
//! nonce travel in headers. Timestamps more than 300 s away are refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sweep_app::ports::{NoticeError, PaymentNotice};
use sweep_domain::{Money, Timestamp};

pub const TIMESTAMP_HEADER: &str = "sandbox-timestamp";
pub const NONCE_HEADER: &str = "sandbox-nonce";
pub const SIGNATURE_HEADER: &str = "sandbox-signature";
pub const MAX_SKEW_SECS: i64 = 300;

/// What the sandbox tells the merchant about a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub out_trade_no: String,
    pub transaction_id: String,
    pub merchant_id: String,
    /// In fen.
    pub amount: i64,
    /// `SUCCESS` when paid.
    pub trade_state: String,
}

fn mac(key: &[u8], timestamp: &str, nonce: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(nonce.as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac.update(b"\n");
    mac
}

pub fn sign(key: &[u8], timestamp: &str, nonce: &str, body: &[u8]) -> String {
    STANDARD.encode(mac(key, timestamp, nonce, body).finalize().into_bytes())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Verifies signature and freshness, then reads the notice.
pub fn verify(
    key: &[u8],
    headers: &[(String, String)],
    body: &[u8],
    now: Timestamp,
) -> Result<PaymentNotice, NoticeError> {
    let (Some(timestamp), Some(nonce), Some(signature)) =
        (header(headers, TIMESTAMP_HEADER), header(headers, NONCE_HEADER), header(headers, SIGNATURE_HEADER))
    else {
        return Err(NoticeError::Malformed("missing signature headers".into()));
    };
    let seconds: i64 = timestamp.parse().map_err(|_| NoticeError::Malformed("timestamp".into()))?;
    if (seconds - now.unix_seconds()).abs() >= MAX_SKEW_SECS {
        return Err(NoticeError::Stale);
    }
    let signature = STANDARD.decode(signature).map_err(|_| NoticeError::BadSignature)?;
    // Constant-time comparison, by the MAC itself.
    mac(key, timestamp, nonce, body).verify_slice(&signature).map_err(|_| NoticeError::BadSignature)?;
    let notice: Notice = serde_json::from_slice(body).map_err(|e| NoticeError::Malformed(e.to_string()))?;
    Ok(PaymentNotice {
        out_trade_no: notice.out_trade_no,
        provider_txn_id: notice.transaction_id,
        amount: Money::cny(notice.amount),
        merchant_ref: notice.merchant_id,
        paid: notice.trade_state == "SUCCESS",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Vec<u8> {
        serde_json::to_vec(&Notice {
            out_trade_no: "abc".into(),
            transaction_id: "SBX1".into(),
            merchant_id: "m1".into(),
            amount: 8800,
            trade_state: "SUCCESS".into(),
        })
        .unwrap()
    }

    fn headers(ts: &str, sig: &str) -> Vec<(String, String)> {
        vec![
            (TIMESTAMP_HEADER.into(), ts.into()),
            (NONCE_HEADER.into(), "n1".into()),
            (SIGNATURE_HEADER.into(), sig.into()),
        ]
    }

    #[test]
    fn signed_notices_verify_and_tampered_ones_do_not() {
        let key = b"sandbox key";
        let now = Timestamp::from_unix_micros(1_800_000_000_000_000);
        let ts = now.unix_seconds().to_string();
        let body = notice();
        let sig = sign(key, &ts, "n1", &body);
        let read = verify(key, &headers(&ts, &sig), &body, now).unwrap();
        assert_eq!((read.amount, read.paid, read.out_trade_no.as_str()), (Money::cny(8800), true, "abc"));

        let mut tampered = body.clone();
        tampered[20] ^= 1;
        assert_eq!(verify(key, &headers(&ts, &sig), &tampered, now), Err(NoticeError::BadSignature));
        assert_eq!(verify(b"other key", &headers(&ts, &sig), &body, now), Err(NoticeError::BadSignature));
        let old = (now.unix_seconds() - 300).to_string();
        assert_eq!(verify(key, &headers(&old, &sign(key, &old, "n1", &body)), &body, now), Err(NoticeError::Stale));
        assert!(matches!(verify(key, &[], &body, now), Err(NoticeError::Malformed(_))));
    }

    #[test]
    fn the_signature_covers_timestamp_nonce_and_body() {
        // A vector computed independently (Python hmac), so the format cannot drift unnoticed.
        assert_eq!(sign(b"key", "1800000000", "nonce", b"{}"), "rqa7AyRJyU2sjQMQoTdkzr2AwmOKq47KJtEYFusKzqQ=");
    }
}
