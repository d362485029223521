use async_trait::async_trait;
use sqlx::any::AnyRow;
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::{MerchantRepo, StoreResult};
use sweep_domain::ids::MerchantId;
use sweep_domain::merchant::{Merchant, MerchantStatus};
use sweep_domain::staff::Staff;
use sweep_domain::{Currency, Timestamp};

use crate::Db;
use crate::sql::{Sql, enum_col, err, get, map_err, parse, ts};

const COLUMNS: &str = "id, name, slug, time_zone, currency, status, created_at, updated_at";
const UNIQUES: &[(&str, &str)] = &[("slug", "slug"), ("login", "owner.login")];

fn merchant(row: &AnyRow) -> StoreResult<Merchant> {
    Ok(Merchant {
        id: parse(row, "id")?,
        name: get(row, "name")?,
        slug: get(row, "slug")?,
        time_zone: get(row, "time_zone")?,
        currency: enum_col(row, "currency", Currency::parse)?,
        status: enum_col(row, "status", MerchantStatus::parse)?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

#[async_trait]
impl MerchantRepo for Db {
    async fn create_merchant(&self, m: &Merchant, owner: &Staff, owner_password_hash: &str) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        sqlx::query(
            "INSERT INTO merchants (id, name, slug, time_zone, currency, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(m.id.to_string())
        .bind(m.name.clone())
        .bind(m.slug.clone())
        .bind(m.time_zone.clone())
        .bind(m.currency.code())
        .bind(m.status.as_str())
        .bind(m.created_at.unix_micros())
        .bind(m.updated_at.unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(|e| map_err(e, UNIQUES))?;
        crate::staff::insert_staff_in(&mut tx, owner, owner_password_hash).await.map_err(|e| map_err(e, UNIQUES))?;
        tx.commit().await.map_err(err)
    }

    async fn merchant(&self, id: MerchantId) -> StoreResult<Option<Merchant>> {
        let mut q = Sql::new("SELECT ");
        q.push(COLUMNS).push(" FROM merchants WHERE id = ").bind(id.to_string());
        q.query().fetch_optional(self.reader()).await.map_err(err)?.as_ref().map(merchant).transpose()
    }

    async fn merchant_by_slug(&self, slug: &str) -> StoreResult<Option<Merchant>> {
        let mut q = Sql::new("SELECT ");
        q.push(COLUMNS).push(" FROM merchants WHERE slug = ").bind(slug);
        q.query().fetch_optional(self.reader()).await.map_err(err)?.as_ref().map(merchant).transpose()
    }

    async fn list_merchants(&self, page: &PageRequest) -> StoreResult<Page<Merchant>> {
        let mut q = Sql::new("SELECT ");
        q.push(COLUMNS).push(" FROM merchants WHERE 1 = 1").page("id", page, false);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(merchant).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |m| m.id.to_string()))
    }

    async fn update_merchant(&self, m: &Merchant, expected: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE merchants SET name = $2, time_zone = $3, status = $4, updated_at = $5 WHERE id = $1 AND updated_at = $6",
        )
        .bind(m.id.to_string())
        .bind(m.name.clone())
        .bind(m.time_zone.clone())
        .bind(m.status.as_str())
        .bind(m.updated_at.unix_micros())
        .bind(expected.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }
}
