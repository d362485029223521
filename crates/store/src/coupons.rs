//! Coupons: definitions, issuing within the total and per-member limits, members'
//! coupons, and spending or releasing one inside an order's transaction.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::*;
use sweep_domain::Timestamp;
use sweep_domain::channel::Channel;
use sweep_domain::coupon::{Coupon, CouponDef, CouponDefStatus, CouponStatus};
use sweep_domain::ids::*;
use sweep_domain::text::Localized;

use crate::Db;
use crate::sql::{Sql, bad_data, enum_col, err, get, parse, ts, ts_opt};

const DEF_COLUMNS: &str = "id, merchant_id, campaign_id, name_zh, name_en, value, min_spend, channels, stores, \
     starts_at, ends_at, total_limit, per_member_limit, claimable, issued, status, created_at";
const COUPON_COLUMNS: &str = "id, def_id, shopper_id, status, order_id, issued_at, used_at";

macro_rules! json {
    ($row:expr, $column:literal) => {{
        let text: String = get($row, $column)?;
        serde_json::from_str(&text).map_err(|e| bad_data($column, e))?
    }};
}

fn def_row(row: &AnyRow) -> StoreResult<CouponDef> {
    let channels: Vec<String> = json!(row, "channels");
    Ok(CouponDef {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        campaign_id: parse(row, "campaign_id")?,
        name: Localized { zh: get(row, "name_zh")?, en: get(row, "name_en")? },
        value: json!(row, "value"),
        min_spend: get(row, "min_spend")?,
        channels: channels
            .iter()
            .map(|c| Channel::parse(c).ok_or_else(|| bad_data("channels", c)))
            .collect::<StoreResult<_>>()?,
        stores: json!(row, "stores"),
        starts_at: ts(row, "starts_at")?,
        ends_at: ts(row, "ends_at")?,
        total_limit: get(row, "total_limit")?,
        per_member_limit: get(row, "per_member_limit")?,
        claimable: get::<i64>(row, "claimable")? != 0,
        issued: get(row, "issued")?,
        status: enum_col(row, "status", CouponDefStatus::parse)?,
        created_at: ts(row, "created_at")?,
    })
}

fn coupon_row(row: &AnyRow) -> StoreResult<Coupon> {
    Ok(Coupon {
        id: parse(row, "id")?,
        def_id: parse(row, "def_id")?,
        shopper_id: parse(row, "shopper_id")?,
        status: enum_col(row, "status", CouponStatus::parse)?,
        order_id: crate::sql::parse_opt(row, "order_id")?,
        issued_at: ts(row, "issued_at")?,
        used_at: ts_opt(row, "used_at")?,
    })
}

/// Spends the member's coupon on the order: one conditional write, so a coupon raced by
/// two orders goes on one of them; the other fails with `CouponUnavailable`.
pub(crate) async fn spend_coupon(
    tx: &mut Transaction<'static, Any>,
    merchant: MerchantId,
    coupon: CouponId,
    shopper: ShopperId,
    order: OrderId,
    now: Timestamp,
) -> StoreResult<()> {
    let spent = sqlx::query(
        "UPDATE coupons SET status = 'used', order_id = $1, used_at = $2
         WHERE id = $3 AND merchant_id = $4 AND shopper_id = $5 AND status = 'available'",
    )
    .bind(order.to_string())
    .bind(now.unix_micros())
    .bind(coupon.to_string())
    .bind(merchant.to_string())
    .bind(shopper.to_string())
    .execute(&mut **tx)
    .await
    .map_err(err)?;
    if spent.rows_affected() == 0 {
        return Err(StoreError::CouponUnavailable);
    }
    Ok(())
}

/// The coupon the order spent is the member's to use again.
pub(crate) async fn release_coupon(tx: &mut Transaction<'static, Any>, order: OrderId) -> StoreResult<()> {
    sqlx::query("UPDATE coupons SET status = 'available', order_id = NULL, used_at = NULL WHERE order_id = $1 AND status = 'used'")
        .bind(order.to_string())
        .execute(&mut **tx)
        .await
        .map_err(err)?;
    Ok(())
}

