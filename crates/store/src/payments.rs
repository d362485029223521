//! Merchants' payment provider accounts (secrets arrive sealed; this layer never sees
//! them in the clear).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sweep_app::ports::{
    PaymentAccountRepo, Reconciliation, ReconciliationRepo, StoreError, StoreResult, StoredPaymentAccount,
};
use sweep_domain::Timestamp;
use sweep_domain::ids::{MerchantId, PaymentId};
use sweep_domain::order::{Payment, Refund};

use crate::Db;
use crate::orders::{PAYMENT_COLUMNS, REFUND_COLUMNS, payment_row, refund_row};
use crate::sql::{Sql, err, get, parse, parse_opt, ts};

const COLUMNS: &str = "merchant_id, provider, settings, sealed_secrets, updated_at, updated_by";

fn account_row(row: &AnyRow) -> StoreResult<StoredPaymentAccount> {
    Ok(StoredPaymentAccount {
        merchant_id: parse(row, "merchant_id")?,
        provider: get(row, "provider")?,
        settings: get(row, "settings")?,
        sealed_secrets: get(row, "sealed_secrets")?,
        updated_at: ts(row, "updated_at")?,
        updated_by: parse_opt(row, "updated_by")?,
    })
}

#[async_trait]
impl PaymentAccountRepo for Db {
    async fn put_payment_account(&self, a: &StoredPaymentAccount) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO payment_accounts (merchant_id, provider, settings, sealed_secrets, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (merchant_id, provider) DO UPDATE
                SET settings = excluded.settings, sealed_secrets = excluded.sealed_secrets,
                    updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(a.merchant_id.to_string())
        .bind(a.provider.clone())
        .bind(a.settings.clone())
        .bind(a.sealed_secrets.clone())
        .bind(a.updated_at.unix_micros())
        .bind(a.updated_by.map(|s| s.to_string()))
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn payment_account(&self, merchant: MerchantId, provider: &str) -> StoreResult<Option<StoredPaymentAccount>> {
        let mut q = Sql::new("SELECT ");
        q.push(COLUMNS).push(" FROM payment_accounts WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND provider = ").bind(provider.to_string());
        let row = q.query().fetch_optional(self.reader()).await.map_err(err)?;
        row.as_ref().map(account_row).transpose()
    }

    async fn payment_accounts(&self, merchant: MerchantId) -> StoreResult<Vec<StoredPaymentAccount>> {
        let mut q = Sql::new("SELECT ");
        q.push(COLUMNS).push(" FROM payment_accounts WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" ORDER BY provider");
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(account_row).collect()
    }

    async fn delete_payment_account(&self, merchant: MerchantId, provider: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM payment_accounts WHERE merchant_id = $1 AND provider = $2")
            .bind(merchant.to_string())
            .bind(provider.to_string())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn open_payments_at(&self, merchant: MerchantId, provider: &str) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT
               (SELECT COUNT(*) FROM payments p JOIN orders o ON o.id = p.order_id
                 WHERE p.merchant_id = $1 AND p.provider = $2 AND p.status = 'pending'
                   AND o.status = 'pending_payment')
             + (SELECT COUNT(*) FROM refunds r JOIN payments p ON p.id = r.payment_id
                 WHERE r.merchant_id = $1 AND p.provider = $2 AND r.status = 'pending') AS open",
        )
        .bind(merchant.to_string())
        .bind(provider.to_string())
        .fetch_one(self.reader())
        .await
        .map_err(err)?;
        get(&row, "open")
    }

    async fn any_payment_accounts(&self) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM payment_accounts LIMIT 1")
            .fetch_optional(self.reader())
            .await
            .map_err(err)?;
        Ok(row.is_some())
    }
}

const TILL_METHODS: [&str; 4] = ["cash", "bank_card", "wechat_code", "alipay_code"];

fn reconciliation_row(row: &AnyRow) -> StoreResult<Reconciliation> {
    let mismatches: String = get(row, "mismatches")?;
    Ok(Reconciliation {
        merchant_id: parse(row, "merchant_id")?,
        day: get(row, "day")?,
        checked: get(row, "checked")?,
        mismatches: serde_json::from_str(&mismatches).map_err(|e| crate::sql::bad_data("mismatches", e))?,
        created_at: ts(row, "created_at")?,
    })
}

#[async_trait]
impl ReconciliationRepo for Db {
    async fn provider_payments_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        after: Option<PaymentId>,
        limit: u32,
    ) -> StoreResult<Vec<Payment>> {
        let mut q = Sql::new("SELECT ");
        q.push(PAYMENT_COLUMNS).push(" FROM payments WHERE created_at >= ").bind(from.unix_micros());
        q.push(" AND created_at < ").bind(to.unix_micros());
        q.push(" AND provider NOT IN ").bind_list(TILL_METHODS.iter().map(|m| m.to_string()));
        if let Some(after) = after {
            q.push(" AND id > ").bind(after.to_string());
        }
        q.push(" ORDER BY id LIMIT ").bind(limit as i64);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(payment_row).collect()
    }

    async fn refunds_between(&self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Refund>> {
        let mut q = Sql::new("SELECT ");
        q.push(REFUND_COLUMNS).push(" FROM refunds WHERE created_at >= ").bind(from.unix_micros());
        q.push(" AND created_at < ").bind(to.unix_micros()).push(" ORDER BY id");
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(refund_row).collect()
    }

    async fn put_reconciliation(&self, r: &Reconciliation) -> StoreResult<()> {
        let mismatches = serde_json::to_string(&r.mismatches).map_err(|e| StoreError::Other(e.to_string()))?;
        sqlx::query(
            "INSERT INTO reconciliations (merchant_id, day, checked, mismatches, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (merchant_id, day) DO UPDATE
                SET checked = excluded.checked, mismatches = excluded.mismatches, created_at = excluded.created_at",
        )
        .bind(r.merchant_id.to_string())
        .bind(r.day.clone())
        .bind(r.checked)
        .bind(mismatches)
        .bind(r.created_at.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn reconciliations(&self, merchant: MerchantId, limit: u32) -> StoreResult<Vec<Reconciliation>> {
        let rows = sqlx::query(
            "SELECT merchant_id, day, checked, mismatches, created_at FROM reconciliations
             WHERE merchant_id = $1 ORDER BY day DESC LIMIT $2",
        )
        .bind(merchant.to_string())
        .bind(limit as i64)
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter().map(reconciliation_row).collect()
    }
}
