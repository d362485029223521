//! The group commit of flash orders: one transaction for a whole batch of purchases.
//!
//! In order: the members' quotas (one multi-row upsert that refuses to pass the cap),
//! then one conditional write per pool that grants what is left to those within their
//! limit, then quota back for those who got no units, then the winners' orders, lines,
//! shipments, events, expiry jobs and one sales-feed row, in multi-row inserts. Either
//! all of it commits or none of it does, and a purchase is acknowledged only after the
//! commit.
//!
//! The statements are built before the transaction begins, for every purchase in the
//! batch, so that the transaction (and a hot pool's row lock, on PostgreSQL) is held no
//! longer than the database needs; they are built again for the winners only when some
//! purchase lost (at the sell-out, or over a limit).

use std::collections::HashSet;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Transaction};
use sweep_app::ports::*;
use sweep_domain::Timestamp;
use sweep_domain::flash::allocate;
use sweep_domain::order::Order;

use super::group_by_pool;
use crate::sql::{Arg, Sql, err, get};
use crate::{Backend, Db};

/// Rows per multi-row statement, under SQLite's 32,766 parameters for the widest row.
const ROWS_PER_STATEMENT: usize = 900;

type Statement = Query<'static, Any, AnyArguments>;

/// A batch's statements, ready to run: the quota upsert, the orders (whose numbers may
/// collide), and everything else.
struct Prepared {
    rows: Vec<usize>,
    quota: Vec<Statement>,
    orders: Vec<Statement>,
    rest: Vec<Statement>,
}

impl Prepared {
    fn new(batch: &[FlashPurchase], rows: Vec<usize>, sqlite: bool, now: Timestamp) -> Prepared {
        let ready = |sqls: Vec<Sql>| sqls.into_iter().map(|q| q.into_query_on(sqlite)).collect();
        let numbers: Vec<String> = rows.iter().map(|&i| batch[i].order.number.clone()).collect();
        let mut rest = details_sql(batch, &rows);
        rest.extend(followers_sql(batch, &rows, now));
        Prepared {
            quota: ready(quota_sql(batch, &rows)),
            orders: ready(orders_sql(batch, &rows, &numbers)),
            rest: ready(rest),
            rows,
        }
    }
}

