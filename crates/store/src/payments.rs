//! Merchants' payment provider accounts (secrets arrive sealed; this layer never sees
//! them in the clear).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sweep_app::ports::{PaymentAccountRepo, StoreResult, StoredPaymentAccount};
use sweep_domain::ids::MerchantId;

use crate::Db;
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
}
