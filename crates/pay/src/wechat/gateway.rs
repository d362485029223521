//! The WeChat Pay gateway: signed requests, verified responses, decrypted notifications.

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sweep_app::ports::*;
use sweep_domain::ids::MerchantId;
use sweep_domain::{Money, Timestamp};
use sweep_wechatpay::types::{
    self as wx, AuthCodePayer, CNY, CODEPAY_PATH, CloseRequest, CodepayRequest, CodepaySceneInfo,
    EVENT_REFUND_ABNORMAL, EVENT_REFUND_CLOSED, EVENT_REFUND_SUCCESS, EVENT_TRANSACTION_SUCCESS, ErrorBody, H5Info,
    H5PrepayResponse, JsapiPrepayResponse, NativePrepayResponse, Notification, OrderAmount, Payer, PrepayKind,
    PrepayRequest, REFUNDS_PATH, Refund, RefundNotification, RefundRequestAmount, RefundStatus, ReverseRequest,
    SceneInfo, StoreInfo, Transaction, close_path, query_path, refund_query_path, reverse_path,
};
use sweep_wechatpay::{SignedHeaders, VerifyError, decrypt_resource, random_nonce};

use super::{Account, PROVIDER};
use crate::account::{CodeWait, query_value, unix_now};

/// One merchant's WeChat Pay account, ready to call.
pub struct WeChatPay {
    account: Account,
    http: reqwest::Client,
    code_wait: CodeWait,
}

/// A provider answer: the status and the verified body (or the provider's error body).
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
}

impl Reply {
    fn error_code(&self) -> Option<ErrorBody> {
        serde_json::from_slice(&self.body).ok()
    }

    fn json<T: DeserializeOwned>(&self) -> Result<T, GatewayError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| GatewayError::Unavailable(format!("WeChat Pay answered something unreadable: {e}")))
    }

    /// A 4xx is WeChat Pay refusing (`Refused`, with its code); 5xx and SYSTEM_ERROR are
    /// worth trying again.
    fn failure(&self) -> GatewayError {
        let body = self.error_code();
        let what =
            body.as_ref().map(|b| format!("{}: {}", b.code, b.message)).unwrap_or_else(|| self.status.to_string());
        let retry = self.status.is_server_error()
            || body
                .as_ref()
                .is_some_and(|b| matches!(b.code.as_str(), "SYSTEM_ERROR" | "FREQUENCY_LIMITED" | "BANKERROR"));
        if retry { GatewayError::Unavailable(what) } else { GatewayError::Refused(what) }
    }
}

/// `yyyy-MM-ddTHH:mm:ss+08:00`, as WeChat Pay wants times.
fn rfc3339_utc8(t: Timestamp) -> String {
    let d = t.plus_seconds(8 * 3600).to_offset_datetime();
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// WeChat Pay limits descriptions to 127 bytes.
fn description(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if out.len() + c.len_utf8() > 127 {
            break;
        }
        out.push(c);
    }
    out
}

impl WeChatPay {
    pub(crate) fn new(account: Account, http: reqwest::Client, code_wait: CodeWait) -> WeChatPay {
        WeChatPay { account, http, code_wait }
    }

