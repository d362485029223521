//! Payment providers' notifications (the only thing, besides our own queries, that
//! marks an order paid), and merchants' own accounts at the providers.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use sweep_app::payments::{NoticeReply, PaymentAccountView};
use sweep_domain::ids::MerchantId;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Caller, path_id};
use crate::state::AppState;

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers.iter().filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string()))).collect()
}

fn reply(reply: NoticeReply) -> Response {
    let mut response =
        (StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_REQUEST), reply.body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    response
}

/// A deployment-wide provider's notification (the sandbox). Answers exactly what the
/// provider expects, so it stops retrying once we have it.
#[utoipa::path(post, path = "/api/v1/payments/{provider}/notify", tag = "payments", params(("provider" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/json"),
    responses((status = 200, description = "Accepted (also for duplicates)"), (status = 401, description = "Signature or timestamp refused"),
        (status = 400, description = "Does not match the payment")),
    security(()))]
pub async fn notify(
    State(s): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    Ok(reply(s.sweep.handle_payment_notice(&provider, None, &header_pairs(&headers), &body).await?))
}

/// A notification about a payment to one merchant's own account (WeChat Pay's JSON, or
/// Alipay's form). Verified with that account's keys.
#[utoipa::path(post, path = "/api/v1/payments/{provider}/notify/{merchant_id}", tag = "payments",
    params(("provider" = String, Path), ("merchant_id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/json"),
    responses((status = 200, description = "Accepted (also for duplicates)"), (status = 401, description = "Signature or timestamp refused"),
        (status = 400, description = "Does not match the payment"), (status = 404, description = "No such account or payment")),
    security(()))]
pub async fn notify_merchant(
    State(s): State<AppState>,
    ApiPath((provider, merchant)): ApiPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let Ok(merchant) = path_id::<MerchantId>(&merchant) else {
        return Ok(reply(NoticeReply::refuse(&provider, 404, "no such payment account")));
    };
    Ok(reply(s.sweep.handle_payment_notice(&provider, Some(merchant), &header_pairs(&headers), &body).await?))
}

/// The merchant's accounts at payment providers. Secrets are never returned: each
/// shows only a fingerprint (`sha256:` and 8 hex digits) to tell keys apart.
#[utoipa::path(get, path = "/api/v1/payment-accounts", tag = "payments",
    responses((status = 200, body = Vec<PaymentAccountView>), (status = 403, body = ErrorBody)))]
pub async fn accounts(State(s): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<Vec<PaymentAccountView>>> {
    Ok(Json(s.sweep.payment_accounts(&actor).await?))
}

/// Connects the merchant's own account at `wechatpay` or `alipay` (owners only).
/// Fields left out keep their stored values; `null` clears one. Keys are checked (they
/// must parse and sign) before anything is stored; secrets are sealed at rest.
///
/// WeChat Pay: `mchid`, `appid`, `merchant_serial_no`, `merchant_private_key` (PEM),
/// `api_v3_key` (32 characters), platform keys as `platform_certificates` (PEM list)
/// and/or `platform_public_key_id` with `platform_public_key` (PEM), optional
/// `app_secret` (web authorisation) and `gateway_url`. Alipay: `app_id`,
/// `app_private_key`, `alipay_public_key`, `seller_id`, optional `gateway_url`.
#[utoipa::path(put, path = "/api/v1/payment-accounts/{provider}", tag = "payments", params(("provider" = String, Path)),
    request_body(content = Object),
    responses((status = 200, body = PaymentAccountView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_account(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(provider): ApiPath<String>,
    ApiJson(input): ApiJson<Map<String, Value>>,
) -> ApiResult<Json<PaymentAccountView>> {
    Ok(Json(s.sweep.put_payment_account(&actor, &provider, input).await?))
}

/// Disconnects the merchant's account at a provider; shoppers can no longer choose it.
#[utoipa::path(delete, path = "/api/v1/payment-accounts/{provider}", tag = "payments", params(("provider" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_account(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(provider): ApiPath<String>,
) -> ApiResult<StatusCode> {
    s.sweep.delete_payment_account(&actor, &provider).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconcileInput {
    /// The day to compare, `YYYY-MM-DD` in China Standard Time (the providers' day).
    pub day: String,
}

/// The daily reconciliations of the merchant's payments and refunds with the providers'
/// records, newest day first (head office).
#[utoipa::path(get, path = "/api/v1/reconciliations", tag = "payments",
    responses((status = 200, body = Vec<sweep_app::ports::Reconciliation>), (status = 403, body = ErrorBody)))]
pub async fn reconciliations(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Json<Vec<sweep_app::ports::Reconciliation>>> {
    Ok(Json(s.sweep.reconciliations(&actor).await?))
}

/// Compares a day's payments and refunds with the providers now (the worker does it every
/// night for the day before), applies money a provider took that Sweep never applied, and
/// reports every mismatch.
#[utoipa::path(post, path = "/api/v1/reconciliations", tag = "payments", request_body = ReconcileInput,
    responses((status = 200, body = sweep_app::ports::Reconciliation), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reconcile(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<ReconcileInput>,
) -> ApiResult<Json<sweep_app::ports::Reconciliation>> {
    Ok(Json(s.sweep.reconcile_now(&actor, &input.day).await?))
}
