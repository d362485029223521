//! Background jobs. Jobs live in the database and are claimed with leases, so any
//! number of `sweep serve` processes can run workers without doing a job twice.

use std::sync::Arc;
use std::time::Duration;

use sweep_domain::Timestamp;

use sweep_domain::ids::{MerchantId, OrderId, RefundId};
use sweep_domain::order::{ActorKind, OrderStatus};

use crate::ports::{ChangeOutcome, NewJob, OrderChange};
use crate::{AppResult, Sweep};

fn order_ref(payload: &str) -> Option<(MerchantId, OrderId)> {
    let v: serde_json::Value = serde_json::from_str(payload).ok()?;
    Some((v["merchant_id"].as_str()?.parse().ok()?, v["order_id"].as_str()?.parse().ok()?))
}

fn refund_id(payload: &str) -> Option<RefundId> {
    let v: serde_json::Value = serde_json::from_str(payload).ok()?;
    v["refund_id"].as_str()?.parse().ok()
}

pub const HOUSEKEEPING: &str = "housekeeping";
const HOUSEKEEPING_EVERY_SECS: i64 = 600;

impl Sweep {
    /// Enqueues the periodic housekeeping job for the current period. Every process
    /// tries; the dedupe key lets exactly one insert win.
    pub async fn schedule_periodic(&self, now: Timestamp) -> AppResult<bool> {
        let period = now.unix_seconds() / HOUSEKEEPING_EVERY_SECS;
        let job = NewJob {
            kind: HOUSEKEEPING.into(),
            payload: "{}".into(),
            run_at: now,
            dedupe_key: Some(format!("{HOUSEKEEPING}:{period}")),
        };
        Ok(self.repos.jobs.enqueue(&job).await?)
    }

    /// Purges what has expired and expires old points.
    async fn housekeeping(&self, now: Timestamp) -> AppResult<()> {
        let purged = self.repos.jobs.purge_expired(now).await?;
        let members = self.expire_points().await?;
        tracing::info!(purged, members_with_points_expired = members, "housekeeping done");
        Ok(())
    }

    /// Claims and runs one due job; false when there was none.
    pub async fn run_one_job(&self, worker: &str) -> AppResult<bool> {
        let now = self.now();
        let Some(job) = self.repos.jobs.claim(worker, now, self.lease_secs()).await? else {
            return Ok(false);
        };
        let outcome = self.run_renewing(&job, worker, self.run_job(&job, now)).await;
        match outcome {
            Ok(()) => self.repos.jobs.finish(job.id, worker, self.now()).await?,
            Err(e) => {
                let backoff = 5 * (1 << job.attempts.clamp(0, 10));
                tracing::warn!(job = %job.id, attempts = job.attempts, error = %e, "job failed; retrying later");
                self.repos.jobs.retry_later(job.id, worker, &e, self.now().plus_seconds(backoff)).await?;
            }
        }
        Ok(true)
    }

    /// The job lease (`Settings::job_lease_secs`): short, so a job whose worker died (a
    /// crash, a kill) is taken over within seconds.
    fn lease_secs(&self) -> i64 {
        self.settings.job_lease_secs.max(3)
    }

    /// Runs one claimed job to its end.
    async fn run_job(&self, job: &crate::ports::ClaimedJob, now: Timestamp) -> Result<(), String> {
        match job.kind.as_str() {
            HOUSEKEEPING => self.housekeeping(now).await.map_err(|e| e.to_string()),
            crate::shop::EXPIRE_ORDER => self.expire_order(&job.payload).await,
            crate::orders::PICKUP_DEADLINE => self.pickup_deadline_passed(&job.payload).await,
            crate::orders::CLOSE_PAYMENT => self.run_close_payment(&job.payload).await,
            crate::payments::QUERY_PAYMENTS => self.run_payment_queries().await,
            crate::payments::RECONCILE => self.run_reconciliation_job(&job.payload).await,
            crate::flash::END_FLASH_SALE => self.run_end_flash_sale(&job.payload).await,
            crate::orders::REFUND_PAYMENT => match refund_id(&job.payload) {
                Some(id) => self.run_refund(id).await,
                None => Err(format!("bad payload {}", job.payload)),
            },
            other => match self.job_handlers.iter().find(|h| h.kinds().contains(&other)) {
                Some(handler) => handler.run(job).await,
                None => {
                    tracing::error!(job = %job.id, kind = other, "unknown job kind");
                    Ok(())
                }
            },
        }
    }