#[async_trait]
impl CouponRepo for Db {
    async fn insert_coupon_def(&self, d: &CouponDef) -> StoreResult<()> {
        let channels: Vec<&str> = d.channels.iter().map(|c| c.as_str()).collect();
        let mut q = Sql::new("INSERT INTO coupon_defs (");
        q.push(DEF_COLUMNS).push(") VALUES (");
        q.bind(d.id.to_string()).push(", ").bind(d.merchant_id.to_string()).push(", ");
        q.bind(d.campaign_id.to_string()).push(", ").bind(d.name.zh.clone()).push(", ");
        q.bind(d.name.en.clone()).push(", ").bind(serde_json::to_string(&d.value).expect("serialises")).push(", ");
        q.bind(d.min_spend).push(", ").bind(serde_json::to_string(&channels).expect("serialises")).push(", ");
        q.bind(serde_json::to_string(&d.stores).expect("serialises")).push(", ");
        q.bind(d.starts_at.unix_micros()).push(", ").bind(d.ends_at.unix_micros()).push(", ");
        match d.total_limit {
            Some(l) => q.bind(l),
            None => q.push("NULL"),
        };
        q.push(", ").bind(d.per_member_limit).push(", ").bind(i64::from(d.claimable)).push(", ");
        q.bind(d.issued).push(", ").bind(d.status.as_str()).push(", ").bind(d.created_at.unix_micros()).push(")");
        q.query().execute(self.writer()).await.map_err(err)?;
        Ok(())
    }

    async fn coupon_def(&self, merchant: MerchantId, id: CouponDefId) -> StoreResult<Option<CouponDef>> {
        let mut q = Sql::new("SELECT ");
        q.push(DEF_COLUMNS).push(" FROM coupon_defs WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND id = ").bind(id.to_string());
        let row = q.query().fetch_optional(self.reader()).await.map_err(err)?;
        row.as_ref().map(def_row).transpose()
    }

    async fn list_coupon_defs(
        &self,
        merchant: MerchantId,
        campaign: Option<CampaignId>,
        page: &PageRequest,
    ) -> StoreResult<Page<CouponDef>> {
        let mut q = Sql::new("SELECT ");
        q.push(DEF_COLUMNS).push(" FROM coupon_defs WHERE merchant_id = ").bind(merchant.to_string());
        if let Some(c) = campaign {
            q.push(" AND campaign_id = ").bind(c.to_string());
        }
        q.page("id", page, true);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(def_row).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |d| d.id.to_string()))
    }

    async fn set_coupon_def_status(
        &self,
        merchant: MerchantId,
        id: CouponDefId,
        status: CouponDefStatus,
    ) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE coupon_defs SET status = $1 WHERE merchant_id = $2 AND id = $3")
            .bind(status.as_str())
            .bind(merchant.to_string())
            .bind(id.to_string())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn issue_coupon(&self, merchant: MerchantId, c: &Coupon, per_member_limit: i64) -> StoreResult<IssueOutcome> {
        let mut tx = self.begin().await.map_err(err)?;
        // One conditional write each: the total, then the member's count.
        let counted = sqlx::query(
            "UPDATE coupon_defs SET issued = issued + 1
             WHERE merchant_id = $1 AND id = $2 AND status = 'active' AND (total_limit IS NULL OR issued < total_limit)",
        )
        .bind(merchant.to_string())
        .bind(c.def_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        if counted.rows_affected() == 0 {
            return Ok(IssueOutcome::NoneLeft);
        }
        let held = sqlx::query(
            "INSERT INTO coupon_holdings (def_id, shopper_id, held) VALUES ($1, $2, 1)
             ON CONFLICT (def_id, shopper_id) DO UPDATE SET held = coupon_holdings.held + 1
             WHERE coupon_holdings.held < $3",
        )
        .bind(c.def_id.to_string())
        .bind(c.shopper_id.to_string())
        .bind(per_member_limit)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        if held.rows_affected() == 0 {
            return Ok(IssueOutcome::MemberLimit);
        }
        let mut q = Sql::new("INSERT INTO coupons (");
        q.push(COUPON_COLUMNS).push(", merchant_id) VALUES (");
        q.bind(c.id.to_string()).push(", ").bind(c.def_id.to_string()).push(", ");
        q.bind(c.shopper_id.to_string()).push(", ").bind(c.status.as_str()).push(", NULL, ");
        q.bind(c.issued_at.unix_micros()).push(", NULL, ").bind(merchant.to_string()).push(")");
        q.query().execute(&mut *tx).await.map_err(err)?;
        tx.commit().await.map_err(err)?;
        Ok(IssueOutcome::Issued)
    }

    async fn coupon(&self, merchant: MerchantId, id: CouponId) -> StoreResult<Option<Coupon>> {
        let mut q = Sql::new("SELECT ");
        q.push(COUPON_COLUMNS).push(" FROM coupons WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND id = ").bind(id.to_string());
        let row = q.query().fetch_optional(self.writer()).await.map_err(err)?;
        row.as_ref().map(coupon_row).transpose()
    }

    async fn coupons_of(
        &self,
        merchant: MerchantId,
        shopper: ShopperId,
        page: &PageRequest,
    ) -> StoreResult<Page<Coupon>> {
        let mut q = Sql::new("SELECT ");
        q.push(COUPON_COLUMNS).push(" FROM coupons WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND shopper_id = ").bind(shopper.to_string());
        q.page("id", page, true);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(coupon_row).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |c| c.id.to_string()))
    }
}