pub(super) async fn place(db: &Db, batch: &[FlashPurchase], renumber: &Renumber) -> StoreResult<Vec<FlashOutcome>> {
    let mut outcomes = vec![FlashOutcome::Placed; batch.len()];
    if batch.is_empty() {
        return Ok(outcomes);
    }
    let now = batch.iter().map(|p| p.order.created_at).max().expect("not empty");
    let sqlite = db.backend() == Backend::Sqlite;
    let mut prepared = Prepared::new(batch, (0..batch.len()).collect(), sqlite, now);
    let mut tx = db.begin().await.map_err(err)?;

    // 1. Quotas, in (sale, member) order: one multi-row upsert that refuses to pass the
    //    cap. A purchase over its member's limit never takes a unit from a pool, so N
    //    members racing for K units get exactly min(N, K) of them.
    let mut within: HashSet<(String, String)> = HashSet::new();
    for q in std::mem::take(&mut prepared.quota) {
        for row in q.fetch_all(&mut *tx).await.map_err(err)? {
            within.insert((get(&row, "sale_id")?, get(&row, "shopper_id")?));
        }
    }
    let mut candidates = vec![];
    for (i, p) in batch.iter().enumerate() {
        if within.contains(&(p.sale_id.to_string(), p.order.shopper_id.to_string())) {
            candidates.push(i);
        } else {
            outcomes[i] = FlashOutcome::OverLimit;
        }
    }

    // 2. The pools, in (sale, SKU) order: grant what is left, all or nothing per purchase
    //    in arrival order.
    let mut winners = vec![];
    let mut losers = vec![];
    for ((sale, sku), members) in group_by_pool(batch, &candidates) {
        let wanted: Vec<i64> = members.iter().map(|&i| batch[i].quantity).collect();
        let Some(got) = grant(&mut tx, &sale, &sku, wanted.iter().sum(), now).await? else {
            for &i in &members {
                outcomes[i] = FlashOutcome::NotOn;
                losers.push(i);
            }
            continue;
        };
        let (won, unused) = allocate(got, &wanted);
        for (&i, won) in members.iter().zip(won) {
            if won {
                winners.push(i);
            } else {
                outcomes[i] = FlashOutcome::SoldOut;
                losers.push(i);
            }
        }
        return_to_pool(&mut tx, &sale, &sku, unused).await?;
    }

    // 3. Those who got no units take their quota back; once the pools are empty, that is
    //    all a batch writes.
    for q in quota_back_sql(batch, &losers) {
        q.into_query_on(sqlite).execute(&mut *tx).await.map_err(err)?;
    }
    if winners.is_empty() {
        tx.commit().await.map_err(err)?;
        return Ok(outcomes);
    }
    winners.sort_unstable();
    if winners.len() < prepared.rows.len() {
        prepared = Prepared::new(batch, winners, sqlite, now);
    }

    // 4. The winners' orders; a number taken meanwhile gets a fresh one.
    let mut placed = HashSet::new();
    for q in std::mem::take(&mut prepared.orders) {
        for row in q.fetch_all(&mut *tx).await.map_err(err)? {
            placed.insert(get::<String>(&row, "id")?);
        }
    }
    let mut unplaced: Vec<usize> =
        prepared.rows.iter().copied().filter(|&i| !placed.contains(&batch[i].order.id.to_string())).collect();
    for _ in 0..5 {
        if unplaced.is_empty() {
            break;
        }
        let numbers: Vec<String> = unplaced.iter().map(|&i| renumber(&batch[i].order)).collect();
        for q in orders_sql(batch, &unplaced, &numbers) {
            for row in q.into_query_on(sqlite).fetch_all(&mut *tx).await.map_err(err)? {
                placed.insert(get::<String>(&row, "id")?);
            }
        }
        unplaced.retain(|&i| !placed.contains(&batch[i].order.id.to_string()));
    }
    if !unplaced.is_empty() {
        return Err(StoreError::Other("no free order numbers for a flash batch".into()));
    }
    for q in std::mem::take(&mut prepared.rest) {
        q.execute(&mut *tx).await.map_err(err)?;
    }
    tx.commit().await.map_err(err)?;
    Ok(outcomes)
}

/// Gives quota back to the members of `losers`, one statement per (sale, quantity):
/// nearly all of them asked for one unit.
fn quota_back_sql(batch: &[FlashPurchase], losers: &[usize]) -> Vec<Sql> {
    let mut groups: std::collections::BTreeMap<(String, i64), Vec<String>> = Default::default();
    for &i in losers {
        let p = &batch[i];
        groups.entry((p.sale_id.to_string(), p.quantity)).or_default().push(p.order.shopper_id.to_string());
    }
    let mut out = vec![];
    for ((sale, quantity), mut members) in groups {
        members.sort_unstable();
        for chunk in members.chunks(ROWS_PER_STATEMENT) {
            let mut q = Sql::new("UPDATE flash_quota SET bought = bought - ");
            q.bind(quantity).push(" WHERE sale_id = ").bind(sale.clone());
            q.push(" AND shopper_id IN ").bind_list(chunk.iter().cloned());
            out.push(q);
        }
    }
    out
}

/// Takes up to `need` units from the pool if the sale is on now; `None` when it is not.
/// SET clauses read the old row, so `last_grant` is what this write took.
async fn grant(
    tx: &mut Transaction<'static, Any>,
    sale: &str,
    sku: &str,
    need: i64,
    now: Timestamp,
) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "UPDATE flash_items
            SET pool_left = pool_left - CASE WHEN pool_left >= $3 THEN $3 ELSE pool_left END,
                last_grant = CASE WHEN pool_left >= $3 THEN $3 ELSE pool_left END
          WHERE sale_id = $1 AND sku_id = $2 AND open = 1 AND starts_at <= $4 AND ends_at > $4
          RETURNING last_grant",
    )
    .bind(sale.to_string())
    .bind(sku.to_string())
    .bind(need)
    .bind(now.unix_micros())
    .fetch_optional(&mut **tx)
    .await
    .map_err(err)?;
    row.map(|r| get(&r, "last_grant")).transpose()
}

