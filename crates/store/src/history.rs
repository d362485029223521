//! A realistic sales history for a merchant, written straight into the tables: members,
//! finished orders across channels, stores and days (with their lines, shipments,
//! payments and events), display-card scans, and the sales feed, folded into the day
//! totals as live orders are. For demos and for measuring the console at scale (up to
//! ten million orders). Every order is finished (completed, cancelled, expired or
//! refunded), so no stock is held and `sweep check` stays clean.

use std::collections::BTreeMap;

use sweep_domain::Timestamp;
use sweep_domain::ids::MerchantId;

use crate::Db;
use crate::sql::{Arg, Sql, err, get};
use sweep_app::ports::{StoreError, StoreResult};

/// Orders written per transaction.
const BATCH: usize = 2_000;
/// Rows per INSERT statement (SQLite allows 32,766 parameters per statement).
const ROWS_PER_INSERT: usize = 500;

#[derive(Debug, Clone)]
pub struct HistoryPlan {
    pub merchant: MerchantId,
    pub orders: u64,
    /// Days of history, ending with the day of `until`.
    pub days: u32,
    pub until: Timestamp,
    /// The same seed writes the same history (ids aside).
    pub seed: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryReport {
    pub orders: u64,
    pub lines: u64,
    pub members: u64,
    pub scans: u64,
    pub paid_amount: i64,
}

/// splitmix64: a small, fast, seedable generator for made-up data (not for secrets).
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// Picks an index by weight.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut r = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }

    /// Skewed towards the front: a few regulars place many orders.
    fn skewed(&mut self, n: usize) -> usize {
        let u = (self.below(1 << 20) as f64) / (1u64 << 20) as f64;
        ((u * u) * n as f64) as usize % n.max(1)
    }
}

/// Channels and how often each is used: phones first, then the till.
const CHANNELS: [(&str, u64); 6] =
    [("wechat", 38), ("alipay", 14), ("mobile", 14), ("pos", 24), ("web", 8), ("api", 2)];
/// Orders by hour of day (China Standard Time): lunch and the evening peak.
const HOURS: [u64; 24] = [2, 1, 1, 1, 1, 1, 2, 4, 6, 8, 10, 12, 14, 12, 10, 9, 9, 11, 13, 16, 18, 16, 10, 5];

/// A display card: id, store, campaign, product, SKU.
type CardRow = (String, String, Option<String>, String, String);

struct Sku {
    id: String,
    product_id: String,
    name_zh: String,
    name_en: String,
    label: String,
    price: i64,
}

fn v7(at_micros: i64, dice: &mut Dice) -> String {
    let secs = at_micros.div_euclid(1_000_000) as u64;
    let nanos = (at_micros.rem_euclid(1_000_000) * 1000) as u32;
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, nanos);
    let mut bytes = *uuid::Uuid::new_v7(ts).as_bytes();
    // The random tail from our dice keeps ids unique within one microsecond.
    bytes[8..16].copy_from_slice(&dice.next().to_be_bytes());
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// Hour, channel, store, card.
type SalesKey = (i64, &'static str, Option<String>, Option<String>);

/// The history's sales feed, summed by hour: orders by (channel, store, card), paid
/// lines by product, and funnel steps by (kind, card, store).
#[derive(Default)]
struct Feed {
    sales: BTreeMap<SalesKey, [i64; 4]>,
    products: BTreeMap<(i64, String), [i64; 2]>,
    steps: BTreeMap<(i64, &'static str, String, String), i64>,
}

struct Rows {
    orders: Vec<Vec<Arg>>,
    shipments: Vec<Vec<Arg>>,
    lines: Vec<Vec<Arg>>,
    payments: Vec<Vec<Arg>>,
    events: Vec<Vec<Arg>>,
    scans: Vec<Vec<Arg>>,
    steps: Vec<Vec<Arg>>,
    sandbox: Vec<Vec<Arg>>,
    refunds: Vec<Vec<Arg>>,
}

impl Rows {
    fn new() -> Rows {
        Rows {
            orders: vec![],
            shipments: vec![],
            lines: vec![],
            payments: vec![],
            events: vec![],
            scans: vec![],
            steps: vec![],
            sandbox: vec![],
            refunds: vec![],
        }
    }

    fn len(&self) -> usize {
        self.orders.len()
    }
}

const ORDER_INSERT: &str = "INSERT INTO orders (id, merchant_id, number, shopper_id, status, fulfilment, channel, influencer_store_id, \
     influencer_clerk_id, card_id, campaign_id, pickup_store_id, address, currency, subtotal, discount, delivery_fee, \
     total, paid, refunded, pay_by, paid_at, completed_at, pickup_deadline, created_at, updated_at, points_used, sale_id, \
     till_id, offline, coupon_id, coupon_discount, flash_sale_id)";

async fn insert(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    head: &'static str,
    rows: Vec<Vec<Arg>>,
) -> StoreResult<()> {
    let mut rows = rows;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(ROWS_PER_INSERT));
        let mut q = Sql::new(head);
        q.values(&rows, |q, r| {
            q.bind_row(r.iter().cloned());
        });
        let sqlite = tx.backend_name().eq_ignore_ascii_case("sqlite");
        q.into_query_on(sqlite).execute(&mut **tx).await.map_err(err)?;
        rows = rest;
    }
    Ok(())
}

