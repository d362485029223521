use async_trait::async_trait;
use sqlx::any::AnyRow;
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::{LocationFilter, LocationRepo, StoreResult};
use sweep_domain::Timestamp;
use sweep_domain::ids::{LocationId, MerchantId};
use sweep_domain::location::{GeoPoint, Location, LocationKind, LocationStatus, OpeningHours};
use sweep_domain::text::Localized;

use crate::Db;
// Flags are stored as 0/1 integers: the one boolean form both databases share.
use crate::sql::{Sql, bad_data, enum_col, err, get, map_err, parse, ts};

const COLUMNS: &str = "id, merchant_id, code, kind, name_zh, name_en, address, city, district, phone, lat, lng, \
     opening_hours, pickup_enabled, delivery_enabled, status, created_at, updated_at";
const UNIQUES: &[(&str, &str)] = &[("code", "code")];

fn location(row: &AnyRow) -> StoreResult<Location> {
    let hours: String = get(row, "opening_hours")?;
    Ok(Location {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        code: get(row, "code")?,
        kind: enum_col(row, "kind", LocationKind::parse)?,
        name: Localized { zh: get(row, "name_zh")?, en: get(row, "name_en")? },
        address: get(row, "address")?,
        city: get(row, "city")?,
        district: get(row, "district")?,
        phone: get(row, "phone")?,
        point: GeoPoint { lat: get(row, "lat")?, lng: get(row, "lng")? },
        opening_hours: serde_json::from_str::<OpeningHours>(&hours).map_err(|e| bad_data("opening_hours", e))?,
        pickup_enabled: get::<i64>(row, "pickup_enabled")? != 0,
        delivery_enabled: get::<i64>(row, "delivery_enabled")? != 0,
        status: enum_col(row, "status", LocationStatus::parse)?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn hours_json(l: &Location) -> String {
    serde_json::to_string(&l.opening_hours).expect("opening hours serialise")
}

#[async_trait]
impl LocationRepo for Db {
    async fn insert_location(&self, l: &Location) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO locations (id, merchant_id, code, kind, name_zh, name_en, address, city, district, phone,
                 lat, lng, opening_hours, pickup_enabled, delivery_enabled, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(l.id.to_string())
        .bind(l.merchant_id.to_string())
        .bind(l.code.clone())
        .bind(l.kind.as_str())
        .bind(l.name.zh.clone())
        .bind(l.name.en.clone())
        .bind(l.address.clone())
        .bind(l.city.clone())
        .bind(l.district.clone())
        .bind(l.phone.clone())
        .bind(l.point.lat)
        .bind(l.point.lng)
        .bind(hours_json(l))
        .bind(i64::from(l.pickup_enabled))
        .bind(i64::from(l.delivery_enabled))
        .bind(l.status.as_str())
        .bind(l.created_at.unix_micros())
        .bind(l.updated_at.unix_micros())
        .execute(self.writer())
        .await
        .map_err(|e| map_err(e, UNIQUES))?;
        Ok(())
    }

    async fn location(&self, merchant: MerchantId, id: LocationId) -> StoreResult<Option<Location>> {
        let mut q = Sql::new("SELECT ");
        q.push(COLUMNS)
            .push(" FROM locations WHERE merchant_id = ")
            .bind(merchant.to_string())
            .push(" AND id = ")
            .bind(id.to_string());
        q.query().fetch_optional(self.reader()).await.map_err(err)?.as_ref().map(location).transpose()
    }

    async fn list_locations(
        &self,
        merchant: MerchantId,
        f: &LocationFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Location>> {
        let mut q = Sql::new("SELECT ");
        q.push(COLUMNS).push(" FROM locations WHERE merchant_id = ").bind(merchant.to_string());
        if let Some(kind) = f.kind {
            q.push(" AND kind = ").bind(kind.as_str());
        }
        if let Some(status) = f.status {
            q.push(" AND status = ").bind(status.as_str());
        }
        if let Some(city) = &f.city {
            q.push(" AND city = ").bind(city.clone());
        }
        if let Some(only) = &f.only {
            q.push(" AND id IN ").bind_list(only.iter().map(|l| l.to_string()));
        }
        q.page("id", page, false);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(location).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |l| l.id.to_string()))
    }

    async fn update_location(&self, l: &Location, expected: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE locations SET name_zh = $3, name_en = $4, address = $5, city = $6, district = $7, phone = $8,
                 lat = $9, lng = $10, opening_hours = $11, pickup_enabled = $12, delivery_enabled = $13,
                 status = $14, updated_at = $15
             WHERE merchant_id = $1 AND id = $2 AND updated_at = $16",
        )
        .bind(l.merchant_id.to_string())
        .bind(l.id.to_string())
        .bind(l.name.zh.clone())
        .bind(l.name.en.clone())
        .bind(l.address.clone())
        .bind(l.city.clone())
        .bind(l.district.clone())
        .bind(l.phone.clone())
        .bind(l.point.lat)
        .bind(l.point.lng)
        .bind(hours_json(l))
        .bind(i64::from(l.pickup_enabled))
        .bind(i64::from(l.delivery_enabled))
        .bind(l.status.as_str())
        .bind(l.updated_at.unix_micros())
        .bind(expected.unix_micros())
        .execute(self.writer())
        .await
        .map_err(|e| map_err(e, UNIQUES))?;
        Ok(done.rows_affected() == 1)
    }
}
