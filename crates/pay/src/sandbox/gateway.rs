use std::sync::Arc;

use async_trait::async_trait;
use sweep_app::ports::*;
use sweep_domain::Timestamp;

use super::protocol::{self, Notice};

pub const PROVIDER: &str = "sandbox";
pub const NOTIFY_JOB: &str = "sandbox_notify";

/// The sandbox provider: its books live in its own tables, payments are confirmed by
/// signed notifications posted to the merchant's notify URL (retried until acknowledged).
pub struct Sandbox {
    books: Arc<dyn SandboxRepo>,
    jobs: Arc<dyn JobRepo>,
    key: Vec<u8>,
    /// Where the cashier page is served, as shoppers' browsers reach it.
    pub(super) public_url: String,
    http: reqwest::Client,
}

impl Sandbox {
    pub fn new(books: Arc<dyn SandboxRepo>, jobs: Arc<dyn JobRepo>, key: &str, public_url: &str) -> Sandbox {
        // The sandbox posts to Sweep itself, often on loopback with a self-signed
        // certificate; the HMAC signature, not TLS, is what vouches for its notices.
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .danger_accept_invalid_certs(true)
            .build()
            .expect("an HTTP client with default TLS settings");
        Sandbox {
            books,
            jobs,
            key: key.as_bytes().to_vec(),
            public_url: public_url.trim_end_matches('/').to_string(),
            http,
        }
    }

    pub async fn transaction(&self, out_trade_no: &str) -> StoreResult<Option<SandboxTransaction>> {
        self.books.sandbox_transaction(out_trade_no).await
    }

    /// The shopper pressed "pay" on the cashier page. The merchant hears of it only
    /// through the notification, as with a real provider.
    pub async fn pay(&self, out_trade_no: &str, now: Timestamp) -> StoreResult<bool> {
        if !self.books.sandbox_mark_paid(out_trade_no, now).await? {
            return Ok(false);
        }
        let job = NewJob {
            kind: NOTIFY_JOB.into(),
            payload: serde_json::json!({"out_trade_no": out_trade_no}).to_string(),
            run_at: now,
            dedupe_key: Some(format!("{NOTIFY_JOB}:{out_trade_no}")),
        };
        self.jobs.enqueue(&job).await?;
        Ok(true)
    }

    /// The body and headers of the notification for a paid transaction.
    pub fn notification(
        &self,
        txn: &SandboxTransaction,
        now: Timestamp,
        nonce: &str,
    ) -> (Vec<u8>, Vec<(String, String)>) {
        let body = serde_json::to_vec(&Notice {
            out_trade_no: txn.out_trade_no.clone(),
            transaction_id: txn.transaction_id.clone(),
            merchant_id: txn.merchant_id.clone(),
            amount: txn.amount.minor(),
            trade_state: txn.status.clone(),
        })
        .expect("a notice serialises");
        let ts = now.unix_seconds().to_string();
        let signature = protocol::sign(&self.key, &ts, nonce, &body);
        let headers = vec![
            (protocol::TIMESTAMP_HEADER.to_string(), ts),
            (protocol::NONCE_HEADER.to_string(), nonce.to_string()),
            (protocol::SIGNATURE_HEADER.to_string(), signature),
        ];
        (body, headers)
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn now() -> Timestamp {
    let micros =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0);
    Timestamp::from_unix_micros(micros)
}

/// A new transaction on the sandbox's books, waiting to be paid.
fn unpaid(
    merchant: sweep_domain::ids::MerchantId,
    out_trade_no: &str,
    amount: sweep_domain::Money,
    description: &str,
) -> SandboxTransaction {
    SandboxTransaction {
        out_trade_no: out_trade_no.to_string(),
        merchant_id: merchant.to_string(),
        transaction_id: format!("SBX{}", random_hex()),
        amount,
        description: description.to_string(),
        notify_url: String::new(),
        return_url: String::new(),
        status: "NOTPAY".into(),
        refunded: sweep_domain::Money::zero(amount.currency()),
        paid_at: None,
        created_at: now(),
    }
}

#[async_trait]
impl PaymentGateway for Sandbox {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn account_ref(&self, merchant: sweep_domain::ids::MerchantId) -> String {
        merchant.to_string()
    }

    async fn create(&self, request: &CreatePayment) -> Result<CreatedPayment, GatewayError> {
        let mut txn = unpaid(request.merchant_id, &request.out_trade_no, request.amount, &request.description);
        txn.notify_url = request.notify_url.clone();
        txn.return_url = request.return_url.clone();
        self.books.sandbox_create(&txn).await.map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        let cashier = format!("{}/sandbox/pay/{}", self.public_url, request.out_trade_no);
        let action =
            if request.scene == PayScene::Qr { PayAction::ShowQr(cashier) } else { PayAction::Redirect(cashier) };
        Ok(CreatedPayment { action })
    }

