//! Background jobs. Jobs live in the database and are claimed with leases, so any
//! number of `sweep serve` processes can run workers without doing a job twice.

use std::sync::Arc;
use std::time::Duration;

use sweep_domain::Timestamp;

use crate::ports::NewJob;
use crate::{AppResult, Sweep};

pub const HOUSEKEEPING: &str = "housekeeping";
/// How long a claimed job is ours before another worker may take it over.
const LEASE_SECS: i64 = 300;
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

    /// Claims and runs one due job; false when there was none.
    pub async fn run_one_job(&self, worker: &str) -> AppResult<bool> {
        let now = self.now();
        let Some(job) = self.repos.jobs.claim(worker, now, LEASE_SECS).await? else {
            return Ok(false);
        };
        let outcome = match job.kind.as_str() {
            HOUSEKEEPING => self.repos.jobs.purge_expired(now).await.map(|n| {
                tracing::info!(job = %job.id, purged = n, "housekeeping done");
            }),
            other => {
                tracing::error!(job = %job.id, kind = other, "unknown job kind");
                Ok(())
            }
        };
        match outcome {
            Ok(()) => self.repos.jobs.finish(job.id, worker, self.now()).await?,
            Err(e) => {
                let backoff = 30 * (1 << job.attempts.clamp(0, 8));
                tracing::warn!(job = %job.id, attempts = job.attempts, error = %e, "job failed; retrying later");
                self.repos.jobs.retry_later(job.id, worker, &e.to_string(), self.now().plus_seconds(backoff)).await?;
            }
        }
        Ok(true)
    }

    /// Runs jobs until `shutdown` fires.
    pub async fn run_worker(self: Arc<Self>, worker: String, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
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
