use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::{
    InventoryRepo, LedgerMismatch, ReservationMismatch, StockFilter, StockLine, StoreError, StoreResult,
};
use sweep_domain::Timestamp;
use sweep_domain::ids::{MerchantId, MovementId, SkuId, StaffId};
use sweep_domain::inventory::{AdjustReason, Movement, MovementKind, StockLevel, StockRow};
use sweep_domain::order::{OrderStatus, ShipmentStatus};

use crate::Db;
use crate::sql::{Sql, enum_col, err, get, parse, parse_opt, ts};

const LEVEL_COLUMNS: &str = "id, merchant_id, sku_id, location_id, on_hand, reserved, updated_at";
const MOVEMENT_COLUMNS: &str = "id, merchant_id, sku_id, location_id, kind, on_hand_delta, reserved_delta, on_hand_after, \
     reserved_after, reason, note, reference, actor_id, created_at";

fn level(row: &AnyRow) -> StoreResult<StockRow> {
    Ok(StockRow {
        merchant_id: parse(row, "merchant_id")?,
        sku_id: parse(row, "sku_id")?,
        location_id: parse(row, "location_id")?,
        level: StockLevel { on_hand: get(row, "on_hand")?, reserved: get(row, "reserved")? },
        updated_at: ts(row, "updated_at")?,
    })
}

fn movement(row: &AnyRow) -> StoreResult<Movement> {
    let reason: Option<String> = get(row, "reason")?;
    Ok(Movement {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        sku_id: parse(row, "sku_id")?,
        location_id: parse(row, "location_id")?,
        kind: enum_col(row, "kind", MovementKind::parse)?,
        on_hand_delta: get(row, "on_hand_delta")?,
        reserved_delta: get(row, "reserved_delta")?,
        after: StockLevel { on_hand: get(row, "on_hand_after")?, reserved: get(row, "reserved_after")? },
        reason: reason.as_deref().and_then(AdjustReason::parse),
        note: get(row, "note")?,
        reference: get(row, "reference")?,
        actor_id: parse_opt(row, "actor_id")?,
        created_at: ts(row, "created_at")?,
    })
}

fn filtered(q: &mut Sql, f: &StockFilter) {
    if let Some(s) = f.sku {
        q.push(" AND sku_id = ").bind(s.to_string());
    }
    if let Some(l) = f.location {
        q.push(" AND location_id = ").bind(l.to_string());
    }
    if let Some(only) = &f.only {
        q.push(" AND location_id IN ").bind_list(only.iter().map(|l| l.to_string()));
    }
}

/// Applies stock lines inside a transaction: one conditional write and one ledger line
/// each. Stops at the first line that would make a level illegal; the caller's
/// transaction then must not commit.
pub(crate) async fn apply_lines(
    tx: &mut Transaction<'static, Any>,
    merchant: MerchantId,
    lines: &[StockLine],
    actor: Option<StaffId>,
    now: Timestamp,
) -> StoreResult<Vec<Movement>> {
    // Rows are always locked in the same order (by SKU, then location), whatever order
    // the request listed them in: two operations touching the same levels then queue
    // behind each other instead of deadlocking. Errors still name the request's line.
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|a, b| {
        let (x, y) = (&lines[*a], &lines[*b]);
        (x.sku_id, x.location_id).cmp(&(y.sku_id, y.location_id))
    });
    let mut movements: Vec<Option<Movement>> = vec![None; lines.len()];
    for i in order {
        let line = &lines[i];
        let c = line.change;
        // One conditional write per line: the level changes only if it stays legal
        // (0 <= reserved <= on_hand). A change that only adds may create the level.
        let after = if c.only_adds() {
            sqlx::query(
                "INSERT INTO stock_levels (id, merchant_id, sku_id, location_id, on_hand, reserved, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 0, $6)
                 ON CONFLICT (sku_id, location_id) DO UPDATE
                     SET on_hand = stock_levels.on_hand + excluded.on_hand, updated_at = excluded.updated_at
                 RETURNING on_hand, reserved",
            )
            .bind(MovementId::new().to_string())
            .bind(merchant.to_string())
            .bind(line.sku_id.to_string())
            .bind(line.location_id.to_string())
            .bind(c.on_hand_delta)
            .bind(now.unix_micros())
            .fetch_optional(&mut **tx)
            .await
        } else {
            sqlx::query(
                "UPDATE stock_levels SET on_hand = on_hand + $1, reserved = reserved + $2, updated_at = $3
                 WHERE merchant_id = $4 AND sku_id = $5 AND location_id = $6
                   AND on_hand + $1 >= reserved + $2 AND reserved + $2 >= 0
                 RETURNING on_hand, reserved",
            )
            .bind(c.on_hand_delta)
            .bind(c.reserved_delta)
            .bind(now.unix_micros())
            .bind(merchant.to_string())
            .bind(line.sku_id.to_string())
            .bind(line.location_id.to_string())
            .fetch_optional(&mut **tx)
            .await
        }
        .map_err(err)?;
        let Some(after) = after else {
            let available = sqlx::query(
                "SELECT on_hand - reserved AS available FROM stock_levels WHERE sku_id = $1 AND location_id = $2",
            )
            .bind(line.sku_id.to_string())
            .bind(line.location_id.to_string())
            .fetch_optional(&mut **tx)
            .await
            .map_err(err)?
            .map(|r| get::<i64>(&r, "available"))
            .transpose()?
            .unwrap_or(0);
            return Err(StoreError::InsufficientStock { line: i, available });
        };
        let m = Movement {
            id: MovementId::new(),
            merchant_id: merchant,
            sku_id: line.sku_id,
            location_id: line.location_id,
            kind: c.kind,
            on_hand_delta: c.on_hand_delta,
            reserved_delta: c.reserved_delta,
            after: StockLevel { on_hand: get(&after, "on_hand")?, reserved: get(&after, "reserved")? },
            reason: line.reason,
            note: line.note.clone(),
            reference: line.reference.clone(),
            actor_id: actor,
            created_at: now,
        };
        insert_movement(tx, &m).await?;
        movements[i] = Some(m);
    }
    Ok(movements.into_iter().flatten().collect())
}

