use async_trait::async_trait;
use sqlx::any::AnyRow;
use sweep_app::ports::{
    OtpOutcome, OtpRecord, SessionScan, ShopperRepo, ShopperSession, SmsMessage, SmsSender, StoreResult,
};
use sweep_domain::Timestamp;
use sweep_domain::ids::{AddressId, MerchantId, ShopperId};
use sweep_domain::location::GeoPoint;
use sweep_domain::shopper::{Address, Phone, Shopper};

use crate::Db;
use crate::sql::{Sql, bad_data, err, get, map_err, parse, parse_opt, ts, ts_opt};

fn phone(row: &AnyRow, column: &str) -> StoreResult<Phone> {
    let text: String = get(row, column)?;
    Phone::parse(column, &text).map_err(|e| bad_data(column, e))
}

fn shopper(row: &AnyRow) -> StoreResult<Shopper> {
    Ok(Shopper {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        phone: phone(row, "phone")?,
        display_name: get(row, "display_name")?,
        created_at: ts(row, "created_at")?,
    })
}

fn address(row: &AnyRow) -> StoreResult<Address> {
    Ok(Address {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        shopper_id: parse(row, "shopper_id")?,
        recipient: get(row, "recipient")?,
        phone: phone(row, "phone")?,
        city: get(row, "city")?,
        district: get(row, "district")?,
        detail: get(row, "detail")?,
        point: GeoPoint { lat: get(row, "lat")?, lng: get(row, "lng")? },
        is_default: get::<i64>(row, "is_default")? != 0,
        created_at: ts(row, "created_at")?,
    })
}

#[async_trait]
impl ShopperRepo for Db {
    async fn shopper(&self, merchant: MerchantId, id: ShopperId) -> StoreResult<Option<Shopper>> {
        let row = sqlx::query(
            "SELECT id, merchant_id, phone, display_name, created_at FROM shoppers
             WHERE kind = 'member' AND merchant_id = $1 AND id = $2",
        )
        .bind(merchant.to_string())
        .bind(id.to_string())
        .fetch_optional(self.reader())
        .await
        .map_err(err)?;
        row.as_ref().map(shopper).transpose()
    }

