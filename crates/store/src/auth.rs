use async_trait::async_trait;
use sqlx::any::AnyRow;
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::{AttemptCount, AuthRepo, SessionRecord, StoreResult};
use sweep_domain::Timestamp;
use sweep_domain::ids::{ApiTokenId, MerchantId, StaffId};
use sweep_domain::staff::{ApiToken, Staff};

use crate::Db;
use crate::sql::{Sql, err, get, parse, parse_opt, ts, ts_opt};
use crate::staff::{STAFF_COLUMNS, staff_row, with_stores};

const TOKEN_COLUMNS: &str = "t.id AS t_id, t.merchant_id AS t_merchant_id, t.staff_id AS t_staff_id, t.name AS t_name, \
     t.prefix AS t_prefix, t.created_at AS t_created_at, t.expires_at AS t_expires_at, \
     t.last_used_at AS t_last_used_at, t.revoked_at AS t_revoked_at";

/// Staff who may act: active, and of an active merchant (or platform staff).
const STAFF_MAY_ACT: &str = " AND s.status = 'active' AND (s.merchant_id IS NULL OR EXISTS \
     (SELECT 1 FROM merchants m WHERE m.id = s.merchant_id AND m.status = 'active'))";

fn token(row: &AnyRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: parse(row, "t_id")?,
        merchant_id: parse_opt(row, "t_merchant_id")?,
        staff_id: parse(row, "t_staff_id")?,
        name: get(row, "t_name")?,
        prefix: get(row, "t_prefix")?,
        created_at: ts(row, "t_created_at")?,
        expires_at: ts_opt(row, "t_expires_at")?,
        last_used_at: ts_opt(row, "t_last_used_at")?,
        revoked_at: ts_opt(row, "t_revoked_at")?,
    })
}

async fn one_staff(db: &Db, row: &AnyRow) -> StoreResult<Staff> {
    Ok(with_stores(db, vec![staff_row(row)?]).await?.pop().expect("one staff"))
}

#[async_trait]
impl AuthRepo for Db {
    async fn insert_session(&self, s: &SessionRecord) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (token_hash, staff_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(s.token_hash.clone())
            .bind(s.staff_id.to_string())
            .bind(s.csrf_token.clone())
            .bind(s.created_at.unix_micros())
            .bind(s.expires_at.unix_micros())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<(SessionRecord, Staff)>> {
        let mut q = Sql::new("SELECT se.token_hash, se.csrf_token, se.created_at AS se_created_at, se.expires_at, ");
        q.push(STAFF_COLUMNS)
            .push(" FROM sessions se JOIN staff s ON s.id = se.staff_id WHERE se.token_hash = ")
            .bind(token_hash)
            .push(" AND se.expires_at > ")
            .bind(now.unix_micros())
            .push(STAFF_MAY_ACT);
        let Some(row) = q.query().fetch_optional(self.reader()).await.map_err(err)? else {
            return Ok(None);
        };
        let staff = one_staff(self, &row).await?;
        let session = SessionRecord {
            token_hash: get(&row, "token_hash")?,
            staff_id: staff.id,
            csrf_token: get(&row, "csrf_token")?,
            created_at: ts(&row, "se_created_at")?,
            expires_at: ts(&row, "expires_at")?,
        };
        Ok(Some((session, staff)))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn insert_token(&self, t: &ApiToken, token_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, merchant_id, staff_id, name, prefix, token_hash, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(t.id.to_string())
        .bind(t.merchant_id.map(|m| m.to_string()))
        .bind(t.staff_id.to_string())
        .bind(t.name.clone())
        .bind(t.prefix.clone())
        .bind(token_hash.to_string())
        .bind(t.created_at.unix_micros())
        .bind(t.expires_at.map(|e| e.unix_micros()))
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn token_by_hash(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<(ApiToken, Staff)>> {
        let mut q = Sql::new("SELECT ");
        q.push(TOKEN_COLUMNS)
            .push(", ")
            .push(STAFF_COLUMNS)
            .push(" FROM api_tokens t JOIN staff s ON s.id = t.staff_id WHERE t.token_hash = ")
            .bind(token_hash)
            .push(" AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ")
            .bind(now.unix_micros())
            .push(")")
            .push(STAFF_MAY_ACT);
        let Some(row) = q.query().fetch_optional(self.reader()).await.map_err(err)? else {
            return Ok(None);
        };
        Ok(Some((token(&row)?, one_staff(self, &row).await?)))
    }

    async fn token(&self, merchant: Option<MerchantId>, id: ApiTokenId) -> StoreResult<Option<ApiToken>> {
        let mut q = Sql::new("SELECT ");
        q.push(TOKEN_COLUMNS).push(" FROM api_tokens t WHERE t.id = ").bind(id.to_string());
        match merchant {
            Some(m) => q.push(" AND t.merchant_id = ").bind(m.to_string()),
            None => q.push(" AND t.merchant_id IS NULL"),
        };
        q.query().fetch_optional(self.reader()).await.map_err(err)?.as_ref().map(token).transpose()
    }

    async fn list_tokens(
        &self,
        merchant: Option<MerchantId>,
        staff: Option<StaffId>,
        page: &PageRequest,
    ) -> StoreResult<Page<ApiToken>> {
        let mut q = Sql::new("SELECT ");
        q.push(TOKEN_COLUMNS).push(" FROM api_tokens t WHERE 1 = 1");
        match merchant {
            Some(m) => q.push(" AND t.merchant_id = ").bind(m.to_string()),
            None => q.push(" AND t.merchant_id IS NULL"),
        };
        if let Some(s) = staff {
            q.push(" AND t.staff_id = ").bind(s.to_string());
        }
        q.page("t.id", page, false);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(token).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |t| t.id.to_string()))
    }

    async fn revoke_token(&self, id: ApiTokenId, now: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id.to_string())
            .bind(now.unix_micros())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn touch_token(&self, id: ApiTokenId, now: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(now.unix_micros())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn count_attempt(&self, key: &str, now: Timestamp, window_secs: i64) -> StoreResult<AttemptCount> {
        let window_opened_before = now.minus_seconds(window_secs).unix_micros();
        let row = sqlx::query(
            "INSERT INTO attempt_counters (key, window_start, count) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                 count = CASE WHEN attempt_counters.window_start <= $3 THEN 1 ELSE attempt_counters.count + 1 END,
                 window_start = CASE WHEN attempt_counters.window_start <= $3 THEN $2 ELSE attempt_counters.window_start END
             RETURNING count, window_start",
        )
        .bind(key.to_string())
        .bind(now.unix_micros())
        .bind(window_opened_before)
        .fetch_one(self.writer())
        .await
        .map_err(err)?;
        Ok(AttemptCount { count: get(&row, "count")?, window_start: ts(&row, "window_start")? })
    }

    async fn uncount_attempt(&self, key: &str) -> StoreResult<()> {
        sqlx::query("UPDATE attempt_counters SET count = count - 1 WHERE key = $1 AND count > 0")
            .bind(key.to_string())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn clear_attempts(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM attempt_counters WHERE key = $1")
            .bind(key.to_string())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }
}
