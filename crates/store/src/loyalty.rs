//! The member card: points ledger and balance, the loyalty programme, member codes.
//!
//! A balance changes only together with the ledger entry that explains it, in the same
//! transaction; each entry's `source` is unique per merchant, so an effect applied twice
//! is skipped the second time.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::*;
use sweep_domain::Timestamp;
use sweep_domain::ids::*;
use sweep_domain::loyalty::{LoyaltyProgram, PointsEntry, PointsKind};
use sweep_domain::shopper::Phone;

use crate::Db;
use crate::sql::{Sql, bad_data, enum_col, err, get, map_err, parse, parse_opt, ts, ts_opt};

const MEMBER_COLUMNS: &str =
    "id, merchant_id, phone, display_name, points, joined_channel, joined_store_id, created_at";
const ENTRY_COLUMNS: &str = "id, shopper_id, kind, delta, order_id, store_id, note, expires_at, created_at";

fn member_row(row: &AnyRow) -> StoreResult<MemberRecord> {
    let phone: String = get(row, "phone")?;
    Ok(MemberRecord {
        merchant_id: parse(row, "merchant_id")?,
        shopper_id: parse(row, "id")?,
        phone: Phone::parse("phone", &phone).map_err(|e| bad_data("phone", e.message))?,
        display_name: get(row, "display_name")?,
        points: get(row, "points")?,
        joined_channel: get(row, "joined_channel")?,
        joined_store_id: parse_opt(row, "joined_store_id")?,
        created_at: ts(row, "created_at")?,
    })
}

fn entry_row(row: &AnyRow) -> StoreResult<PointsEntry> {
    Ok(PointsEntry {
        id: get(row, "id")?,
        shopper_id: parse(row, "shopper_id")?,
        kind: enum_col(row, "kind", PointsKind::parse)?,
        delta: get(row, "delta")?,
        order_id: parse_opt(row, "order_id")?,
        store_id: parse_opt(row, "store_id")?,
        note: get(row, "note")?,
        expires_at: ts_opt(row, "expires_at")?,
        created_at: ts(row, "created_at")?,
    })
}

