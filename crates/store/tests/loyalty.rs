//! Storage stories of the member card and the till, on SQLite and PostgreSQL: points
//! applied once per source and never below zero, till sales recorded once however
//! often and however concurrently they are sent.

mod common;

use common::*;
use sweep_domain::loyalty::PointsKind;
use sweep_domain::order::*;
use sweep_domain::shopper::Phone;
use sweep_store::both_backends;

fn change(shopper: ShopperId, kind: PointsKind, delta: i64, source: &str) -> PointsChange {
    PointsChange {
        shopper_id: shopper,
        kind,
        delta,
        source: source.into(),
        order_id: None,
        store_id: None,
        note: String::new(),
        expires_at: None,
        clamp: false,
    }
}

async fn member(db: &TestDb, w: &World, phone: &str) -> MemberRecord {
    let phone = Phone::parse("phone", phone).unwrap();
    db.db.enrol(w.merchant.id, &phone, "pos", Some(w.store.id), t(0)).await.unwrap()
}

async fn points(db: &TestDb, w: &World, shopper: ShopperId) -> i64 {
    db.db.member(w.merchant.id, shopper).await.unwrap().unwrap().points
}

/// A till sale of `quantity` units of the world's SKU at its store, for `shopper`.
fn sale(w: &World, shopper: ShopperId, sale_id: &str, quantity: i64, offline: bool) -> TillSale {
    let order_id = OrderId::new();
    let shipment_id = ShipmentId::new();
    let unit = Money::cny(10_000);
    let total = unit.checked_mul(quantity).unwrap();
    let order = Order {
        id: order_id,
        merchant_id: w.merchant.id,
        number: format!("T{}", &order_id.uuid().simple().to_string()[20..]),
        shopper_id: shopper,
        status: OrderStatus::Completed,
        fulfilment: Fulfilment::InStore,
        channel: Channel::Pos,
        influencer_store_id: Some(w.store.id),
        influencer_clerk_id: None,
        card_id: None,
        campaign_id: None,
        pickup_store_id: None,
        address: None,
        subtotal: total,
        discount: Money::cny(0),
        delivery_fee: Money::cny(0),
        total,
        paid: total,
        refunded: Money::cny(0),
        coupon_id: None,
        coupon_discount: Money::cny(0),
        points_used: 0,
        sale_id: Some(sale_id.into()),
        till_id: Some("T1".into()),
        offline,
        flash_sale_id: None,
        pay_by: t(10),
        paid_at: Some(t(10)),
        completed_at: Some(t(10)),
        pickup_deadline: None,
        created_at: t(10),
        updated_at: t(10),
        lines: vec![OrderLine {
            id: OrderLineId::new(),
            shipment_id,
            sku_id: w.sku.id,
            product_id: w.sku.product_id,
            name: Localized { zh: "四件套".into(), en: "Bedding set".into() },
            sku_label: String::new(),
            unit_price: unit,
            list_price: unit,
            quantity,
            subtotal: total,
            discount: Money::cny(0),
            total,
            returned_quantity: 0,
            refunded: Money::cny(0),
        }],
        shipments: vec![Shipment {
            id: shipment_id,
            location_id: w.store.id,
            status: ShipmentStatus::Delivered,
            carrier: None,
            tracking_number: None,
            shipped_at: None,
            delivered_at: Some(t(10)),
        }],
    };
    let payment = Payment {
        id: PaymentId::new(),
        merchant_id: w.merchant.id,
        order_id,
        provider: "cash".into(),
        out_trade_no: format!("till-{}-0", order_id.uuid().simple()),
        amount: total,
        status: PaymentStatus::Captured,
        provider_txn_id: None,
        captured_at: Some(t(10)),
        refunded: Money::cny(0),
        created_at: t(10),
    };
    let mut earn = change(shopper, PointsKind::Earn, total.minor() / 100, &format!("earn:{order_id}"));
    earn.order_id = Some(order_id);
    TillSale {
        order,
        sale_id: sale_id.into(),
        till_id: "T1".into(),
        offline,
        payments: vec![payment],
        stock: vec![line(w.sku.id, w.store.id, MovementKind::Sell, quantity)],
        points: vec![earn],
        note: String::new(),
        actor_id: None,
    }
}