impl Db {
    /// Writes `plan.orders` finished orders for the merchant over `plan.days` days,
    /// calling `progress` with the orders written so far after each batch.
    pub async fn generate_history(
        &self,
        plan: &HistoryPlan,
        progress: &(dyn Fn(u64) + Sync),
    ) -> StoreResult<HistoryReport> {
        let m = plan.merchant.to_string();
        let mut dice = Dice(plan.seed ^ 0x5EED);
        let stores: Vec<(String, String)> = sqlx::query(
            "SELECT id, code FROM locations WHERE merchant_id = $1 AND kind = 'store' AND status = 'active' ORDER BY code",
        )
        .bind(&m)
        .fetch_all(self.reader())
        .await
        .map_err(err)?
        .iter()
        .map(|r| Ok((get(r, "id")?, get(r, "code")?)))
        .collect::<StoreResult<_>>()?;
        let warehouse: Option<String> = sqlx::query(
            "SELECT id FROM locations WHERE merchant_id = $1 AND kind = 'warehouse' AND status = 'active' ORDER BY code LIMIT 1",
        )
        .bind(&m)
        .fetch_optional(self.reader())
        .await
        .map_err(err)?
        .map(|r| get(&r, "id"))
        .transpose()?;
        let skus: Vec<Sku> = sqlx::query(
            "SELECT s.id, s.product_id, s.code, s.base_price, p.name_zh, p.name_en FROM skus s
               JOIN products p ON p.id = s.product_id
              WHERE s.merchant_id = $1 AND s.status = 'active' AND p.status = 'active' ORDER BY s.code",
        )
        .bind(&m)
        .fetch_all(self.reader())
        .await
        .map_err(err)?
        .iter()
        .map(|r| {
            Ok(Sku {
                id: get(r, "id")?,
                product_id: get(r, "product_id")?,
                label: get(r, "code")?,
                price: get::<i64>(r, "base_price")?.max(100),
                name_zh: get(r, "name_zh")?,
                name_en: get(r, "name_en")?,
            })
        })
        .collect::<StoreResult<_>>()?;
        if stores.is_empty() || skus.is_empty() {
            return Err(StoreError::Other("the merchant needs an active store and an active SKU first".into()));
        }
        // Display cards per store, for scans and the orders that came through them.
        let cards: Vec<CardRow> = sqlx::query(
            "SELECT id, store_id, campaign_id, product_id, sku_id FROM display_cards
              WHERE merchant_id = $1 AND status = 'active' ORDER BY code",
        )
        .bind(&m)
        .fetch_all(self.reader())
        .await
        .map_err(err)?
        .iter()
        .map(|r| {
            Ok((get(r, "id")?, get(r, "store_id")?, get(r, "campaign_id")?, get(r, "product_id")?, get(r, "sku_id")?))
        })
        .collect::<StoreResult<_>>()?;

        let until_day = (plan.until.unix_seconds() + 8 * 3600).div_euclid(86_400);
        let first_day = until_day - i64::from(plan.days.max(1)) + 1;
        let day_start = |day: i64| (day * 86_400 - 8 * 3600) * 1_000_000;
        let mut report = HistoryReport::default();

        // Members: one for every six orders, joined over the period (a third before it).
        let members_wanted = (plan.orders / 6).max(50);
        let existing: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM shoppers WHERE merchant_id = $1 AND phone LIKE '170%'")
                .bind(&m)
                .fetch_one(self.reader())
                .await
                .map_err(err)
                .and_then(|r| get(&r, "n"))?;
        let mut members: Vec<String> = Vec::with_capacity(members_wanted as usize);
        let span = (until_day - first_day + 1) * 86_400 * 1_000_000;
        let mut member_rows = vec![];
        let mut points_rows = vec![];
        let mut joined: Vec<i64> = (0..members_wanted)
            .map(|_| day_start(first_day) - span / 2 + (dice.below((span + span / 2) as u64) as i64))
            .collect();
        joined.sort_unstable();
        let mut joined_points: Vec<(i64, i64)> = Vec::with_capacity(joined.len());
        for (i, at) in joined.into_iter().enumerate() {
            let at = at.min(plan.until.unix_micros());
            let id = v7(at, &mut dice);
            let phone = format!("170{:08}", existing as u64 + i as u64);
            let (channel, _) = CHANNELS[dice.weighted(&CHANNELS.map(|c| c.1))];
            let store = (channel == "pos").then(|| stores[dice.skewed(stores.len())].0.clone());
            let points = if dice.below(10) < 4 { 10 + dice.below(3000) as i64 } else { 0 };
            joined_points.push((at, points));
            member_rows.push(vec![
                Arg::from(id.clone()),
                m.clone().into(),
                phone.clone().into(),
                format!("会员{}", &phone[7..]).into(),
                at.into(),
                "member".into(),
                points.into(),
                (if channel == "pos" { "pos" } else { "mobile" }).into(),
                Arg::from(store),
            ]);
            if points > 0 {
                points_rows.push(vec![
                    Arg::from(v7(at, &mut dice)),
                    m.clone().into(),
                    id.clone().into(),
                    "earn".into(),
                    points.into(),
                    format!("history:{id}").into(),
                    Arg::from(None::<String>),
                    Arg::from(None::<String>),
                    "历史积分 · history".into(),
                    Arg::from(None::<i64>),
                    at.into(),
                ]);
            }
            members.push(id);
            if member_rows.len() >= BATCH * 5 {
                self.write_members(std::mem::take(&mut member_rows), std::mem::take(&mut points_rows)).await?;
            }
        }
        self.write_members(member_rows, points_rows).await?;
        report.members = members.len() as u64;
        self.write_member_history(&m, first_day, until_day, &joined_points).await?;

        // Orders per day: weekends busier, 11 November six times an ordinary day.
        let weights: Vec<u64> = (first_day..=until_day)
            .map(|day| {
                let date = Timestamp::from_unix_micros(day_start(day) + 12 * 3_600_000_000).to_offset_datetime();
                let weekend = (day + 4).rem_euclid(7) >= 5;
                let double_11 = u8::from(date.month()) == 11 && date.day() == 11;
                if double_11 {
                    60
                } else if weekend {
                    13
                } else {
                    10
                }
            })
            .collect();
        let weight_sum: u64 = weights.iter().sum();
        // (hour, channel, store) → [placed, placed amount, paid, paid amount]; (hour, product) → [units, amount].
        let mut feed = Feed::default();
        let catalog =
            Catalog { stores: &stores, warehouse: warehouse.as_deref(), skus: &skus, members: &members, cards: &cards };
        let mut rows = Rows::new();
        let mut written = 0u64;
        let mut carried = 0u64;
        for (d, day) in (first_day..=until_day).enumerate() {
            // Spread the orders by weight; the remainder is carried to the next day.
            let share = plan.orders * weights[d] + carried;
            let n = share / weight_sum;
            carried = share % weight_sum;
            let n = if day == until_day { plan.orders - written - rows.len() as u64 } else { n };
            let mut times: Vec<i64> = (0..n)
                .map(|_| {
                    let hour = dice.weighted(&HOURS) as i64;
                    day_start(day) + hour * 3_600_000_000 + dice.below(3_600_000_000) as i64
                })
                .collect();
            // Today: nothing after now.
            let (start, until) = (day_start(day), plan.until.unix_micros());
            for t in times.iter_mut().filter(|t| **t > until) {
                *t = start + dice.below((until - start + 1).max(1) as u64) as i64;
            }
            times.sort_unstable();
            let date = Timestamp::from_unix_micros(day_start(day) + 3_600_000_000).to_offset_datetime();
            let prefix = format!("{:02}{:02}{:02}", date.year() % 100, u8::from(date.month()), date.day());
            for (seq, at) in times.into_iter().enumerate() {
                let draft = OrderDraft { m: &m, at, number: format!("{prefix}9{seq:07}") };
                one_order(draft, &mut dice, &catalog, &mut rows, &mut feed, &mut report);
                if rows.len() >= BATCH {
                    written += rows.len() as u64;
                    self.write_orders(std::mem::replace(&mut rows, Rows::new())).await?;
                    progress(written);
                }
            }
        }
        written += rows.len() as u64;
        self.write_orders(rows).await?;
        progress(written);
        report.orders = written;
        self.write_feed(&m, feed, &mut dice).await?;
        Ok(report)
    }

