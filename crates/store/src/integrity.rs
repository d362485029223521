//! The queries behind `sweep check`'s rules for orders, payments, coupons, flash sales
//! and sold units. Each returns the rows that break one rule; a healthy database
//! returns none. They scan whole tables: an offline check, not a page.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sweep_app::ports::*;
use sweep_domain::order::OrderStatus;

use crate::Db;
use crate::sql::{Sql, err, get};

/// Statuses of orders that count against a flash sale's pool and a member's quota:
/// cancelled and expired orders gave their units back, refunded ones may have.
const FLASH_GAVE_BACK: [&str; 3] = ["cancelled", "expired", "refunded"];

fn statuses(keep: impl Fn(OrderStatus) -> bool) -> Vec<&'static str> {
    OrderStatus::ALL.into_iter().filter(|s| keep(*s)).map(|s| s.as_str()).collect()
}

impl Db {
    /// Runs `q` and reports each row it returns as breaking `rule`; `name` gives the
    /// row's subject and the figures that disagree. Every query selects `merchant_id`.
    async fn rows_breaking(
        &self,
        rule: Invariant,
        q: &Sql,
        name: impl Fn(&AnyRow) -> StoreResult<(String, String)>,
    ) -> StoreResult<Vec<Violation>> {
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter()
            .map(|r| {
                let (subject, detail) = name(r)?;
                Ok(Violation { invariant: rule, merchant_id: get(r, "merchant_id")?, subject, detail })
            })
            .collect()
    }

    async fn broken_order_money(&self) -> StoreResult<Vec<Violation>> {
        let mut q = Sql::new(
            "SELECT merchant_id, id, status, total, paid, refunded FROM orders
             WHERE status NOT IN ",
        );
        q.bind_list(statuses(|_| true));
        q.push(" OR (paid <> 0 OR refunded <> 0) AND status IN ").bind_list(statuses(|s| !s.was_paid()));
        // Till sales record what the till took, which offline may differ from the price.
        q.push(" OR paid <> total AND sale_id IS NULL AND status IN ").bind_list(statuses(OrderStatus::was_paid));
        q.push(" OR refunded <> 0 AND status IN ").bind_list(statuses(OrderStatus::keeps_all_it_took));
        q.push(" OR status = 'refunded' AND refunded <> paid");
        q.push(" OR status = 'partially_refunded' AND paid > 0 AND refunded >= paid");
        q.push(" ORDER BY merchant_id, id");
        self.rows_breaking(Invariant::OrderMoney, &q, |r| {
            let detail = format!(
                "status {}, total {}, paid {}, refunded {}",
                get::<String>(r, "status")?,
                get::<i64>(r, "total")?,
                get::<i64>(r, "paid")?,
                get::<i64>(r, "refunded")?
            );
            Ok((format!("order {}", get::<String>(r, "id")?), detail))
        })
        .await
    }