/// Appends one movement to the ledger.
pub(crate) async fn insert_movement(tx: &mut Transaction<'static, Any>, m: &Movement) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO stock_movements (id, merchant_id, sku_id, location_id, kind, on_hand_delta, reserved_delta,
             on_hand_after, reserved_after, reason, note, reference, actor_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(m.id.to_string())
    .bind(m.merchant_id.to_string())
    .bind(m.sku_id.to_string())
    .bind(m.location_id.to_string())
    .bind(m.kind.as_str())
    .bind(m.on_hand_delta)
    .bind(m.reserved_delta)
    .bind(m.after.on_hand)
    .bind(m.after.reserved)
    .bind(m.reason.map(|r| r.as_str()))
    .bind(m.note.clone())
    .bind(m.reference.clone())
    .bind(m.actor_id.map(|a| a.to_string()))
    .bind(m.created_at.unix_micros())
    .execute(&mut **tx)
    .await
    .map_err(err)?;
    Ok(())
}

#[async_trait]
impl InventoryRepo for Db {
    async fn apply_stock(
        &self,
        merchant: MerchantId,
        lines: &[StockLine],
        actor: Option<StaffId>,
        now: Timestamp,
    ) -> StoreResult<Vec<Movement>> {
        let mut tx = self.begin().await.map_err(err)?;
        // On error the transaction is dropped, which rolls it back.
        let movements = apply_lines(&mut tx, merchant, lines, actor, now).await?;
        tx.commit().await.map_err(err)?;
        Ok(movements)
    }

