use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::{StaffFilter, StaffRepo, StoreResult};
use sweep_domain::Timestamp;
use sweep_domain::ids::{LocationId, MerchantId, StaffId};
use sweep_domain::roles::Role;
use sweep_domain::staff::{Staff, StaffStatus};
use sweep_domain::text::Login;

use crate::Db;
use crate::sql::{Sql, bad_data, enum_col, err, get, map_err, parse, parse_opt, ts};

pub(crate) const STAFF_COLUMNS: &str =
    "s.id, s.merchant_id, s.login, s.display_name, s.role, s.status, s.created_at, s.updated_at";
const UNIQUES: &[(&str, &str)] = &[("login", "login")];

/// A staff row without its stores; [`with_stores`] fills them in.
pub(crate) fn staff_row(row: &AnyRow) -> StoreResult<Staff> {
    let login: String = get(row, "login")?;
    Ok(Staff {
        id: parse(row, "id")?,
        merchant_id: parse_opt(row, "merchant_id")?,
        login: Login::parse("login", &login).map_err(|e| bad_data("staff.login", e))?,
        display_name: get(row, "display_name")?,
        role: enum_col(row, "role", Role::parse)?,
        status: enum_col(row, "status", StaffStatus::parse)?,
        stores: vec![],
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

/// Loads the store assignments of `staff` in one query.
pub(crate) async fn with_stores(db: &Db, mut staff: Vec<Staff>) -> StoreResult<Vec<Staff>> {
    if staff.is_empty() {
        return Ok(staff);
    }
    let mut q = Sql::new("SELECT staff_id, location_id FROM staff_stores WHERE staff_id IN ");
    q.bind_list(staff.iter().map(|s| s.id.to_string()));
    q.push(" ORDER BY location_id");
    let rows = q.query().fetch_all(db.reader()).await.map_err(err)?;
    let mut stores: HashMap<StaffId, Vec<LocationId>> = HashMap::new();
    for row in &rows {
        stores.entry(parse(row, "staff_id")?).or_default().push(parse(row, "location_id")?);
    }
    for s in &mut staff {
        s.stores = stores.remove(&s.id).unwrap_or_default();
    }
    Ok(staff)
}

pub(crate) async fn insert_staff_in(
    tx: &mut Transaction<'static, Any>,
    s: &Staff,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO staff (id, merchant_id, login, display_name, role, status, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(s.id.to_string())
    .bind(s.merchant_id.map(|m| m.to_string()))
    .bind(s.login.as_str().to_string())
    .bind(s.display_name.clone())
    .bind(s.role.as_str())
    .bind(s.status.as_str())
    .bind(hash.to_string())
    .bind(s.created_at.unix_micros())
    .bind(s.updated_at.unix_micros())
    .execute(&mut **tx)
    .await?;
    replace_stores(tx, s).await
}

async fn replace_stores(tx: &mut Transaction<'static, Any>, s: &Staff) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM staff_stores WHERE staff_id = $1").bind(s.id.to_string()).execute(&mut **tx).await?;
    if let Some(merchant) = s.merchant_id {
        for store in &s.stores {
            sqlx::query("INSERT INTO staff_stores (merchant_id, staff_id, location_id) VALUES ($1, $2, $3)")
                .bind(merchant.to_string())
                .bind(s.id.to_string())
                .bind(store.to_string())
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

async fn set_password_in(tx: &mut Transaction<'static, Any>, staff: StaffId, hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE staff SET password_hash = $2 WHERE id = $1")
        .bind(staff.to_string())
        .bind(hash.to_string())
        .execute(&mut **tx)
        .await
        .map_err(err)?;
    Ok(())
}

async fn end_sessions_in(tx: &mut Transaction<'static, Any>, staff: StaffId) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
        .bind(staff.to_string())
        .execute(&mut **tx)
        .await
        .map_err(err)?;
    Ok(())
}

fn merchant_clause(q: &mut Sql, merchant: Option<MerchantId>) {
    match merchant {
        Some(m) => q.push(" AND s.merchant_id = ").bind(m.to_string()),
        None => q.push(" AND s.merchant_id IS NULL"),
    };
}

#[async_trait]
impl StaffRepo for Db {
    async fn insert_staff(&self, staff: &Staff, password_hash: &str) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        insert_staff_in(&mut tx, staff, password_hash).await.map_err(|e| map_err(e, UNIQUES))?;
        tx.commit().await.map_err(err)
    }

    async fn staff(&self, merchant: Option<MerchantId>, id: StaffId) -> StoreResult<Option<Staff>> {
        let mut q = Sql::new("SELECT ");
        q.push(STAFF_COLUMNS).push(" FROM staff s WHERE s.id = ").bind(id.to_string());
        merchant_clause(&mut q, merchant);
        let Some(row) = q.query().fetch_optional(self.reader()).await.map_err(err)? else {
            return Ok(None);
        };
        Ok(with_stores(self, vec![staff_row(&row)?]).await?.pop())
    }

    async fn staff_by_login(&self, login: &Login) -> StoreResult<Option<(Staff, String)>> {
        let mut q = Sql::new("SELECT ");
        q.push(STAFF_COLUMNS).push(", s.password_hash FROM staff s WHERE s.login = ").bind(login.as_str());
        let Some(row) = q.query().fetch_optional(self.reader()).await.map_err(err)? else {
            return Ok(None);
        };
        let hash: String = get(&row, "password_hash")?;
        let staff = with_stores(self, vec![staff_row(&row)?]).await?.pop().expect("one staff");
        Ok(Some((staff, hash)))
    }

    async fn list_staff(
        &self,
        merchant: Option<MerchantId>,
        filter: &StaffFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Staff>> {
        let mut q = Sql::new("SELECT ");
        q.push(STAFF_COLUMNS).push(" FROM staff s WHERE 1 = 1");
        merchant_clause(&mut q, merchant);
        if let Some(role) = filter.role {
            q.push(" AND s.role = ").bind(role.as_str());
        }
        if let Some(status) = filter.status {
            q.push(" AND s.status = ").bind(status.as_str());
        }
        if let Some(stores) = &filter.stores {
            q.push(" AND s.id IN (SELECT ss.staff_id FROM staff_stores ss WHERE ss.location_id IN ");
            q.bind_list(stores.iter().map(|l| l.to_string()));
            q.push(")");
        }
        q.page("s.id", page, false);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(staff_row).collect::<StoreResult<Vec<_>>>()?;
        let items = with_stores(self, items).await?;
        Ok(Page::from_rows(items, page.limit, |s| s.id.to_string()))
    }

    async fn update_staff(&self, s: &Staff, expected: Timestamp, new_password_hash: Option<&str>) -> StoreResult<bool> {
        let mut tx = self.begin().await.map_err(err)?;
        let done = sqlx::query(
            "UPDATE staff SET display_name = $2, role = $3, status = $4, updated_at = $5 WHERE id = $1 AND updated_at = $6",
        )
        .bind(s.id.to_string())
        .bind(s.display_name.clone())
        .bind(s.role.as_str())
        .bind(s.status.as_str())
        .bind(s.updated_at.unix_micros())
        .bind(expected.unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        replace_stores(&mut tx, s).await.map_err(err)?;
        if let Some(hash) = new_password_hash {
            set_password_in(&mut tx, s.id, hash).await?;
        }
        // A new password or a disabled account ends every session at once, in the
        // same transaction: no window in which an old session survives.
        if new_password_hash.is_some() || s.status == StaffStatus::Disabled {
            end_sessions_in(&mut tx, s.id).await?;
        }
        tx.commit().await.map_err(err)?;
        Ok(true)
    }

    async fn set_password(&self, staff: StaffId, password_hash: &str, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        set_password_in(&mut tx, staff, password_hash).await?;
        sqlx::query("UPDATE staff SET updated_at = $2 WHERE id = $1")
            .bind(staff.to_string())
            .bind(now.unix_micros())
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        end_sessions_in(&mut tx, staff).await?;
        tx.commit().await.map_err(err)
    }
}