    /// Each day's member snapshot: the members there were before (counted as having
    /// joined before the history) plus those the history added by the day's end.
    async fn write_member_history(
        &self,
        m: &str,
        first_day: i64,
        until_day: i64,
        joined: &[(i64, i64)],
    ) -> StoreResult<()> {
        let before = sqlx::query(
            "SELECT COUNT(*) AS members, CAST(COALESCE(SUM(CASE WHEN points > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS holding,
                    CAST(COALESCE(SUM(points), 0) AS BIGINT) AS points
               FROM shoppers WHERE merchant_id = $1 AND kind = 'member' AND phone NOT LIKE '170%'",
        )
        .bind(m)
        .fetch_one(self.reader())
        .await
        .map_err(err)?;
        let (mut members, mut holding, mut points): (i64, i64, i64) =
            (get(&before, "members")?, get(&before, "holding")?, get(&before, "points")?);
        // Only this run's members are in `joined`; earlier runs' count as before.
        let earlier = sqlx::query(
            "SELECT COUNT(*) AS members, CAST(COALESCE(SUM(CASE WHEN points > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS holding,
                    CAST(COALESCE(SUM(points), 0) AS BIGINT) AS points
               FROM shoppers WHERE merchant_id = $1 AND kind = 'member' AND phone LIKE '170%'",
        )
        .bind(m)
        .fetch_one(self.reader())
        .await
        .map_err(err)?;
        members += get::<i64>(&earlier, "members")? - joined.len() as i64;
        holding += get::<i64>(&earlier, "holding")? - joined.iter().filter(|j| j.1 > 0).count() as i64;
        points += get::<i64>(&earlier, "points")? - joined.iter().map(|j| j.1).sum::<i64>();
        let mut next = joined.iter().peekable();
        for day in (first_day - 1)..=until_day {
            let end = ((day + 1) * 86_400 - 8 * 3600) * 1_000_000;
            while let Some((at, p)) = next.next_if(|(at, _)| *at < end) {
                let _ = at;
                members += 1;
                holding += i64::from(*p > 0);
                points += p;
            }
            crate::analytics::write_member_days(self, day, &[(m.to_string(), members, holding, points)]).await?;
        }
        Ok(())
    }