/// Puts units a batch took but could not use back into the pool.
async fn return_to_pool(tx: &mut Transaction<'static, Any>, sale: &str, sku: &str, units: i64) -> StoreResult<()> {
    if units > 0 {
        sqlx::query("UPDATE flash_items SET pool_left = pool_left + $3 WHERE sale_id = $1 AND sku_id = $2")
            .bind(sale.to_string())
            .bind(sku.to_string())
            .bind(units)
            .execute(&mut **tx)
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// The quota upsert of `rows`, in (sale, member) order so that concurrent batches lock
/// quota rows alike.
fn quota_sql(batch: &[FlashPurchase], rows: &[usize]) -> Vec<Sql> {
    let mut by_member = rows.to_vec();
    by_member.sort_by_key(|&i| (batch[i].sale_id, batch[i].order.shopper_id));
    by_member
        .chunks(ROWS_PER_STATEMENT)
        .map(|chunk| {
            let mut q = Sql::new("INSERT INTO flash_quota (sale_id, shopper_id, bought, cap)");
            q.values(chunk, |q, &i| {
                let p = &batch[i];
                q.bind_row([
                    p.sale_id.to_string().into(),
                    p.order.shopper_id.to_string().into(),
                    p.quantity.into(),
                    p.cap.into(),
                ]);
            });
            q.push(
                " ON CONFLICT (sale_id, shopper_id) DO UPDATE SET bought = flash_quota.bought + excluded.bought
                  WHERE flash_quota.bought + excluded.bought <= flash_quota.cap
                  RETURNING sale_id, shopper_id",
            );
            q
        })
        .collect()
}

/// The orders of `rows` with these numbers; a number already taken is skipped (and
/// missing from what the statement returns).
fn orders_sql(batch: &[FlashPurchase], rows: &[usize], numbers: &[String]) -> Vec<Sql> {
    let numbered: Vec<(usize, &String)> = rows.iter().copied().zip(numbers).collect();
    numbered
        .chunks(ROWS_PER_STATEMENT)
        .map(|chunk| {
            let mut q = Sql::new("INSERT INTO orders (");
            q.push(crate::orders::ORDER_COLUMNS).push(")");
            q.values(chunk, |q, (i, number)| {
                q.bind_row(order_args(&batch[*i].order, (*number).clone()));
            });
            q.push(" ON CONFLICT (merchant_id, number) DO NOTHING RETURNING id");
            q
        })
        .collect()
}

/// The values of [`crate::orders::ORDER_COLUMNS`], in order.
fn order_args(o: &Order, number: String) -> [Arg; 33] {
    let address = o.address.as_ref().map(|a| serde_json::to_string(a).expect("address serialises"));
    [
        o.id.to_string().into(),
        o.merchant_id.to_string().into(),
        number.into(),
        o.shopper_id.to_string().into(),
        o.status.as_str().into(),
        o.fulfilment.as_str().into(),
        o.channel.as_str().into(),
        o.influencer_store_id.map(|s| s.to_string()).into(),
        o.influencer_clerk_id.map(|s| s.to_string()).into(),
        o.card_id.map(|s| s.to_string()).into(),
        o.campaign_id.map(|s| s.to_string()).into(),
        o.pickup_store_id.map(|s| s.to_string()).into(),
        address.into(),
        o.total.currency().code().into(),
        o.subtotal.minor().into(),
        o.discount.minor().into(),
        o.delivery_fee.minor().into(),
        o.total.minor().into(),
        o.paid.minor().into(),
        o.refunded.minor().into(),
        o.pay_by.unix_micros().into(),
        o.paid_at.map(|t| t.unix_micros()).into(),
        o.completed_at.map(|t| t.unix_micros()).into(),
        o.pickup_deadline.map(|t| t.unix_micros()).into(),
        o.created_at.unix_micros().into(),
        o.updated_at.unix_micros().into(),
        o.points_used.into(),
        o.sale_id.clone().into(),
        o.till_id.clone().into(),
        i64::from(o.offline).into(),
        o.coupon_id.map(|c| c.to_string()).into(),
        o.coupon_discount.minor().into(),
        o.flash_sale_id.map(|f| f.to_string()).into(),
    ]
}

/// Shipments and lines of the orders of `rows`.
fn details_sql(batch: &[FlashPurchase], rows: &[usize]) -> Vec<Sql> {
    let mut out = vec![];
    let shipments: Vec<(&Order, usize)> =
        rows.iter().flat_map(|&i| (0..batch[i].order.shipments.len()).map(move |s| (&batch[i].order, s))).collect();
    for chunk in shipments.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::new("INSERT INTO shipments (id, order_id, location_id, status, merchant_id)");
        q.values(chunk, |q, (o, s)| {
            let s = &o.shipments[*s];
            q.bind_row([
                s.id.to_string().into(),
                o.id.to_string().into(),
                s.location_id.to_string().into(),
                s.status.as_str().into(),
                o.merchant_id.to_string().into(),
            ]);
        });
        out.push(q);
    }
    let lines: Vec<(&Order, usize)> =
        rows.iter().flat_map(|&i| (0..batch[i].order.lines.len()).map(move |l| (&batch[i].order, l))).collect();
    for chunk in lines.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::new(
            "INSERT INTO order_lines (id, order_id, shipment_id, sku_id, product_id, name_zh, name_en, sku_label, \
             unit_price, list_price, quantity, subtotal, discount, total, returned_quantity, refunded, merchant_id)",
        );
        q.values(chunk, |q, (o, l)| {
            let l = &o.lines[*l];
            q.bind_row([
                l.id.to_string().into(),
                o.id.to_string().into(),
                l.shipment_id.to_string().into(),
                l.sku_id.to_string().into(),
                l.product_id.to_string().into(),
                l.name.zh.clone().into(),
                l.name.en.clone().into(),
                l.sku_label.clone().into(),
                l.unit_price.minor().into(),
                l.list_price.minor().into(),
                l.quantity.into(),
                l.subtotal.minor().into(),
                l.discount.minor().into(),
                l.total.minor().into(),
                l.returned_quantity.into(),
                l.refunded.minor().into(),
                o.merchant_id.to_string().into(),
            ]);
        });
        out.push(q);
    }
    out
}

