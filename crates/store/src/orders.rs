//! Orders, payments, refunds, returns and pickup codes. Every step of an order is one
//! transaction with a conditional write on the order's status.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Transaction};
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::*;
use sweep_domain::channel::Channel;
use sweep_domain::ids::*;
use sweep_domain::order::*;
use sweep_domain::shopper::Phone;
use sweep_domain::text::Localized;
use sweep_domain::{Currency, Money, Timestamp};

use crate::Db;
use crate::inventory::apply_lines;
use crate::jobs::insert_job;
use crate::loyalty::apply_points;
use crate::sql::{Sql, bad_data, enum_col, err, get, map_err, parse, parse_opt, ts, ts_opt};

mod list;
mod steps;
pub(crate) use steps::insert_event;
use steps::{apply_change, insert_refund};

pub(crate) const ORDER_COLUMNS: &str = "id, merchant_id, number, shopper_id, status, fulfilment, channel, influencer_store_id, \
     influencer_clerk_id, card_id, campaign_id, pickup_store_id, address, currency, subtotal, discount, delivery_fee, total, paid, refunded, \
     pay_by, paid_at, completed_at, pickup_deadline, created_at, updated_at, points_used, sale_id, till_id, offline, coupon_id, coupon_discount, flash_sale_id";
const LINE_COLUMNS: &str = "id, order_id, shipment_id, sku_id, product_id, name_zh, name_en, sku_label, unit_price, \
     list_price, quantity, subtotal, discount, total, returned_quantity, refunded";
const SHIPMENT_COLUMNS: &str = "id, order_id, location_id, status, carrier, tracking_number, shipped_at, delivered_at";
pub(crate) const PAYMENT_COLUMNS: &str = "id, merchant_id, order_id, provider, out_trade_no, amount, status, provider_txn_id, \
     captured_at, refunded, created_at";
pub(crate) const REFUND_COLUMNS: &str =
    "id, merchant_id, order_id, payment_id, out_refund_no, amount, reason, status, created_at, completed_at";
pub(crate) const ORDER_UNIQUES: &[(&str, &str)] = &[
    ("uq_orders_sale", "sale_id"),
    ("orders.sale_id", "sale_id"),
    ("uq_orders_idempotency", "idempotency_key"),
    ("orders.idempotency_key", "idempotency_key"),
    ("uq_orders_number", "number"),
    ("orders.number", "number"),
    ("pickup_codes", "pickup_code"),
];

fn money(row: &AnyRow, column: &str, currency: Currency) -> StoreResult<Money> {
    Ok(Money::new(get(row, column)?, currency))
}

fn order_row(row: &AnyRow) -> StoreResult<Order> {
    let c = enum_col(row, "currency", Currency::parse)?;
    let address: Option<String> = get(row, "address")?;
    Ok(Order {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        number: get(row, "number")?,
        shopper_id: parse(row, "shopper_id")?,
        status: enum_col(row, "status", OrderStatus::parse)?,
        fulfilment: enum_col(row, "fulfilment", Fulfilment::parse)?,
        channel: enum_col(row, "channel", Channel::parse)?,
        influencer_store_id: parse_opt(row, "influencer_store_id")?,
        influencer_clerk_id: parse_opt(row, "influencer_clerk_id")?,
        card_id: parse_opt(row, "card_id")?,
        campaign_id: parse_opt(row, "campaign_id")?,
        pickup_store_id: parse_opt(row, "pickup_store_id")?,
        address: address.map(|a| serde_json::from_str(&a).map_err(|e| bad_data("address", e))).transpose()?,
        subtotal: money(row, "subtotal", c)?,
        discount: money(row, "discount", c)?,
        delivery_fee: money(row, "delivery_fee", c)?,
        total: money(row, "total", c)?,
        paid: money(row, "paid", c)?,
        refunded: money(row, "refunded", c)?,
        coupon_id: parse_opt(row, "coupon_id")?,
        coupon_discount: money(row, "coupon_discount", c)?,
        points_used: get(row, "points_used")?,
        sale_id: get(row, "sale_id")?,
        till_id: get(row, "till_id")?,
        offline: get::<i64>(row, "offline")? != 0,
        flash_sale_id: parse_opt(row, "flash_sale_id")?,
        pay_by: ts(row, "pay_by")?,
        paid_at: ts_opt(row, "paid_at")?,
        completed_at: ts_opt(row, "completed_at")?,
        pickup_deadline: ts_opt(row, "pickup_deadline")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        lines: vec![],
        shipments: vec![],
    })
}