    async fn stock_levels(
        &self,
        merchant: MerchantId,
        f: &StockFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<StockRow>> {
        let mut q = Sql::new("SELECT ");
        q.push(LEVEL_COLUMNS).push(" FROM stock_levels WHERE merchant_id = ").bind(merchant.to_string());
        filtered(&mut q, f);
        q.page("id", page, false);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        // The cursor is the level's own id, which the domain row does not carry.
        let items = rows.iter().map(|r| Ok((get::<String>(r, "id")?, level(r)?))).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |(id, _)| id.clone()).map(|(_, row)| row))
    }

    async fn movements(
        &self,
        merchant: MerchantId,
        f: &StockFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Movement>> {
        let mut q = Sql::new("SELECT ");
        q.push(MOVEMENT_COLUMNS).push(" FROM stock_movements WHERE merchant_id = ").bind(merchant.to_string());
        filtered(&mut q, f);
        if let Some(kind) = f.kind {
            q.push(" AND kind = ").bind(kind.as_str());
        }
        q.page("id", page, true);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(movement).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |m| m.id.to_string()))
    }

    async fn levels_of(&self, merchant: MerchantId, skus: &[SkuId]) -> StoreResult<Vec<StockRow>> {
        let mut rows = Vec::new();
        for chunk in skus.chunks(500) {
            let mut q = Sql::new("SELECT ");
            q.push(LEVEL_COLUMNS).push(" FROM stock_levels WHERE merchant_id = ").bind(merchant.to_string());
            q.push(" AND sku_id IN ")
                .bind_list(chunk.iter().map(|s| s.to_string()))
                .push(" ORDER BY sku_id, location_id");
            let found = q.query().fetch_all(self.reader()).await.map_err(err)?;
            for row in &found {
                rows.push(level(row)?);
            }
        }
        Ok(rows)
    }

    async fn ledger_mismatches(&self) -> StoreResult<Vec<LedgerMismatch>> {
        let mismatch = |r: &AnyRow| -> StoreResult<LedgerMismatch> {
            Ok(LedgerMismatch {
                merchant_id: get(r, "merchant_id")?,
                sku_id: get(r, "sku_id")?,
                location_id: get(r, "location_id")?,
                on_hand: get(r, "on_hand")?,
                reserved: get(r, "reserved")?,
                ledger_on_hand: get(r, "ledger_on_hand")?,
                ledger_reserved: get(r, "ledger_reserved")?,
            })
        };
        let explained = sqlx::query(
            "SELECT l.merchant_id, l.sku_id, l.location_id, l.on_hand, l.reserved,
                 CAST(COALESCE(SUM(m.on_hand_delta), 0) AS BIGINT) AS ledger_on_hand,
                 CAST(COALESCE(SUM(m.reserved_delta), 0) AS BIGINT) AS ledger_reserved
             FROM stock_levels l
             LEFT JOIN stock_movements m ON m.sku_id = l.sku_id AND m.location_id = l.location_id
             GROUP BY l.merchant_id, l.sku_id, l.location_id, l.on_hand, l.reserved
             HAVING l.on_hand <> CAST(COALESCE(SUM(m.on_hand_delta), 0) AS BIGINT)
                 OR l.reserved <> CAST(COALESCE(SUM(m.reserved_delta), 0) AS BIGINT)
                 OR l.reserved < 0 OR l.reserved > l.on_hand
             ORDER BY l.merchant_id, l.sku_id, l.location_id",
        )
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        let orphans = sqlx::query(
            "SELECT m.merchant_id, m.sku_id, m.location_id, CAST(0 AS BIGINT) AS on_hand, CAST(0 AS BIGINT) AS reserved,
                 CAST(SUM(m.on_hand_delta) AS BIGINT) AS ledger_on_hand,
                 CAST(SUM(m.reserved_delta) AS BIGINT) AS ledger_reserved
             FROM stock_movements m
             WHERE NOT EXISTS (SELECT 1 FROM stock_levels l WHERE l.sku_id = m.sku_id AND l.location_id = m.location_id)
             GROUP BY m.merchant_id, m.sku_id, m.location_id
             ORDER BY m.merchant_id, m.sku_id, m.location_id",
        )
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        explained.iter().chain(orphans.iter()).map(mismatch).collect()
    }

    async fn reservation_mismatches(&self) -> StoreResult<Vec<ReservationMismatch>> {
        // Flash pools are reserved too: units set aside for a sale that is still open.
        let mut q = Sql::new(
            "SELECT l.merchant_id, l.sku_id, l.location_id, l.reserved,
                    CAST(COALESCE(p.promised, 0) AS BIGINT) + CAST(COALESCE(f.pooled, 0) AS BIGINT) AS promised
             FROM stock_levels l
             LEFT JOIN (SELECT ol.sku_id, s.location_id, SUM(ol.quantity) AS promised
                        FROM order_lines ol
                        JOIN shipments s ON s.id = ol.shipment_id
                        JOIN orders o ON o.id = ol.order_id
                        WHERE s.status IN ",
        );
        q.bind_list([ShipmentStatus::Pending.as_str(), ShipmentStatus::Ready.as_str()]);
        q.push(" AND o.status IN ");
        q.bind_list(OrderStatus::ALL.into_iter().filter(|s| s.holds_reservation()).map(|s| s.as_str()));
        q.push(
            " GROUP BY ol.sku_id, s.location_id) p ON p.sku_id = l.sku_id AND p.location_id = l.location_id
             LEFT JOIN (SELECT sku_id, location_id, SUM(pool_left) AS pooled FROM flash_items WHERE open = 1
                        GROUP BY sku_id, location_id) f ON f.sku_id = l.sku_id AND f.location_id = l.location_id
             WHERE l.reserved <> CAST(COALESCE(p.promised, 0) AS BIGINT) + CAST(COALESCE(f.pooled, 0) AS BIGINT)
             ORDER BY l.merchant_id, l.sku_id, l.location_id",
        );
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(ReservationMismatch {
                    merchant_id: get(r, "merchant_id")?,
                    sku_id: get(r, "sku_id")?,
                    location_id: get(r, "location_id")?,
                    reserved: get(r, "reserved")?,
                    promised: get(r, "promised")?,
                })
            })
            .collect()
    }
}
