//! The order list: a page of a merchant's orders under any mix of filters, and the way
//! through the indexes each mix takes, so that a page costs the same at ten million
//! orders as at a thousand.

use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::{OrderFilter, StoreResult};
use sweep_domain::Timestamp;
use sweep_domain::ids::{LocationId, MerchantId};
use sweep_domain::order::Order;

use super::{ORDER_COLUMNS, order_row};
use crate::Db;
use crate::sql::{Sql, err, get};

impl Db {
    pub(super) async fn order_page(
        &self,
        merchant: MerchantId,
        f: &OrderFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Order>> {
        let rows = match walked_stores(f) {
            Some(stores) => self.orders_walking_stores(merchant, stores, f, page).await?,
            None => {
                let mut q = Sql::new("SELECT ");
                q.push(ORDER_COLUMNS).push(" FROM orders o WHERE");
                conditions(&mut q, merchant, f);
                id_range(&mut q, "o.id", f, page);
                shipped_from(&mut q, f, page);
                // A number prefix finds its few orders through the number index; ordering
                // by the id index instead would walk back through all history to reach an
                // old day.
                q.push(if f.number_prefix.is_some() { " ORDER BY (o.id || '')" } else { " ORDER BY o.id" });
                q.push(if f.oldest_first { " ASC" } else { " DESC" });
                q.push(" LIMIT ").bind(page.limit as i64 + 1);
                q.query().fetch_all(self.reader()).await.map_err(err)?
            }
        };
        let orders = rows.iter().map(order_row).collect::<StoreResult<Vec<_>>>()?;
        let page = Page::from_rows(orders, page.limit, |o| o.id.to_string());
        let items = self.with_details(page.items).await?;
        Ok(Page { items, next_cursor: page.next_cursor })
    }

    /// A store's list (a store manager's default, or head office filtering by store):
    /// each store's shipments are read newest first from `(location_id, order_id)`, their
    /// orders checked by primary key, until a page is found; the stores' pages are merged.
    /// The planners would otherwise collect every order the store ever shipped first.
    async fn orders_walking_stores(
        &self,
        merchant: MerchantId,
        stores: &[LocationId],
        f: &OrderFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<sqlx::any::AnyRow>> {
        let wanted = page.limit as usize + 1;
        let mut ids: Vec<String> = Vec::new();
        for store in stores {
            // CROSS JOIN keeps SQLite's join order: shipments first.
            let mut q =
                Sql::new("SELECT DISTINCT s.order_id FROM shipments s CROSS JOIN orders o WHERE s.location_id = ");
            q.bind(store.to_string()).push(" AND o.id = s.order_id AND");
            conditions(&mut q, merchant, f);
            id_range(&mut q, "s.order_id", f, page);
            q.push(" ORDER BY s.order_id").push(if f.oldest_first { " ASC" } else { " DESC" });
            q.push(" LIMIT ").bind(wanted as i64);
            for row in q.query().fetch_all(self.reader()).await.map_err(err)? {
                ids.push(get(&row, "order_id")?);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        if !f.oldest_first {
            ids.reverse();
        }
        ids.truncate(wanted);
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut q = Sql::new("SELECT ");
        q.push(ORDER_COLUMNS).push(" FROM orders WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND id IN ").bind_list(ids);
        q.push(" ORDER BY id").push(if f.oldest_first { " ASC" } else { " DESC" });
        q.query().fetch_all(self.reader()).await.map_err(err)
    }
}

/// The stores to walk when the store is the list's only narrow filter. A status, a
/// shopper or a number picks few orders through the orders' own indexes instead, each
/// checked for a shipment from the stores; open shipments are found through theirs.
fn walked_stores(f: &OrderFilter) -> Option<&[LocationId]> {
    let narrower = f.status.is_some()
        || f.statuses.is_some()
        || f.shopper.is_some()
        || f.number_prefix.is_some()
        || f.shipment_statuses.is_some();
    f.locations.as_deref().filter(|_| !narrower)
}

/// ` o.merchant_id = … AND …`: the filters on the order's own columns.
fn conditions(q: &mut Sql, merchant: MerchantId, f: &OrderFilter) {
    q.push(" o.merchant_id = ").bind(merchant.to_string());
    if let Some(s) = f.shopper {
        q.push(" AND o.shopper_id = ").bind(s.to_string());
    }
    if let Some(s) = f.status {
        q.push(" AND o.status = ").bind(s.as_str());
    }
    if let Some(statuses) = &f.statuses {
        q.push(" AND o.status IN ").bind_list(statuses.iter().map(|s| s.as_str()));
    }
    if let Some(k) = f.fulfilment {
        q.push(" AND o.fulfilment = ").bind(k.as_str());
    }
    if let Some(c) = f.channel {
        q.push(" AND o.channel = ").bind(c.as_str());
    }
    if let Some(prefix) = &f.number_prefix {
        // A range, not LIKE: it uses the unique (merchant_id, number) index under any
        // collation, digits sorting the same in all of them.
        if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) {
            q.push(" AND o.number >= ").bind(prefix.clone());
            if let Some(end) = digits_after(prefix) {
                q.push(" AND o.number < ").bind(end);
            }
        } else {
            q.push(" AND o.number = ").bind(prefix.clone());
        }
    }
}

/// The placed-at range and the page's cursor on an order id column. Ids are UUID v7,
/// their text led by the time they were made: a time range is an id range, served by
/// every index that ends in the order's id.
fn id_range(q: &mut Sql, column: &'static str, f: &OrderFilter, page: &PageRequest) {
    if let Some(from) = f.placed_from {
        q.push(" AND ").push(column).push(" >= ").bind(first_id_at(from));
    }
    if let Some(before) = f.placed_before {
        q.push(" AND ").push(column).push(" < ").bind(first_id_at(before));
    }
    if let Some(after) = &page.after {
        q.push(" AND ").push(column).push(if f.oldest_first { " > " } else { " < " }).bind(after.clone());
    }
}

/// Only orders with a shipment from one of the filter's locations (any, when none)
/// in one of its shipment states (any, when none); nothing when it names neither. Open shipments are few: their order ids are collected from
/// the `(location_id, status, order_id)` index. Otherwise each candidate order is checked
/// by its own shipments.
fn shipped_from(q: &mut Sql, f: &OrderFilter, page: &PageRequest) {
    if f.locations.is_none() && f.shipment_statuses.is_none() {
        return;
    }
    let by_shipment_state = f.shipment_statuses.is_some();
    q.push(if by_shipment_state {
        " AND o.id IN (SELECT s.order_id FROM shipments s WHERE 1 = 1"
    } else {
        " AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id"
    });
    if let Some(locations) = &f.locations {
        q.push(" AND s.location_id IN ").bind_list(locations.iter().map(|l| l.to_string()));
    }
    if let Some(statuses) = &f.shipment_statuses {
        q.push(" AND s.status IN ").bind_list(statuses.iter().map(|s| s.as_str()));
    }
    if by_shipment_state {
        // The same bounds inside, so a store's shipments are read from the page on.
        id_range(q, "s.order_id", f, page);
    }
    q.push(")");
}

/// The smallest id text of anything made at `at` or later: the UUID v7 layout, its
/// first 48 bits the Unix time in milliseconds, every other bit zero.
fn first_id_at(at: Timestamp) -> String {
    let ms = at.unix_micros().div_euclid(1000).clamp(0, (1 << 48) - 1) as u64;
    format!("{:08x}-{:04x}-0000-0000-000000000000", ms >> 16, ms & 0xffff)
}

/// The first string of digits after every string starting with `prefix` (digits):
/// `"2611"` gives `"2612"`, `"2619"` gives `"262"`; `None` when there is none (all nines).
fn digits_after(prefix: &str) -> Option<String> {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last.is_ascii_digit() && last < b'9' {
            bytes.push(last + 1);
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use sweep_domain::ids::OrderId;

    use super::*;

    #[test]
    fn a_time_bounds_the_ids_made_from_it_on() {
        let before = first_id_at(Timestamp::from_unix_micros(0));
        let now_micros = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros();
        let now = Timestamp::from_unix_micros(now_micros as i64);
        let made = OrderId::new().to_string();
        assert!(before < made);
        assert!(first_id_at(now.minus_seconds(1)) <= made, "{made}");
        assert!(first_id_at(now.plus_seconds(1)) > made, "{made}");
        assert_eq!(
            first_id_at(Timestamp::from_unix_micros(0x0123_4567_89ab * 1000)),
            "01234567-89ab-0000-0000-000000000000"
        );
    }

    #[test]
    fn digit_prefixes_end_where_the_next_begins() {
        assert_eq!(digits_after("2611").as_deref(), Some("2612"));
        assert_eq!(digits_after("2619").as_deref(), Some("262"));
        assert_eq!(digits_after("99"), None);
    }
}
