//! Reading a merchant's provider settings: each field checked with a stable error code,
//! every problem reported at once, unknown fields refused (a typo must not pass as set).

use serde_json::{Map, Value};
use sweep_app::ports::{AccountFieldError, AccountParts, CodePayment, CodePaymentOutcome, PaymentGateway, TradeState};

/// Collects a settings object's fields and what is wrong with them.
pub(crate) struct Fields<'a> {
    input: &'a Map<String, Value>,
    pub errors: Vec<AccountFieldError>,
    known: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    pub fn new(input: &'a Map<String, Value>) -> Fields<'a> {
        Fields { input, errors: vec![], known: vec![] }
    }

    pub fn error(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.errors.push(AccountFieldError { field: field.to_string(), code, message: message.into() });
    }

    /// A non-empty string, trimmed; `None` (and an error when required) otherwise.
    pub fn text(&mut self, field: &'static str, required: bool) -> Option<String> {
        self.known.push(field);
        match self.input.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            None | Some(Value::Null) if !required => None,
            Some(Value::String(_)) | None | Some(Value::Null) => {
                self.error(field, "required", "required");
                None
            }
            Some(_) => {
                self.error(field, "invalid", "must be text");
                None
            }
        }
    }

    /// A list of non-empty strings (absent: empty).
    pub fn texts(&mut self, field: &'static str) -> Vec<String> {
        self.known.push(field);
        match self.input.get(field) {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(items)) if items.iter().all(|i| i.as_str().is_some_and(|s| !s.trim().is_empty())) => {
                items.iter().filter_map(|i| i.as_str()).map(|s| s.trim().to_string()).collect()
            }
            Some(_) => {
                self.error(field, "invalid", "must be a list of text");
                vec![]
            }
        }
    }

    /// An http(s) URL without a trailing slash; one of `official` unless any address is
    /// allowed (a merchant must not point Sweep's server at arbitrary hosts).
    pub fn url(&mut self, field: &'static str, official: &[&str], anywhere: bool) -> String {
        let default = official[0];
        match self.text(field, false).map(|u| u.trim_end_matches('/').to_string()) {
            Some(u) if official.contains(&u.as_str()) => u,
            Some(u) if anywhere && (u.starts_with("https://") || u.starts_with("http://")) => u,
            Some(_) if anywhere => {
                self.error(field, "invalid_url", "must be an http(s) address");
                default.to_string()
            }
            Some(_) => {
                self.error(
                    field,
                    "gateway_not_allowed",
                    format!("must be the provider's own address: {}", official.join(", ")),
                );
                default.to_string()
            }
            None => default.to_string(),
        }
    }

    /// Refuses fields that were not read.
    pub fn finish(mut self) -> Vec<AccountFieldError> {
        let unknown: Vec<String> = self.input.keys().filter(|k| !self.known.contains(&k.as_str())).cloned().collect();
        for field in unknown {
            self.error(&field, "unknown_field", "not a setting of this provider");
        }
        self.errors
    }
}

/// Field errors as one line, for a stored account that no longer opens.
pub(crate) fn describe(errors: &[AccountFieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

/// Splits checked settings into what may be shown and what is sealed.
pub(crate) fn split(input: &Map<String, Value>, secret: &[&str]) -> AccountParts {
    let mut parts = AccountParts { settings: Map::new(), secrets: Map::new() };
    for (k, v) in input {
        if v.is_null() {
            continue;
        }
        if secret.contains(&k.as_str()) {
            parts.secrets.insert(k.clone(), v.clone());
        } else {
            parts.settings.insert(k.clone(), v.clone());
        }
    }
    parts
}

/// Both halves back as one object, to read.
pub(crate) fn joined(parts: &AccountParts) -> Map<String, Value> {
    let mut all = parts.settings.clone();
    all.extend(parts.secrets.clone());
    all
}

/// How the WeChat Pay and Alipay providers behave in this deployment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProviderOptions {
    pub code_wait: CodeWait,
    /// Merchants may point their accounts at any address (a provider simulator). Off in
    /// production: only the providers' own hosts are accepted.
    pub any_gateway: bool,
}

/// How a gateway waits while a payer confirms a payment code in the wallet app.
#[derive(Debug, Clone, Copy)]
pub struct CodeWait {
    pub poll_every: std::time::Duration,
    /// After this the charge is cancelled and the till told the payer did not confirm.
    pub give_up_after: std::time::Duration,
}

impl CodeWait {
    /// Asks `gateway` about a payment-code charge until the payer confirms it in the app
    /// (paid) or it is cancelled there (declined); `None` once the wait is over, when the
    /// caller cancels the charge.
    pub(crate) async fn payer(
        &self,
        gateway: &dyn PaymentGateway,
        request: &CodePayment,
    ) -> Option<CodePaymentOutcome> {
        let deadline = tokio::time::Instant::now() + self.give_up_after;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(self.poll_every).await;
            match gateway.query(&request.out_trade_no).await {
                Ok(TradeState::Paid { provider_txn_id, amount }) if amount == request.amount => {
                    return Some(CodePaymentOutcome::Paid { provider_txn_id });
                }
                Ok(TradeState::Closed) => {
                    return Some(CodePaymentOutcome::Declined("the payment was cancelled".into()));
                }
                _ => continue,
            }
        }
        None
    }

    /// What the till hears when the payer did not confirm and the charge was cancelled.
    pub(crate) fn gave_up() -> CodePaymentOutcome {
        CodePaymentOutcome::Declined("the payer did not confirm in time; the charge was cancelled".into())
    }
}

impl Default for CodeWait {
    fn default() -> Self {
        CodeWait { poll_every: std::time::Duration::from_secs(2), give_up_after: std::time::Duration::from_secs(30) }
    }
}

/// The HTTP client the gateways share: rustls, short timeouts (a slow provider must not
/// hold a shopper's request for long).
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .expect("an HTTP client with default TLS settings")
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Percent-encodes a query value.
pub(crate) fn query_value(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