    async fn write_members(&self, members: Vec<Vec<Arg>>, points: Vec<Vec<Arg>>) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        insert(
            &mut tx,
            "INSERT INTO shoppers (id, merchant_id, phone, display_name, created_at, kind, points, joined_channel, joined_store_id)",
            members,
        )
        .await?;
        insert(
            &mut tx,
            "INSERT INTO points_entries (id, merchant_id, shopper_id, kind, delta, source, order_id, store_id, note, expires_at, created_at)",
            points,
        )
        .await?;
        tx.commit().await.map_err(err)
    }

    async fn write_orders(&self, rows: Rows) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        insert(&mut tx, ORDER_INSERT, rows.orders).await?;
        insert(
            &mut tx,
            "INSERT INTO shipments (id, merchant_id, order_id, location_id, status, carrier, tracking_number, shipped_at, delivered_at)",
            rows.shipments,
        )
        .await?;
        insert(
            &mut tx,
            "INSERT INTO order_lines (id, merchant_id, order_id, shipment_id, sku_id, product_id, name_zh, name_en, sku_label, \
             unit_price, list_price, quantity, subtotal, discount, total, returned_quantity, refunded)",
            rows.lines,
        )
        .await?;
        insert(
            &mut tx,
            "INSERT INTO payments (id, merchant_id, order_id, provider, out_trade_no, amount, status, provider_txn_id, \
             captured_at, refunded, created_at)",
            rows.payments,
        )
        .await?;
        insert(
            &mut tx,
            "INSERT INTO refunds (id, merchant_id, order_id, payment_id, out_refund_no, amount, reason, status, \
             created_at, completed_at)",
            rows.refunds,
        )
        .await?;
        insert(
            &mut tx,
            "INSERT INTO order_events (id, merchant_id, order_id, from_status, to_status, actor_kind, actor_id, note, created_at)",
            rows.events,
        )
        .await?;
        insert(
            &mut tx,
            "INSERT INTO card_scans (id, merchant_id, card_id, store_id, campaign_id, browser, counted, created_at)",
            rows.scans,
        )
        .await?;
        insert(
            &mut tx,
            "INSERT INTO sandbox_transactions (out_trade_no, merchant_id, transaction_id, amount, description, \
             notify_url, return_url, status, refunded, paid_at, created_at)",
            rows.sandbox,
        )
        .await?;
        insert(
            &mut tx,
            "INSERT INTO funnel_events (merchant_id, kind, visitor, subject, card_id, store_id, campaign_id, created_at)",
            rows.steps,
        )
        .await?;
        tx.commit().await.map_err(err)
    }

    /// The sales feed of the history, by hour, folded into the day totals the way live
    /// orders' rows are.
    async fn write_feed(&self, m: &str, feed: Feed, dice: &mut Dice) -> StoreResult<()> {
        let mut rows = vec![];
        for ((hour, kind, card, store), n) in feed.steps {
            let at = hour * 3_600_000_000 + 1_800_000_000;
            rows.push(vec![
                Arg::from(v7(at, dice)),
                m.into(),
                kind.into(),
                "".into(),
                Arg::from(Some(store)),
                n.into(),
                0i64.into(),
                at.into(),
                Arg::from(Some(card)),
            ]);
        }
        for ((hour, channel, store, card), t) in feed.sales {
            let at = hour * 3_600_000_000 + 1_800_000_000;
            for (kind, orders, amount) in [("placed", t[0], t[1]), ("paid", t[2], t[3])] {
                if orders > 0 {
                    rows.push(vec![
                        Arg::from(v7(at, dice)),
                        m.into(),
                        kind.into(),
                        channel.into(),
                        Arg::from(store.clone()),
                        orders.into(),
                        amount.into(),
                        at.into(),
                        Arg::from(card.clone()),
                    ]);
                }
            }
        }
        let product_rows = feed
            .products
            .into_iter()
            .map(|((hour, product), t)| {
                let at = hour * 3_600_000_000 + 1_800_000_000;
                vec![Arg::from(v7(at, dice)), m.into(), product.into(), t[0].into(), t[1].into(), at.into()]
            })
            .collect();
        let mut tx = self.begin().await.map_err(err)?;
        insert(
            &mut tx,
            "INSERT INTO sales_feed (id, merchant_id, kind, channel, store_id, orders, amount, created_at, card_id)",
            rows,
        )
        .await?;
        insert(
            &mut tx,
            "INSERT INTO sales_feed_products (id, merchant_id, product_id, units, amount, created_at)",
            product_rows,
        )
        .await?;
        tx.commit().await.map_err(err)?;
        while crate::flash::feed::fold(self, 5_000).await? > 0 {}
        // A bulk load outruns PostgreSQL's autovacuum: without fresh statistics the
        // planner scans whole tables for a page of orders until it next analyzes them.
        if self.backend() == crate::Backend::Postgres {
            sqlx::query(
                "ANALYZE orders, order_lines, shipments, payments, order_events, shoppers, points_entries, \
                 card_scans, funnel_events, sandbox_transactions",
            )
            .execute(self.writer())
            .await
            .map_err(err)?;
        }
        Ok(())
    }
}

