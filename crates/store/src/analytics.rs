//! The analytics queries. Sales come from the folded day tables (a few rows per day
//! whatever the number of orders); members and flash sales from indexed counts.

use async_trait::async_trait;
use sweep_app::ports::{
    AnalyticsRepo, CardTotal, ChannelDay, FlashTotal, MemberDay, ProductTotal, StoreDayTotal, StoreResult, StoreTotal,
};
use sweep_domain::ids::{FlashSaleId, LocationId, MerchantId};

use crate::Db;
use crate::sql::{Sql, err, get, parse};

fn narrow(q: &mut Sql, column: &'static str, stores: Option<&[LocationId]>) {
    if let Some(stores) = stores {
        q.push(" AND ").push(column).push(" IN ");
        if stores.is_empty() {
            // No store at all: an impossible id keeps the list syntax valid.
            q.push("('')");
        } else {
            q.bind_list(stores.iter().map(|s| s.to_string()));
        }
    }
}

/// Upserts `(merchant, members, holding points, points outstanding)` as `day`'s.
pub(crate) async fn write_member_days(db: &Db, day: i64, rows: &[(String, i64, i64, i64)]) -> StoreResult<()> {
    for chunk in rows.chunks(500) {
        let mut q = Sql::new("INSERT INTO member_days (merchant_id, day, members, holding_points, points_outstanding)");
        q.values(chunk, |q, (m, members, holding, outstanding)| {
            q.bind_row([m.clone().into(), day.into(), (*members).into(), (*holding).into(), (*outstanding).into()]);
        });
        q.push(
            " ON CONFLICT (merchant_id, day) DO UPDATE SET members = excluded.members,
                holding_points = excluded.holding_points, points_outstanding = excluded.points_outstanding",
        );
        q.into_query().execute(db.writer()).await.map_err(err)?;
    }
    Ok(())
}

