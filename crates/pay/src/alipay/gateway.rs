//! The Alipay gateway: RSA2-signed form calls, responses verified over their raw text,
//! verified notifications answered with exactly `success`.

use async_trait::async_trait;
use sweep_alipay::types::{
    BizRequest, CancelRequest, CloseRequest, PagePayRequest, PayRequest, PrecreateRequest, QueryRequest,
    RefundQueryRequest, WapPayRequest, code, sub_code,
};
use sweep_alipay::{
    CommonParams, GatewayReply, NOTIFY_ACK, TradeNotify, TradeStatus, page_url, parse_timestamp_utc8, signed_params,
    timestamp_utc8, verify_notify, verify_reply,
};
use sweep_app::ports::*;
use sweep_domain::Timestamp;
use sweep_domain::ids::MerchantId;

use super::{Account, PROVIDER};
use crate::account::{CodeWait, unix_now};
use crate::amount::{alipay_total, parse_alipay_amount};

/// Alipay retries a notification for about 25 hours; one older than this is a replay.
const NOTIFY_MAX_AGE_SECS: i64 = 48 * 3600;

/// One merchant's Alipay app, ready to call.
pub struct Alipay {
    account: Account,
    http: reqwest::Client,
    code_wait: CodeWait,
}

fn amount_text(amount: sweep_domain::Money) -> Result<String, GatewayError> {
    alipay_total(amount).ok_or_else(|| GatewayError::Refused("an amount Alipay does not take".into()))
}

/// Alipay's `timeout_express`: whole minutes left, at least one.
fn timeout_express(expires_at: Timestamp) -> String {
    let secs = expires_at.unix_seconds() - unix_now();
    format!("{}m", ((secs + 59) / 60).max(1))
}

/// Alipay limits subjects to 256 characters.
fn subject(text: &str) -> String {
    text.chars().take(256).collect()
}

impl Alipay {
    pub(crate) fn new(account: Account, http: reqwest::Client, code_wait: CodeWait) -> Alipay {
        Alipay { account, http, code_wait }
    }

    fn common(&self, method: &str) -> CommonParams {
        CommonParams::new(&self.account.app_id, method, timestamp_utc8(unix_now()))
    }

    fn signed<R: BizRequest>(&self, common: &CommonParams, biz: &R) -> Result<Vec<(String, String)>, GatewayError> {
        let content = biz.to_biz_content().map_err(|e| GatewayError::Refused(e.to_string()))?;
        signed_params(common, &content, &self.account.signer).map_err(|e| GatewayError::Refused(e.to_string()))
    }

    /// Posts a signed call; the answer counts only when its signature verifies over the
    /// raw response text.
    async fn call<R: BizRequest>(&self, biz: &R, notify_url: Option<&str>) -> Result<GatewayReply, GatewayError> {
        let mut common = self.common(R::METHOD);
        if let Some(url) = notify_url {
            common = common.with_notify_url(url);
        }
        let form = self.signed(&common, biz)?;
        let response = self
            .http
            .post(&self.account.gateway_url)
            .header("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
            .body(sweep_alipay::encode_form(&form))
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("Alipay: {e}")))?;
        if !response.status().is_success() {
            return Err(GatewayError::Unavailable(format!("Alipay answered {}", response.status())));
        }
        let raw = response.text().await.map_err(|e| GatewayError::Unavailable(format!("Alipay: {e}")))?;
        let reply = verify_reply(&raw, R::METHOD, &self.account.alipay_key).map_err(|e| {
            tracing::warn!(target: "security", event = "alipay_response_unverified", method = R::METHOD, reason = %e);
            GatewayError::Unavailable(format!("Alipay answer did not verify: {e}"))
        })?;
        if reply.code == code::UNKNOWN || reply.has_sub_code(sub_code::SYSTEM_ERROR) {
            return Err(GatewayError::Unavailable(describe(&reply)));
        }
        Ok(reply)
    }

    async fn cancel(&self, out_trade_no: &str) -> Result<(), GatewayError> {
        let reply = self.call(&CancelRequest { out_trade_no: out_trade_no.into() }, None).await?;
        if reply.is_success() { Ok(()) } else { Err(GatewayError::Refused(describe(&reply))) }
    }

    fn decode<T: serde::de::DeserializeOwned>(reply: &GatewayReply) -> Result<T, GatewayError> {
        reply.decode().map_err(|e| GatewayError::Unavailable(format!("Alipay answered something unreadable: {e}")))
    }
}

