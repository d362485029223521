use async_trait::async_trait;
use sweep_app::ports::{PlatformSecrets, StoreResult};
use sweep_domain::Timestamp;

use crate::Db;
use crate::sql::{err, get};

#[async_trait]
impl PlatformSecrets for Db {
    async fn platform_secret(&self, name: &str, fresh: &str, now: Timestamp) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO platform_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_string())
        .bind(fresh.to_string())
        .bind(now.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        let row = sqlx::query("SELECT value FROM platform_secrets WHERE name = $1")
            .bind(name.to_string())
            .fetch_one(self.writer())
            .await
            .map_err(err)?;
        get(&row, "value")
    }

    async fn platform_value(&self, name: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM platform_secrets WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(self.reader())
            .await
            .map_err(err)?;
        row.map(|r| get(&r, "value")).transpose()
    }
}
