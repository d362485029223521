use async_trait::async_trait;
use sqlx::{Any, Executor};
use sweep_app::ports::{ClaimedJob, JobRepo, NewJob, StoreResult};
use sweep_domain::Timestamp;
use sweep_domain::ids::JobId;

use crate::Db;
use crate::sql::{err, get, parse};

/// Idempotency keys are kept a day: long enough for any client's retries.
const IDEMPOTENCY_TTL_SECS: i64 = 24 * 3600;
/// Finished jobs are kept a week for inspection.
const FINISHED_JOB_TTL_SECS: i64 = 7 * 24 * 3600;
/// Attempt counters older than this have no window left that they could count in.
const ATTEMPT_TTL_SECS: i64 = 24 * 3600;

/// Enqueues a job; false when one with the same dedupe key exists. Takes any executor so
/// that business writes can enqueue their follow-up work in their own transaction.
pub(crate) async fn insert_job<'e, E: Executor<'e, Database = Any>>(
    executor: E,
    job: &NewJob,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO jobs (id, kind, payload, dedupe_key, status, run_at, attempts, created_at)
         VALUES ($1, $2, $3, $4, 'queued', $5, 0, $5)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(JobId::new().to_string())
    .bind(job.kind.clone())
    .bind(job.payload.clone())
    .bind(job.dedupe_key.clone())
    .bind(job.run_at.unix_micros())
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[async_trait]
impl JobRepo for Db {
    async fn enqueue(&self, job: &NewJob) -> StoreResult<bool> {
        insert_job(self.writer(), job).await.map_err(err)
    }

    async fn claim(&self, worker: &str, now: Timestamp, lease_secs: i64) -> StoreResult<Option<ClaimedJob>> {
        // One conditional update: the lease is taken only if it is still free when the
        // row is written, so two workers racing for the same job cannot both win.
        let row = sqlx::query(
            "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
             WHERE id = (SELECT id FROM jobs
                         WHERE status = 'queued' AND run_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
                         ORDER BY run_at, id LIMIT 1)
               AND status = 'queued' AND (lease_until IS NULL OR lease_until < $3)
             RETURNING id, kind, payload, attempts",
        )
        .bind(worker.to_string())
        .bind(now.plus_seconds(lease_secs).unix_micros())
        .bind(now.unix_micros())
        .fetch_optional(self.writer())
        .await
        .map_err(err)?;
        row.map(|r| {
            Ok(ClaimedJob {
                id: parse::<JobId>(&r, "id")?,
                kind: get(&r, "kind")?,
                payload: get(&r, "payload")?,
                attempts: get(&r, "attempts")?,
            })
        })
        .transpose()
    }

    async fn renew(&self, id: JobId, worker: &str, until: Timestamp) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE jobs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'queued'")
                .bind(id.to_string())
                .bind(worker.to_string())
                .bind(until.unix_micros())
                .execute(self.writer())
                .await
                .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn finish(&self, id: JobId, worker: &str, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET status = 'done', finished_at = $3, lease_owner = NULL, lease_until = NULL
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id.to_string())
        .bind(worker.to_string())
        .bind(now.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn retry_later(&self, id: JobId, worker: &str, error: &str, run_at: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET run_at = $3, last_error = $4, lease_owner = NULL, lease_until = NULL
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id.to_string())
        .bind(worker.to_string())
        .bind(run_at.unix_micros())
        .bind(error.chars().take(2000).collect::<String>())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64> {
        let mut purged = 0;
        let statements: [(&'static str, i64); 7] = [
            ("DELETE FROM sessions WHERE expires_at < $1", now.unix_micros()),
            // Every anonymous scan starts a guest session: without this they pile up.
            ("DELETE FROM shopper_sessions WHERE expires_at < $1", now.unix_micros()),
            ("DELETE FROM otp_codes WHERE expires_at < $1", now.unix_micros()),
            ("DELETE FROM member_codes WHERE expires_at < $1", now.unix_micros()),
            (
                "DELETE FROM idempotency_keys WHERE created_at < $1",
                now.minus_seconds(IDEMPOTENCY_TTL_SECS).unix_micros(),
            ),
            ("DELETE FROM attempt_counters WHERE window_start < $1", now.minus_seconds(ATTEMPT_TTL_SECS).unix_micros()),
            (
                "DELETE FROM jobs WHERE status = 'done' AND finished_at < $1",
                now.minus_seconds(FINISHED_JOB_TTL_SECS).unix_micros(),
            ),
        ];
        for (sql, before) in statements {
            purged += sqlx::query(sql).bind(before).execute(self.writer()).await.map_err(err)?.rows_affected();
        }
        Ok(purged)
    }
}
