//! Notification delivery shared by both providers: attempts, retries, faults and the log.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Simulator, lock, util};

/// One notification attempt, as recorded by the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// `wechatpay` or `alipay`.
    pub provider: String,
    /// What happened: `TRANSACTION.SUCCESS`, `REFUND.SUCCESS` (WeChat Pay) or
    /// `trade_status_sync` (Alipay).
    pub event: String,
    /// The merchant's notification URL.
    pub url: String,
    /// The merchant's order number the event is about.
    pub out_trade_no: String,
    /// 1 for the first attempt, 2 for the first retry, …; duplicates repeat the attempt number.
    pub attempt: u32,
    /// A deliberate extra copy (fault `duplicate_notifications`).
    pub duplicate: bool,
    /// Recorded but not sent (fault `drop_notifications`).
    pub dropped: bool,
    /// HTTP status answered; `None` when the merchant was unreachable (or the attempt dropped).
    pub status: Option<u16>,
    /// Whether the answer counts as acknowledged by the provider's rule (WeChat Pay: 200/204;
    /// Alipay: body `success`).
    pub delivered: bool,
    /// The body sent (text).
    pub body: String,
    /// The answer body (first 4 KiB), or the transport error.
    pub answer: String,
    /// When the attempt finished, Unix milliseconds.
    pub at_ms: i64,
}

/// Builds the request of one attempt: headers and body, freshly signed.
pub(crate) type Build = Box<dyn Fn() -> crate::NotificationRequest + Send + Sync>;

/// A notification waiting to be delivered.
pub(crate) struct Outgoing {
    pub provider: &'static str,
    pub event: String,
    pub url: String,
    pub out_trade_no: String,
    pub build: Build,
    /// Whether `(status, body)` acknowledges the notification.
    pub accept: fn(u16, &str) -> bool,
}

impl Simulator {
    /// Delivers `out` in the background: first attempt now, then a retry after each
    /// `notify_retry_ms` until acknowledged, honouring [`crate::Faults`].
    pub(crate) fn dispatch(&self, out: Outgoing) {
        let Some(sim) = self.me.upgrade() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move { sim.deliver(out).await });
            }
            Err(_) => tracing::warn!("paysim: no Tokio runtime, notification to {} not sent", out.url),
        }
    }

    async fn deliver(&self, out: Outgoing) {
        let waits = self.config.notify_retry_ms.clone();
        for attempt in 0..=waits.len() {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(waits[attempt - 1])).await;
            }
            let number = u32::try_from(attempt + 1).unwrap_or(u32::MAX);
            let faults = self.faults();
            if faults.delay_notifications_ms > 0 {
                tokio::time::sleep(Duration::from_millis(faults.delay_notifications_ms)).await;
            }
            if faults.drop_notifications {
                let (_, body) = (out.build)();
                self.record(&out, number, false, true, None, false, &body, "dropped (fault drop_notifications)");
                return;
            }
            if self.attempt(&out, number, false).await {
                for _ in 0..faults.duplicate_notifications {
                    self.attempt(&out, number, true).await;
                }
                return;
            }
        }
        tracing::info!(url = %out.url, "paysim: notification given up after {} attempts", waits.len() + 1);
    }

    /// Sends one attempt and records it; returns whether it was acknowledged.
    async fn attempt(&self, out: &Outgoing, number: u32, duplicate: bool) -> bool {
        let (headers, body) = (out.build)();
        let mut request = self.http.post(&out.url).body(body.clone());
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let answer = response.text().await.unwrap_or_default();
                let answer: String = answer.chars().take(4096).collect();
                let ok = (out.accept)(status, &answer);
                self.record(out, number, duplicate, false, Some(status), ok, &body, &answer);
                ok
            }
            Err(e) => {
                self.record(out, number, duplicate, false, None, false, &body, &e.to_string());
                false
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        out: &Outgoing,
        attempt: u32,
        duplicate: bool,
        dropped: bool,
        status: Option<u16>,
        delivered: bool,
        body: &[u8],
        answer: &str,
    ) {
        lock(&self.deliveries).push(Delivery {
            provider: out.provider.to_owned(),
            event: out.event.clone(),
            url: out.url.clone(),
            out_trade_no: out.out_trade_no.clone(),
            attempt,
            duplicate,
            dropped,
            status,
            delivered,
            body: String::from_utf8_lossy(body).into_owned(),
            answer: answer.to_owned(),
            at_ms: util::now_ms(),
        });
    }
}