    async fn broken_order_history(&self) -> StoreResult<Vec<Violation>> {
        // An event that keeps the status is a note on the order (a return asked for or
        // turned down), not a step.
        let rule = Invariant::OrderHistory;
        let mut q = Sql::new(
            "SELECT merchant_id, order_id, from_status, to_status FROM order_events
             WHERE from_status IS NOT NULL AND from_status <> to_status AND from_status || '>' || to_status NOT IN ",
        );
        q.bind_list(OrderStatus::transitions().map(|(from, to)| format!("{}>{}", from.as_str(), to.as_str())));
        q.push(" ORDER BY merchant_id, order_id, id");
        let mut out = vec![];
        out.extend(
            self.rows_breaking(rule, &q, |r| {
                let detail =
                    format!("illegal step {} -> {}", get::<String>(r, "from_status")?, get::<String>(r, "to_status")?);
                Ok((format!("order {}", get::<String>(r, "order_id")?), detail))
            })
            .await?,
        );
        let never_reached = Sql::new(
            "SELECT o.merchant_id, o.id, o.status FROM orders o
             WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.to_status = o.status)
             ORDER BY o.merchant_id, o.id",
        );
        out.extend(
            self.rows_breaking(rule, &never_reached, |r| {
                let detail = format!("no event took it to {}", get::<String>(r, "status")?);
                Ok((format!("order {}", get::<String>(r, "id")?), detail))
            })
            .await?,
        );
        Ok(out)
    }

    async fn broken_payments(&self) -> StoreResult<Vec<Violation>> {
        // Money kept is what was captured less what went back. An online order keeps one
        // payment at most: a second capture (a shopper who paid twice, a payment landing
        // after the order closed) must be refunded in full. Tills may split a sale.
        let q = Sql::new(
            "SELECT o.merchant_id, o.id, o.paid, o.refunded,
                    CAST(COALESCE(p.captured, 0) AS BIGINT) AS captured,
                    CAST(COALESCE(p.given_back, 0) AS BIGINT) AS given_back,
                    CAST(COALESCE(p.kept, 0) AS BIGINT) AS kept
             FROM orders o
             LEFT JOIN (SELECT order_id, SUM(amount) AS captured, SUM(refunded) AS given_back,
                               SUM(CASE WHEN refunded < amount THEN 1 ELSE 0 END) AS kept
                        FROM payments WHERE status = 'captured' GROUP BY order_id) p ON p.order_id = o.id
             WHERE o.paid - o.refunded <> CAST(COALESCE(p.captured, 0) AS BIGINT) - CAST(COALESCE(p.given_back, 0) AS BIGINT)
                OR o.sale_id IS NULL AND CAST(COALESCE(p.kept, 0) AS BIGINT) > 1
             ORDER BY o.merchant_id, o.id",
        );
        self.rows_breaking(Invariant::Payments, &q, |r| {
            let detail = format!(
                "order paid {} refunded {}; payments captured {} refunded {}, {} kept",
                get::<i64>(r, "paid")?,
                get::<i64>(r, "refunded")?,
                get::<i64>(r, "captured")?,
                get::<i64>(r, "given_back")?,
                get::<i64>(r, "kept")?
            );
            Ok((format!("order {}", get::<String>(r, "id")?), detail))
        })
        .await
    }

    async fn broken_refunds(&self) -> StoreResult<Vec<Violation>> {
        let q = Sql::new(
            "SELECT p.merchant_id, p.id, p.status, p.amount, p.refunded, CAST(COALESCE(r.total, 0) AS BIGINT) AS listed
             FROM payments p
             LEFT JOIN (SELECT payment_id, SUM(amount) AS total FROM refunds GROUP BY payment_id) r ON r.payment_id = p.id
             WHERE p.refunded <> CAST(COALESCE(r.total, 0) AS BIGINT) OR p.refunded > p.amount
                OR p.status <> 'captured' AND p.refunded <> 0
             ORDER BY p.merchant_id, p.id",
        );
        self.rows_breaking(Invariant::Refunds, &q, |r| {
            let detail = format!(
                "{} payment of {} records {} refunded, its refunds add up to {}",
                get::<String>(r, "status")?,
                get::<i64>(r, "amount")?,
                get::<i64>(r, "refunded")?,
                get::<i64>(r, "listed")?
            );
            Ok((format!("payment {}", get::<String>(r, "id")?), detail))
        })
        .await
    }

    async fn broken_coupons(&self) -> StoreResult<Vec<Violation>> {
        let rule = Invariant::Coupons;
        let mut out = vec![];
        let defs = Sql::new(
            "SELECT d.merchant_id, d.id, d.issued, d.total_limit, CAST(COALESCE(c.n, 0) AS BIGINT) AS coupons
             FROM coupon_defs d
             LEFT JOIN (SELECT def_id, COUNT(*) AS n FROM coupons GROUP BY def_id) c ON c.def_id = d.id
             WHERE d.issued <> CAST(COALESCE(c.n, 0) AS BIGINT) OR d.total_limit IS NOT NULL AND d.issued > d.total_limit
             ORDER BY d.merchant_id, d.id",
        );
        out.extend(
            self.rows_breaking(rule, &defs, |r| {
                let limit = get::<Option<i64>>(r, "total_limit")?.map_or("none".to_string(), |l| l.to_string());
                let detail = format!(
                    "issued {} (limit {limit}), {} coupons exist",
                    get::<i64>(r, "issued")?,
                    get::<i64>(r, "coupons")?
                );
                Ok((format!("coupon definition {}", get::<String>(r, "id")?), detail))
            })
            .await?,
        );
        let members = Sql::new(
            "SELECT c.merchant_id, c.def_id, c.shopper_id, CAST(COUNT(*) AS BIGINT) AS n, d.per_member_limit,
                    CAST(COALESCE(h.held, 0) AS BIGINT) AS held
             FROM coupons c
             JOIN coupon_defs d ON d.id = c.def_id
             LEFT JOIN coupon_holdings h ON h.def_id = c.def_id AND h.shopper_id = c.shopper_id
             GROUP BY c.merchant_id, c.def_id, c.shopper_id, d.per_member_limit, h.held
             HAVING COUNT(*) > d.per_member_limit OR COUNT(*) <> CAST(COALESCE(h.held, 0) AS BIGINT)
             ORDER BY c.merchant_id, c.def_id, c.shopper_id",
        );
        out.extend(
            self.rows_breaking(rule, &members, |r| {
                let detail = format!(
                    "member {} has {} (limit {}, counted {})",
                    get::<String>(r, "shopper_id")?,
                    get::<i64>(r, "n")?,
                    get::<i64>(r, "per_member_limit")?,
                    get::<i64>(r, "held")?
                );
                Ok((format!("coupon definition {}", get::<String>(r, "def_id")?), detail))
            })
            .await?,
        );
        // A used coupon names its order and that order names it back; an order still
        // open or kept holds its coupon (cancelling or expiring one gives it back).
        let used = Sql::new(
            "SELECT c.merchant_id, c.id, c.order_id, o.coupon_id FROM coupons c
             LEFT JOIN orders o ON o.id = c.order_id
             WHERE c.status = 'used' AND (o.id IS NULL OR o.coupon_id IS NULL OR o.coupon_id <> c.id)
                OR c.status <> 'used' AND c.order_id IS NOT NULL
             ORDER BY c.merchant_id, c.id",
        );
        out.extend(
            self.rows_breaking(rule, &used, |r| {
                let detail = format!(
                    "order {} does not hold it",
                    get::<Option<String>>(r, "order_id")?.unwrap_or_else(|| "(none)".into())
                );
                Ok((format!("coupon {}", get::<String>(r, "id")?), detail))
            })
            .await?,
        );
        let mut held = Sql::new(
            "SELECT o.merchant_id, o.id, o.coupon_id, c.status, c.order_id FROM orders o
             LEFT JOIN coupons c ON c.id = o.coupon_id
             WHERE o.coupon_id IS NOT NULL AND (c.id IS NULL OR c.status <> 'used' OR c.order_id <> o.id) AND o.status IN ",
        );
        held.bind_list(statuses(|s| !s.is_final())).push(" ORDER BY o.merchant_id, o.id");
        out.extend(
            self.rows_breaking(rule, &held, |r| {
                let detail = format!(
                    "its coupon {} is {}",
                    get::<String>(r, "coupon_id")?,
                    get::<Option<String>>(r, "status")?.unwrap_or_else(|| "missing".into())
                );
                Ok((format!("order {}", get::<String>(r, "id")?), detail))
            })
            .await?,
        );
        Ok(out)
    }

    async fn broken_flash_sales(&self) -> StoreResult<Vec<Violation>> {
        let rule = Invariant::FlashSales;
        let mut out = vec![];
        let mut members = Sql::new(
            "SELECT o.merchant_id, o.flash_sale_id, o.shopper_id, CAST(SUM(l.quantity) AS BIGINT) AS units,
                    CAST(COALESCE(q.bought, 0) AS BIGINT) AS bought, CAST(COALESCE(q.cap, 0) AS BIGINT) AS cap
             FROM orders o
             JOIN order_lines l ON l.order_id = o.id
             LEFT JOIN flash_quota q ON q.sale_id = o.flash_sale_id AND q.shopper_id = o.shopper_id
             WHERE o.flash_sale_id IS NOT NULL AND o.status NOT IN ",
        );
        members.bind_list(FLASH_GAVE_BACK);
        members.push(
            " GROUP BY o.merchant_id, o.flash_sale_id, o.shopper_id, q.bought, q.cap
              HAVING SUM(l.quantity) > CAST(COALESCE(q.bought, 0) AS BIGINT)
                  OR SUM(l.quantity) > CAST(COALESCE(q.cap, 0) AS BIGINT)
              ORDER BY o.merchant_id, o.flash_sale_id, o.shopper_id",
        );
        out.extend(
            self.rows_breaking(rule, &members, |r| {
                let detail = format!(
                    "member {} holds {} units, quota counted {} of a limit of {}",
                    get::<String>(r, "shopper_id")?,
                    get::<i64>(r, "units")?,
                    get::<i64>(r, "bought")?,
                    get::<i64>(r, "cap")?
                );
                Ok((format!("flash sale {}", get::<String>(r, "flash_sale_id")?), detail))
            })
            .await?,
        );
        // While a sale is open its pool holds what orders have not taken; after it
        // closes the rest went back to stock.
        let mut pools = Sql::new(
            "SELECT i.merchant_id, i.sale_id, i.sku_id, i.pool_size, i.pool_left, i.open,
                    CAST(COALESCE(u.units, 0) AS BIGINT) AS units
             FROM flash_items i
             LEFT JOIN (SELECT o.flash_sale_id, l.sku_id, SUM(l.quantity) AS units
                        FROM orders o JOIN order_lines l ON l.order_id = o.id
                        WHERE o.flash_sale_id IS NOT NULL AND o.status NOT IN ",
        );
        pools.bind_list(FLASH_GAVE_BACK);
        pools.push(
            " GROUP BY o.flash_sale_id, l.sku_id) u ON u.flash_sale_id = i.sale_id AND u.sku_id = i.sku_id
             WHERE CAST(COALESCE(u.units, 0) AS BIGINT) + CASE WHEN i.open = 1 THEN i.pool_left ELSE 0 END > i.pool_size
             ORDER BY i.merchant_id, i.sale_id, i.sku_id",
        );
        out.extend(
            self.rows_breaking(rule, &pools, |r| {
                let detail = format!(
                    "sku {}: orders hold {} units and {} are left, of a pool of {}",
                    get::<String>(r, "sku_id")?,
                    get::<i64>(r, "units")?,
                    if get::<i64>(r, "open")? == 1 { get::<i64>(r, "pool_left")? } else { 0 },
                    get::<i64>(r, "pool_size")?
                );
                Ok((format!("flash sale {}", get::<String>(r, "sale_id")?), detail))
            })
            .await?,
        );
        Ok(out)
    }

    async fn broken_sold_units(&self) -> StoreResult<Vec<Violation>> {
        let rule = Invariant::SoldUnits;
        let mut out = vec![];
        // Every unit handed over or sold at a till names its order (`order:<id>`).
        let unbacked = Sql::new(
            "SELECT m.merchant_id, m.id, m.kind, m.reference, m.on_hand_delta FROM stock_movements m
             WHERE m.kind IN ('fulfil', 'sell')
               AND NOT EXISTS (SELECT 1 FROM orders o
                               WHERE m.reference LIKE 'order:%' AND o.id = SUBSTR(m.reference, 7)
                                 AND o.merchant_id = m.merchant_id)
             ORDER BY m.merchant_id, m.id",
        );
        out.extend(
            self.rows_breaking(rule, &unbacked, |r| {
                let detail = format!(
                    "{} of {} units names {}",
                    get::<String>(r, "kind")?,
                    -get::<i64>(r, "on_hand_delta")?,
                    get::<Option<String>>(r, "reference")?.unwrap_or_else(|| "no order".into())
                );
                Ok((format!("stock movement {}", get::<String>(r, "id")?), detail))
            })
            .await?,
        );
        // Units of a real order: never more than its lines at that location.
        let over = Sql::new(
            "SELECT m.merchant_id, SUBSTR(m.reference, 7) AS order_id, m.sku_id, m.location_id,
                    CAST(-SUM(m.on_hand_delta) AS BIGINT) AS taken, CAST(COALESCE(l.units, 0) AS BIGINT) AS ordered
             FROM stock_movements m
             JOIN orders o ON o.id = SUBSTR(m.reference, 7) AND o.merchant_id = m.merchant_id
             LEFT JOIN (SELECT ol.order_id, ol.sku_id, s.location_id, SUM(ol.quantity) AS units
                        FROM order_lines ol JOIN shipments s ON s.id = ol.shipment_id
                        GROUP BY ol.order_id, ol.sku_id, s.location_id) l
                    ON l.order_id = SUBSTR(m.reference, 7) AND l.sku_id = m.sku_id AND l.location_id = m.location_id
             WHERE m.kind IN ('fulfil', 'sell') AND m.reference LIKE 'order:%'
             GROUP BY m.merchant_id, SUBSTR(m.reference, 7), m.sku_id, m.location_id, l.units
             HAVING -SUM(m.on_hand_delta) > CAST(COALESCE(l.units, 0) AS BIGINT)
             ORDER BY m.merchant_id, 2, m.sku_id",
        );
        out.extend(
            self.rows_breaking(rule, &over, |r| {
                let detail = format!(
                    "sku {} at {}: {} units left the shelf, {} ordered",
                    get::<String>(r, "sku_id")?,
                    get::<String>(r, "location_id")?,
                    get::<i64>(r, "taken")?,
                    get::<i64>(r, "ordered")?
                );
                Ok((format!("order {}", get::<String>(r, "order_id")?), detail))
            })
            .await?,
        );
        Ok(out)
    }
}

#[async_trait]
impl IntegrityRepo for Db {
    async fn violations(&self, rule: Invariant) -> StoreResult<Vec<Violation>> {
        match rule {
            Invariant::OrderMoney => self.broken_order_money().await,
            Invariant::OrderHistory => self.broken_order_history().await,
            Invariant::Payments => self.broken_payments().await,
            Invariant::Refunds => self.broken_refunds().await,
            Invariant::Coupons => self.broken_coupons().await,
            Invariant::FlashSales => self.broken_flash_sales().await,
            Invariant::SoldUnits => self.broken_sold_units().await,
        }
    }
}