both_backends! {
    async fn points_apply_once_per_source_and_never_below_zero(db: TestDb) {
        let w = world(&db, "pts").await;
        let m = member(&db, &w, "13900000001").await;
        let earn = change(m.shopper_id, PointsKind::Earn, 100, "earn:a");
        db.db.apply_points(w.merchant.id, std::slice::from_ref(&earn), t(1)).await.unwrap();
        db.db.apply_points(w.merchant.id, &[earn], t(2)).await.unwrap();
        assert_eq!(points(&db, &w, m.shopper_id).await, 100, "the same source counts once");

        // Spending more than the balance writes nothing, not even the entry.
        let e = db.db.apply_points(w.merchant.id, &[change(m.shopper_id, PointsKind::Redeem, -150, "redeem:b")], t(3)).await.unwrap_err();
        assert!(matches!(e, StoreError::InsufficientPoints { available: 100 }), "{e:?}");
        let history = db.db.points_history(w.merchant.id, m.shopper_id, &PageRequest::first(10)).await.unwrap();
        assert_eq!(history.items.len(), 1);

        // Taking back points that were spent meanwhile takes what is there.
        let mut reverse = change(m.shopper_id, PointsKind::Reverse, -150, "reverse:c");
        reverse.clamp = true;
        db.db.apply_points(w.merchant.id, &[reverse], t(4)).await.unwrap();
        assert_eq!(points(&db, &w, m.shopper_id).await, 0);
        let history = db.db.points_history(w.merchant.id, m.shopper_id, &PageRequest::first(10)).await.unwrap();
        assert_eq!(history.items.iter().map(|e| e.delta).collect::<Vec<_>>(), vec![-100, 100], "newest first");
        assert!(db.db.points_mismatches().await.unwrap().is_empty());
    }
}

both_backends! {
    async fn racing_redemptions_spend_a_balance_once(db: TestDb) {
        let w = world(&db, "race").await;
        let m = member(&db, &w, "13900000002").await;
        db.db.apply_points(w.merchant.id, &[change(m.shopper_id, PointsKind::Earn, 500, "earn:x")], t(1)).await.unwrap();
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let d = db.db.clone();
                let c = change(m.shopper_id, PointsKind::Redeem, -500, &format!("redeem:{i}"));
                let merchant = w.merchant.id;
                tokio::spawn(async move { d.apply_points(merchant, &[c], t(2)).await })
            })
            .collect();
        let mut spent = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => spent += 1,
                Err(StoreError::InsufficientPoints { .. }) => {}
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!(spent, 1, "one redemption of the whole balance succeeds");
        assert_eq!(points(&db, &w, m.shopper_id).await, 0);
        assert!(db.db.points_mismatches().await.unwrap().is_empty(), "the balance is the ledger's sum");
    }
}

both_backends! {
    async fn a_till_sale_sent_ten_times_at_once_is_recorded_once(db: TestDb) {
        let w = world(&db, "till").await;
        db.db.apply_stock(w.merchant.id, &[line(w.sku.id, w.store.id, MovementKind::Receive, 10)], None, t(1)).await.unwrap();
        let m = member(&db, &w, "13900000003").await;
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let d = db.db.clone();
                // Every resend is the till's same sale; each attempt makes its own order id.
                let s = sale(&w, m.shopper_id, "S1-0001", 3, false);
                tokio::spawn(async move { d.record_till_sale(&s).await })
            })
            .collect();
        let mut recorded = 0;
        let mut replayed = Vec::new();
        for task in tasks {
            match task.await.unwrap().unwrap() {
                TillSaleOutcome::Recorded => recorded += 1,
                TillSaleOutcome::AlreadyRecorded(id) => replayed.push(id),
            }
        }
        assert_eq!(recorded, 1);
        let order = db.db.order_by_sale_id(w.merchant.id, "S1-0001").await.unwrap().unwrap();
        assert!(replayed.iter().all(|id| *id == order.id), "resends answer with the recorded sale");
        assert_eq!(level(&db, &w, w.store.id).await, StockLevel { on_hand: 7, reserved: 0 }, "stock moved once");
        assert_eq!(points(&db, &w, m.shopper_id).await, 300, "points earned once");
        // And once more, in sequence.
        let again = db.db.record_till_sale(&sale(&w, m.shopper_id, "S1-0001", 3, false)).await.unwrap();
        assert_eq!(again, TillSaleOutcome::AlreadyRecorded(order.id));
        assert_eq!(level(&db, &w, w.store.id).await.on_hand, 7);
        assert!(db.db.ledger_mismatches().await.unwrap().is_empty());
    }
}

