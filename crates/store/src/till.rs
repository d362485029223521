//! Till sales, recorded once per sale id, and shift closes.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::*;
use sweep_domain::Timestamp;
use sweep_domain::ids::*;
use sweep_domain::inventory::{Movement, MovementKind, StockLevel};
use sweep_domain::order::{ActorKind, Order, OrderEvent};
use sweep_domain::till::TillShift;

use crate::Db;
use crate::inventory::{apply_lines, insert_movement};
use crate::loyalty::apply_points;
use crate::orders::{ORDER_COLUMNS, ORDER_UNIQUES, insert_event, insert_order, insert_payment};
use crate::sql::{Sql, enum_col, err, get, map_err, parse, ts, ts_opt};

const WALK_IN_PHONE: &str = "walk-in";

/// Sells `line` at a till that was offline: what the level holds is sold, the rest is
/// recorded as an offline oversell, so the sale always goes through.
async fn sell_offline(
    tx: &mut Transaction<'static, Any>,
    merchant: MerchantId,
    line: &StockLine,
    actor: Option<StaffId>,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query("UPDATE stock_levels SET updated_at = updated_at WHERE sku_id = $1 AND location_id = $2")
        .bind(line.sku_id.to_string())
        .bind(line.location_id.to_string())
        .execute(&mut **tx)
        .await
        .map_err(err)?;
    let level = sqlx::query("SELECT on_hand, reserved FROM stock_levels WHERE sku_id = $1 AND location_id = $2")
        .bind(line.sku_id.to_string())
        .bind(line.location_id.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(err)?
        .map(|r| Ok::<_, StoreError>(StockLevel { on_hand: get(&r, "on_hand")?, reserved: get(&r, "reserved")? }))
        .transpose()?
        .unwrap_or_default();
    let wanted = -line.change.on_hand_delta;
    let sold = wanted.min(level.available()).max(0);
    let mut after = level;
    if sold > 0 {
        let mut covered = line.clone();
        covered.change.on_hand_delta = -sold;
        let moved = apply_lines(tx, merchant, std::slice::from_ref(&covered), actor, now).await?;
        after = moved[0].after;
    }
    let short = wanted - sold;
    if short > 0 {
        let m = Movement {
            id: MovementId::new(),
            merchant_id: merchant,
            sku_id: line.sku_id,
            location_id: line.location_id,
            kind: MovementKind::OfflineOversell,
            on_hand_delta: 0,
            reserved_delta: 0,
            after,
            reason: None,
            note: format!("{short} sold offline beyond the recorded stock"),
            reference: line.reference.clone(),
            actor_id: actor,
            created_at: now,
        };
        insert_movement(tx, &m).await?;
    }
    Ok(())
}

#[async_trait]
impl TillRepo for Db {
    async fn walk_in_shopper(&self, merchant: MerchantId, now: Timestamp) -> StoreResult<ShopperId> {
        sqlx::query(
            "INSERT INTO shoppers (id, merchant_id, phone, display_name, created_at, kind, joined_channel)
             VALUES ($1, $2, $3, 'Walk-in', $4, 'walk_in', 'pos')
             ON CONFLICT (merchant_id, phone) DO NOTHING",
        )
        .bind(ShopperId::new().to_string())
        .bind(merchant.to_string())
        .bind(WALK_IN_PHONE)
        .bind(now.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        let row = sqlx::query("SELECT id FROM shoppers WHERE merchant_id = $1 AND phone = $2")
            .bind(merchant.to_string())
            .bind(WALK_IN_PHONE)
            .fetch_one(self.writer())
            .await
            .map_err(err)?;
        parse(&row, "id")
    }

    async fn record_till_sale(&self, sale: &TillSale) -> StoreResult<TillSaleOutcome> {
        let o = &sale.order;
        let mut tx = self.begin().await.map_err(err)?;
        // The sale id is unique per merchant: a resend fails here and changes nothing.
        match insert_order(&mut tx, o, None).await {
            Err(StoreError::Duplicate { field: "sale_id" }) => {
                drop(tx);
                let existing = self
                    .order_by_sale_id(o.merchant_id, &sale.sale_id)
                    .await?
                    .ok_or_else(|| StoreError::Other("sale vanished".into()))?;
                return Ok(TillSaleOutcome::AlreadyRecorded(existing.id));
            }
            other => other?,
        }
        let actor = sale.actor_id.as_deref().and_then(|a| a.parse::<StaffId>().ok());
        if sale.offline {
            for line in &sale.stock {
                sell_offline(&mut tx, o.merchant_id, line, actor, o.created_at).await?;
            }
        } else {
            apply_lines(&mut tx, o.merchant_id, &sale.stock, actor, o.created_at).await?;
        }
        for p in &sale.payments {
            insert_payment(&mut tx, p).await?;
        }
        apply_points(&mut tx, o.merchant_id, &sale.points, o.created_at).await?;
        let event = OrderEvent {
            from: None,
            to: o.status,
            actor_kind: ActorKind::Staff,
            actor_id: sale.actor_id.clone(),
            note: sale.note.clone(),
            created_at: o.created_at,
        };
        insert_event(&mut tx, o.merchant_id, o.id, &event).await?;
        tx.commit().await.map_err(|e| map_err(e, ORDER_UNIQUES))?;
        Ok(TillSaleOutcome::Recorded)
    }

    async fn order_by_sale_id(&self, merchant: MerchantId, sale_id: &str) -> StoreResult<Option<Order>> {
        let mut q = Sql::new("SELECT ");
        q.push(ORDER_COLUMNS).push(" FROM orders WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND sale_id = ").bind(sale_id);
        self.one_order(q).await
    }

    async fn last_shift_close(
        &self,
        merchant: MerchantId,
        store: LocationId,
        till: &str,
    ) -> StoreResult<Option<Timestamp>> {
        let row = sqlx::query(
            "SELECT MAX(closed_at) AS closed_at FROM till_shifts WHERE merchant_id = $1 AND store_id = $2 AND till_id = $3",
        )
        .bind(merchant.to_string())
        .bind(store.to_string())
        .bind(till.to_string())
        .fetch_one(self.writer())
        .await
        .map_err(err)?;
        ts_opt(&row, "closed_at")
    }

    async fn till_takings(
        &self,
        merchant: MerchantId,
        store: LocationId,
        till: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> StoreResult<(i64, i64, i64)> {
        let bind = |q: sqlx::query::Query<'static, Any, sqlx::any::AnyArguments>| {
            q.bind(merchant.to_string())
                .bind(store.to_string())
                .bind(till.to_string())
                .bind(since.unix_micros())
                .bind(until.unix_micros())
        };
        // Sales by when they were rung up; refunds by when the cash went back.
        let sales = bind(sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN p.provider = 'cash' THEN p.amount ELSE 0 END), 0) AS BIGINT) AS cash,
                    COUNT(DISTINCT o.id) AS sales
             FROM orders o JOIN payments p ON p.order_id = o.id
             WHERE o.merchant_id = $1 AND o.influencer_store_id = $2 AND o.till_id = $3
               AND o.created_at > $4 AND o.created_at <= $5",
        ))
        .fetch_one(self.writer())
        .await
        .map_err(err)?;
        let refunds = bind(sqlx::query(
            "SELECT CAST(COALESCE(SUM(r.amount), 0) AS BIGINT) AS cash
             FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN orders o ON o.id = r.order_id
             WHERE o.merchant_id = $1 AND o.influencer_store_id = $2 AND o.till_id = $3
               AND r.created_at > $4 AND r.created_at <= $5 AND p.provider = 'cash'",
        ))
        .fetch_one(self.writer())
        .await
        .map_err(err)?;
        Ok((get(&sales, "cash")?, get(&refunds, "cash")?, get(&sales, "sales")?))
    }

    async fn insert_shift(&self, merchant: MerchantId, s: &TillShift) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO till_shifts (id, merchant_id, store_id, till_id, since, closed_at, closed_by, opening_float,
                 cash_sales, cash_refunds, sales, expected_cash, counted_cash, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(s.id.clone())
        .bind(merchant.to_string())
        .bind(s.store_id.to_string())
        .bind(s.till_id.clone())
        .bind(s.since.map(|t| t.unix_micros()).unwrap_or(0))
        .bind(s.closed_at.unix_micros())
        .bind(s.closed_by.to_string())
        .bind(s.opening_float.minor())
        .bind(s.cash_sales.minor())
        .bind(s.cash_refunds.minor())
        .bind(s.sales)
        .bind(s.expected_cash.minor())
        .bind(s.counted_cash.minor())
        .bind(s.note.clone())
        .execute(self.writer())
        .await
        .map_err(|e| map_err(e, &[("uq_till_shifts_since", "shift"), ("till_shifts.since", "shift")]))?;
        Ok(())
    }

    async fn shifts(
        &self,
        merchant: MerchantId,
        store: LocationId,
        page: &PageRequest,
    ) -> StoreResult<Page<TillShift>> {
        let mut q = Sql::new(
            "SELECT t.id, t.store_id, t.till_id, t.since, t.closed_at, t.closed_by, t.opening_float, t.cash_sales,
                    t.cash_refunds, t.sales, t.expected_cash, t.counted_cash, t.note, m.currency
             FROM till_shifts t JOIN merchants m ON m.id = t.merchant_id WHERE t.merchant_id = ",
        );
        q.bind(merchant.to_string()).push(" AND t.store_id = ").bind(store.to_string());
        q.page("t.id", page, true);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let money = |r: &AnyRow, c: &str| -> StoreResult<sweep_domain::Money> {
            let currency = enum_col(r, "currency", sweep_domain::Currency::parse)?;
            Ok(sweep_domain::Money::new(get(r, c)?, currency))
        };
        let items = rows
            .iter()
            .map(|r| {
                let since: i64 = get(r, "since")?;
                let expected = money(r, "expected_cash")?;
                let counted = money(r, "counted_cash")?;
                Ok(TillShift {
                    id: get(r, "id")?,
                    store_id: parse(r, "store_id")?,
                    till_id: get(r, "till_id")?,
                    since: (since > 0).then(|| Timestamp::from_unix_micros(since)),
                    closed_at: ts(r, "closed_at")?,
                    closed_by: parse(r, "closed_by")?,
                    opening_float: money(r, "opening_float")?,
                    cash_sales: money(r, "cash_sales")?,
                    cash_refunds: money(r, "cash_refunds")?,
                    sales: get(r, "sales")?,
                    expected_cash: expected,
                    counted_cash: counted,
                    difference: sweep_domain::Money::new(counted.minor() - expected.minor(), counted.currency()),
                    note: get(r, "note")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |s| s.id.clone()))
    }

    async fn offline_oversells(&self) -> StoreResult<Vec<OfflineOversell>> {
        let rows = sqlx::query(
            "SELECT merchant_id, sku_id, location_id, note, reference, created_at FROM stock_movements
             WHERE kind = 'offline_oversell' ORDER BY id",
        )
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(OfflineOversell {
                    merchant_id: get(r, "merchant_id")?,
                    sku_id: get(r, "sku_id")?,
                    location_id: get(r, "location_id")?,
                    note: get(r, "note")?,
                    reference: get(r, "reference")?,
                    created_at: ts(r, "created_at")?,
                })
            })
            .collect()
    }
}
