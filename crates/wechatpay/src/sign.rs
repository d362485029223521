//! Request signing (merchant side) and request verification (provider side).
//!
//! A merchant signs `METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nBODY\n` with its API certificate's
//! private key and sends the result in an `Authorization: WECHATPAY2-SHA256-RSA2048 ...` header.
//! The same key signs the JSAPI `wx.requestPayment` parameters.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{AuthorizationError, KeyError, VerifyError};
use crate::keys::{PublicKey, RsaPrivateKey};

/// The `Authorization` scheme of API v3.
pub const AUTHORIZATION_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// The string a merchant signs for a request: `METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nBODY\n`.
///
/// `path_with_query` is the URL's absolute path plus `?query` exactly as sent (no host);
/// `body` is the exact request body, empty for GET (the trailing newline stays).
#[must_use]
pub fn request_message(method: &str, path_with_query: &str, timestamp: i64, nonce: &str, body: &str) -> String {
    format!("{method}\n{path_with_query}\n{timestamp}\n{nonce}\n{body}\n")
}

/// [`request_message`] over raw body bytes, for a verifier that has not decoded the body.
fn request_message_bytes(method: &str, path_with_query: &str, timestamp: i64, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = format!("{method}\n{path_with_query}\n{timestamp}\n{nonce}\n").into_bytes();
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

/// The merchant's signing identity: merchant id, API certificate serial and its private key.
///
/// `Debug` shows the merchant id and serial, never the key.
#[derive(Debug)]
pub struct MerchantSigner {
    mchid: String,
    serial_no: String,
    key: RsaPrivateKey,
}

impl MerchantSigner {
    /// Builds a signer from the merchant id, the merchant API certificate's serial number and its
    /// private key PEM (PKCS#8 `BEGIN PRIVATE KEY` as in `apiclient_key.pem`, or PKCS#1 `BEGIN RSA PRIVATE KEY`).
    ///
    /// # Errors
    /// [`KeyError`] when the PEM holds no usable RSA private key.
    pub fn new(
        mchid: impl Into<String>,
        serial_no: impl Into<String>,
        private_key_pem: &str,
    ) -> Result<Self, KeyError> {
        Ok(Self { mchid: mchid.into(), serial_no: serial_no.into(), key: RsaPrivateKey::from_pem(private_key_pem)? })
    }

    /// The merchant id (`mchid`).
    #[must_use]
    pub fn mchid(&self) -> &str {
        &self.mchid
    }

    /// The merchant API certificate serial (`serial_no`).
    #[must_use]
    pub fn serial_no(&self) -> &str {
        &self.serial_no
    }

    /// The public half of the merchant key, which the provider verifies requests with.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// Signs `message` with SHA256-RSA (PKCS#1 v1.5) and returns it in standard base64.
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> String {
        self.key.sign_base64(message)
    }

    /// The signed [`Authorization`] for one request; see [`request_message`] for the arguments.
    #[must_use]
    pub fn sign_request(
        &self,
        method: &str,
        path_with_query: &str,
        timestamp: i64,
        nonce: &str,
        body: &str,
    ) -> Authorization {
        let message = request_message(method, path_with_query, timestamp, nonce, body);
        Authorization {
            mchid: self.mchid.clone(),
            nonce_str: nonce.to_owned(),
            timestamp,
            serial_no: self.serial_no.clone(),
            signature: self.sign(message.as_bytes()),
        }
    }

    /// The complete `Authorization` header value for one request:
    /// `WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",timestamp="..",serial_no="..",signature=".."`.
    #[must_use]
    pub fn authorization(
        &self,
        method: &str,
        path_with_query: &str,
        timestamp: i64,
        nonce: &str,
        body: &str,
    ) -> String {
        self.sign_request(method, path_with_query, timestamp, nonce, body).to_string()
    }

    /// The parameters a JSAPI page passes to `WeixinJSBridge`/`wx.requestPayment`, with `paySign`
    /// over `appId\ntimeStamp\nnonceStr\npackage\n` and `package = "prepay_id=..."`.
    #[must_use]
    pub fn jsapi_pay_params(&self, appid: &str, prepay_id: &str, timestamp: i64, nonce: &str) -> JsapiPayParams {
        let mut params = JsapiPayParams {
            app_id: appid.to_owned(),
            time_stamp: timestamp.to_string(),
            nonce_str: nonce.to_owned(),
            package: format!("prepay_id={prepay_id}"),
            sign_type: "RSA".to_owned(),
            pay_sign: String::new(),
        };
        params.pay_sign = self.sign(params.message().as_bytes());
        params
    }
}

/// The JSAPI payment parameters (JSON field names as the WeChat JS API expects them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsapiPayParams {
    /// The official account / mini program `appid` the order was placed with.
    pub app_id: String,
    /// Unix seconds as a decimal string.
    pub time_stamp: String,
    /// A random string of at most 32 characters.
    pub nonce_str: String,
    /// `prepay_id=<prepay_id from the JSAPI prepay response>`.
    pub package: String,
    /// Always `RSA` in API v3.
    pub sign_type: String,
    /// Base64 SHA256-RSA signature of [`JsapiPayParams::message`] with the merchant key.
    pub pay_sign: String,
}