    /// Drives `work` while renewing the job's lease, so a long job (a reconciliation,
    /// a slow provider) is not taken over by another worker while this one lives.
    async fn run_renewing<F>(&self, job: &crate::ports::ClaimedJob, worker: &str, work: F) -> Result<(), String>
    where
        F: std::future::Future<Output = Result<(), String>>,
    {
        let mut work = std::pin::pin!(work);
        let mut renew = tokio::time::interval(Duration::from_millis(self.lease_secs() as u64 * 1000 / 3));
        renew.tick().await;
        loop {
            tokio::select! {
                outcome = &mut work => return outcome,
                _ = renew.tick() => {
                    let until = self.now().plus_seconds(self.lease_secs());
                    match self.repos.jobs.renew(job.id, worker, until).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(job = %job.id, "job lease lost; another worker may run it too"),
                        Err(e) => tracing::warn!(job = %job.id, error = %e, "could not renew a job lease"),
                    }
                }
            }
        }
    }

    /// An unpaid order's time is up: it expires and its stock comes back. An order paid
    /// in the meantime is left alone (the status write decides which came first).
    async fn expire_order(&self, payload: &str) -> Result<(), String> {
        let Some((merchant, order)) = order_ref(payload) else { return Err(format!("bad payload {payload}")) };
        let Some(order) = self.repos.orders.order(merchant, order).await.map_err(|e| e.to_string())? else {
            return Ok(());
        };
        if order.status != OrderStatus::PendingPayment {
            return Ok(());
        }
        // A shopper may have paid without the notification reaching us yet: ask first,
        // so a paid order is not expired (and its money refunded) for want of a message.
        let payments = self.repos.orders.payments(merchant, order.id).await.map_err(|e| e.to_string())?;
        for p in payments.iter().filter(|p| p.status == sweep_domain::order::PaymentStatus::Pending) {
            match self.query_payment(p).await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => tracing::warn!(event = "payment_query_failed", payment = %p.id, error = %e),
            }
        }
        let now = self.now();
        let mut change =
            OrderChange::new(&order, &[OrderStatus::PendingPayment], OrderStatus::Expired, ActorKind::System, now);
        change.stock = crate::orders::release_all(&order);
        change.close_pending_payments = true;
        let program = self.loyalty_program_of(order.merchant_id).await.map_err(|e| e.to_string())?;
        change.points.extend(crate::loyalty::points::restore_unpaid(&order, &program, now));
        change.release_coupon = order.coupon_id.is_some();
        change.note = "not paid in time".into();
        match self.repos.orders.change_order(&change).await.map_err(|e| e.to_string())? {
            ChangeOutcome::Applied => {
                tracing::info!(event = "order_expired", order = %order.id);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A pickup order nobody collected in time is cancelled and refunded; its stock comes back.
    async fn pickup_deadline_passed(&self, payload: &str) -> Result<(), String> {
        let Some((merchant, order)) = order_ref(payload) else { return Err(format!("bad payload {payload}")) };
        let Some(order) = self.repos.orders.order(merchant, order).await.map_err(|e| e.to_string())? else {
            return Ok(());
        };
        if !matches!(order.status, OrderStatus::Paid | OrderStatus::ReadyForPickup) {
            return Ok(());
        }
        match self.cancel(&order, ActorKind::System, None, "not collected by the pickup deadline").await {
            Ok(()) | Err(crate::AppError::Conflict { .. }) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Runs jobs until `shutdown` fires.
    pub async fn run_worker(self: Arc<Self>, worker: String, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        // Live totals keep up even while a pile of due jobs is worked through.
        let folder = tokio::spawn(self.clone().run_feed_folder(shutdown.clone()));
        self.run_jobs(worker, &mut shutdown).await;
        let _ = folder.await;
    }

    async fn run_jobs(&self, worker: String, shutdown: &mut tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            if let Err(e) = self.schedule_payment_queries().await {
                tracing::warn!(error = %e, "could not schedule payment queries");
            }
            if let Err(e) = self.schedule_reconciliation().await {
                tracing::warn!(error = %e, "could not schedule the reconciliation");
            }
            if let Err(e) = self.schedule_periodic(self.now()).await {
                tracing::warn!(error = %e, "could not schedule periodic jobs");
            }
            loop {
                match self.run_one_job(&worker).await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "job worker error");
                        break;
                    }
                }
            }
        }
    }
}