/// What goes with each placed order: its first event, its expiry job, and one
/// sales-feed row per merchant, channel and store for the whole batch.
fn followers_sql(batch: &[FlashPurchase], winners: &[usize], now: Timestamp) -> Vec<Sql> {
    let mut out = vec![];
    for chunk in winners.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::new(
            "INSERT INTO order_events (id, merchant_id, order_id, from_status, to_status, actor_kind, actor_id, note, created_at)",
        );
        q.values(chunk, |q, &i| {
            let o = &batch[i].order;
            q.bind_row([
                uuid::Uuid::now_v7().to_string().into(),
                o.merchant_id.to_string().into(),
                o.id.to_string().into(),
                None::<String>.into(),
                o.status.as_str().into(),
                sweep_domain::order::ActorKind::Shopper.as_str().into(),
                Some(o.shopper_id.to_string()).into(),
                "flash sale".into(),
                o.created_at.unix_micros().into(),
            ]);
        });
        out.push(q);
        let mut q = Sql::new("INSERT INTO jobs (id, kind, payload, dedupe_key, status, run_at, attempts, created_at)");
        q.values(chunk, |q, &i| {
            let job = &batch[i].expire;
            q.bind_row([
                sweep_domain::ids::JobId::new().to_string().into(),
                job.kind.clone().into(),
                job.payload.clone().into(),
                job.dedupe_key.clone().into(),
                "queued".into(),
                job.run_at.unix_micros().into(),
                0i64.into(),
                now.unix_micros().into(),
            ]);
        });
        q.push(" ON CONFLICT (dedupe_key) DO NOTHING");
        out.push(q);
    }
    let feed = super::feed::batch_rows(winners.iter().map(|&i| &batch[i].order), now);
    out.extend(super::feed::insert_sql(&feed));
    out
}
