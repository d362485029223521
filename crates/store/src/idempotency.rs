use async_trait::async_trait;
use sweep_app::ports::{IdempotencyRepo, IdempotencyStart, StoreResult};
use sweep_domain::Timestamp;

use crate::Db;
use crate::sql::{err, get};

/// A request runs to its end even when its client leaves (see the web layer), so a key
/// still unfinished after ten minutes belongs to a process that died.
const ABANDONED_AFTER_SECS: i64 = 600;

#[async_trait]
impl IdempotencyRepo for Db {
    async fn start(&self, scope: &str, key: &str, request_hash: &str, now: Timestamp) -> StoreResult<IdempotencyStart> {
        // The insert either claims the key or finds who has it: one statement, no race.
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (scope, key) DO NOTHING",
        )
        .bind(scope.to_string())
        .bind(key.to_string())
        .bind(request_hash.to_string())
        .bind(now.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        if inserted.rows_affected() == 1 {
            return Ok(IdempotencyStart::Started);
        }
        let Some(row) = sqlx::query(
            "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2",
        )
        .bind(scope.to_string())
        .bind(key.to_string())
        .fetch_optional(self.writer())
        .await
        .map_err(err)?
        else {
            // Abandoned between our insert and read: the caller may simply retry.
            return Ok(IdempotencyStart::InProgress);
        };
        let stored_hash: String = get(&row, "request_hash")?;
        if stored_hash != request_hash {
            return Ok(IdempotencyStart::Mismatch);
        }
        let status: Option<i64> = get(&row, "status_code")?;
        let body: Option<Vec<u8>> = get(&row, "response_body")?;
        if let (Some(status), Some(body)) = (status, body) {
            return Ok(IdempotencyStart::Replay { status: status as u16, body });
        }
        // Unfinished for longer than any request may run: its process died. The retry
        // takes the key over, with one conditional write so only one retry can.
        let taken = sqlx::query(
            "UPDATE idempotency_keys SET created_at = $3
             WHERE scope = $1 AND key = $2 AND status_code IS NULL AND created_at < $4",
        )
        .bind(scope.to_string())
        .bind(key.to_string())
        .bind(now.unix_micros())
        .bind(now.minus_seconds(ABANDONED_AFTER_SECS).unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(if taken.rows_affected() == 1 { IdempotencyStart::Started } else { IdempotencyStart::InProgress })
    }

    async fn complete(&self, scope: &str, key: &str, status: u16, body: &[u8]) -> StoreResult<()> {
        sqlx::query("UPDATE idempotency_keys SET status_code = $3, response_body = $4 WHERE scope = $1 AND key = $2")
            .bind(scope.to_string())
            .bind(key.to_string())
            .bind(status as i64)
            .bind(body.to_vec())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn abandon(&self, scope: &str, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status_code IS NULL")
            .bind(scope.to_string())
            .bind(key.to_string())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }
}