impl JsapiPayParams {
    /// The signed string: `appId\ntimeStamp\nnonceStr\npackage\n`.
    #[must_use]
    pub fn message(&self) -> String {
        format!("{}\n{}\n{}\n{}\n", self.app_id, self.time_stamp, self.nonce_str, self.package)
    }

    /// Checks `paySign` with the merchant's public key, as the WeChat client does (provider side).
    ///
    /// # Errors
    /// [`VerifyError::BadSignature`] when `signType` is not `RSA` or the signature does not match.
    pub fn verify(&self, merchant_public_key: &PublicKey) -> Result<(), VerifyError> {
        if self.sign_type != "RSA" {
            return Err(VerifyError::BadSignature);
        }
        merchant_public_key.verify(self.message().as_bytes(), &self.pay_sign)
    }
}

/// The parameters of an `Authorization: WECHATPAY2-SHA256-RSA2048 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Merchant id.
    pub mchid: String,
    /// The nonce that was signed.
    pub nonce_str: String,
    /// Unix seconds that were signed.
    pub timestamp: i64,
    /// Serial of the merchant API certificate whose key signed.
    pub serial_no: String,
    /// Base64 signature of the [`request_message`].
    pub signature: String,
}

impl fmt::Display for Authorization {
    /// Writes the header value, parameters in the SDKs' order, comma-separated without spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{AUTHORIZATION_SCHEME} mchid=\"{}\",nonce_str=\"{}\",timestamp=\"{}\",serial_no=\"{}\",signature=\"{}\"",
            self.mchid, self.nonce_str, self.timestamp, self.serial_no, self.signature
        )
    }
}