async fn balance(tx: &mut Transaction<'static, Any>, merchant: MerchantId, shopper: ShopperId) -> StoreResult<i64> {
    let row = sqlx::query("SELECT points FROM shoppers WHERE merchant_id = $1 AND id = $2")
        .bind(merchant.to_string())
        .bind(shopper.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(err)?;
    row.map(|r| get(&r, "points")).transpose().map(|p| p.unwrap_or(0))
}

/// Writes points changes inside the caller's transaction. A change whose source was
/// applied before is skipped; points out that the balance cannot cover fail the whole
/// transaction with `InsufficientPoints`, unless the change clamps to the balance.
pub(crate) async fn apply_points(
    tx: &mut Transaction<'static, Any>,
    merchant: MerchantId,
    changes: &[PointsChange],
    now: Timestamp,
) -> StoreResult<()> {
    for c in changes {
        let mut delta = c.delta;
        if delta < 0 && c.clamp {
            // Lock the member's row, then read: nothing can spend in between.
            sqlx::query("UPDATE shoppers SET points = points WHERE merchant_id = $1 AND id = $2")
                .bind(merchant.to_string())
                .bind(c.shopper_id.to_string())
                .execute(&mut **tx)
                .await
                .map_err(err)?;
            delta = delta.max(-balance(tx, merchant, c.shopper_id).await?);
        }
        if delta == 0 {
            continue;
        }
        let inserted = sqlx::query(
            "INSERT INTO points_entries (id, merchant_id, shopper_id, kind, delta, source, order_id, store_id, note,
                 expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (merchant_id, source) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(merchant.to_string())
        .bind(c.shopper_id.to_string())
        .bind(c.kind.as_str())
        .bind(delta)
        .bind(c.source.clone())
        .bind(c.order_id.map(|o| o.to_string()))
        .bind(c.store_id.map(|s| s.to_string()))
        .bind(c.note.clone())
        .bind(c.expires_at.map(|t| t.unix_micros()))
        .bind(now.unix_micros())
        .execute(&mut **tx)
        .await
        .map_err(err)?;
        if inserted.rows_affected() == 0 {
            continue;
        }
        // One conditional write: the balance moves only if it stays at or above zero.
        let moved = sqlx::query(
            "UPDATE shoppers SET points = points + $1 WHERE merchant_id = $2 AND id = $3 AND points + $1 >= 0",
        )
        .bind(delta)
        .bind(merchant.to_string())
        .bind(c.shopper_id.to_string())
        .execute(&mut **tx)
        .await
        .map_err(err)?;
        if moved.rows_affected() == 0 {
            return Err(StoreError::InsufficientPoints { available: balance(tx, merchant, c.shopper_id).await? });
        }
    }
    Ok(())
}

#[async_trait]
impl LoyaltyRepo for Db {
    async fn program(&self, merchant: MerchantId) -> StoreResult<Option<LoyaltyProgram>> {
        let row = sqlx::query("SELECT program FROM loyalty_programs WHERE merchant_id = $1")
            .bind(merchant.to_string())
            .fetch_optional(self.reader())
            .await
            .map_err(err)?;
        row.map(|r| {
            let text: String = get(&r, "program")?;
            serde_json::from_str(&text).map_err(|e| bad_data("program", e))
        })
        .transpose()
    }

    async fn save_program(&self, merchant: MerchantId, program: &LoyaltyProgram, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO loyalty_programs (merchant_id, program, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (merchant_id) DO UPDATE SET program = excluded.program, updated_at = excluded.updated_at",
        )
        .bind(merchant.to_string())
        .bind(serde_json::to_string(program).expect("a programme serialises"))
        .bind(now.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn member(&self, merchant: MerchantId, shopper: ShopperId) -> StoreResult<Option<MemberRecord>> {
        let mut q = Sql::new("SELECT ");
        q.push(MEMBER_COLUMNS)
            .push(" FROM shoppers WHERE kind = 'member' AND merchant_id = ")
            .bind(merchant.to_string());
        q.push(" AND id = ").bind(shopper.to_string());
        let row = q.query().fetch_optional(self.reader()).await.map_err(err)?;
        row.as_ref().map(member_row).transpose()
    }

    async fn member_by_phone(&self, merchant: MerchantId, phone: &Phone) -> StoreResult<Option<MemberRecord>> {
        let mut q = Sql::new("SELECT ");
        q.push(MEMBER_COLUMNS)
            .push(" FROM shoppers WHERE kind = 'member' AND merchant_id = ")
            .bind(merchant.to_string());
        q.push(" AND phone = ").bind(phone.as_str());
        let row = q.query().fetch_optional(self.writer()).await.map_err(err)?;
        row.as_ref().map(member_row).transpose()
    }

    async fn enrol(
        &self,
        merchant: MerchantId,
        phone: &Phone,
        channel: &str,
        store: Option<LocationId>,
        now: Timestamp,
    ) -> StoreResult<MemberRecord> {
        sqlx::query(
            "INSERT INTO shoppers (id, merchant_id, phone, display_name, created_at, kind, joined_channel, joined_store_id)
             VALUES ($1, $2, $3, $4, $5, 'member', $6, $7)
             ON CONFLICT (merchant_id, phone) DO NOTHING",
        )
        .bind(ShopperId::new().to_string())
        .bind(merchant.to_string())
        .bind(phone.as_str().to_string())
        .bind(phone.masked())
        .bind(now.unix_micros())
        .bind(channel.to_string())
        .bind(store.map(|s| s.to_string()))
        .execute(self.writer())
        .await
        .map_err(err)?;
        self.member_by_phone(merchant, phone).await?.ok_or_else(|| StoreError::Other("member vanished".into()))
    }

    async fn points_history(
        &self,
        merchant: MerchantId,
        shopper: ShopperId,
        page: &PageRequest,
    ) -> StoreResult<Page<PointsEntry>> {
        let mut q = Sql::new("SELECT ");
        q.push(ENTRY_COLUMNS).push(" FROM points_entries WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND shopper_id = ").bind(shopper.to_string());
        q.page("id", page, true);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(entry_row).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |e| e.id.clone()))
    }

    async fn order_points(&self, merchant: MerchantId, order: OrderId) -> StoreResult<Vec<PointsEntry>> {
        let mut q = Sql::new("SELECT ");
        q.push(ENTRY_COLUMNS).push(" FROM points_entries WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND order_id = ").bind(order.to_string()).push(" ORDER BY id");
        let rows = q.query().fetch_all(self.writer()).await.map_err(err)?;
        rows.iter().map(entry_row).collect()
    }

    async fn rolling_spend(&self, merchant: MerchantId, shopper: ShopperId, since: Timestamp) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(paid - refunded), 0) AS BIGINT) AS spend FROM orders
             WHERE merchant_id = $1 AND shopper_id = $2 AND paid_at >= $3",
        )
        .bind(merchant.to_string())
        .bind(shopper.to_string())
        .bind(since.unix_micros())
        .fetch_one(self.reader())
        .await
        .map_err(err)?;
        get(&row, "spend")
    }

    async fn apply_points(&self, merchant: MerchantId, changes: &[PointsChange], now: Timestamp) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        apply_points(&mut tx, merchant, changes, now).await?;
        tx.commit().await.map_err(err)
    }

    async fn expiry_figures(
        &self,
        merchant: MerchantId,
        shopper: ShopperId,
        now: Timestamp,
    ) -> StoreResult<(i64, i64, i64)> {
        let row = sqlx::query(
            "SELECT
                 CAST(COALESCE(SUM(CASE WHEN delta > 0 AND expires_at <= $3 THEN delta ELSE 0 END), 0) AS BIGINT) AS expired_in,
                 CAST(COALESCE(SUM(CASE WHEN delta < 0 THEN -delta ELSE 0 END), 0) AS BIGINT) AS all_out
             FROM points_entries WHERE merchant_id = $1 AND shopper_id = $2",
        )
        .bind(merchant.to_string())
        .bind(shopper.to_string())
        .bind(now.unix_micros())
        .fetch_one(self.writer())
        .await
        .map_err(err)?;
        let points = self.member(merchant, shopper).await?.map(|m| m.points).unwrap_or(0);
        Ok((get(&row, "expired_in")?, get(&row, "all_out")?, points))
    }

    async fn members_with_expired_points(
        &self,
        now: Timestamp,
        after: Option<ShopperId>,
        limit: u32,
    ) -> StoreResult<Vec<(MerchantId, ShopperId)>> {
        // Members holding points now, with points in that have expired: the rule decides
        // how many (if any) are still unspent.
        let mut q = Sql::new(
            "SELECT s.merchant_id, s.id FROM shoppers s WHERE s.points > 0 AND EXISTS (
                 SELECT 1 FROM points_entries e WHERE e.shopper_id = s.id AND e.delta > 0 AND e.expires_at <= ",
        );
        q.bind(now.unix_micros()).push(")");
        if let Some(after) = after {
            q.push(" AND s.id > ").bind(after.to_string());
        }
        q.push(" ORDER BY s.id LIMIT ").bind(i64::from(limit));
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(|r| Ok((parse(r, "merchant_id")?, parse(r, "id")?))).collect()
    }

    async fn insert_member_code(
        &self,
        merchant: MerchantId,
        shopper: ShopperId,
        code: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO member_codes (code, merchant_id, shopper_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(code.to_string())
        .bind(merchant.to_string())
        .bind(shopper.to_string())
        .bind(expires_at.unix_micros())
        .bind(now.unix_micros())
        .execute(self.writer())
        .await
        .map_err(|e| map_err(e, &[("member_codes", "member_code")]))?;
        Ok(())
    }

    async fn use_member_code(
        &self,
        merchant: MerchantId,
        code: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ShopperId>> {
        // One conditional write: a code is used once, while live.
        let row = sqlx::query(
            "UPDATE member_codes SET used_at = $3
             WHERE merchant_id = $1 AND code = $2 AND used_at IS NULL AND expires_at > $3
             RETURNING shopper_id",
        )
        .bind(merchant.to_string())
        .bind(code.to_string())
        .bind(now.unix_micros())
        .fetch_optional(self.writer())
        .await
        .map_err(err)?;
        row.map(|r| parse(&r, "shopper_id")).transpose()
    }

    async fn points_mismatches(&self) -> StoreResult<Vec<PointsMismatch>> {
        let rows = sqlx::query(
            "SELECT s.merchant_id, s.id, s.points, CAST(COALESCE(SUM(e.delta), 0) AS BIGINT) AS ledger
             FROM shoppers s LEFT JOIN points_entries e ON e.shopper_id = s.id
             GROUP BY s.merchant_id, s.id, s.points
             HAVING s.points <> CAST(COALESCE(SUM(e.delta), 0) AS BIGINT) OR s.points < 0
             ORDER BY s.merchant_id, s.id",
        )
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(PointsMismatch {
                    merchant_id: get(r, "merchant_id")?,
                    shopper_id: get(r, "id")?,
                    points: get(r, "points")?,
                    ledger: get(r, "ledger")?,
                })
            })
            .collect()
    }
}
