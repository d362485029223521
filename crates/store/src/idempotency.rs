use async_trait::async_trait;
use sweep_app::ports::{IdempotencyRepo, IdempotencyStart, StoreResult};
use sweep_domain::Timestamp;

use crate::Db;
use crate::sql::{err, get};

#[async_trait]
impl IdempotencyRepo for Db {
    async fn start(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: Timestamp,
    ) -> StoreResult<IdempotencyStart> {
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
        Ok(match (status, body) {
            (Some(status), Some(body)) => IdempotencyStart::Replay {
                status: status as u16,
                body,
            },
            _ => IdempotencyStart::InProgress,
        })
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
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status_code IS NULL",
        )
        .bind(scope.to_string())
        .bind(key.to_string())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }
}
