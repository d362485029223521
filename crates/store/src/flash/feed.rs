//! The sales feed: order steps append rows inside their own transactions (cheap, never
//! contended); a worker folds them into per-minute totals in batches and deletes them.

use std::collections::BTreeMap;

use sqlx::{Any, Transaction};
use sweep_app::ports::{SalesMinute, StoreResult};
use sweep_domain::Timestamp;
use sweep_domain::ids::{CardId, LocationId, MerchantId, OrderId};
use sweep_domain::order::Order;

use crate::Db;
use crate::sql::{Arg, Sql, err, get};

const ROWS_PER_STATEMENT: usize = 2000;

pub(crate) struct FeedRow {
    merchant_id: String,
    kind: &'static str,
    channel: &'static str,
    store_id: Option<String>,
    orders: i64,
    amount: i64,
    /// When it happened, by the use case's clock.
    at: Timestamp,
    /// The display card the order came through.
    card_id: Option<String>,
}

/// The store an order counts for: the one that influenced it, else where it is picked up.
fn store_of(o: &Order) -> Option<String> {
    o.influencer_store_id.or(o.pickup_store_id).map(|s| s.to_string())
}

/// One row per merchant, channel and store for a batch of orders placed `at`.
pub(crate) fn batch_rows<'a>(orders: impl Iterator<Item = &'a Order>, at: Timestamp) -> Vec<FeedRow> {
    type Key = (String, &'static str, Option<String>, Option<String>);
    let mut totals: BTreeMap<Key, (i64, i64)> = BTreeMap::new();
    for o in orders {
        let card = o.card_id.map(|c| c.to_string());
        let t = totals.entry((o.merchant_id.to_string(), o.channel.as_str(), store_of(o), card)).or_default();
        t.0 += 1;
        t.1 += o.total.minor();
    }
    totals
        .into_iter()
        .map(|((merchant_id, channel, store_id, card_id), (orders, amount))| FeedRow {
            merchant_id,
            kind: "placed",
            channel,
            store_id,
            orders,
            amount,
            at,
            card_id,
        })
        .collect()
}

/// The rows a newly written order adds: placed, and paid too when it was paid at once
/// (a till sale).
pub(crate) fn order_rows(o: &Order) -> Vec<FeedRow> {
    let mut rows = batch_rows(std::iter::once(o), o.created_at);
    let card_id = o.card_id.map(|c| c.to_string());
    if o.paid.minor() > 0 {
        rows.push(FeedRow {
            merchant_id: o.merchant_id.to_string(),
            kind: "paid",
            channel: o.channel.as_str(),
            store_id: store_of(o),
            orders: 1,
            amount: o.paid.minor(),
            at: o.created_at,
            card_id,
        });
    }
    rows
}

pub(crate) async fn insert(tx: &mut Transaction<'static, Any>, rows: &[FeedRow]) -> StoreResult<()> {
    for q in insert_sql(rows) {
        q.query().execute(&mut **tx).await.map_err(err)?;
    }
    Ok(())
}

/// The statements that append `rows` to the feed.
pub(crate) fn insert_sql(rows: &[FeedRow]) -> Vec<Sql> {
    rows.chunks(ROWS_PER_STATEMENT)
        .map(|chunk| {
            let mut q = Sql::new(
                "INSERT INTO sales_feed (id, merchant_id, kind, channel, store_id, orders, amount, created_at, card_id)",
            );
            q.values(chunk, |q, r| {
                q.bind_row([
                    uuid::Uuid::now_v7().to_string().into(),
                    r.merchant_id.clone().into(),
                    r.kind.into(),
                    r.channel.into(),
                    r.store_id.clone().into(),
                    r.orders.into(),
                    r.amount.into(),
                    r.at.unix_micros().into(),
                    r.card_id.clone().into(),
                ]);
            });
            q
        })
        .collect()
}

/// A payment landed on an order: one feed row, its channel and store read from the order.
pub(crate) async fn insert_paid(
    tx: &mut Transaction<'static, Any>,
    order: OrderId,
    amount: i64,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sales_feed (id, merchant_id, kind, channel, store_id, orders, amount, created_at, card_id)
         SELECT $1, merchant_id, 'paid', channel, COALESCE(influencer_store_id, pickup_store_id), 1, $3, $4, card_id
           FROM orders WHERE id = $2",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(order.to_string())
    .bind(amount)
    .bind(now.unix_micros())
    .execute(&mut **tx)
    .await
    .map_err(err)?;
    // Its lines, for the products' totals (a line is paid once: its id keys the row).
    sqlx::query(
        "INSERT INTO sales_feed_products (id, merchant_id, product_id, units, amount, created_at)
         SELECT id, merchant_id, product_id, quantity, total, $2 FROM order_lines WHERE order_id = $1
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(order.to_string())
    .bind(now.unix_micros())
    .execute(&mut **tx)
    .await
    .map_err(err)?;
    Ok(())
}

/// A step of the scan funnel (`scan`, `view` or `cart`) through a display card.
pub(crate) struct CardStep {
    pub kind: &'static str,
    pub card: CardId,
    pub store: LocationId,
    pub at: Timestamp,
}

/// Appends a funnel step to the feed, for the cards' day totals.
pub(crate) async fn insert_card_step(
    tx: &mut Transaction<'static, Any>,
    merchant: MerchantId,
    step: CardStep,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sales_feed (id, merchant_id, kind, channel, store_id, orders, amount, created_at, card_id)
         VALUES ($1, $2, $3, '', $4, 1, 0, $5, $6)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(merchant.to_string())
    .bind(step.kind)
    .bind(step.store.to_string())
    .bind(step.at.unix_micros())
    .bind(step.card.to_string())
    .execute(&mut **tx)
    .await
    .map_err(err)?;
    Ok(())
}

/// The paid lines of an order paid as it was written (a till sale).
pub(crate) async fn insert_paid_lines(tx: &mut Transaction<'static, Any>, o: &Order) -> StoreResult<()> {
    if o.paid.minor() == 0 || o.lines.is_empty() {
        return Ok(());
    }
    for chunk in o.lines.chunks(ROWS_PER_STATEMENT) {
        let mut q =
            Sql::new("INSERT INTO sales_feed_products (id, merchant_id, product_id, units, amount, created_at)");
        q.values(chunk, |q, l| {
            q.bind_row([
                l.id.to_string().into(),
                o.merchant_id.to_string().into(),
                l.product_id.to_string().into(),
                l.quantity.into(),
                l.total.minor().into(),
                o.created_at.unix_micros().into(),
            ]);
        });
        q.into_query().execute(&mut **tx).await.map_err(err)?;
    }
    Ok(())
}

type MinuteKey = (String, i64, String);

/// A card's day: its store, and scans, views, carts, orders, paid orders, paid money.
#[derive(Default)]
struct CardDay {
    store: String,
    counts: [i64; 6],
}

/// The day number (days since the epoch) in China Standard Time of a moment in micros.
pub(crate) fn cst_day(micros: i64) -> i64 {
    (micros.div_euclid(1_000_000) + 8 * 3600).div_euclid(86_400)
}

pub(crate) async fn fold(db: &Db, limit: i64) -> StoreResult<usize> {
    let mut tx = db.begin().await.map_err(err)?;
    // DELETE ... RETURNING hands each row to exactly one folder, even with several
    // processes folding at once on PostgreSQL.
    let rows = sqlx::query(
        "DELETE FROM sales_feed WHERE id IN (SELECT id FROM sales_feed ORDER BY id LIMIT $1)
         RETURNING merchant_id, kind, channel, store_id, orders, amount, created_at, card_id",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
    .map_err(err)?;
    if rows.is_empty() {
        let products = fold_products(&mut tx, limit).await?;
        tx.commit().await.map_err(err)?;
        return Ok(products);
    }
    let mut totals: BTreeMap<MinuteKey, [i64; 4]> = BTreeMap::new();
    let mut stores: BTreeMap<(String, i64, String), [i64; 3]> = BTreeMap::new();
    let mut channels: BTreeMap<(String, i64, String), [i64; 4]> = BTreeMap::new();
    let mut cards: BTreeMap<(String, i64, String), CardDay> = BTreeMap::new();
    for r in &rows {
        let at = get::<i64>(r, "created_at")?;
        let minute = at.div_euclid(60_000_000);
        let merchant: String = get(r, "merchant_id")?;
        let channel: String = get(r, "channel")?;
        let (orders, amount): (i64, i64) = (get(r, "orders")?, get(r, "amount")?);
        let kind: String = get(r, "kind")?;
        if let Some(card) = get::<Option<String>>(r, "card_id")? {
            let c = cards.entry((merchant.clone(), cst_day(at), card)).or_default();
            // Steps carry the card's own store; orders through a card are credited to it.
            if let Some(store) = get::<Option<String>>(r, "store_id")? {
                c.store = store;
            }
            let column = match kind.as_str() {
                "scan" => &mut c.counts[0],
                "view" => &mut c.counts[1],
                "cart" => &mut c.counts[2],
                "placed" => &mut c.counts[3],
                "paid" => {
                    c.counts[5] += amount;
                    &mut c.counts[4]
                }
                _ => continue,
            };
            *column += orders;
        }
        if !matches!(kind.as_str(), "placed" | "paid") {
            continue;
        }
        let paid = kind == "paid";
        let column = if paid { 2 } else { 0 };
        let t = totals.entry((merchant.clone(), minute, channel.clone())).or_default();
        t[column] += orders;
        t[column + 1] += amount;
        let c = channels.entry((merchant.clone(), cst_day(at), channel)).or_default();
        c[column] += orders;
        c[column + 1] += amount;
        if let Some(store) = get::<Option<String>>(r, "store_id")? {
            let s = stores.entry((merchant, cst_day(at), store)).or_default();
            if paid {
                s[1] += orders;
                s[2] += amount;
            } else {
                s[0] += orders;
            }
        }
    }
    let stores: Vec<((String, i64, String), [i64; 3])> = stores.into_iter().collect();
    for chunk in stores.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::new("INSERT INTO sales_store_days (merchant_id, day, store_id, placed, paid, paid_amount)");
        q.values(chunk, |q, ((merchant, day, store), t)| {
            q.bind_row([
                merchant.clone().into(),
                (*day).into(),
                store.clone().into(),
                t[0].into(),
                t[1].into(),
                t[2].into(),
            ]);
        });
        q.push(
            " ON CONFLICT (merchant_id, day, store_id) DO UPDATE SET
                placed = sales_store_days.placed + excluded.placed,
                paid = sales_store_days.paid + excluded.paid,
                paid_amount = sales_store_days.paid_amount + excluded.paid_amount",
        );
        q.into_query().execute(&mut *tx).await.map_err(err)?;
    }
    let totals: Vec<(MinuteKey, [i64; 4])> = totals.into_iter().collect();
    for chunk in totals.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::new(
            "INSERT INTO sales_minutes (merchant_id, minute, channel, placed, placed_amount, paid, paid_amount)",
        );
        q.values(chunk, |q, ((merchant, minute, channel), t)| {
            q.bind_row([
                merchant.clone().into(),
                (*minute).into(),
                channel.clone().into(),
                t[0].into(),
                t[1].into(),
                t[2].into(),
                t[3].into(),
            ]);
        });
        q.push(
            " ON CONFLICT (merchant_id, minute, channel) DO UPDATE SET
                placed = sales_minutes.placed + excluded.placed,
                placed_amount = sales_minutes.placed_amount + excluded.placed_amount,
                paid = sales_minutes.paid + excluded.paid,
                paid_amount = sales_minutes.paid_amount + excluded.paid_amount",
        );
        q.into_query().execute(&mut *tx).await.map_err(err)?;
    }
    let channels: Vec<((String, i64, String), [i64; 4])> = channels.into_iter().collect();
    for chunk in channels.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::new(
            "INSERT INTO sales_channel_days (merchant_id, day, channel, placed, placed_amount, paid, paid_amount)",
        );
        q.values(chunk, |q, ((merchant, day, channel), t)| {
            q.bind_row([
                merchant.clone().into(),
                (*day).into(),
                channel.clone().into(),
                t[0].into(),
                t[1].into(),
                t[2].into(),
                t[3].into(),
            ]);
        });
        q.push(
            " ON CONFLICT (merchant_id, day, channel) DO UPDATE SET
                placed = sales_channel_days.placed + excluded.placed,
                placed_amount = sales_channel_days.placed_amount + excluded.placed_amount,
                paid = sales_channel_days.paid + excluded.paid,
                paid_amount = sales_channel_days.paid_amount + excluded.paid_amount",
        );
        q.into_query().execute(&mut *tx).await.map_err(err)?;
    }
    let cards: Vec<((String, i64, String), CardDay)> = cards.into_iter().collect();
    for chunk in cards.chunks(ROWS_PER_STATEMENT / 2) {
        let mut q = Sql::new(
            "INSERT INTO sales_card_days (merchant_id, day, card_id, store_id, scans, views, carts, orders, \
             paid_orders, paid_amount)",
        );
        q.values(chunk, |q, ((merchant, day, card), c)| {
            q.bind(merchant.clone()).push(", ").bind(*day).push(", ").bind(card.clone()).push(", ");
            q.bind(c.store.clone()).push(", ");
            q.bind_row(c.counts.map(Arg::from));
        });
        q.push(
            " ON CONFLICT (merchant_id, day, card_id) DO UPDATE SET
                scans = sales_card_days.scans + excluded.scans,
                views = sales_card_days.views + excluded.views,
                carts = sales_card_days.carts + excluded.carts,
                orders = sales_card_days.orders + excluded.orders,
                paid_orders = sales_card_days.paid_orders + excluded.paid_orders,
                paid_amount = sales_card_days.paid_amount + excluded.paid_amount",
        );
        q.into_query().execute(&mut *tx).await.map_err(err)?;
    }
    let products = fold_products(&mut tx, limit).await?;
    tx.commit().await.map_err(err)?;
    Ok(rows.len() + products)
}