    async fn query(&self, out_trade_no: &str) -> Result<TradeState, GatewayError> {
        let txn =
            self.books.sandbox_transaction(out_trade_no).await.map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        Ok(match txn {
            None => TradeState::NotFound,
            Some(t) if t.status == "SUCCESS" && t.refunded.minor() > 0 => {
                TradeState::Refunded { provider_txn_id: t.transaction_id, amount: t.amount }
            }
            Some(t) if t.status == "SUCCESS" => {
                TradeState::Paid { provider_txn_id: t.transaction_id, amount: t.amount }
            }
            Some(t) if t.status == "CLOSED" => TradeState::Closed,
            Some(_) => TradeState::Unpaid,
        })
    }

    async fn query_refund(
        &self,
        _out_trade_no: &str,
        _out_refund_no: &str,
    ) -> Result<Option<RefundState>, GatewayError> {
        // Refunding again under the same number is a no-op here, so "never heard of it"
        // (refund now) is always a safe answer.
        Ok(None)
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundState, GatewayError> {
        let outcome = self
            .books
            .sandbox_refund(&request.out_trade_no, &request.out_refund_no, request.amount.minor(), now())
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        match outcome {
            SandboxRefundOutcome::Done | SandboxRefundOutcome::AlreadyDone => Ok(RefundState::Succeeded),
            SandboxRefundOutcome::NotPaid => Err(GatewayError::Refused("the transaction is not paid".into())),
            SandboxRefundOutcome::ExceedsPaid => Err(GatewayError::Refused("more than was paid".into())),
        }
    }

    async fn close(&self, out_trade_no: &str) -> Result<(), GatewayError> {
        self.books.sandbox_close(out_trade_no).await.map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        Ok(())
    }

    async fn pay_with_code(&self, request: &CodePayment) -> Result<CodePaymentOutcome, GatewayError> {
        let code = request.auth_code.as_str();
        let wallet = code.get(..2).and_then(|p| p.parse::<u8>().ok());
        let looks_right = code.len() == 18
            && code.bytes().all(|b| b.is_ascii_digit())
            && wallet.is_some_and(|w| (10..=15).contains(&w) || (25..=30).contains(&w));
        if !looks_right {
            return Ok(CodePaymentOutcome::Declined("not a WeChat or Alipay payment code".into()));
        }
        // The sandbox's stand-in for an empty wallet, so tills can show a decline.
        if code.ends_with("0000") {
            return Ok(CodePaymentOutcome::Declined("insufficient balance".into()));
        }
        let unavailable = |e: StoreError| GatewayError::Unavailable(e.to_string());
        // Paid on the spot: no cashier page, no notification.
        let txn = unpaid(request.merchant_id, &request.out_trade_no, request.amount, &request.description);
        // Creating and paying are each idempotent, so a resent sale charges once.
        self.books.sandbox_create(&txn).await.map_err(unavailable)?;
        self.books.sandbox_mark_paid(&request.out_trade_no, now()).await.map_err(unavailable)?;
        let paid = self.books.sandbox_transaction(&request.out_trade_no).await.map_err(unavailable)?;
        match paid {
            // A charge given back (the sale failed) is not charged again under its number.
            Some(t) if t.refunded.minor() > 0 => {
                Ok(CodePaymentOutcome::Declined("this sale's charge was reversed; ring it up as a new sale".into()))
            }
            Some(t) if t.status == "SUCCESS" && t.amount == request.amount => {
                Ok(CodePaymentOutcome::Paid { provider_txn_id: t.transaction_id })
            }
            Some(t) if t.status == "SUCCESS" => Err(GatewayError::Refused(format!(
                "this sale was charged {} before, not {}",
                t.amount.minor(),
                request.amount.minor()
            ))),
            _ => Ok(CodePaymentOutcome::Declined("the transaction is closed".into())),
        }
    }

    fn read_notice(
        &self,
        headers: &[(String, String)],
        body: &[u8],
        now: Timestamp,
    ) -> Result<ProviderNotice, NoticeError> {
        protocol::verify(&self.key, headers, body, now).map(ProviderNotice::Payment)
    }

    fn ack_body(&self) -> &'static str {
        r#"{"code":"SUCCESS"}"#
    }
}

#[async_trait]
impl JobHandler for Sandbox {
    fn kinds(&self) -> &'static [&'static str] {
        &[NOTIFY_JOB]
    }

    /// Posts the notification; anything but a 2xx answer means "try again later".
    async fn run(&self, job: &ClaimedJob) -> Result<(), String> {
        let payload: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
        let out_trade_no = payload["out_trade_no"].as_str().ok_or("no out_trade_no")?;
        let txn = self
            .books
            .sandbox_transaction(out_trade_no)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no such transaction")?;
        let (body, headers) = self.notification(&txn, now(), &random_hex());
        let mut request = self.http.post(&txn.notify_url).header("content-type", "application/json").body(body);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let response = request.send().await.map_err(|e| format!("notify failed: {e}"))?;
        if response.status().is_success() { Ok(()) } else { Err(format!("notify answered {}", response.status())) }
    }
}
