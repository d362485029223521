//! Flash sales: the sale and its pools, the group commit of flash orders, and the sales
//! feed folded into per-minute totals.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::*;
use sweep_domain::flash::{FlashItem, FlashSale};
use sweep_domain::ids::*;
use sweep_domain::inventory::{MovementKind, Quantity, StockChange};
use sweep_domain::{Money, Timestamp};

use crate::Db;
use crate::inventory::apply_lines;
use crate::jobs::insert_job;
use crate::sql::{Sql, err, get, map_err, parse, ts, ts_opt};

mod batch;
pub(crate) mod feed;

const SALE_COLUMNS: &str = "id, merchant_id, campaign_id, name, location_id, starts_at, ends_at, per_member_limit, \
     members_only, pay_within_secs, ended_at, created_at";
const ITEM_COLUMNS: &str = "sale_id, sku_id, price, pool_size, pool_left, released";

fn sale_row(row: &AnyRow) -> StoreResult<FlashSale> {
    Ok(FlashSale {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        campaign_id: parse(row, "campaign_id")?,
        name: get(row, "name")?,
        location_id: parse(row, "location_id")?,
        starts_at: ts(row, "starts_at")?,
        ends_at: ts(row, "ends_at")?,
        per_member_limit: get(row, "per_member_limit")?,
        members_only: get::<i64>(row, "members_only")? != 0,
        pay_within_secs: get(row, "pay_within_secs")?,
        ended_at: ts_opt(row, "ended_at")?,
        created_at: ts(row, "created_at")?,
        items: vec![],
    })
}

fn item_row(row: &AnyRow) -> StoreResult<(FlashSaleId, FlashItem)> {
    Ok((
        parse(row, "sale_id")?,
        FlashItem {
            sku_id: parse(row, "sku_id")?,
            price: Money::cny(get(row, "price")?),
            pool_size: get(row, "pool_size")?,
            pool_left: get(row, "pool_left")?,
            released: get(row, "released")?,
        },
    ))
}

const FLASH_UNIQUES: &[(&str, &str)] = &[("flash_items", "items")];

impl Db {
    async fn with_items(&self, mut sales: Vec<FlashSale>) -> StoreResult<Vec<FlashSale>> {
        if sales.is_empty() {
            return Ok(sales);
        }
        let mut q = Sql::new("SELECT ");
        q.push(ITEM_COLUMNS).push(" FROM flash_items WHERE sale_id IN ");
        q.bind_list(sales.iter().map(|s| s.id.to_string())).push(" ORDER BY sale_id, sku_id");
        let mut items: HashMap<FlashSaleId, Vec<FlashItem>> = HashMap::new();
        for row in q.query().fetch_all(self.reader()).await.map_err(err)? {
            let (sale, item) = item_row(&row)?;
            items.entry(sale).or_default().push(item);
        }
        for s in &mut sales {
            s.items = items.remove(&s.id).unwrap_or_default();
        }
        Ok(sales)
    }
}

/// What a sale's end gives back, one line per SKU with units left.
fn release_lines(sale: FlashSaleId, location: LocationId, released: &[(SkuId, i64)]) -> Vec<StockLine> {
    released
        .iter()
        .filter(|(_, units)| *units > 0)
        .map(|(sku, units)| StockLine {
            sku_id: *sku,
            location_id: location,
            change: StockChange::of(MovementKind::Release, Quantity::parse("units", *units).expect("positive")),
            reason: None,
            note: "flash sale ended".into(),
            reference: Some(format!("flash:{sale}")),
        })
        .collect()
}

/// An order of a flash sale gives its units back: to the pool while the sale is open,
/// else to the location's stock (returned as the lines to release). The member's quota
/// shrinks either way. One conditional write per line decides, under the pool's row lock.
pub(crate) async fn give_back(
    tx: &mut Transaction<'static, Any>,
    sale: FlashSaleId,
    shopper: ShopperId,
    lines: &[StockLine],
) -> StoreResult<Vec<StockLine>> {
    let mut to_stock = vec![];
    for line in lines {
        let units = line.change.reserved_delta.abs();
        let row = sqlx::query(
            "UPDATE flash_items
                SET pool_left = pool_left + CASE WHEN open = 1 THEN $3 ELSE 0 END,
                    released = released + CASE WHEN open = 1 THEN 0 ELSE $3 END
              WHERE sale_id = $1 AND sku_id = $2
              RETURNING open",
        )
        .bind(sale.to_string())
        .bind(line.sku_id.to_string())
        .bind(units)
        .fetch_optional(&mut **tx)
        .await
        .map_err(err)?;
        let still_open = match row {
            Some(r) => get::<i64>(&r, "open")? == 1,
            None => false,
        };
        if !still_open {
            to_stock.push(line.clone());
        }
        sqlx::query(
            "UPDATE flash_quota SET bought = bought - $3 WHERE sale_id = $1 AND shopper_id = $2 AND bought >= $3",
        )
        .bind(sale.to_string())
        .bind(shopper.to_string())
        .bind(units)
        .execute(&mut **tx)
        .await
        .map_err(err)?;
    }
    Ok(to_stock)
}

