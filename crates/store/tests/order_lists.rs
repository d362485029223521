//! The order list's filters against a generated history, on SQLite and PostgreSQL: every
//! filter's pages, walked with cursors, hold exactly the orders that the unfiltered list
//! says match, in order, each once, whichever way through the indexes the filter takes.

mod common;

use common::*;
use sweep_domain::order::{Fulfilment, Order, OrderStatus, ShipmentStatus};
use sweep_store::{HistoryPlan, both_backends};

async fn walk(db: &TestDb, merchant: MerchantId, filter: &OrderFilter, limit: u32) -> Vec<OrderId> {
    let mut seen = Vec::new();
    let mut page = PageRequest::first(limit);
    loop {
        let got = db.db.list_orders(merchant, filter, &page).await.unwrap();
        assert!(got.items.len() <= limit as usize);
        seen.extend(got.items.iter().map(|o| o.id));
        match got.next_cursor {
            Some(c) => page.after = Some(c),
            None => return seen,
        }
    }
}

/// A filter and what the unfiltered list's orders must satisfy to be in its pages.
type Case<'a> = (OrderFilter, Box<dyn Fn(&Order) -> bool + 'a>);

fn expected(all: &[Order], filter: &OrderFilter, keep: impl Fn(&Order) -> bool) -> Vec<OrderId> {
    let mut ids: Vec<OrderId> = all
        .iter()
        .filter(|o| filter.locations.as_ref().is_none_or(|ls| o.shipments.iter().any(|s| ls.contains(&s.location_id))))
        .filter(|o| keep(o))
        .map(|o| o.id)
        .collect();
    if filter.oldest_first {
        ids.reverse();
    }
    ids
}

both_backends! {
    async fn store_filters_list_each_matching_order_once_in_order(db: TestDb) {
        let w = world(&db, "lists").await;
        let mut stores = vec![w.store.id];
        for code in ["S2", "S3"] {
            let l = location(w.merchant.id, code, LocationKind::Store);
            db.db.insert_location(&l).await.unwrap();
            stores.push(l.id);
        }
        let now = Timestamp::from_unix_micros(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as i64,
        );
        let plan = HistoryPlan { merchant: w.merchant.id, orders: 400, days: 20, until: now, seed: 5 };
        db.db.generate_history(&plan, &|_| {}).await.unwrap();

        let everything = OrderFilter::default();
        let newest_first = walk(&db, w.merchant.id, &everything, 1000).await;
        assert_eq!(newest_first.len(), 400);
        let page = db.db.list_orders(w.merchant.id, &everything, &PageRequest::first(400)).await.unwrap();
        let all = page.items;
        assert_eq!(all.iter().map(|o| o.id).collect::<Vec<_>>(), newest_first);
        for (a, b) in [(stores[0], stores[1]), (stores[1], w.warehouse.id)] {
            assert!(all.iter().any(|o| o.shipments.iter().any(|s| s.location_id == a)), "history ships from {a}");
            assert!(all.iter().any(|o| o.shipments.iter().any(|s| s.location_id == b)), "history ships from {b}");
        }
        let shipment_state = all[0].shipments[0].status;
        let by_state = |o: &Order| o.shipments.iter().any(|s| s.status == shipment_state);

        let one = Some(vec![stores[0]]);
        let two = Some(vec![stores[1], w.warehouse.id]);
        let cases: Vec<Case> = vec![
            // Walking the stores' shipments.
            (OrderFilter { locations: one.clone(), ..Default::default() }, Box::new(|_| true)),
            (OrderFilter { locations: two.clone(), ..Default::default() }, Box::new(|_| true)),
            (OrderFilter { locations: two.clone(), oldest_first: true, ..Default::default() }, Box::new(|_| true)),
            (
                OrderFilter { locations: one.clone(), channel: Some(Channel::Pos), ..Default::default() },
                Box::new(|o| o.channel == Channel::Pos),
            ),
            (
                OrderFilter { locations: two.clone(), fulfilment: Some(Fulfilment::Delivery), ..Default::default() },
                Box::new(|o| o.fulfilment == Fulfilment::Delivery),
            ),
            (OrderFilter { locations: Some(vec![]), ..Default::default() }, Box::new(|_| false)),
            // The orders' status index, each checked for a shipment from the stores.
            (
                OrderFilter { locations: two.clone(), status: Some(OrderStatus::Completed), ..Default::default() },
                Box::new(|o| o.status == OrderStatus::Completed),
            ),
            (
                OrderFilter {
                    locations: one.clone(),
                    statuses: Some(vec![OrderStatus::Refunded, OrderStatus::Completed]),
                    oldest_first: true,
                    ..Default::default()
                },
                Box::new(|o| matches!(o.status, OrderStatus::Refunded | OrderStatus::Completed)),
            ),
            // The shipments' state index.
            (
                OrderFilter { locations: one.clone(), shipment_statuses: Some(vec![shipment_state]), ..Default::default() },
                Box::new(move |o| o.shipments.iter().any(|s| s.location_id == stores[0] && s.status == shipment_state)),
            ),
            (OrderFilter { shipment_statuses: Some(vec![shipment_state]), ..Default::default() }, Box::new(by_state)),
            (
                OrderFilter { shipment_statuses: Some(vec![ShipmentStatus::Cancelled]), ..Default::default() },
                Box::new(|o| o.shipments.iter().any(|s| s.status == ShipmentStatus::Cancelled)),
            ),
        ];
        for (filter, keep) in &cases {
            let want = expected(&all, filter, keep);
            for limit in [7, 50] {
                let got = walk(&db, w.merchant.id, filter, limit).await;
                assert_eq!(got, want, "{filter:?}, {limit} a page");
            }
        }
        let walked = expected(&all, &cases[0].0, &cases[0].1);
        assert!(walked.len() > 20 && walked.len() < 400, "one store has some orders, not all: {}", walked.len());

        // Another merchant's list stays empty, the store filter included.
        let other = world(&db, "other").await;
        let theirs = OrderFilter { locations: one.clone(), ..Default::default() };
        assert!(walk(&db, other.merchant.id, &theirs, 10).await.is_empty());
    }
}