fn line_row(row: &AnyRow, c: Currency) -> StoreResult<(OrderId, OrderLine)> {
    Ok((
        parse(row, "order_id")?,
        OrderLine {
            id: parse(row, "id")?,
            shipment_id: parse(row, "shipment_id")?,
            sku_id: parse(row, "sku_id")?,
            product_id: parse(row, "product_id")?,
            name: Localized { zh: get(row, "name_zh")?, en: get(row, "name_en")? },
            sku_label: get(row, "sku_label")?,
            unit_price: money(row, "unit_price", c)?,
            list_price: money(row, "list_price", c)?,
            quantity: get(row, "quantity")?,
            subtotal: money(row, "subtotal", c)?,
            discount: money(row, "discount", c)?,
            total: money(row, "total", c)?,
            returned_quantity: get(row, "returned_quantity")?,
            refunded: money(row, "refunded", c)?,
        },
    ))
}

fn shipment_row(row: &AnyRow) -> StoreResult<(OrderId, Shipment)> {
    Ok((
        parse(row, "order_id")?,
        Shipment {
            id: parse(row, "id")?,
            location_id: parse(row, "location_id")?,
            status: enum_col(row, "status", ShipmentStatus::parse)?,
            carrier: get(row, "carrier")?,
            tracking_number: get(row, "tracking_number")?,
            shipped_at: ts_opt(row, "shipped_at")?,
            delivered_at: ts_opt(row, "delivered_at")?,
        },
    ))
}