    async fn upsert_shopper(&self, s: &Shopper) -> StoreResult<Shopper> {
        sqlx::query(
            "INSERT INTO shoppers (id, merchant_id, phone, display_name, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (merchant_id, phone) DO NOTHING",
        )
        .bind(s.id.to_string())
        .bind(s.merchant_id.to_string())
        .bind(s.phone.as_str().to_string())
        .bind(s.display_name.clone())
        .bind(s.created_at.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        let row = sqlx::query(
            "SELECT id, merchant_id, phone, display_name, created_at FROM shoppers WHERE merchant_id = $1 AND phone = $2",
        )
        .bind(s.merchant_id.to_string())
        .bind(s.phone.as_str().to_string())
        .fetch_one(self.writer())
        .await
        .map_err(err)?;
        shopper(&row)
    }

    async fn insert_shopper_session(&self, s: &ShopperSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO shopper_sessions
                 (token_hash, merchant_id, shopper_id, csrf_token, created_at, expires_at, visitor, scan_card_id,
                  scanned_at, scan_counted)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(s.token_hash.clone())
        .bind(s.merchant_id.to_string())
        .bind(s.shopper_id.map(|id| id.to_string()))
        .bind(s.csrf_token.clone())
        .bind(s.created_at.unix_micros())
        .bind(s.expires_at.unix_micros())
        .bind(s.visitor.clone())
        .bind(s.scan.map(|scan| scan.card_id.to_string()))
        .bind(s.scan.map(|scan| scan.at.unix_micros()))
        .bind(s.scan.map(|scan| i64::from(scan.steps_count)))
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn insert_members(&self, members: &[(Shopper, ShopperSession)]) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        for chunk in members.chunks(2000) {
            let mut q = Sql::new("INSERT INTO shoppers (id, merchant_id, phone, display_name, created_at)");
            q.values(chunk, |q, (m, _)| {
                q.bind_row([
                    m.id.to_string().into(),
                    m.merchant_id.to_string().into(),
                    m.phone.as_str().into(),
                    m.display_name.clone().into(),
                    m.created_at.unix_micros().into(),
                ]);
            });
            q.into_query()
                .execute(&mut *tx)
                .await
                .map_err(|e| map_err(e, &[("uq_shoppers_phone", "phone"), ("shoppers.phone", "phone")]))?;
            let mut q = Sql::new(
                "INSERT INTO shopper_sessions (token_hash, merchant_id, shopper_id, csrf_token, created_at, expires_at, visitor)",
            );
            q.values(chunk, |q, (_, s)| {
                q.bind_row([
                    s.token_hash.clone().into(),
                    s.merchant_id.to_string().into(),
                    s.shopper_id.map(|id| id.to_string()).into(),
                    s.csrf_token.clone().into(),
                    s.created_at.unix_micros().into(),
                    s.expires_at.unix_micros().into(),
                    s.visitor.clone().into(),
                ]);
            });
            q.execute_on(&mut tx).await.map_err(err)?;
        }
        tx.commit().await.map_err(err)
    }

    async fn shopper_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<ShopperSession>> {
        let row = sqlx::query(
            "SELECT token_hash, merchant_id, shopper_id, csrf_token, created_at, expires_at,
                    COALESCE(visitor, token_hash) AS visitor, scan_card_id, scanned_at, scan_counted
             FROM shopper_sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash.to_string())
        .bind(now.unix_micros())
        .fetch_optional(self.reader())
        .await
        .map_err(err)?;
        row.map(|r| session_row(&r)).transpose()
    }

    async fn member_sessions(
        &self,
        token_hashes: &[String],
        now: Timestamp,
    ) -> StoreResult<Vec<(ShopperSession, Timestamp)>> {
        let mut q = Sql::new(
            "SELECT s.token_hash, s.merchant_id, s.shopper_id, s.csrf_token, s.created_at, s.expires_at,
                    COALESCE(s.visitor, s.token_hash) AS visitor, s.scan_card_id, s.scanned_at, s.scan_counted,
                    m.created_at AS member_since
             FROM shopper_sessions s JOIN shoppers m ON m.id = s.shopper_id AND m.merchant_id = s.merchant_id
             WHERE s.expires_at > ",
        );
        q.bind(now.unix_micros()).push(" AND s.token_hash IN ").bind_list(token_hashes.iter().cloned());
        let rows = q.into_query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(|r| Ok((session_row(r)?, ts(r, "member_since")?))).collect()
    }

    async fn delete_shopper_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM shopper_sessions WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn insert_otp(&self, o: &OtpRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO otp_codes (id, merchant_id, phone, code_hash, attempts, expires_at, created_at)
             VALUES ($1, $2, $3, $4, 0, $5, $6)",
        )
        .bind(o.id.clone())
        .bind(o.merchant_id.to_string())
        .bind(o.phone.as_str().to_string())
        .bind(o.code_hash.clone())
        .bind(o.expires_at.unix_micros())
        .bind(o.created_at.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn consume_otp(
        &self,
        merchant: MerchantId,
        phone: &Phone,
        code_hash: &str,
        now: Timestamp,
        max_attempts: i64,
    ) -> StoreResult<OtpOutcome> {
        let mut tx = self.begin().await.map_err(err)?;
        let Some(row) = sqlx::query(
            "SELECT id, code_hash FROM otp_codes
             WHERE merchant_id = $1 AND phone = $2 AND consumed_at IS NULL AND expires_at > $3
             ORDER BY id DESC LIMIT 1",
        )
        .bind(merchant.to_string())
        .bind(phone.as_str().to_string())
        .bind(now.unix_micros())
        .fetch_optional(&mut *tx)
        .await
        .map_err(err)?
        else {
            return Ok(OtpOutcome::NoLiveCode);
        };
        let id: String = get(&row, "id")?;
        let stored: String = get(&row, "code_hash")?;
        // Count the attempt first, with a conditional write: parallel guesses cannot
        // use more attempts than the code has.
        let counted = sqlx::query(
            "UPDATE otp_codes SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 AND consumed_at IS NULL",
        )
        .bind(id.clone())
        .bind(max_attempts)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        if counted.rows_affected() == 0 {
            tx.commit().await.map_err(err)?;
            return Ok(OtpOutcome::TooManyAttempts);
        }
        let outcome = if sweep_app::secrets::constant_time_eq(&stored, code_hash) {
            let used = sqlx::query("UPDATE otp_codes SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL")
                .bind(id)
                .bind(now.unix_micros())
                .execute(&mut *tx)
                .await
                .map_err(err)?;
            if used.rows_affected() == 1 { OtpOutcome::Accepted } else { OtpOutcome::NoLiveCode }
        } else {
            OtpOutcome::Wrong
        };
        tx.commit().await.map_err(err)?;
        Ok(outcome)
    }

    async fn addresses(&self, merchant: MerchantId, shopper: ShopperId) -> StoreResult<Vec<Address>> {
        let rows = sqlx::query(
            "SELECT id, merchant_id, shopper_id, recipient, phone, city, district, detail, lat, lng, is_default, created_at
             FROM shopper_addresses WHERE merchant_id = $1 AND shopper_id = $2 ORDER BY is_default DESC, id DESC",
        )
        .bind(merchant.to_string())
        .bind(shopper.to_string())
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter().map(address).collect()
    }

    async fn insert_address(&self, a: &Address) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        if a.is_default {
            sqlx::query("UPDATE shopper_addresses SET is_default = 0 WHERE merchant_id = $1 AND shopper_id = $2")
                .bind(a.merchant_id.to_string())
                .bind(a.shopper_id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(err)?;
        }
        sqlx::query(
            "INSERT INTO shopper_addresses (id, merchant_id, shopper_id, recipient, phone, city, district, detail, lat, lng,
                 is_default, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(a.id.to_string())
        .bind(a.merchant_id.to_string())
        .bind(a.shopper_id.to_string())
        .bind(a.recipient.clone())
        .bind(a.phone.as_str().to_string())
        .bind(a.city.clone())
        .bind(a.district.clone())
        .bind(a.detail.clone())
        .bind(a.point.lat)
        .bind(a.point.lng)
        .bind(i64::from(a.is_default))
        .bind(a.created_at.unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn delete_address(&self, merchant: MerchantId, shopper: ShopperId, id: AddressId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM shopper_addresses WHERE merchant_id = $1 AND shopper_id = $2 AND id = $3")
            .bind(merchant.to_string())
            .bind(shopper.to_string())
            .bind(id.to_string())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }
}

/// The development SMS sender: messages go to a table, shown on the outbox page.
pub struct OutboxSms(pub std::sync::Arc<Db>);

#[async_trait]
impl SmsSender for OutboxSms {
    async fn send(&self, merchant: MerchantId, phone: &Phone, body: &str) -> StoreResult<()> {
        sqlx::query("INSERT INTO sms_outbox (id, merchant_id, phone, body, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(merchant.to_string())
            .bind(phone.as_str().to_string())
            .bind(body.to_string())
            .bind(now_micros())
            .execute(self.0.writer())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn outbox(&self, merchant: Option<MerchantId>, limit: u32) -> StoreResult<Vec<SmsMessage>> {
        let mut q = Sql::new("SELECT merchant_id, phone, body, created_at FROM sms_outbox WHERE 1 = 1");
        if let Some(m) = merchant {
            q.push(" AND merchant_id = ").bind(m.to_string());
        }
        q.push(" ORDER BY id DESC LIMIT ").bind(limit as i64);
        let rows = q.query().fetch_all(self.0.reader()).await.map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(SmsMessage {
                    merchant_id: parse(r, "merchant_id")?,
                    phone: get(r, "phone")?,
                    body: get(r, "body")?,
                    created_at: ts(r, "created_at")?,
                })
            })
            .collect()
    }
}

fn now_micros() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

fn session_row(r: &AnyRow) -> StoreResult<ShopperSession> {
    Ok(ShopperSession {
        token_hash: get(r, "token_hash")?,
        merchant_id: parse(r, "merchant_id")?,
        shopper_id: parse_opt(r, "shopper_id")?,
        csrf_token: get(r, "csrf_token")?,
        created_at: ts(r, "created_at")?,
        expires_at: ts(r, "expires_at")?,
        visitor: get(r, "visitor")?,
        scan: match (parse_opt(r, "scan_card_id")?, ts_opt(r, "scanned_at")?) {
            (Some(card_id), Some(at)) => {
                Some(SessionScan { card_id, at, steps_count: get::<Option<i64>>(r, "scan_counted")?.unwrap_or(0) == 1 })
            }
            _ => None,
        },
    })
}
