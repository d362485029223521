use async_trait::async_trait;
use sweep_app::ports::{CartRepo, StoreResult};
use sweep_domain::Timestamp;
use sweep_domain::ids::{MerchantId, SkuId};

use crate::Db;
use crate::sql::{err, get, parse};

/// Adds to a cart line without going over the cap; a portable MIN.
const ADD_CAPPED: &str =
    "INSERT INTO cart_items (merchant_id, owner, sku_id, quantity, added_at) VALUES ($1, $2, $3, $4, $6)
     ON CONFLICT (owner, sku_id) DO UPDATE SET quantity = CASE
         WHEN cart_items.quantity + excluded.quantity > $5 THEN $5 ELSE cart_items.quantity + excluded.quantity END";

#[async_trait]
impl CartRepo for Db {
    async fn cart(&self, merchant: MerchantId, owner: &str) -> StoreResult<Vec<(SkuId, i64)>> {
        let rows = sqlx::query(
            "SELECT sku_id, quantity FROM cart_items WHERE merchant_id = $1 AND owner = $2 ORDER BY added_at, sku_id",
        )
        .bind(merchant.to_string())
        .bind(owner.to_string())
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter().map(|r| Ok((parse(r, "sku_id")?, get(r, "quantity")?))).collect()
    }

    async fn add_to_cart(
        &self,
        merchant: MerchantId,
        owner: &str,
        sku: SkuId,
        quantity: i64,
        max: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(ADD_CAPPED)
            .bind(merchant.to_string())
            .bind(owner.to_string())
            .bind(sku.to_string())
            .bind(quantity.min(max))
            .bind(max)
            .bind(now.unix_micros())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn set_cart_quantity(
        &self,
        merchant: MerchantId,
        owner: &str,
        sku: SkuId,
        quantity: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        if quantity <= 0 {
            sqlx::query("DELETE FROM cart_items WHERE merchant_id = $1 AND owner = $2 AND sku_id = $3")
                .bind(merchant.to_string())
                .bind(owner.to_string())
                .bind(sku.to_string())
                .execute(self.writer())
                .await
                .map_err(err)?;
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO cart_items (merchant_id, owner, sku_id, quantity, added_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (owner, sku_id) DO UPDATE SET quantity = excluded.quantity",
        )
        .bind(merchant.to_string())
        .bind(owner.to_string())
        .bind(sku.to_string())
        .bind(quantity)
        .bind(now.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn merge_cart(
        &self,
        merchant: MerchantId,
        from: &str,
        into: &str,
        max: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        let rows = sqlx::query("SELECT sku_id, quantity FROM cart_items WHERE merchant_id = $1 AND owner = $2")
            .bind(merchant.to_string())
            .bind(from.to_string())
            .fetch_all(&mut *tx)
            .await
            .map_err(err)?;
        for row in &rows {
            let sku: String = get(row, "sku_id")?;
            let quantity: i64 = get(row, "quantity")?;
            sqlx::query(ADD_CAPPED)
                .bind(merchant.to_string())
                .bind(into.to_string())
                .bind(sku)
                .bind(quantity.min(max))
                .bind(max)
                .bind(now.unix_micros())
                .execute(&mut *tx)
                .await
                .map_err(err)?;
        }
        sqlx::query("DELETE FROM cart_items WHERE merchant_id = $1 AND owner = $2")
            .bind(merchant.to_string())
            .bind(from.to_string())
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)
    }
}