fn describe(reply: &GatewayReply) -> String {
    format!("{} {}", reply.sub_code.as_deref().unwrap_or(&reply.code), reply.sub_msg.as_deref().unwrap_or(&reply.msg))
}

#[async_trait]
impl PaymentGateway for Alipay {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn account_ref(&self, _merchant: MerchantId) -> String {
        format!("{}/{}", self.account.app_id, self.account.seller_id)
    }

    async fn create(&self, request: &CreatePayment) -> Result<CreatedPayment, GatewayError> {
        let total = amount_text(request.amount)?;
        let subject = subject(&request.description);
        let timeout = Some(timeout_express(request.expires_at));
        let page = |method: &str, biz: &dyn erased::Biz| -> Result<PayAction, GatewayError> {
            let common = self.common(method).with_notify_url(&request.notify_url).with_return_url(&request.return_url);
            let content = biz.content().map_err(|e| GatewayError::Refused(e.to_string()))?;
            let params = signed_params(&common, &content, &self.account.signer)
                .map_err(|e| GatewayError::Refused(e.to_string()))?;
            Ok(PayAction::Redirect(page_url(&self.account.gateway_url, &params)))
        };
        let action = match &request.scene {
            PayScene::Qr => {
                let biz = PrecreateRequest {
                    out_trade_no: request.out_trade_no.clone(),
                    store_id: None,
                    subject,
                    timeout_express: timeout,
                    total_amount: total,
                };
                let reply = self.call(&biz, Some(&request.notify_url)).await?;
                if !reply.is_success() {
                    return Err(GatewayError::Refused(describe(&reply)));
                }
                PayAction::ShowQr(Self::decode::<sweep_alipay::types::PrecreateResponse>(&reply)?.qr_code)
            }
            PayScene::DesktopBrowser => {
                let mut biz = PagePayRequest::new(&request.out_trade_no, &total, &subject);
                biz.timeout_express = timeout;
                page(PagePayRequest::METHOD, &biz)?
            }
            PayScene::MobileBrowser { .. } | PayScene::InAlipay => {
                let mut biz = WapPayRequest::new(&request.out_trade_no, &total, &subject);
                biz.timeout_express = timeout;
                biz.quit_url = Some(request.return_url.clone());
                page(WapPayRequest::METHOD, &biz)?
            }
            PayScene::WeChatJsapi { .. } => {
                return Err(GatewayError::Refused("Alipay does not work inside WeChat".into()));
            }
        };
        Ok(CreatedPayment { action })
    }

    async fn query(&self, out_trade_no: &str) -> Result<TradeState, GatewayError> {
        let reply = self.call(&QueryRequest { out_trade_no: out_trade_no.into() }, None).await?;
        if reply.has_sub_code(sub_code::TRADE_NOT_EXIST) {
            return Ok(TradeState::NotFound);
        }
        if !reply.is_success() {
            return Err(GatewayError::Unavailable(describe(&reply)));
        }
        let q: sweep_alipay::types::QueryResponse = Self::decode(&reply)?;
        if q.out_trade_no != out_trade_no {
            return Err(GatewayError::Unavailable("Alipay answered about another payment".into()));
        }
        let amount = parse_alipay_amount(&q.total_amount)
            .ok_or_else(|| GatewayError::Unavailable(format!("Alipay amount {}", q.total_amount)))?;
        Ok(match q.trade_status {
            TradeStatus::TradeSuccess | TradeStatus::TradeFinished => {
                TradeState::Paid { provider_txn_id: q.trade_no, amount }
            }
            TradeStatus::WaitBuyerPay => TradeState::Unpaid,
            TradeStatus::TradeClosed => TradeState::Closed,
        })
    }