#[async_trait]
impl AnalyticsRepo for Db {
    async fn channel_days(&self, merchant: MerchantId, from_day: i64, to_day: i64) -> StoreResult<Vec<ChannelDay>> {
        let rows = sqlx::query(
            "SELECT day, channel, placed, placed_amount, paid, paid_amount FROM sales_channel_days
              WHERE merchant_id = $1 AND day >= $2 AND day <= $3 ORDER BY day, channel",
        )
        .bind(merchant.to_string())
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(ChannelDay {
                    day: get(r, "day")?,
                    channel: get(r, "channel")?,
                    placed: get(r, "placed")?,
                    placed_amount: get(r, "placed_amount")?,
                    paid: get(r, "paid")?,
                    paid_amount: get(r, "paid_amount")?,
                })
            })
            .collect()
    }

    async fn store_days(
        &self,
        merchant: MerchantId,
        from_day: i64,
        to_day: i64,
        stores: Option<&[LocationId]>,
    ) -> StoreResult<Vec<StoreDayTotal>> {
        let mut q =
            Sql::new("SELECT day, store_id, placed, paid, paid_amount FROM sales_store_days WHERE merchant_id = ");
        q.bind(merchant.to_string()).push(" AND day >= ").bind(from_day).push(" AND day <= ").bind(to_day);
        narrow(&mut q, "store_id", stores);
        q.push(" ORDER BY day, store_id");
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(StoreDayTotal {
                    day: get(r, "day")?,
                    store_id: parse(r, "store_id")?,
                    placed: get(r, "placed")?,
                    paid: get(r, "paid")?,
                    paid_amount: get(r, "paid_amount")?,
                })
            })
            .collect()
    }

    async fn store_totals(
        &self,
        merchant: MerchantId,
        from_day: i64,
        to_day: i64,
        stores: Option<&[LocationId]>,
        limit: u32,
    ) -> StoreResult<Vec<StoreTotal>> {
        let mut q = Sql::new(
            "SELECT store_id, CAST(SUM(placed) AS BIGINT) AS placed, CAST(SUM(paid) AS BIGINT) AS paid, CAST(SUM(paid_amount) AS BIGINT) AS paid_amount
               FROM sales_store_days WHERE merchant_id = ",
        );
        q.bind(merchant.to_string()).push(" AND day >= ").bind(from_day).push(" AND day <= ").bind(to_day);
        narrow(&mut q, "store_id", stores);
        q.push(" GROUP BY store_id ORDER BY SUM(paid_amount) DESC, store_id LIMIT ").bind(limit as i64);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(StoreTotal {
                    store_id: parse(r, "store_id")?,
                    placed: get(r, "placed")?,
                    paid: get(r, "paid")?,
                    paid_amount: get(r, "paid_amount")?,
                })
            })
            .collect()
    }

    async fn product_totals(
        &self,
        merchant: MerchantId,
        from_day: i64,
        to_day: i64,
        limit: u32,
    ) -> StoreResult<Vec<ProductTotal>> {
        let rows = sqlx::query(
            "SELECT product_id, CAST(SUM(units) AS BIGINT) AS units, CAST(SUM(paid_amount) AS BIGINT) AS paid_amount FROM sales_product_days
              WHERE merchant_id = $1 AND day >= $2 AND day <= $3
              GROUP BY product_id ORDER BY SUM(paid_amount) DESC, product_id LIMIT $4",
        )
        .bind(merchant.to_string())
        .bind(from_day)
        .bind(to_day)
        .bind(limit as i64)
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(ProductTotal {
                    product_id: parse(r, "product_id")?,
                    units: get(r, "units")?,
                    paid_amount: get(r, "paid_amount")?,
                })
            })
            .collect()
    }

    async fn card_totals(
        &self,
        merchant: MerchantId,
        from_day: i64,
        to_day: i64,
        stores: Option<&[LocationId]>,
    ) -> StoreResult<Vec<CardTotal>> {
        let mut q = Sql::new(
            "SELECT card_id, store_id, CAST(SUM(scans) AS BIGINT) AS scans, CAST(SUM(views) AS BIGINT) AS views, CAST(SUM(carts) AS BIGINT) AS carts,
                    CAST(SUM(orders) AS BIGINT) AS orders, CAST(SUM(paid_orders) AS BIGINT) AS paid_orders, CAST(SUM(paid_amount) AS BIGINT) AS paid_amount
               FROM sales_card_days WHERE merchant_id = ",
        );
        q.bind(merchant.to_string()).push(" AND day >= ").bind(from_day).push(" AND day <= ").bind(to_day);
        narrow(&mut q, "store_id", stores);
        q.push(" GROUP BY card_id, store_id");
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(CardTotal {
                    card_id: parse(r, "card_id")?,
                    store_id: parse(r, "store_id")?,
                    scans: get(r, "scans")?,
                    views: get(r, "views")?,
                    carts: get(r, "carts")?,
                    orders: get(r, "orders")?,
                    paid_orders: get(r, "paid_orders")?,
                    paid_amount: get(r, "paid_amount")?,
                })
            })
            .collect()
    }

    async fn member_days(&self, merchant: MerchantId, from_day: i64, to_day: i64) -> StoreResult<Vec<MemberDay>> {
        let rows = sqlx::query(
            "SELECT day, members, holding_points, points_outstanding FROM member_days
              WHERE merchant_id = $1 AND day <= $3
                AND day >= COALESCE((SELECT MAX(day) FROM member_days WHERE merchant_id = $1 AND day < $2), $2)
              ORDER BY day",
        )
        .bind(merchant.to_string())
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(MemberDay {
                    day: get(r, "day")?,
                    members: get(r, "members")?,
                    holding_points: get(r, "holding_points")?,
                    points_outstanding: get(r, "points_outstanding")?,
                })
            })
            .collect()
    }

    async fn snapshot_members(&self, day: i64) -> StoreResult<()> {
        // Counted on a reader, written in one short statement: the writer is never held
        // while the members are read.
        let rows = sqlx::query(
            "SELECT merchant_id, COUNT(*) AS members,
                    CAST(COALESCE(SUM(CASE WHEN points > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS holding_points,
                    CAST(COALESCE(SUM(points), 0) AS BIGINT) AS points_outstanding
               FROM shoppers WHERE kind = 'member' GROUP BY merchant_id",
        )
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        let rows: Vec<(String, i64, i64, i64)> = rows
            .iter()
            .map(|r| {
                Ok((
                    get(r, "merchant_id")?,
                    get(r, "members")?,
                    get(r, "holding_points")?,
                    get(r, "points_outstanding")?,
                ))
            })
            .collect::<StoreResult<_>>()?;
        write_member_days(self, day, &rows).await
    }

    async fn flash_totals(&self, merchant: MerchantId, sales: &[FlashSaleId]) -> StoreResult<Vec<FlashTotal>> {
        if sales.is_empty() {
            return Ok(vec![]);
        }
        let mut q = Sql::new(
            "SELECT flash_sale_id, COUNT(*) AS orders,
                    CAST(COALESCE(SUM(CASE WHEN paid > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS paid_orders,
                    CAST(COALESCE(SUM(paid - refunded), 0) AS BIGINT) AS paid_amount
               FROM orders WHERE merchant_id = ",
        );
        q.bind(merchant.to_string()).push(" AND flash_sale_id IN ");
        q.bind_list(sales.iter().map(|s| s.to_string()));
        q.push(" GROUP BY flash_sale_id");
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(FlashTotal {
                    sale_id: parse(r, "flash_sale_id")?,
                    orders: get(r, "orders")?,
                    paid_orders: get(r, "paid_orders")?,
                    paid_amount: get(r, "paid_amount")?,
                })
            })
            .collect()
    }
}