    /// Sends a signed request and verifies the signature of the answer: an answer that
    /// does not verify is not believed (it may not come from WeChat Pay).
    async fn call(&self, method: Method, path: &str, body: Option<&impl Serialize>) -> Result<Reply, GatewayError> {
        let body = match body {
            Some(b) => serde_json::to_string(b).map_err(|e| GatewayError::Refused(e.to_string()))?,
            None => String::new(),
        };
        let authorization =
            self.account.signer.authorization(method.as_str(), path, unix_now(), &random_nonce(), &body);
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.account.gateway_url))
            .header("Authorization", authorization)
            .header("Accept", "application/json")
            .header("User-Agent", concat!("sweep/", env!("CARGO_PKG_VERSION")));
        if !body.is_empty() {
            request = request.header("Content-Type", "application/json").body(body);
        }
        let response = request.send().await.map_err(|e| GatewayError::Unavailable(format!("WeChat Pay: {e}")))?;
        let status = response.status();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string())))
            .collect();
        let body = response.bytes().await.map_err(|e| GatewayError::Unavailable(format!("WeChat Pay: {e}")))?;
        if status.is_success() {
            let signed = SignedHeaders::from_pairs(&headers)
                .map_err(|e| GatewayError::Unavailable(format!("WeChat Pay answer unsigned: {e}")))?;
            self.account.verifier.verify(&signed, &body, unix_now()).map_err(|e| {
                tracing::warn!(target: "security", event = "wechatpay_response_unverified", reason = %e);
                GatewayError::Unavailable(format!("WeChat Pay answer did not verify: {e}"))
            })?;
        }
        Ok(Reply { status, body: body.to_vec() })
    }

    fn prepay(&self, request: &CreatePayment) -> PrepayRequest {
        PrepayRequest {
            appid: self.account.appid.clone(),
            mchid: self.account.mchid.clone(),
            description: description(&request.description),
            out_trade_no: request.out_trade_no.clone(),
            time_expire: Some(rfc3339_utc8(request.expires_at)),
            attach: None,
            notify_url: request.notify_url.clone(),
            amount: OrderAmount::cny(request.amount.minor()),
            payer: None,
            scene_info: None,
        }
    }

    async fn reverse(&self, out_trade_no: &str) -> Result<(), GatewayError> {
        let body = ReverseRequest { appid: self.account.appid.clone(), mchid: self.account.mchid.clone() };
        let reply = self.call(Method::POST, &reverse_path(out_trade_no), Some(&body)).await?;
        if reply.status.is_success() { Ok(()) } else { Err(reply.failure()) }
    }

    fn transaction_state(&self, t: &Transaction) -> TradeState {
        let amount = Money::cny(t.amount.as_ref().map(|a| a.total).unwrap_or(0));
        let txn = t.transaction_id.clone().unwrap_or_default();
        match t.trade_state {
            wx::TradeState::Success => TradeState::Paid { provider_txn_id: txn, amount },
            wx::TradeState::Refund => TradeState::Refunded { provider_txn_id: txn, amount },
            wx::TradeState::UserPaying => TradeState::Paying,
            wx::TradeState::Closed | wx::TradeState::Revoked => TradeState::Closed,
            _ => TradeState::Unpaid,
        }
    }

    fn refund_state(status: RefundStatus) -> RefundState {
        match status {
            RefundStatus::Success => RefundState::Succeeded,
            RefundStatus::Processing => RefundState::Processing,
            other => RefundState::Failed(format!("{other:?}")),
        }
    }
}

#[async_trait]
impl PaymentGateway for WeChatPay {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn account_ref(&self, _merchant: MerchantId) -> String {
        format!("{}/{}", self.account.mchid, self.account.appid)
    }

    async fn create(&self, request: &CreatePayment) -> Result<CreatedPayment, GatewayError> {
        let mut prepay = self.prepay(request);
        let kind = match &request.scene {
            PayScene::Qr | PayScene::DesktopBrowser => PrepayKind::Native,
            PayScene::WeChatJsapi { openid } => {
                prepay.payer = Some(Payer { openid: openid.clone() });
                PrepayKind::Jsapi
            }
            PayScene::MobileBrowser { client_ip } => {
                prepay.scene_info = Some(SceneInfo {
                    payer_client_ip: client_ip.clone(),
                    device_id: None,
                    h5_info: Some(H5Info { kind: "Wap".into(), app_name: None, app_url: None }),
                });
                PrepayKind::H5
            }
            PayScene::InAlipay => return Err(GatewayError::Refused("WeChat Pay does not work inside Alipay".into())),
        };
        prepay
            .check(kind)
            .map_err(|field| GatewayError::Refused(format!("{field} is not acceptable to WeChat Pay")))?;
        let reply = self.call(Method::POST, kind.path(), Some(&prepay)).await?;
        if !reply.status.is_success() {
            return Err(reply.failure());
        }
        let action = match kind {
            PrepayKind::Native => PayAction::ShowQr(reply.json::<NativePrepayResponse>()?.code_url),
            PrepayKind::H5 => {
                let url = reply.json::<H5PrepayResponse>()?.h5_url;
                // WeChat sends the browser back here after paying.
                PayAction::Redirect(format!("{url}&redirect_url={}", query_value(&request.return_url)))
            }
            PrepayKind::Jsapi => {
                let prepay_id = reply.json::<JsapiPrepayResponse>()?.prepay_id;
                let params =
                    self.account.signer.jsapi_pay_params(&self.account.appid, &prepay_id, unix_now(), &random_nonce());
                PayAction::WeChatJsapi(serde_json::to_value(params).map_err(|e| GatewayError::Refused(e.to_string()))?)
            }
        };
        Ok(CreatedPayment { action })
    }

