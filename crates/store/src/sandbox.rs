use async_trait::async_trait;
use sqlx::any::AnyRow;
use sweep_app::ports::{SandboxRefundOutcome, SandboxRepo, SandboxTransaction, StoreResult};
use sweep_domain::{Money, Timestamp};

use crate::Db;
use crate::sql::{err, get, ts, ts_opt};

fn transaction(row: &AnyRow) -> StoreResult<SandboxTransaction> {
    Ok(SandboxTransaction {
        out_trade_no: get(row, "out_trade_no")?,
        merchant_id: get(row, "merchant_id")?,
        transaction_id: get(row, "transaction_id")?,
        amount: Money::cny(get(row, "amount")?),
        description: get(row, "description")?,
        notify_url: get(row, "notify_url")?,
        return_url: get(row, "return_url")?,
        status: get(row, "status")?,
        refunded: Money::cny(get(row, "refunded")?),
        paid_at: ts_opt(row, "paid_at")?,
        created_at: ts(row, "created_at")?,
    })
}

#[async_trait]
impl SandboxRepo for Db {
    async fn sandbox_create(&self, t: &SandboxTransaction) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sandbox_transactions (out_trade_no, merchant_id, transaction_id, amount, description, notify_url,
                 return_url, status, refunded, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'NOTPAY', 0, $8)
             ON CONFLICT (out_trade_no) DO NOTHING",
        )
        .bind(t.out_trade_no.clone())
        .bind(t.merchant_id.clone())
        .bind(t.transaction_id.clone())
        .bind(t.amount.minor())
        .bind(t.description.clone())
        .bind(t.notify_url.clone())
        .bind(t.return_url.clone())
        .bind(t.created_at.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn sandbox_transaction(&self, out_trade_no: &str) -> StoreResult<Option<SandboxTransaction>> {
        let row = sqlx::query(
            "SELECT out_trade_no, merchant_id, transaction_id, amount, description, notify_url, return_url, status,
                 refunded, paid_at, created_at
             FROM sandbox_transactions WHERE out_trade_no = $1",
        )
        .bind(out_trade_no.to_string())
        .fetch_optional(self.reader())
        .await
        .map_err(err)?;
        row.as_ref().map(transaction).transpose()
    }

    async fn sandbox_mark_paid(&self, out_trade_no: &str, now: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE sandbox_transactions SET status = 'SUCCESS', paid_at = $2 WHERE out_trade_no = $1 AND status = 'NOTPAY'",
        )
        .bind(out_trade_no.to_string())
        .bind(now.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn sandbox_close(&self, out_trade_no: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE sandbox_transactions SET status = 'CLOSED' WHERE out_trade_no = $1 AND status = 'NOTPAY'",
        )
        .bind(out_trade_no.to_string())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn sandbox_refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
        amount: i64,
        now: Timestamp,
    ) -> StoreResult<SandboxRefundOutcome> {
        let mut tx = self.begin().await.map_err(err)?;
        let paid = sqlx::query("SELECT status FROM sandbox_transactions WHERE out_trade_no = $1")
            .bind(out_trade_no.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(err)?
            .map(|r| get::<String>(&r, "status"))
            .transpose()?;
        if paid.as_deref() != Some("SUCCESS") {
            return Ok(SandboxRefundOutcome::NotPaid);
        }
        let new = sqlx::query(
            "INSERT INTO sandbox_refunds (out_refund_no, out_trade_no, amount, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (out_refund_no) DO NOTHING",
        )
        .bind(out_refund_no.to_string())
        .bind(out_trade_no.to_string())
        .bind(amount)
        .bind(now.unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        if new.rows_affected() == 0 {
            return Ok(SandboxRefundOutcome::AlreadyDone);
        }
        let counted = sqlx::query(
            "UPDATE sandbox_transactions SET refunded = refunded + $2 WHERE out_trade_no = $1 AND refunded + $2 <= amount",
        )
        .bind(out_trade_no.to_string())
        .bind(amount)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        if counted.rows_affected() == 0 {
            return Ok(SandboxRefundOutcome::ExceedsPaid);
        }
        tx.commit().await.map_err(err)?;
        Ok(SandboxRefundOutcome::Done)
    }
}