#[async_trait]
impl FlashRepo for Db {
    async fn create_flash_sale(&self, s: &FlashSale, hold: &[StockLine], end_job: &NewJob) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        let mut q = Sql::new("INSERT INTO flash_sales (");
        q.push(SALE_COLUMNS).push(")");
        q.values(std::slice::from_ref(s), |q, s| {
            q.bind_row([
                s.id.to_string().into(),
                s.merchant_id.to_string().into(),
                s.campaign_id.to_string().into(),
                s.name.clone().into(),
                s.location_id.to_string().into(),
                s.starts_at.unix_micros().into(),
                s.ends_at.unix_micros().into(),
                s.per_member_limit.into(),
                i64::from(s.members_only).into(),
                s.pay_within_secs.into(),
                s.ended_at.map(|t| t.unix_micros()).into(),
                s.created_at.unix_micros().into(),
            ]);
        });
        q.into_query().execute(&mut *tx).await.map_err(err)?;
        let mut q = Sql::new(
            "INSERT INTO flash_items (sale_id, sku_id, merchant_id, location_id, price, pool_size, pool_left, starts_at, ends_at, open)",
        );
        q.values(&s.items, |q, i| {
            q.bind_row([
                s.id.to_string().into(),
                i.sku_id.to_string().into(),
                s.merchant_id.to_string().into(),
                s.location_id.to_string().into(),
                i.price.minor().into(),
                i.pool_size.into(),
                i.pool_left.into(),
                s.starts_at.unix_micros().into(),
                s.ends_at.unix_micros().into(),
                1i64.into(),
            ]);
        });
        q.into_query().execute(&mut *tx).await.map_err(|e| map_err(e, FLASH_UNIQUES))?;
        apply_lines(&mut tx, s.merchant_id, hold, None, s.created_at).await?;
        insert_job(&mut *tx, end_job).await.map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn flash_sale(&self, merchant: MerchantId, id: FlashSaleId) -> StoreResult<Option<FlashSale>> {
        let mut q = Sql::new("SELECT ");
        q.push(SALE_COLUMNS).push(" FROM flash_sales WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND id = ").bind(id.to_string());
        let Some(row) = q.query().fetch_optional(self.reader()).await.map_err(err)? else {
            return Ok(None);
        };
        Ok(self.with_items(vec![sale_row(&row)?]).await?.pop())
    }

    async fn list_flash_sales(&self, merchant: MerchantId, page: &PageRequest) -> StoreResult<Page<FlashSale>> {
        let mut q = Sql::new("SELECT ");
        q.push(SALE_COLUMNS).push(" FROM flash_sales WHERE merchant_id = ").bind(merchant.to_string());
        q.page("id", page, true);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let sales = rows.iter().map(sale_row).collect::<StoreResult<Vec<_>>>()?;
        let page = Page::from_rows(sales, page.limit, |s| s.id.to_string());
        let items = self.with_items(page.items).await?;
        Ok(Page { items, next_cursor: page.next_cursor })
    }

    async fn place_flash_orders(&self, batch: &[FlashPurchase], renumber: &Renumber) -> StoreResult<Vec<FlashOutcome>> {
        batch::place(self, batch, renumber).await
    }

    async fn end_flash_sale(
        &self,
        merchant: MerchantId,
        id: FlashSaleId,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<(SkuId, i64)>>> {
        let mut tx = self.begin().await.map_err(err)?;
        let row = sqlx::query(
            "UPDATE flash_sales SET ended_at = $3 WHERE merchant_id = $1 AND id = $2 AND ended_at IS NULL RETURNING location_id",
        )
        .bind(merchant.to_string())
        .bind(id.to_string())
        .bind(now.unix_micros())
        .fetch_optional(&mut *tx)
        .await
        .map_err(err)?;
        let Some(row) = row else { return Ok(None) };
        let location: LocationId = parse(&row, "location_id")?;
        // SET clauses read the old row: `released` takes what was left before it goes.
        let rows = sqlx::query(
            "UPDATE flash_items SET open = 0, released = released + pool_left, pool_left = 0
              WHERE sale_id = $1 AND open = 1 RETURNING sku_id, released",
        )
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(err)?;
        let mut released = vec![];
        for r in &rows {
            released.push((parse::<SkuId>(r, "sku_id")?, get::<i64>(r, "released")?));
        }
        released.sort_by_key(|(sku, _)| *sku);
        // `released` may include units of orders that expired after an earlier end; only
        // this end's units are still reserved, and those are what `pool_left` held.
        apply_lines(&mut tx, merchant, &release_lines(id, location, &released), None, now).await?;
        tx.commit().await.map_err(err)?;
        Ok(Some(released))
    }

    async fn fold_sales_feed(&self, limit: i64) -> StoreResult<usize> {
        feed::fold(self, limit).await
    }

    async fn sales_minutes(&self, merchant: MerchantId, since: i64) -> StoreResult<Vec<SalesMinute>> {
        feed::minutes(self, merchant, since).await
    }
}

/// Pools by (sale, SKU) in a fixed order, so batches from several processes lock the
/// same rows in the same order (quotas in (sale, member) order first, then pools).
pub(crate) type PoolKey = (String, String);

pub(crate) fn group_by_pool(batch: &[FlashPurchase], candidates: &[usize]) -> BTreeMap<PoolKey, Vec<usize>> {
    let mut groups: BTreeMap<PoolKey, Vec<usize>> = BTreeMap::new();
    for &i in candidates {
        let p = &batch[i];
        groups.entry((p.sale_id.to_string(), p.sku_id.to_string())).or_default().push(i);
    }
    groups
}