/// Folds paid lines into the products' day totals, as `fold` does the orders.
async fn fold_products(tx: &mut Transaction<'static, Any>, limit: i64) -> StoreResult<usize> {
    let rows = sqlx::query(
        "DELETE FROM sales_feed_products WHERE id IN (SELECT id FROM sales_feed_products ORDER BY id LIMIT $1)
         RETURNING merchant_id, product_id, units, amount, created_at",
    )
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
    .map_err(err)?;
    let mut totals: BTreeMap<(String, i64, String), [i64; 2]> = BTreeMap::new();
    for r in &rows {
        let day = cst_day(get(r, "created_at")?);
        let t = totals.entry((get(r, "merchant_id")?, day, get(r, "product_id")?)).or_default();
        t[0] += get::<i64>(r, "units")?;
        t[1] += get::<i64>(r, "amount")?;
    }
    let totals: Vec<((String, i64, String), [i64; 2])> = totals.into_iter().collect();
    for chunk in totals.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::new("INSERT INTO sales_product_days (merchant_id, day, product_id, units, paid_amount)");
        q.values(chunk, |q, ((merchant, day, product), t)| {
            q.bind_row([merchant.clone().into(), (*day).into(), product.clone().into(), t[0].into(), t[1].into()]);
        });
        q.push(
            " ON CONFLICT (merchant_id, day, product_id) DO UPDATE SET
                units = sales_product_days.units + excluded.units,
                paid_amount = sales_product_days.paid_amount + excluded.paid_amount",
        );
        q.into_query().execute(&mut **tx).await.map_err(err)?;
    }
    Ok(rows.len())
}

pub(super) async fn minutes(db: &Db, merchant: MerchantId, since: i64) -> StoreResult<Vec<SalesMinute>> {
    let rows = sqlx::query(
        "SELECT minute, channel, placed, placed_amount, paid, paid_amount FROM sales_minutes
          WHERE merchant_id = $1 AND minute >= $2 ORDER BY minute, channel",
    )
    .bind(merchant.to_string())
    .bind(since)
    .fetch_all(db.reader())
    .await
    .map_err(err)?;
    rows.iter()
        .map(|r| {
            Ok(SalesMinute {
                minute: get(r, "minute")?,
                channel: get(r, "channel")?,
                placed: get(r, "placed")?,
                placed_amount: get(r, "placed_amount")?,
                paid: get(r, "paid")?,
                paid_amount: get(r, "paid_amount")?,
            })
        })
        .collect()
}
