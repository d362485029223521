//! One step of an order, applied in its transaction: the status write that decides
//! whether the step happens at all, then everything that goes with it.

use sqlx::{Any, AssertSqlSafe, Transaction};
use sweep_app::ports::*;
use sweep_domain::ids::*;
use sweep_domain::inventory::MovementKind;
use sweep_domain::order::*;

use super::{ORDER_UNIQUES, REFUND_COLUMNS};
use crate::inventory::apply_lines;
use crate::jobs::insert_job;
use crate::loyalty::apply_points;
use crate::sql::{Sql, err, map_err};

pub(crate) async fn insert_event(
    tx: &mut Transaction<'static, Any>,
    merchant: MerchantId,
    order: OrderId,
    e: &OrderEvent,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO order_events (id, merchant_id, order_id, from_status, to_status, actor_kind, actor_id, note, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(merchant.to_string())
    .bind(order.to_string())
    .bind(e.from.map(|s| s.as_str()))
    .bind(e.to.as_str())
    .bind(e.actor_kind.as_str())
    .bind(e.actor_id.clone())
    .bind(e.note.clone())
    .bind(e.created_at.unix_micros())
    .execute(&mut **tx)
    .await
    .map_err(err)?;
    Ok(())
}

pub(super) async fn insert_refund(tx: &mut Transaction<'static, Any>, r: &Refund) -> StoreResult<bool> {
    // Never refund more than the payment captured: one conditional write.
    let counted = sqlx::query(
        "UPDATE payments SET refunded = refunded + $2 WHERE id = $1 AND status = 'captured' AND refunded + $2 <= amount",
    )
    .bind(r.payment_id.to_string())
    .bind(r.amount.minor())
    .execute(&mut **tx)
    .await
    .map_err(err)?;
    if counted.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO refunds ({REFUND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(r.id.to_string())
    .bind(r.merchant_id.to_string())
    .bind(r.order_id.to_string())
    .bind(r.payment_id.to_string())
    .bind(r.out_refund_no.clone())
    .bind(r.amount.minor())
    .bind(r.reason.clone())
    .bind(r.status.as_str())
    .bind(r.created_at.unix_micros())
    .bind(r.completed_at.map(|t| t.unix_micros()))
    .execute(&mut **tx)
    .await
    .map_err(err)?;
    Ok(true)
}

/// Applies one order step inside a transaction. On anything but `Applied` the caller
/// must not commit.
pub(super) async fn apply_change(tx: &mut Transaction<'static, Any>, c: &OrderChange) -> StoreResult<ChangeOutcome> {
    let refunded: i64 = c.refunds.iter().map(|r| r.amount.minor()).sum();
    let mut q = Sql::new("UPDATE orders SET status = ");
    q.bind(c.to.as_str()).push(", updated_at = ").bind(c.now.unix_micros());
    q.push(", refunded = refunded + ").bind(refunded);
    if let Some(paid) = c.paid {
        q.push(", paid = ").bind(paid.minor()).push(", paid_at = ").bind(c.now.unix_micros());
    }
    if c.completed {
        q.push(", completed_at = ").bind(c.now.unix_micros());
    }
    if let Some(deadline) = c.pickup_deadline {
        q.push(", pickup_deadline = ").bind(deadline.unix_micros());
    }
    q.push(" WHERE merchant_id = ").bind(c.merchant_id.to_string());
    q.push(" AND id = ").bind(c.order_id.to_string());
    q.push(" AND status IN ").bind_list(c.from.iter().map(|s| s.as_str()));
    // The current status is re-checked by the write itself, so of two steps racing on
    // one order (payment and expiry, say) exactly one applies.
    if q.query().execute(&mut **tx).await.map_err(err)?.rows_affected() == 0 {
        return Ok(ChangeOutcome::Stale);
    }

    match &c.pickup_code {
        Some(PickupCodeChange::Issue { store, code, expires_at }) => {
            sqlx::query(
                "INSERT INTO pickup_codes (merchant_id, store_id, code, order_id, status, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, 'active', $5, $6)",
            )
            .bind(c.merchant_id.to_string())
            .bind(store.to_string())
            .bind(code.clone())
            .bind(c.order_id.to_string())
            .bind(expires_at.unix_micros())
            .bind(c.now.unix_micros())
            .execute(&mut **tx)
            .await
            .map_err(|e| map_err(e, ORDER_UNIQUES))?;
        }
        Some(PickupCodeChange::Use { store, code }) => {
            let used = sqlx::query(
                "UPDATE pickup_codes SET status = 'used', used_at = $4
                 WHERE store_id = $1 AND code = $2 AND order_id = $3 AND status = 'active' AND expires_at > $4",
            )
            .bind(store.to_string())
            .bind(code.clone())
            .bind(c.order_id.to_string())
            .bind(c.now.unix_micros())
            .execute(&mut **tx)
            .await
            .map_err(err)?;
            if used.rows_affected() == 0 {
                return Ok(ChangeOutcome::CodeRejected);
            }
        }
        Some(PickupCodeChange::Void) => {
            sqlx::query("UPDATE pickup_codes SET status = 'void' WHERE order_id = $1 AND status = 'active'")
                .bind(c.order_id.to_string())
                .execute(&mut **tx)
                .await
                .map_err(err)?;
        }
        None => {}
    }

    match c.flash {
        Some((sale, shopper)) => {
            let (releases, mut stock): (Vec<StockLine>, Vec<StockLine>) =
                c.stock.iter().cloned().partition(|l| l.change.kind == MovementKind::Release);
            stock.extend(crate::flash::give_back(tx, sale, shopper, &releases).await?);
            apply_lines(tx, c.merchant_id, &stock, None, c.now).await?;
        }
        None => {
            apply_lines(tx, c.merchant_id, &c.stock, None, c.now).await?;
        }
    }
    if let Some(paid) = c.paid {
        crate::flash::feed::insert_paid(tx, c.order_id, paid.minor(), c.now).await?;
    }

    for s in &c.shipments {
        let mut q = Sql::new("UPDATE shipments SET status = ");
        q.bind(s.status.as_str());
        if s.carrier.is_some() {
            q.push(", carrier = ").bind(s.carrier.clone().unwrap_or_default());
            q.push(", tracking_number = ").bind(s.tracking_number.clone().unwrap_or_default());
        }
        match s.status {
            ShipmentStatus::Shipped => {
                q.push(", shipped_at = ").bind(s.at.unix_micros());
            }
            ShipmentStatus::Delivered => {
                q.push(", delivered_at = ").bind(s.at.unix_micros());
            }
            _ => {}
        }
        q.push(" WHERE order_id = ").bind(c.order_id.to_string()).push(" AND id = ").bind(s.id.to_string());
        q.push(" AND status IN ").bind_list(s.expected.iter().map(|e| e.as_str()));
        // A shipment moved on meanwhile (shipped twice, cancelled while shipping): the
        // whole step is void.
        if q.query().execute(&mut **tx).await.map_err(err)?.rows_affected() == 0 {
            return Ok(ChangeOutcome::Stale);
        }
    }
    let mut promoted = false;
    if c.promote_when_all_shipped {
        promoted = sqlx::query(
            "UPDATE orders SET status = 'shipped' WHERE id = $1 AND status = 'paid'
               AND NOT EXISTS (SELECT 1 FROM shipments WHERE order_id = $1 AND status NOT IN ('shipped', 'delivered'))",
        )
        .bind(c.order_id.to_string())
        .execute(&mut **tx)
        .await
        .map_err(err)?
        .rows_affected()
            > 0;
    }

    for r in &c.refunds {
        if !insert_refund(tx, r).await? {
            return Ok(ChangeOutcome::RefundTooLarge);
        }
    }

    for (line, quantity, refunded) in &c.line_returns {
        let done = sqlx::query(
            "UPDATE order_lines SET returned_quantity = returned_quantity + $3, refunded = refunded + $4
             WHERE order_id = $1 AND id = $2 AND returned_quantity + $3 <= quantity AND refunded + $4 <= total",
        )
        .bind(c.order_id.to_string())
        .bind(line.to_string())
        .bind(*quantity)
        .bind(*refunded)
        .execute(&mut **tx)
        .await
        .map_err(err)?;
        if done.rows_affected() == 0 {
            return Ok(ChangeOutcome::Stale);
        }
    }

    if c.close_pending_payments {
        // Each payment closed here gets its job to close it at the provider, in this same
        // transaction: a payment started a moment ago cannot be missed.
        let closed = sqlx::query(
            "UPDATE payments SET status = 'closed' WHERE order_id = $1 AND status = 'pending'
             RETURNING id, provider, out_trade_no",
        )
        .bind(c.order_id.to_string())
        .fetch_all(&mut **tx)
        .await
        .map_err(err)?;
        for row in &closed {
            let id: String = crate::sql::get(row, "id")?;
            let provider: String = crate::sql::get(row, "provider")?;
            let out_trade_no: String = crate::sql::get(row, "out_trade_no")?;
            let job = NewJob {
                kind: sweep_app::orders::CLOSE_PAYMENT.into(),
                payload: serde_json::json!({"provider": provider, "out_trade_no": out_trade_no}).to_string(),
                run_at: c.now,
                dedupe_key: Some(format!("{}:{id}", sweep_app::orders::CLOSE_PAYMENT)),
            };
            insert_job(&mut **tx, &job).await.map_err(err)?;
        }
    }

    if let Some((id, status, by)) = &c.return_decision {
        let done = sqlx::query(
            "UPDATE order_returns SET status = $3, decided_at = $4, decided_by = $5
             WHERE order_id = $1 AND id = $2 AND status = 'requested'",
        )
        .bind(c.order_id.to_string())
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(c.now.unix_micros())
        .bind(by.map(|s| s.to_string()))
        .execute(&mut **tx)
        .await
        .map_err(err)?;
        if done.rows_affected() == 0 {
            return Ok(ChangeOutcome::Stale);
        }
    }

    let from = if c.from.len() == 1 { Some(c.from[0]) } else { None };
    let event = OrderEvent {
        from,
        to: c.to,
        actor_kind: c.actor_kind,
        actor_id: c.actor_id.clone(),
        note: c.note.clone(),
        created_at: c.now,
    };
    insert_event(tx, c.merchant_id, c.order_id, &event).await?;
    if promoted {
        let shipped = OrderEvent {
            from: Some(OrderStatus::Paid),
            to: OrderStatus::Shipped,
            note: "all shipments shipped".into(),
            ..event
        };
        insert_event(tx, c.merchant_id, c.order_id, &shipped).await?;
    }
    for job in &c.jobs {
        insert_job(&mut **tx, job).await.map_err(err)?;
    }
    apply_points(tx, c.merchant_id, &c.points, c.now).await?;
    if c.release_coupon {
        crate::coupons::release_coupon(tx, c.order_id).await?;
    }
    Ok(ChangeOutcome::Applied)
}