both_backends! {
    async fn an_offline_sale_beyond_stock_is_kept_and_flagged(db: TestDb) {
        let w = world(&db, "off").await;
        db.db.apply_stock(w.merchant.id, &[line(w.sku.id, w.store.id, MovementKind::Receive, 3)], None, t(1)).await.unwrap();
        db.db.apply_stock(w.merchant.id, &[line(w.sku.id, w.store.id, MovementKind::Reserve, 1)], None, t(1)).await.unwrap();
        let walk_in = db.db.walk_in_shopper(w.merchant.id, t(1)).await.unwrap();
        assert_eq!(db.db.walk_in_shopper(w.merchant.id, t(2)).await.unwrap(), walk_in, "one walk-in per merchant");
        let mut s = sale(&w, walk_in, "S1-OFF-1", 5, true);
        s.points.clear();
        assert_eq!(db.db.record_till_sale(&s).await.unwrap(), TillSaleOutcome::Recorded);
        // Two were free to sell (one is promised to an order); three were sold beyond the record.
        assert_eq!(level(&db, &w, w.store.id).await, StockLevel { on_hand: 1, reserved: 1 });
        let flagged = db.db.offline_oversells().await.unwrap();
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].note, "3 sold offline beyond the recorded stock");
        assert!(db.db.ledger_mismatches().await.unwrap().is_empty(), "the ledger still explains every level");

        // Online, the same shortfall refuses the sale and writes nothing.
        let e = db.db.record_till_sale(&sale(&w, walk_in, "S1-ON-1", 5, false)).await.unwrap_err();
        assert!(matches!(e, StoreError::InsufficientStock { .. }), "{e:?}");
        assert!(db.db.order_by_sale_id(w.merchant.id, "S1-ON-1").await.unwrap().is_none());
        // The walk-in shopper is nobody's member card.
        assert!(db.db.member(w.merchant.id, walk_in).await.unwrap().is_none());
    }
}

both_backends! {
    async fn expiry_figures_count_what_came_in_and_what_went_out(db: TestDb) {
        let w = world(&db, "exp").await;
        let m = member(&db, &w, "13900000004").await;
        let mut old = change(m.shopper_id, PointsKind::Earn, 300, "earn:old");
        old.expires_at = Some(t(100));
        let mut new = change(m.shopper_id, PointsKind::Earn, 200, "earn:new");
        new.expires_at = Some(t(10_000));
        db.db.apply_points(w.merchant.id, &[old, new], t(1)).await.unwrap();
        db.db.apply_points(w.merchant.id, &[change(m.shopper_id, PointsKind::Redeem, -120, "redeem:1")], t(2)).await.unwrap();
        assert_eq!(db.db.expiry_figures(w.merchant.id, m.shopper_id, t(50)).await.unwrap(), (0, 120, 380));
        assert_eq!(db.db.expiry_figures(w.merchant.id, m.shopper_id, t(200)).await.unwrap(), (300, 120, 380));
        let due = db.db.members_with_expired_points(t(200), None, 10).await.unwrap();
        assert_eq!(due, vec![(w.merchant.id, m.shopper_id)]);
        assert!(db.db.members_with_expired_points(t(50), None, 10).await.unwrap().is_empty());
    }
}

