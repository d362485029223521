//! Idempotency keys: the bookkeeping behind `Idempotency-Key` on POST.

use crate::ports::IdempotencyStart;
use crate::{AppResult, Sweep};

impl Sweep {
    /// Claims `key` for this caller and request, or says what became of an earlier claim.
    pub async fn idempotency_start(&self, scope: &str, key: &str, request_hash: &str) -> AppResult<IdempotencyStart> {
        Ok(self.repos.idempotency.start(scope, key, request_hash, self.now()).await?)
    }

    /// Remembers the answer so that retries get it again.
    pub async fn idempotency_complete(&self, scope: &str, key: &str, status: u16, body: &[u8]) -> AppResult<()> {
        Ok(self.repos.idempotency.complete(scope, key, status, body).await?)
    }

    /// Frees the key: the request failed in a way a retry may fix.
    pub async fn idempotency_abandon(&self, scope: &str, key: &str) -> AppResult<()> {
        Ok(self.repos.idempotency.abandon(scope, key).await?)
    }
}