/// Parses an `Authorization` header value (provider side).
///
/// The scheme is matched case-insensitively; parameters may come in any order, with optional
/// spaces around the commas; unknown parameters are ignored; a repeated parameter is an error.
///
/// # Errors
/// [`AuthorizationError`] naming the first problem found.
pub fn parse_authorization(header: &str) -> Result<Authorization, AuthorizationError> {
    let header = header.trim();
    let (scheme, params) = header.split_once(char::is_whitespace).ok_or(AuthorizationError::Scheme)?;
    if !scheme.eq_ignore_ascii_case(AUTHORIZATION_SCHEME) {
        return Err(AuthorizationError::Scheme);
    }
    let mut fields: [Option<&str>; 5] = [None; 5];
    const NAMES: [&str; 5] = ["mchid", "nonce_str", "timestamp", "serial_no", "signature"];
    let mut rest = params.trim_start();
    while !rest.is_empty() {
        let (key, after_key) = rest.split_once('=').ok_or(AuthorizationError::Malformed)?;
        let after_quote = after_key.strip_prefix('"').ok_or(AuthorizationError::Malformed)?;
        let (value, after_value) = after_quote.split_once('"').ok_or(AuthorizationError::Malformed)?;
        if let Some(i) = NAMES.iter().position(|n| *n == key.trim())
            && fields[i].replace(value).is_some()
        {
            return Err(AuthorizationError::Malformed);
        }
        let after_value = after_value.trim_start();
        rest = match after_value.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if after_value.is_empty() => after_value,
            None => return Err(AuthorizationError::Malformed),
        };
    }
    let [mchid, nonce_str, timestamp, serial_no, signature] = fields;
    let timestamp = timestamp.ok_or(AuthorizationError::Missing("timestamp"))?;
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthorizationError::BadTimestamp);
    }
    Ok(Authorization {
        mchid: mchid.ok_or(AuthorizationError::Missing("mchid"))?.to_owned(),
        nonce_str: nonce_str.ok_or(AuthorizationError::Missing("nonce_str"))?.to_owned(),
        timestamp: timestamp.parse().map_err(|_| AuthorizationError::BadTimestamp)?,
        serial_no: serial_no.ok_or(AuthorizationError::Missing("serial_no"))?.to_owned(),
        signature: signature.ok_or(AuthorizationError::Missing("signature"))?.to_owned(),
    })
}

/// Verifies a merchant request's signature with the merchant's public key (provider side).
///
/// Rebuilds [`request_message`] from the parsed header and the request as received. It checks the
/// signature only: compare `auth.timestamp` with the clock using [`crate::check_timestamp`], and
/// `auth.mchid`/`auth.serial_no` with the key's owner, separately.
///
/// # Errors
/// [`VerifyError::BadSignature`] when the signature is not base64 or does not match.
pub fn verify_request(
    auth: &Authorization,
    merchant_public_key: &PublicKey,
    method: &str,
    path_with_query: &str,
    body: &[u8],
) -> Result<(), VerifyError> {
    let message = request_message_bytes(method, path_with_query, auth.timestamp, &auth.nonce_str, body);
    merchant_public_key.verify(&message, &auth.signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_message_keeps_the_trailing_newline_for_an_empty_body() {
        assert_eq!(request_message("GET", "/v3/certificates", 1, "n", ""), "GET\n/v3/certificates\n1\nn\n\n");
        assert_eq!(request_message_bytes("GET", "/p", 1, "n", b""), b"GET\n/p\n1\nn\n\n");
    }

    #[test]
    fn authorization_parser_rejects_malformed_headers() {
        let ok = r#"WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",timestamp="2",serial_no="S",signature="c2ln""#;
        let parsed = parse_authorization(ok).unwrap();
        assert_eq!(parsed.to_string(), ok);
        let spaced = r#"wechatpay2-sha256-rsa2048  signature="c2ln", serial_no="S" ,timestamp="2",nonce_str="n",mchid="1",x="y""#;
        assert_eq!(parse_authorization(spaced).unwrap(), parsed);

        assert_eq!(parse_authorization(&ok.replace("WECHATPAY2", "WECHATPAY3")), Err(AuthorizationError::Scheme));
        assert_eq!(parse_authorization("WECHATPAY2-SHA256-RSA2048"), Err(AuthorizationError::Scheme));
        assert_eq!(parse_authorization(&ok.replace(r#"mchid="1","#, "")), Err(AuthorizationError::Missing("mchid")));
        assert_eq!(parse_authorization(&ok.replace(r#""2""#, r#""-2""#)), Err(AuthorizationError::BadTimestamp));
        assert_eq!(parse_authorization(&ok.replace(r#"mchid="1""#, "mchid=1")), Err(AuthorizationError::Malformed));
        assert_eq!(
            parse_authorization(&format!(r#"{ok},mchid="2""#)),
            Err(AuthorizationError::Malformed),
            "a repeated parameter must not silently override"
        );
        assert_eq!(parse_authorization(&format!("{ok} trailing")), Err(AuthorizationError::Malformed));
    }
}