struct FixedClock(Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

both_backends! {
    async fn old_points_expire_first_in_first_out_once(db: TestDb) {
        let w = world(&db, "fifo").await;
        let m = member(&db, &w, "13900000005").await;
        let mut old = change(m.shopper_id, PointsKind::Earn, 300, "earn:old");
        old.expires_at = Some(t(100));
        let mut new = change(m.shopper_id, PointsKind::Earn, 200, "earn:new");
        new.expires_at = Some(t(10_000));
        db.db.apply_points(w.merchant.id, &[old, new], t(1)).await.unwrap();
        db.db.apply_points(w.merchant.id, &[change(m.shopper_id, PointsKind::Redeem, -120, "redeem:1")], t(2)).await.unwrap();
        let sweep = Arc::new(sweep_app::Sweep::new(
            sweep_store::repos(db.db.clone(), db.media_dir.clone()),
            Arc::new(FixedClock(t(200))),
            sweep_app::Settings::default(),
        ));
        // Two workers at once: the 180 old points still unspent expire once.
        let (a, b) = tokio::join!(sweep.expire_points(), sweep.expire_points());
        a.unwrap();
        b.unwrap();
        sweep.expire_points().await.unwrap();
        assert_eq!(points(&db, &w, m.shopper_id).await, 200, "the newer points stay");
        let history = db.db.points_history(w.merchant.id, m.shopper_id, &PageRequest::first(10)).await.unwrap();
        let expired: Vec<i64> = history.items.iter().filter(|e| e.kind == PointsKind::Expire).map(|e| e.delta).collect();
        assert_eq!(expired, vec![-180]);
        assert!(db.db.points_mismatches().await.unwrap().is_empty());
    }
}

both_backends! {
    async fn a_shift_counts_its_tills_cash_and_closes_once(db: TestDb) {
        let w = world(&db, "shift").await;
        db.db.apply_stock(w.merchant.id, &[line(w.sku.id, w.store.id, MovementKind::Receive, 10)], None, t(1)).await.unwrap();
        let walk_in = db.db.walk_in_shopper(w.merchant.id, t(1)).await.unwrap();
        db.db.record_till_sale(&sale(&w, walk_in, "SH-1", 2, false)).await.unwrap();
        let mut by_card = sale(&w, walk_in, "SH-2", 1, false);
        by_card.payments[0].provider = "bank_card".into();
        db.db.record_till_sale(&by_card).await.unwrap();
        let mut other_till = sale(&w, walk_in, "SH-3", 1, false);
        other_till.order.till_id = Some("T2".into());
        db.db.record_till_sale(&other_till).await.unwrap();

        let takings = db.db.till_takings(w.merchant.id, w.store.id, "T1", t(0), t(20)).await.unwrap();
        assert_eq!(takings, (20_000, 0, 2), "cash of T1's sales only; both of its sales counted");
        assert_eq!(db.db.last_shift_close(w.merchant.id, w.store.id, "T1").await.unwrap(), None);

        let shift = |id: &str| sweep_domain::till::TillShift {
            id: id.into(),
            store_id: w.store.id,
            till_id: "T1".into(),
            since: None,
            closed_at: t(20),
            closed_by: StaffId::new(),
            opening_float: Money::cny(50_000),
            cash_sales: Money::cny(20_000),
            cash_refunds: Money::cny(0),
            sales: 2,
            expected_cash: Money::cny(70_000),
            counted_cash: Money::cny(69_000),
            difference: Money::cny(-1_000),
            note: String::new(),
        };
        let first = shift("01a00000-0000-7000-8000-000000000001");
        db.db.insert_shift(w.merchant.id, &first).await.unwrap();
        let e = db.db.insert_shift(w.merchant.id, &shift("01a00000-0000-7000-8000-000000000002")).await.unwrap_err();
        assert!(matches!(e, StoreError::Duplicate { field: "shift" }), "{e:?}");
        assert_eq!(db.db.last_shift_close(w.merchant.id, w.store.id, "T1").await.unwrap(), Some(t(20)));
        let listed = db.db.shifts(w.merchant.id, w.store.id, &PageRequest::first(10)).await.unwrap();
        assert_eq!(listed.items, vec![first]);
        // After the close, T1 starts from nothing.
        assert_eq!(db.db.till_takings(w.merchant.id, w.store.id, "T1", t(20), t(30)).await.unwrap(), (0, 0, 0));
    }
}

async fn coupon_def(db: &TestDb, w: &World, total: Option<i64>, per_member: i64) -> sweep_domain::coupon::CouponDef {
    let campaign = sweep_domain::card::Campaign {
        id: CampaignId::new(),
        merchant_id: w.merchant.id,
        name: "Double 11".into(),
        starts_at: t(0),
        ends_at: t(1_000),
        created_at: t(0),
        updated_at: t(0),
    };
    db.db.insert_campaign(&campaign).await.unwrap();
    let def = sweep_domain::coupon::CouponDef {
        id: CouponDefId::new(),
        merchant_id: w.merchant.id,
        campaign_id: campaign.id,
        name: Localized { zh: "满100减10".into(), en: "10 off 100".into() },
        value: sweep_domain::coupon::CouponValue::Fixed { amount: 1_000 },
        min_spend: 10_000,
        channels: vec![],
        stores: vec![w.store.id],
        starts_at: t(0),
        ends_at: t(1_000),
        total_limit: total,
        per_member_limit: per_member,
        claimable: true,
        issued: 0,
        status: sweep_domain::coupon::CouponDefStatus::Active,
        created_at: t(0),
    };
    db.db.insert_coupon_def(&def).await.unwrap();
    def
}

fn coupon(def: CouponDefId, shopper: ShopperId) -> sweep_domain::coupon::Coupon {
    sweep_domain::coupon::Coupon {
        id: CouponId::new(),
        def_id: def,
        shopper_id: shopper,
        status: sweep_domain::coupon::CouponStatus::Available,
        order_id: None,
        issued_at: t(1),
        used_at: None,
    }
}

both_backends! {
    async fn racing_claims_stay_within_the_total_and_the_members_limit(db: TestDb) {
        let w = world(&db, "claims").await;
        let def = coupon_def(&db, &w, Some(5), 2).await;
        let mut members = Vec::new();
        for i in 0..4 {
            members.push(member(&db, &w, &format!("1390000010{i}")).await.shopper_id);
        }
        // Four members each claim three times at once: twelve tries for five coupons,
        // at most two each.
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let d = db.db.clone();
                let c = coupon(def.id, members[i % 4]);
                let m = w.merchant.id;
                tokio::spawn(async move { d.issue_coupon(m, &c, 2).await })
            })
            .collect();
        let mut issued = 0;
        for task in tasks {
            if task.await.unwrap().unwrap() == IssueOutcome::Issued {
                issued += 1;
            }
        }
        assert_eq!(issued, 5);
        assert_eq!(db.db.coupon_def(w.merchant.id, def.id).await.unwrap().unwrap().issued, 5);
        for m in &members {
            let held = db.db.coupons_of(w.merchant.id, *m, &PageRequest::first(10)).await.unwrap().items.len();
            assert!(held <= 2, "{held} held");
        }
    }
}