    async fn query(&self, out_trade_no: &str) -> Result<TradeState, GatewayError> {
        let reply = self.call(Method::GET, &query_path(out_trade_no, &self.account.mchid), None::<&()>).await?;
        if reply.status == StatusCode::NOT_FOUND
            || reply.error_code().is_some_and(|e| e.code == "ORDER_NOT_EXIST" || e.code == "ORDERNOTEXIST")
        {
            return Ok(TradeState::NotFound);
        }
        if !reply.status.is_success() {
            return Err(reply.failure());
        }
        let transaction: Transaction = reply.json()?;
        if transaction.mchid != self.account.mchid || transaction.out_trade_no != out_trade_no {
            return Err(GatewayError::Unavailable("WeChat Pay answered about another payment".into()));
        }
        Ok(self.transaction_state(&transaction))
    }

    async fn close(&self, out_trade_no: &str) -> Result<(), GatewayError> {
        let body = CloseRequest { mchid: self.account.mchid.clone() };
        let reply = self.call(Method::POST, &close_path(out_trade_no), Some(&body)).await?;
        // Paid meanwhile, or gone: the caller asks next and refunds a late payment.
        if reply.status.is_success()
            || reply
                .error_code()
                .is_some_and(|e| matches!(e.code.as_str(), "ORDERPAID" | "ORDER_CLOSED" | "ORDER_NOT_EXIST"))
        {
            return Ok(());
        }
        Err(reply.failure())
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundState, GatewayError> {
        let body = wx::RefundRequest {
            transaction_id: None,
            out_trade_no: Some(request.out_trade_no.clone()),
            out_refund_no: request.out_refund_no.clone(),
            reason: Some(description(&request.reason)).filter(|r| !r.is_empty()),
            notify_url: Some(request.notify_url.clone()),
            amount: RefundRequestAmount {
                refund: request.amount.minor(),
                total: request.total.minor(),
                currency: CNY.into(),
            },
        };
        let reply = self.call(Method::POST, REFUNDS_PATH, Some(&body)).await?;
        if !reply.status.is_success() {
            return Err(reply.failure());
        }
        Ok(Self::refund_state(reply.json::<Refund>()?.status))
    }

    async fn query_refund(
        &self,
        _out_trade_no: &str,
        out_refund_no: &str,
    ) -> Result<Option<RefundState>, GatewayError> {
        let reply = self.call(Method::GET, &refund_query_path(out_refund_no), None::<&()>).await?;
        if reply.status == StatusCode::NOT_FOUND || reply.error_code().is_some_and(|e| e.code == "RESOURCE_NOT_EXISTS")
        {
            return Ok(None);
        }
        if !reply.status.is_success() {
            return Err(reply.failure());
        }
        Ok(Some(Self::refund_state(reply.json::<Refund>()?.status)))
    }

    async fn pay_with_code(&self, request: &CodePayment) -> Result<CodePaymentOutcome, GatewayError> {
        let body = CodepayRequest {
            appid: self.account.appid.clone(),
            mchid: self.account.mchid.clone(),
            description: description(&request.description),
            out_trade_no: request.out_trade_no.clone(),
            attach: None,
            payer: AuthCodePayer { auth_code: request.auth_code.clone() },
            amount: OrderAmount::cny(request.amount.minor()),
            scene_info: CodepaySceneInfo {
                device_ip: None,
                device_id: None,
                store_info: StoreInfo { id: None, out_id: Some(request.merchant_id.to_string()) },
            },
        };
        let reply = self.call(Method::POST, CODEPAY_PATH, Some(&body)).await?;
        let paying = reply.status == StatusCode::ACCEPTED || reply.error_code().is_some_and(|e| e.code == "USERPAYING");
        if reply.status == StatusCode::OK {
            let t: Transaction = reply.json()?;
            if let TradeState::Paid { provider_txn_id, amount } = self.transaction_state(&t) {
                return if amount == request.amount {
                    Ok(CodePaymentOutcome::Paid { provider_txn_id })
                } else {
                    Err(GatewayError::Refused("WeChat Pay charged another amount under this number".into()))
                };
            }
        } else if !paying {
            return match reply.failure() {
                GatewayError::Refused(why) => Ok(CodePaymentOutcome::Declined(why)),
                unavailable => Err(unavailable),
            };
        }
        // The payer is confirming in WeChat: ask until they do, or give up and reverse.
        if let Some(outcome) = self.code_wait.payer(self, request).await {
            return Ok(outcome);
        }
        self.reverse(&request.out_trade_no).await?;
        Ok(CodeWait::gave_up())
    }

    fn read_notice(
        &self,
        headers: &[(String, String)],
        body: &[u8],
        now: Timestamp,
    ) -> Result<ProviderNotice, NoticeError> {
        let signed = SignedHeaders::from_pairs(headers).map_err(|e| NoticeError::Malformed(e.to_string()))?;
        self.account.verifier.verify(&signed, body, now.unix_seconds()).map_err(|e| match e {
            VerifyError::StaleTimestamp { .. } => NoticeError::Stale,
            VerifyError::SignatureProbe | VerifyError::UnknownSerial(_) | VerifyError::CertificateNotValid(_) => {
                NoticeError::UnknownKey(e.to_string())
            }
            VerifyError::BadSignature => NoticeError::BadSignature,
            other => NoticeError::Malformed(other.to_string()),
        })?;
        let notification: Notification =
            serde_json::from_slice(body).map_err(|e| NoticeError::Malformed(e.to_string()))?;
        // Only the holder of the APIv3 key could have encrypted this: a resource that does
        // not open is as good as forged.
        let plain = decrypt_resource(&self.account.api_v3_key, &notification.resource)
            .map_err(|_| NoticeError::BadSignature)?;
        match notification.event_type.as_str() {
            EVENT_TRANSACTION_SUCCESS => {
                let t: Transaction =
                    serde_json::from_slice(&plain).map_err(|e| NoticeError::Malformed(e.to_string()))?;
                Ok(ProviderNotice::Payment(PaymentNotice {
                    out_trade_no: t.out_trade_no.clone(),
                    provider_txn_id: t.transaction_id.clone().unwrap_or_default(),
                    amount: Money::cny(t.amount.as_ref().map(|a| a.total).unwrap_or(0)),
                    merchant_ref: format!("{}/{}", t.mchid, t.appid),
                    paid: t.trade_state.is_paid(),
                }))
            }
            EVENT_REFUND_SUCCESS | EVENT_REFUND_ABNORMAL | EVENT_REFUND_CLOSED => {
                let r: RefundNotification =
                    serde_json::from_slice(&plain).map_err(|e| NoticeError::Malformed(e.to_string()))?;
                if r.mchid != self.account.mchid {
                    return Err(NoticeError::Malformed("a refund of another merchant".into()));
                }
                Ok(ProviderNotice::Refund {
                    out_refund_no: r.out_refund_no,
                    succeeded: r.refund_status == RefundStatus::Success,
                })
            }
            other => Ok(ProviderNotice::Other(other.to_string())),
        }
    }

    fn ack_body(&self) -> &'static str {
        ""
    }