pub(crate) fn payment_row(row: &AnyRow) -> StoreResult<Payment> {
    Ok(Payment {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        order_id: parse(row, "order_id")?,
        provider: get(row, "provider")?,
        out_trade_no: get(row, "out_trade_no")?,
        amount: Money::cny(get(row, "amount")?),
        status: enum_col(row, "status", PaymentStatus::parse)?,
        provider_txn_id: get(row, "provider_txn_id")?,
        captured_at: ts_opt(row, "captured_at")?,
        refunded: Money::cny(get(row, "refunded")?),
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn refund_row(row: &AnyRow) -> StoreResult<Refund> {
    Ok(Refund {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        order_id: parse(row, "order_id")?,
        payment_id: parse(row, "payment_id")?,
        out_refund_no: get(row, "out_refund_no")?,
        amount: Money::cny(get(row, "amount")?),
        reason: get(row, "reason")?,
        status: enum_col(row, "status", RefundStatus::parse)?,
        created_at: ts(row, "created_at")?,
        completed_at: ts_opt(row, "completed_at")?,
    })
}

impl Db {
    /// Fills in lines and shipments of `orders` with two queries.
    async fn with_details(&self, mut orders: Vec<Order>) -> StoreResult<Vec<Order>> {
        if orders.is_empty() {
            return Ok(orders);
        }
        let ids: Vec<String> = orders.iter().map(|o| o.id.to_string()).collect();
        let currency = orders[0].total.currency();
        let mut q = Sql::new("SELECT ");
        q.push(LINE_COLUMNS).push(" FROM order_lines WHERE order_id IN ").bind_list(ids.clone()).push(" ORDER BY id");
        let mut lines: HashMap<OrderId, Vec<OrderLine>> = HashMap::new();
        for row in q.query().fetch_all(self.reader()).await.map_err(err)? {
            let (order, line) = line_row(&row, currency)?;
            lines.entry(order).or_default().push(line);
        }
        let mut q = Sql::new("SELECT ");
        q.push(SHIPMENT_COLUMNS).push(" FROM shipments WHERE order_id IN ").bind_list(ids).push(" ORDER BY id");
        let mut shipments: HashMap<OrderId, Vec<Shipment>> = HashMap::new();
        for row in q.query().fetch_all(self.reader()).await.map_err(err)? {
            let (order, shipment) = shipment_row(&row)?;
            shipments.entry(order).or_default().push(shipment);
        }
        for o in &mut orders {
            o.lines = lines.remove(&o.id).unwrap_or_default();
            o.shipments = shipments.remove(&o.id).unwrap_or_default();
        }
        Ok(orders)
    }

    pub(crate) async fn one_order(&self, q: Sql) -> StoreResult<Option<Order>> {
        let Some(row) = q.query().fetch_optional(self.reader()).await.map_err(err)? else {
            return Ok(None);
        };
        Ok(self.with_details(vec![order_row(&row)?]).await?.pop())
    }
}

#[async_trait]
impl OrderRepo for Db {
    async fn place_order(
        &self,
        o: &Order,
        idempotency_key: Option<&str>,
        reservations: &[StockLine],
        jobs: &[NewJob],
        cart_owner: Option<&str>,
        points: &[PointsChange],
    ) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        insert_order(&mut tx, o, idempotency_key).await?;
        // Stock before points, as in every other step and in till sales: two transactions
        // that take the same rows in opposite orders deadlock on PostgreSQL.
        apply_lines(&mut tx, o.merchant_id, reservations, None, o.created_at).await?;
        apply_points(&mut tx, o.merchant_id, points, o.created_at).await?;
        let event = OrderEvent {
            from: None,
            to: o.status,
            actor_kind: ActorKind::Shopper,
            actor_id: Some(o.shopper_id.to_string()),
            note: String::new(),
            created_at: o.created_at,
        };
        insert_event(&mut tx, o.merchant_id, o.id, &event).await?;
        for job in jobs {
            insert_job(&mut *tx, job).await.map_err(err)?;
        }
        if let Some(owner) = cart_owner {
            let mut q = Sql::new("DELETE FROM cart_items WHERE merchant_id = ");
            q.bind(o.merchant_id.to_string()).push(" AND owner = ").bind(owner.to_string());
            q.push(" AND sku_id IN ").bind_list(o.lines.iter().map(|l| l.sku_id.to_string()));
            q.query().execute(&mut *tx).await.map_err(err)?;
        }
        tx.commit().await.map_err(err)
    }

    async fn order(&self, merchant: MerchantId, id: OrderId) -> StoreResult<Option<Order>> {
        let mut q = Sql::new("SELECT ");
        q.push(ORDER_COLUMNS).push(" FROM orders WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND id = ").bind(id.to_string());
        self.one_order(q).await
    }

    async fn order_by_idempotency_key(
        &self,
        merchant: MerchantId,
        shopper: ShopperId,
        key: &str,
    ) -> StoreResult<Option<Order>> {
        let mut q = Sql::new("SELECT ");
        q.push(ORDER_COLUMNS).push(" FROM orders WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND shopper_id = ").bind(shopper.to_string()).push(" AND idempotency_key = ").bind(key.to_string());
        self.one_order(q).await
    }

    async fn list_orders(&self, merchant: MerchantId, f: &OrderFilter, page: &PageRequest) -> StoreResult<Page<Order>> {
        self.order_page(merchant, f, page).await
    }

    async fn shopper_phones(
        &self,
        merchant: MerchantId,
        shoppers: &[ShopperId],
    ) -> StoreResult<Vec<(ShopperId, Phone)>> {
        if shoppers.is_empty() {
            return Ok(vec![]);
        }
        // By primary key only, the merchant and kind checked on the rows: given the
        // merchant too, SQLite walks the merchant's whole phone index instead.
        let mut q = Sql::new("SELECT id, phone, merchant_id, kind FROM shoppers WHERE id IN ");
        q.bind_list(shoppers.iter().map(|s| s.to_string()));
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let merchant = merchant.to_string();
        rows.iter()
            .filter(|r| {
                get::<String>(r, "merchant_id").is_ok_and(|m| m == merchant)
                    && get::<String>(r, "kind").is_ok_and(|k| k == "member")
            })
            .map(|r| {
                let phone: String = get(r, "phone")?;
                Ok((parse(r, "id")?, Phone::parse("phone", &phone).map_err(|e| bad_data("phone", e))?))
            })
            .collect()
    }

    async fn order_events(&self, merchant: MerchantId, order: OrderId) -> StoreResult<Vec<OrderEvent>> {
        let rows = sqlx::query(
            "SELECT from_status, to_status, actor_kind, actor_id, note, created_at FROM order_events
             WHERE merchant_id = $1 AND order_id = $2 ORDER BY id",
        )
        .bind(merchant.to_string())
        .bind(order.to_string())
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                let from: Option<String> = get(r, "from_status")?;
                Ok(OrderEvent {
                    from: from.as_deref().and_then(OrderStatus::parse),
                    to: enum_col(r, "to_status", OrderStatus::parse)?,
                    actor_kind: enum_col(r, "actor_kind", ActorKind::parse)?,
                    actor_id: get(r, "actor_id")?,
                    note: get(r, "note")?,
                    created_at: ts(r, "created_at")?,
                })
            })
            .collect()
    }

    async fn change_order(&self, change: &OrderChange) -> StoreResult<ChangeOutcome> {
        let mut tx = self.begin().await.map_err(err)?;
        let outcome = apply_change(&mut tx, change).await?;
        if outcome == ChangeOutcome::Applied {
            tx.commit().await.map_err(err)?;
        }
        Ok(outcome)
    }

    async fn order_by_pickup_code(
        &self,
        store: LocationId,
        code: &str,
        now: Timestamp,
    ) -> StoreResult<Option<OrderId>> {
        let row = sqlx::query(
            "SELECT order_id FROM pickup_codes WHERE store_id = $1 AND code = $2 AND status = 'active' AND expires_at > $3",
        )
        .bind(store.to_string())
        .bind(code.to_string())
        .bind(now.unix_micros())
        .fetch_optional(self.reader())
        .await
        .map_err(err)?;
        row.map(|r| parse(&r, "order_id")).transpose()
    }

    async fn pickup_code(&self, order: OrderId) -> StoreResult<Option<(String, Timestamp, String)>> {
        let row = sqlx::query("SELECT code, expires_at, status FROM pickup_codes WHERE order_id = $1")
            .bind(order.to_string())
            .fetch_optional(self.reader())
            .await
            .map_err(err)?;
        row.map(|r| Ok((get(&r, "code")?, ts(&r, "expires_at")?, get(&r, "status")?))).transpose()
    }

    async fn start_payment(&self, p: &Payment) -> StoreResult<bool> {
        let mut tx = self.begin().await.map_err(err)?;
        let waiting =
            sqlx::query("UPDATE orders SET updated_at = updated_at WHERE id = $1 AND status = 'pending_payment'")
                .bind(p.order_id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(err)?;
        if waiting.rows_affected() == 0 {
            return Ok(false);
        }
        insert_payment(&mut tx, p).await?;
        tx.commit().await.map_err(err)?;
        Ok(true)
    }

    async fn payments(&self, merchant: MerchantId, order: OrderId) -> StoreResult<Vec<Payment>> {
        let mut q = Sql::new("SELECT ");
        q.push(PAYMENT_COLUMNS).push(" FROM payments WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND order_id = ").bind(order.to_string()).push(" ORDER BY id");
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(payment_row).collect()
    }

    async fn payment_by_out_trade_no(&self, out_trade_no: &str) -> StoreResult<Option<Payment>> {
        let mut q = Sql::new("SELECT ");
        q.push(PAYMENT_COLUMNS).push(" FROM payments WHERE out_trade_no = ").bind(out_trade_no.to_string());
        let row = q.query().fetch_optional(self.writer()).await.map_err(err)?;
        row.as_ref().map(payment_row).transpose()
    }

    async fn capture(&self, c: &Capture) -> StoreResult<CaptureOutcome> {
        let mut tx = self.begin().await.map_err(err)?;
        // Every order step locks the order's row before its payments' rows; so does this,
        // or a payment racing the order's expiry would deadlock with it.
        sqlx::query("UPDATE orders SET updated_at = updated_at WHERE id = $1")
            .bind(c.pay_order.order_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        // One conditional write decides whether this notification is the first for the payment.
        let first = sqlx::query(
            "UPDATE payments SET status = 'captured', provider_txn_id = $2, captured_at = $3
             WHERE id = $1 AND status <> 'captured'",
        )
        .bind(c.payment_id.to_string())
        .bind(c.provider_txn_id.clone())
        .bind(c.now.unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        if first.rows_affected() == 0 {
            return Ok(CaptureOutcome::AlreadyCaptured);
        }
        let outcome = match apply_change(&mut tx, &c.pay_order).await? {
            ChangeOutcome::Applied => CaptureOutcome::Paid,
            _ => {
                // The order cannot take this money (cancelled, expired, or paid by another
                // payment): give it back in full.
                let mut retry = tx;
                if !insert_refund(&mut retry, &c.refund_instead).await? {
                    return Err(StoreError::Other("could not record the refund of a late payment".into()));
                }
                insert_job(&mut *retry, &c.refund_job).await.map_err(err)?;
                retry.commit().await.map_err(err)?;
                return Ok(CaptureOutcome::Refunding);
            }
        };
        tx.commit().await.map_err(err)?;
        Ok(outcome)
    }

    async fn refunds(&self, merchant: MerchantId, order: OrderId) -> StoreResult<Vec<Refund>> {
        let mut q = Sql::new("SELECT ");
        q.push(REFUND_COLUMNS).push(" FROM refunds WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND order_id = ").bind(order.to_string()).push(" ORDER BY id");
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(refund_row).collect()
    }

    async fn refund(&self, id: RefundId) -> StoreResult<Option<Refund>> {
        self.refund_where(" FROM refunds WHERE id = ", id.to_string()).await
    }

    async fn complete_refund(&self, id: RefundId, now: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE refunds SET status = 'succeeded', completed_at = $2 WHERE id = $1 AND status = 'pending'")
            .bind(id.to_string())
            .bind(now.unix_micros())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn refund_by_out_refund_no(&self, out_refund_no: &str) -> StoreResult<Option<Refund>> {
        self.refund_where(" FROM refunds WHERE out_refund_no = ", out_refund_no.to_string()).await
    }

    async fn payments_to_query(&self, cutoff: Timestamp, limit: u32) -> StoreResult<Vec<Payment>> {
        // Only payments of orders still waiting: an order paid by another attempt, or
        // closed, has nothing to gain (late money is refunded when it shows up, and the
        // daily reconciliation finds the rest). The least recently asked go first.
        let mut q = Sql::new("SELECT ");
        q.push(PAYMENT_COLUMNS).push(
            " FROM payments p WHERE p.status = 'pending'
              AND EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id AND o.status = 'pending_payment')
              AND p.created_at < ",
        );
        q.bind(cutoff.unix_micros()).push(" AND (p.queried_at IS NULL OR p.queried_at < ");
        q.bind(cutoff.unix_micros())
            .push(") ORDER BY COALESCE(p.queried_at, 0), p.created_at LIMIT ")
            .bind(limit as i64);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(payment_row).collect()
    }

    async fn mark_payment_queried(&self, id: PaymentId, now: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE payments SET queried_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(now.unix_micros())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn record_notification(
        &self,
        provider: &str,
        merchant: Option<MerchantId>,
        out_trade_no: Option<&str>,
        outcome: &str,
        detail: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO payment_notifications (id, provider, merchant_id, out_trade_no, outcome, detail, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(provider.to_string())
        .bind(merchant.map(|m| m.to_string()))
        .bind(out_trade_no.map(str::to_string))
        .bind(outcome.to_string())
        .bind(detail.chars().take(500).collect::<String>())
        .bind(now.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn best_sellers(&self, merchant: MerchantId, limit: u32) -> StoreResult<Vec<ProductId>> {
        let rows = sqlx::query(
            "SELECT l.product_id, CAST(SUM(l.quantity) AS BIGINT) AS units
             FROM order_lines l JOIN orders o ON o.id = l.order_id
             WHERE o.merchant_id = $1 AND o.status IN ('paid', 'ready_for_pickup', 'shipped', 'completed', 'partially_refunded')
             GROUP BY l.product_id ORDER BY units DESC, l.product_id LIMIT $2",
        )
        .bind(merchant.to_string())
        .bind(limit as i64)
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter().map(|r| parse(r, "product_id")).collect()
    }

    async fn insert_return(&self, r: &ReturnRequest) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO order_returns (id, merchant_id, order_id, status, lines, amount, reason, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(r.id.to_string())
        .bind(r.merchant_id.to_string())
        .bind(r.order_id.to_string())
        .bind(r.status.as_str())
        .bind(serde_json::to_string(&r.lines).expect("lines serialise"))
        .bind(r.amount.minor())
        .bind(r.reason.clone())
        .bind(r.created_at.unix_micros())
        .execute(self.writer())
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn returns(&self, merchant: MerchantId, order: OrderId) -> StoreResult<Vec<ReturnRequest>> {
        let rows = sqlx::query(
            "SELECT id, merchant_id, order_id, status, lines, amount, reason, created_at, decided_at, decided_by
             FROM order_returns WHERE merchant_id = $1 AND order_id = $2 ORDER BY id",
        )
        .bind(merchant.to_string())
        .bind(order.to_string())
        .fetch_all(self.reader())
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                let lines: String = get(r, "lines")?;
                Ok(ReturnRequest {
                    id: parse(r, "id")?,
                    merchant_id: parse(r, "merchant_id")?,
                    order_id: parse(r, "order_id")?,
                    status: enum_col(r, "status", ReturnStatus::parse)?,
                    lines: serde_json::from_str(&lines).map_err(|e| bad_data("lines", e))?,
                    amount: Money::cny(get(r, "amount")?),
                    reason: get(r, "reason")?,
                    created_at: ts(r, "created_at")?,
                    decided_at: ts_opt(r, "decided_at")?,
                    decided_by: parse_opt(r, "decided_by")?,
                })
            })
            .collect()
    }
}

/// Writes a new order's rows: the order, its shipments and its lines.
pub(crate) async fn insert_order(
    tx: &mut Transaction<'static, Any>,
    o: &Order,
    idempotency_key: Option<&str>,
) -> StoreResult<()> {
    let address = o.address.as_ref().map(|a| serde_json::to_string(a).expect("address serialises"));
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO orders ({ORDER_COLUMNS}, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
                 $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34)"
    )))
    .bind(o.id.to_string())
    .bind(o.merchant_id.to_string())
    .bind(o.number.clone())
    .bind(o.shopper_id.to_string())
    .bind(o.status.as_str())
    .bind(o.fulfilment.as_str())
    .bind(o.channel.as_str())
    .bind(o.influencer_store_id.map(|s| s.to_string()))
    .bind(o.influencer_clerk_id.map(|s| s.to_string()))
    .bind(o.card_id.map(|s| s.to_string()))
    .bind(o.campaign_id.map(|s| s.to_string()))
    .bind(o.pickup_store_id.map(|s| s.to_string()))
    .bind(address)
    .bind(o.total.currency().code())
    .bind(o.subtotal.minor())
    .bind(o.discount.minor())
    .bind(o.delivery_fee.minor())
    .bind(o.total.minor())
    .bind(o.paid.minor())
    .bind(o.refunded.minor())
    .bind(o.pay_by.unix_micros())
    .bind(o.paid_at.map(|t| t.unix_micros()))
    .bind(o.completed_at.map(|t| t.unix_micros()))
    .bind(o.pickup_deadline.map(|t| t.unix_micros()))
    .bind(o.created_at.unix_micros())
    .bind(o.updated_at.unix_micros())
    .bind(o.points_used)
    .bind(o.sale_id.clone())
    .bind(o.till_id.clone())
    .bind(i64::from(o.offline))
    .bind(o.coupon_id.map(|c| c.to_string()))
    .bind(o.coupon_discount.minor())
    .bind(o.flash_sale_id.map(|f| f.to_string()))
    .bind(idempotency_key.map(str::to_string))
    .execute(&mut **tx)
    .await
    .map_err(|e| map_err(e, ORDER_UNIQUES))?;
    for s in &o.shipments {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO shipments ({SHIPMENT_COLUMNS}, merchant_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(s.id.to_string())
        .bind(o.id.to_string())
        .bind(s.location_id.to_string())
        .bind(s.status.as_str())
        .bind(s.carrier.clone())
        .bind(s.tracking_number.clone())
        .bind(s.shipped_at.map(|t| t.unix_micros()))
        .bind(s.delivered_at.map(|t| t.unix_micros()))
        .bind(o.merchant_id.to_string())
        .execute(&mut **tx)
        .await
        .map_err(err)?;
    }
    for l in &o.lines {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO order_lines ({LINE_COLUMNS}, merchant_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        )))
        .bind(l.id.to_string())
        .bind(o.id.to_string())
        .bind(l.shipment_id.to_string())
        .bind(l.sku_id.to_string())
        .bind(l.product_id.to_string())
        .bind(l.name.zh.clone())
        .bind(l.name.en.clone())
        .bind(l.sku_label.clone())
        .bind(l.unit_price.minor())
        .bind(l.list_price.minor())
        .bind(l.quantity)
        .bind(l.subtotal.minor())
        .bind(l.discount.minor())
        .bind(l.total.minor())
        .bind(l.returned_quantity)
        .bind(l.refunded.minor())
        .bind(o.merchant_id.to_string())
        .execute(&mut **tx)
        .await
        .map_err(err)?;
    }
    if let Some(coupon) = o.coupon_id {
        crate::coupons::spend_coupon(tx, o.merchant_id, coupon, o.shopper_id, o.id, o.created_at).await?;
    }
    crate::flash::feed::insert(tx, &crate::flash::feed::order_rows(o)).await?;
    crate::flash::feed::insert_paid_lines(tx, o).await
}

impl Db {
    /// One refund by a unique column (`from_where` ends with `column = `).
    async fn refund_where(&self, from_where: &'static str, value: String) -> StoreResult<Option<Refund>> {
        let mut q = Sql::new("SELECT ");
        q.push(REFUND_COLUMNS).push(from_where).bind(value);
        let row = q.query().fetch_optional(self.writer()).await.map_err(err)?;
        row.as_ref().map(refund_row).transpose()
    }
}

pub(crate) async fn insert_payment(tx: &mut Transaction<'static, Any>, p: &Payment) -> StoreResult<()> {
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO payments ({PAYMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )))
    .bind(p.id.to_string())
    .bind(p.merchant_id.to_string())
    .bind(p.order_id.to_string())
    .bind(p.provider.clone())
    .bind(p.out_trade_no.clone())
    .bind(p.amount.minor())
    .bind(p.status.as_str())
    .bind(p.provider_txn_id.clone())
    .bind(p.captured_at.map(|t| t.unix_micros()))
    .bind(p.refunded.minor())
    .bind(p.created_at.unix_micros())
    .execute(&mut **tx)
    .await
    .map_err(err)?;
    Ok(())
}