both_backends! {
    async fn a_coupon_raced_by_two_sales_is_spent_once_and_comes_back_on_release(db: TestDb) {
        let w = world(&db, "spend").await;
        db.db.apply_stock(w.merchant.id, &[line(w.sku.id, w.store.id, MovementKind::Receive, 20)], None, t(1)).await.unwrap();
        let def = coupon_def(&db, &w, None, 1).await;
        let m = member(&db, &w, "13900000200").await;
        let c = coupon(def.id, m.shopper_id);
        assert_eq!(db.db.issue_coupon(w.merchant.id, &c, 1).await.unwrap(), IssueOutcome::Issued);
        assert_eq!(db.db.issue_coupon(w.merchant.id, &coupon(def.id, m.shopper_id), 1).await.unwrap(), IssueOutcome::MemberLimit);
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let d = db.db.clone();
                let mut s = sale(&w, m.shopper_id, &format!("CP-{i}"), 1, false);
                s.order.coupon_id = Some(c.id);
                tokio::spawn(async move { d.record_till_sale(&s).await })
            })
            .collect();
        let mut spent = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(TillSaleOutcome::Recorded) => spent += 1,
                Err(StoreError::CouponUnavailable) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(spent, 1, "one sale takes the coupon; the others write nothing");
        assert_eq!(level(&db, &w, w.store.id).await.on_hand, 19, "the refused sales moved no stock");
        let used = db.db.coupon(w.merchant.id, c.id).await.unwrap().unwrap();
        assert_eq!(used.status, sweep_domain::coupon::CouponStatus::Used);
        let order = used.order_id.unwrap();
        // A step that releases it (a cancel, a full refund) makes it available again.
        let mut tx_change = OrderChange::new(
            &db.db.order(w.merchant.id, order).await.unwrap().unwrap(),
            &[OrderStatus::Completed],
            OrderStatus::Refunded,
            ActorKind::Staff,
            t(20),
        );
        tx_change.release_coupon = true;
        assert_eq!(db.db.change_order(&tx_change).await.unwrap(), ChangeOutcome::Applied);
        let back = db.db.coupon(w.merchant.id, c.id).await.unwrap().unwrap();
        assert_eq!((back.status, back.order_id), (sweep_domain::coupon::CouponStatus::Available, None));
    }
}