    async fn close(&self, out_trade_no: &str) -> Result<(), GatewayError> {
        let reply = self.call(&CloseRequest { out_trade_no: out_trade_no.into() }, None).await?;
        // Never scanned (Alipay has no such trade), closed before, or paid meanwhile (the
        // caller asks next and refunds a late payment): nothing more to do here.
        if reply.is_success()
            || reply.has_sub_code(sub_code::TRADE_NOT_EXIST)
            || reply.has_sub_code(sub_code::TRADE_STATUS_ERROR)
            || reply.has_sub_code(sub_code::TRADE_HAS_CLOSE)
        {
            return Ok(());
        }
        Err(GatewayError::Refused(describe(&reply)))
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundState, GatewayError> {
        let biz = sweep_alipay::types::RefundRequest {
            out_request_no: request.out_refund_no.clone(),
            out_trade_no: request.out_trade_no.clone(),
            refund_amount: amount_text(request.amount)?,
            refund_reason: Some(request.reason.chars().take(256).collect()).filter(|r: &String| !r.is_empty()),
        };
        let reply = self.call(&biz, None).await?;
        if !reply.is_success() {
            return Err(GatewayError::Refused(describe(&reply)));
        }
        let answer: sweep_alipay::types::RefundResponse = Self::decode(&reply)?;
        if answer.fund_change == "Y" {
            return Ok(RefundState::Succeeded);
        }
        // No money moved by this call (a repeat, or still under way): only the refund
        // query says whether it is done.
        Ok(self.query_refund(&request.out_trade_no, &request.out_refund_no).await?.unwrap_or(RefundState::Processing))
    }

    async fn query_refund(&self, out_trade_no: &str, out_refund_no: &str) -> Result<Option<RefundState>, GatewayError> {
        let biz = RefundQueryRequest { out_request_no: out_refund_no.into(), out_trade_no: out_trade_no.into() };
        let reply = self.call(&biz, None).await?;
        if reply.has_sub_code(sub_code::TRADE_NOT_EXIST) {
            return Ok(None);
        }
        if !reply.is_success() {
            return Err(GatewayError::Unavailable(describe(&reply)));
        }
        let q: sweep_alipay::types::RefundQueryResponse = Self::decode(&reply)?;
        // An empty answer means Alipay has no refund under this number.
        Ok(q.is_refunded().then_some(RefundState::Succeeded))
    }

    async fn pay_with_code(&self, request: &CodePayment) -> Result<CodePaymentOutcome, GatewayError> {
        let biz = PayRequest::new(
            &request.out_trade_no,
            &request.auth_code,
            &amount_text(request.amount)?,
            &subject(&request.description),
        );
        let reply = self.call(&biz, None).await?;
        if reply.is_success() {
            let paid: sweep_alipay::types::PayResponse = Self::decode(&reply)?;
            return Ok(CodePaymentOutcome::Paid { provider_txn_id: paid.trade_no });
        }
        if !reply.is_waiting_for_user() {
            return Ok(CodePaymentOutcome::Declined(describe(&reply)));
        }
        // The payer is confirming in Alipay: ask until they do, or give up and cancel.
        if let Some(outcome) = self.code_wait.payer(self, request).await {
            return Ok(outcome);
        }
        self.cancel(&request.out_trade_no).await?;
        Ok(CodeWait::gave_up())
    }

    fn read_notice(
        &self,
        _headers: &[(String, String)],
        body: &[u8],
        now: Timestamp,
    ) -> Result<ProviderNotice, NoticeError> {
        let params = verify_notify(body, &self.account.alipay_key).map_err(|e| match e {
            sweep_alipay::Error::BadSignature | sweep_alipay::Error::SignatureEncoding => NoticeError::BadSignature,
            other => NoticeError::Malformed(other.to_string()),
        })?;
        let notice = TradeNotify::from_params(&params).map_err(|e| NoticeError::Malformed(e.to_string()))?;
        let sent = parse_timestamp_utc8(&notice.notify_time)
            .ok_or_else(|| NoticeError::Malformed(format!("notify_time {}", notice.notify_time)))?;
        if now.unix_seconds() - sent > NOTIFY_MAX_AGE_SECS || sent - now.unix_seconds() > 300 {
            return Err(NoticeError::Stale);
        }
        if notice.refund_fee.is_some() || notice.out_biz_no.is_some() {
            // Refunds are settled by the refund call's answer; this is its echo.
            return Ok(ProviderNotice::Other("trade_status_sync (refund)".into()));
        }
        let amount = parse_alipay_amount(&notice.total_amount)
            .ok_or_else(|| NoticeError::Malformed(format!("total_amount {}", notice.total_amount)))?;
        Ok(ProviderNotice::Payment(PaymentNotice {
            out_trade_no: notice.out_trade_no,
            provider_txn_id: notice.trade_no,
            amount,
            merchant_ref: format!("{}/{}", notice.app_id, notice.seller_id),
            paid: notice.trade_status.is_paid(),
        }))
    }

    fn ack_body(&self) -> &'static str {
        NOTIFY_ACK
    }

    fn ack_content_type(&self) -> &'static str {
        "text/plain; charset=utf-8"
    }
}

/// Page-pay requests of two types through one closure.
mod erased {
    pub trait Biz {
        fn content(&self) -> Result<String, sweep_alipay::Error>;
    }
    impl<T: sweep_alipay::types::BizRequest> Biz for T {
        fn content(&self) -> Result<String, sweep_alipay::Error> {
            self.to_biz_content()
        }
    }
}