    fn web_authorisation_url(&self, redirect_uri: &str, state: &str) -> Option<String> {
        Some(format!(
            "{}/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state={}#wechat_redirect",
            self.account.oauth_url,
            query_value(&self.account.appid),
            query_value(redirect_uri),
            query_value(state)
        ))
    }

    async fn openid_for_code(&self, code: &str) -> Result<String, GatewayError> {
        let secret = self.account.app_secret.as_deref().ok_or_else(|| {
            GatewayError::Refused("the WeChat account has no app secret for web authorisation".into())
        })?;
        let url = format!(
            "{}/sns/oauth2/access_token?appid={}&secret={}&code={}&grant_type=authorization_code",
            self.account.sns_url,
            query_value(&self.account.appid),
            query_value(secret),
            query_value(code)
        );
        // The address carries the app secret: errors are reported without it.
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("WeChat: {}", e.without_url())))?;
        let body: serde_json::Value =
            response.json().await.map_err(|e| GatewayError::Unavailable(format!("WeChat: {}", e.without_url())))?;
        match body["openid"].as_str() {
            Some(openid) if !openid.is_empty() => Ok(openid.to_string()),
            _ => Err(GatewayError::Refused(format!(
                "WeChat refused the code: {} {}",
                body["errcode"],
                body["errmsg"].as_str().unwrap_or_default()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_china_standard_time_and_descriptions_fit_127_bytes() {
        // 2026-11-26T00:00:00Z is 08:00 in Beijing.
        let t = Timestamp::from_unix_micros(1_795_651_200_000_000);
        assert_eq!(rfc3339_utc8(t), "2026-11-26T08:00:00+08:00");
        let long = "云".repeat(60);
        let cut = description(&long);
        assert!(cut.len() <= 127 && cut.len() > 120, "{}", cut.len());
        assert!(cut.chars().all(|c| c == '云'));
    }
}