struct OrderDraft<'a> {
    m: &'a str,
    at: i64,
    number: String,
}

struct Catalog<'a> {
    stores: &'a [(String, String)],
    warehouse: Option<&'a str>,
    skus: &'a [Sku],
    members: &'a [String],
    cards: &'a [CardRow],
}

/// One finished order with its rows, added to the batch and to the feed totals.
fn one_order(
    o: OrderDraft<'_>,
    dice: &mut Dice,
    c: &Catalog<'_>,
    rows: &mut Rows,
    feed: &mut Feed,
    report: &mut HistoryReport,
) {
    let at = o.at;
    let number = o.number;
    let id = v7(at, dice);
    let (channel, _) = CHANNELS[dice.weighted(&CHANNELS.map(|c| c.1))];
    let store = &c.stores[dice.skewed(c.stores.len())];
    let shopper = &c.members[dice.skewed(c.members.len())];
    let pos = channel == "pos";
    let fulfilment = if pos {
        "in_store"
    } else if dice.below(10) < 6 || c.warehouse.is_none() {
        "pickup"
    } else {
        "delivery"
    };
    // A fifth of phone orders came through a display card in the store.
    let card = (!pos && matches!(channel, "wechat" | "alipay" | "mobile") && dice.below(5) == 0 && !c.cards.is_empty())
        .then(|| &c.cards[dice.below(c.cards.len() as u64) as usize]);
    let influencer = card.map(|k| k.1.clone()).or_else(|| (pos || fulfilment == "pickup").then(|| store.0.clone()));
    let from = if fulfilment == "delivery" { c.warehouse.unwrap_or(&store.0).to_string() } else { store.0.clone() };
    // Terminal states only: most completed, some never paid, a few refunded.
    let roll = dice.below(100);
    let (status, paid_flag, refunded_flag) = if pos || roll < 88 {
        ("completed", true, false)
    } else if roll < 92 {
        ("refunded", true, true)
    } else if roll < 96 {
        ("cancelled", false, false)
    } else {
        ("expired", false, false)
    };
    let shipment_status = match (status, fulfilment) {
        ("completed", "delivery") => "delivered",
        ("completed", _) => "delivered",
        _ => "cancelled",
    };
    let shipment_id = v7(at, dice);
    let mut subtotal = 0i64;
    let mut seen = vec![];
    for _ in 0..(1 + dice.weighted(&[70, 22, 8])) {
        let sku = &c.skus[dice.skewed(c.skus.len())];
        if seen.contains(&sku.id) {
            continue;
        }
        seen.push(sku.id.clone());
        let quantity = 1 + dice.weighted(&[80, 15, 5]) as i64;
        let total = sku.price * quantity;
        subtotal += total;
        report.lines += 1;
        rows.lines.push(vec![
            Arg::from(v7(at, dice)),
            o.m.into(),
            id.clone().into(),
            shipment_id.clone().into(),
            sku.id.clone().into(),
            sku.product_id.clone().into(),
            sku.name_zh.clone().into(),
            sku.name_en.clone().into(),
            sku.label.clone().into(),
            sku.price.into(),
            sku.price.into(),
            quantity.into(),
            total.into(),
            0i64.into(),
            total.into(),
            (if refunded_flag { quantity } else { 0 }).into(),
            (if refunded_flag { total } else { 0 }).into(),
        ]);
        if paid_flag {
            let hour = at.div_euclid(3_600_000_000);
            let p = feed.products.entry((hour, sku.product_id.clone())).or_default();
            p[0] += quantity;
            p[1] += total;
        }
    }
    let delivery_fee = if fulfilment == "delivery" && subtotal < 9900 { 800 } else { 0 };
    let total = subtotal + delivery_fee;
    let paid = if paid_flag { total } else { 0 };
    let refunded = if refunded_flag { total } else { 0 };
    let paid_at = paid_flag.then_some(at + 40_000_000);
    let done_at = at + 3_600_000_000;
    let address = (fulfilment == "delivery").then(|| {
            r#"{"recipient":"顾客","phone":"13800138000","city":"杭州","district":"西湖区","detail":"文三路 1 号","point":{"lat":30.2741,"lng":120.1551}}"#
                .to_string()
        });
    rows.orders.push(vec![
        Arg::from(id.clone()),
        o.m.into(),
        number.clone().into(),
        shopper.clone().into(),
        status.into(),
        fulfilment.into(),
        channel.into(),
        Arg::from(influencer.clone()),
        Arg::from(None::<String>),
        Arg::from(card.map(|k| k.0.clone())),
        Arg::from(card.and_then(|k| k.2.clone())),
        Arg::from((fulfilment != "delivery").then(|| store.0.clone())),
        Arg::from(address),
        "CNY".into(),
        subtotal.into(),
        0i64.into(),
        delivery_fee.into(),
        total.into(),
        paid.into(),
        refunded.into(),
        (at + 900_000_000).into(),
        Arg::from(paid_at),
        Arg::from(Some(done_at)),
        Arg::from(None::<i64>),
        at.into(),
        done_at.into(),
        0i64.into(),
        Arg::from(pos.then(|| format!("history-{id}"))),
        Arg::from(pos.then(|| "till-1".to_string())),
        0i64.into(),
        Arg::from(None::<String>),
        0i64.into(),
        Arg::from(None::<String>),
    ]);
    rows.shipments.push(vec![
        Arg::from(shipment_id),
        o.m.into(),
        id.clone().into(),
        from.into(),
        shipment_status.into(),
        Arg::from(None::<String>),
        Arg::from(None::<String>),
        Arg::from((fulfilment == "delivery" && paid_flag).then_some(at + 7_200_000_000)),
        Arg::from((shipment_status == "delivered").then_some(done_at)),
    ]);
    if paid_flag {
        // Online payments went through the sandbox provider, whose books get the
        // transaction too, so the console can refund them; the till took cash.
        let provider = if pos { "cash" } else { "sandbox" };
        let out_trade_no = format!("H{}", id.replace('-', ""));
        if !pos {
            rows.sandbox.push(vec![
                Arg::from(out_trade_no.clone()),
                o.m.into(),
                format!("T{}", &id[..8]).into(),
                total.into(),
                number.clone().into(),
                "".into(),
                "".into(),
                "SUCCESS".into(),
                refunded.into(),
                Arg::from(paid_at),
                at.into(),
            ]);
        }
        let payment_id = v7(at, dice);
        if refunded_flag {
            // The refund is on record too, as the console would have written it.
            rows.refunds.push(vec![
                Arg::from(v7(done_at, dice)),
                o.m.into(),
                id.clone().into(),
                payment_id.clone().into(),
                format!("R{}", id.replace('-', "")).into(),
                refunded.into(),
                "历史退款 · generated history".into(),
                "succeeded".into(),
                done_at.into(),
                Arg::from(Some(done_at)),
            ]);
        }
        rows.payments.push(vec![
            Arg::from(payment_id),
            o.m.into(),
            id.clone().into(),
            provider.into(),
            out_trade_no.into(),
            total.into(),
            "captured".into(),
            Arg::from(Some(format!("T{}", &id[..8]))),
            Arg::from(paid_at),
            refunded.into(),
            at.into(),
        ]);
    }
    rows.events.push(vec![
        Arg::from(v7(at, dice)),
        o.m.into(),
        id.clone().into(),
        Arg::from(None::<String>),
        status.into(),
        "system".into(),
        Arg::from(None::<String>),
        "历史订单 · generated history".into(),
        done_at.into(),
    ]);
    if let Some(card) = card {
        let (card_id, card_store, campaign) = (&card.0, &card.1, &card.2);
        for _ in 0..3 {
            rows.scans.push(vec![
                Arg::from(v7(at - 600_000_000, dice)),
                o.m.into(),
                card_id.clone().into(),
                card_store.clone().into(),
                Arg::from(campaign.clone()),
                format!("history-{}", dice.below(u64::MAX)).into(),
                1i64.into(),
                (at - 600_000_000).into(),
            ]);
            report.scans += 1;
        }
        // The visitor looked at the product and put it in the cart, once each.
        let visitor = format!("history-{}", dice.next());
        for (kind, subject) in [("view", &card.3), ("cart", &card.4)] {
            rows.steps.push(vec![
                Arg::from(o.m),
                kind.into(),
                visitor.clone().into(),
                subject.clone().into(),
                card_id.clone().into(),
                card_store.clone().into(),
                Arg::from(campaign.clone()),
                (at - 300_000_000).into(),
            ]);
        }
        let hour = (at - 600_000_000).div_euclid(3_600_000_000);
        *feed.steps.entry((hour, "scan", card_id.clone(), card_store.clone())).or_default() += 3;
        let hour = (at - 300_000_000).div_euclid(3_600_000_000);
        *feed.steps.entry((hour, "view", card_id.clone(), card_store.clone())).or_default() += 1;
        *feed.steps.entry((hour, "cart", card_id.clone(), card_store.clone())).or_default() += 1;
    }
    let hour = at.div_euclid(3_600_000_000);
    let store_key = influencer.or(if fulfilment == "delivery" { None } else { Some(store.0.clone()) });
    let f = feed.sales.entry((hour, channel, store_key, card.map(|k| k.0.clone()))).or_default();
    f[0] += 1;
    f[1] += total;
    if paid_flag {
        f[2] += 1;
        f[3] += paid;
        report.paid_amount += paid;
    }
}
