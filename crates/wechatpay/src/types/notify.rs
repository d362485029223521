//! Notification envelope, platform-certificate download, and the error body.

use serde::{Deserialize, Serialize};

use crate::aead::Resource;

/// `event_type` of a successful payment.
pub const EVENT_TRANSACTION_SUCCESS: &str = "TRANSACTION.SUCCESS";
/// `event_type` of a successful refund.
pub const EVENT_REFUND_SUCCESS: &str = "REFUND.SUCCESS";
/// `event_type` of a refund that got stuck.
pub const EVENT_REFUND_ABNORMAL: &str = "REFUND.ABNORMAL";
/// `event_type` of a refund that was closed.
pub const EVENT_REFUND_CLOSED: &str = "REFUND.CLOSED";
/// `resource_type` of every notification.
pub const RESOURCE_TYPE_ENCRYPT: &str = "encrypt-resource";
/// Endpoint of the platform-certificate download (`GET`, response: [`CertificatesResponse`]).
pub const CERTIFICATES_PATH: &str = "/v3/certificates";

/// A notification as POSTed to `notify_url`. Verify the headers over the raw body first, then
/// decrypt `resource` with the APIv3 key ([`crate::decrypt_resource`]).
///
/// WeChat Pay retries until answered 200 or 204, so the same `id` can arrive more than once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique notification id (the same across retries).
    pub id: String,
    /// When it was created, RFC 3339.
    pub create_time: String,
    /// E.g. [`EVENT_TRANSACTION_SUCCESS`].
    pub event_type: String,
    /// [`RESOURCE_TYPE_ENCRYPT`].
    pub resource_type: String,
    /// The encrypted payload.
    pub resource: Resource,
    /// Human-readable summary, e.g. `支付成功`.
    #[serde(default)]
    pub summary: String,
}

/// One entry of the platform-certificate download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateData {
    /// Certificate serial, uppercase hex.
    pub serial_no: String,
    /// Start of validity, RFC 3339.
    pub effective_time: String,
    /// End of validity, RFC 3339.
    pub expire_time: String,
    /// The certificate PEM, encrypted with the APIv3 key (associated data `certificate`).
    pub encrypt_certificate: Resource,
}

/// Response of `GET /v3/certificates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificatesResponse {
    /// The currently valid platform certificates.
    pub data: Vec<CertificateData>,
}

/// The body of a 4xx/5xx answer, e.g. `{"code":"PARAM_ERROR","message":"..."}`; also the body a
/// merchant may send when refusing a notification (`{"code":"FAIL","message":"..."}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `PARAM_ERROR`, `ORDERPAID`, `ORDER_NOT_EXIST`, `SIGN_ERROR`.
    pub code: String,
    /// Human-readable description.
    pub message: String,
}
