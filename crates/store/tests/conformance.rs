//! The storage conformance suite: every story runs against SQLite and PostgreSQL.

mod common;

use common::*;
use sweep_store::both_backends;

both_backends! {
    async fn merchant_and_owner_are_created_together(db: TestDb) {
        let m = merchant("yunmian");
        let owner = staff(Some(m.id), "owner@yunmian.test", Role::MerchantOwner, vec![]);
        db.db.create_merchant(&m, &owner, "hash").await.unwrap();
        assert_eq!(db.db.merchant(m.id).await.unwrap().unwrap(), m);
        assert_eq!(db.db.merchant_by_slug("yunmian").await.unwrap().unwrap().id, m.id);

        let again = merchant("yunmian");
        let other_owner = staff(Some(again.id), "other@yunmian.test", Role::MerchantOwner, vec![]);
        let e = db.db.create_merchant(&again, &other_owner, "hash").await.unwrap_err();
        assert!(matches!(e, StoreError::Duplicate { field: "slug" }), "{e:?}");

        // A taken owner login rolls the whole merchant back.
        let third = merchant("third");
        let dup_owner = staff(Some(third.id), "owner@yunmian.test", Role::MerchantOwner, vec![]);
        let e = db.db.create_merchant(&third, &dup_owner, "hash").await.unwrap_err();
        assert!(matches!(e, StoreError::Duplicate { field: "owner.login" }), "{e:?}");
        assert!(db.db.merchant(third.id).await.unwrap().is_none(), "no half-created merchant");
    }
}

both_backends! {
    async fn staff_keep_their_stores_and_stay_in_their_merchant(db: TestDb) {
        let a = world(&db, "a").await;
        let b = world(&db, "b").await;
        let clerk = staff(Some(a.merchant.id), "clerk@a.test", Role::Clerk, vec![a.store.id]);
        db.db.insert_staff(&clerk, "hash").await.unwrap();
        let loaded = db.db.staff(Some(a.merchant.id), clerk.id).await.unwrap().unwrap();
        assert_eq!(loaded.stores, vec![a.store.id]);
        assert!(db.db.staff(Some(b.merchant.id), clerk.id).await.unwrap().is_none(), "not visible from merchant B");

        let (by_login, hash) = db.db.staff_by_login(&clerk.login).await.unwrap().unwrap();
        assert_eq!((by_login.id, hash.as_str()), (clerk.id, "hash"));

        let mut moved = loaded.clone();
        moved.stores = vec![a.warehouse.id, a.store.id];
        moved.display_name = "Clerk Wang".into();
        assert!(db.db.update_staff(&moved, loaded.updated_at, None).await.unwrap());
        assert!(!db.db.update_staff(&moved, t(-1), None).await.unwrap(), "a stale version saves nothing");
        let reloaded = db.db.staff(Some(a.merchant.id), clerk.id).await.unwrap().unwrap();
        assert_eq!(reloaded.stores.len(), 2);
        assert_eq!(reloaded.display_name, "Clerk Wang");

        let filter = StaffFilter { stores: Some(vec![a.warehouse.id]), ..Default::default() };
        let at_warehouse = db.db.list_staff(Some(a.merchant.id), &filter, &PageRequest::first(10)).await.unwrap();
        assert_eq!(at_warehouse.items.iter().map(|s| s.id).collect::<Vec<_>>(), vec![clerk.id]);

        let dup = staff(Some(b.merchant.id), "clerk@a.test", Role::Clerk, vec![b.store.id]);
        assert!(matches!(db.db.insert_staff(&dup, "h").await, Err(StoreError::Duplicate { field: "login" })));
    }
}

both_backends! {
    async fn sessions_end_with_expiry_disabling_and_suspension(db: TestDb) {
        let w = world(&db, "s").await;
        let member = staff(Some(w.merchant.id), "m@s.test", Role::MerchantManager, vec![]);
        db.db.insert_staff(&member, "hash").await.unwrap();
        let session = SessionRecord {
            token_hash: "h1".into(),
            staff_id: member.id,
            csrf_token: "csrf".into(),
            created_at: t(0),
            expires_at: t(100),
        };
        db.db.insert_session(&session).await.unwrap();
        let (found, who) = db.db.session("h1", t(50)).await.unwrap().unwrap();
        assert_eq!((found.csrf_token.as_str(), who.id), ("csrf", member.id));
        assert!(db.db.session("h1", t(100)).await.unwrap().is_none(), "expired");
        assert!(db.db.session("nope", t(50)).await.unwrap().is_none());

        let mut suspended = w.merchant.clone();
        suspended.status = MerchantStatus::Suspended;
        assert!(db.db.update_merchant(&suspended, t(0)).await.unwrap());
        assert!(db.db.session("h1", t(50)).await.unwrap().is_none(), "suspended merchant");
        assert!(db.db.update_merchant(&w.merchant, t(0)).await.unwrap());

        let mut disabled = member.clone();
        disabled.status = StaffStatus::Disabled;
        assert!(db.db.update_staff(&disabled, t(0), None).await.unwrap());
        assert!(db.db.session("h1", t(50)).await.unwrap().is_none(), "disabled staff");
        assert!(db.db.update_staff(&member, t(0), None).await.unwrap());
        assert!(db.db.session("h1", t(50)).await.unwrap().is_none(), "disabling ended the session for good");
        db.db.insert_session(&SessionRecord { token_hash: "h2".into(), ..session.clone() }).await.unwrap();
        assert!(db.db.session("h2", t(50)).await.unwrap().is_some());
        assert!(db.db.update_staff(&member, t(0), Some("new-hash")).await.unwrap());
        assert!(db.db.session("h2", t(50)).await.unwrap().is_none(), "a new password signs out everywhere");
        assert_eq!(db.db.staff_by_login(&member.login).await.unwrap().unwrap().1, "new-hash");
    }
}

both_backends! {
    async fn api_tokens_work_until_revoked_or_expired(db: TestDb) {
        let w = world(&db, "tk").await;
        let member = staff(Some(w.merchant.id), "api@tk.test", Role::MerchantManager, vec![]);
        db.db.insert_staff(&member, "hash").await.unwrap();
        let token = ApiToken {
            id: ApiTokenId::new(),
            merchant_id: Some(w.merchant.id),
            staff_id: member.id,
            name: "ERP".into(),
            prefix: "swt_abcdefgh".into(),
            created_at: t(0),
            expires_at: Some(t(1000)),
            last_used_at: None,
            revoked_at: None,
        };
        db.db.insert_token(&token, "digest").await.unwrap();
        let (found, who) = db.db.token_by_hash("digest", t(10)).await.unwrap().unwrap();
        assert_eq!((found.id, who.id), (token.id, member.id));
        assert!(db.db.token_by_hash("digest", t(1000)).await.unwrap().is_none(), "expired");
        db.db.touch_token(token.id, t(20)).await.unwrap();
        assert_eq!(db.db.token(Some(w.merchant.id), token.id).await.unwrap().unwrap().last_used_at, Some(t(20)));
        assert!(db.db.token(None, token.id).await.unwrap().is_none(), "not a platform token");
        assert!(db.db.revoke_token(token.id, t(30)).await.unwrap());
        assert!(!db.db.revoke_token(token.id, t(31)).await.unwrap(), "already revoked");
        assert!(db.db.token_by_hash("digest", t(40)).await.unwrap().is_none(), "revoked");
        let listed = db.db.list_tokens(Some(w.merchant.id), None, &PageRequest::first(10)).await.unwrap();
        assert_eq!(listed.items[0].revoked_at, Some(t(30)));
    }
}

both_backends! {
    async fn attempt_counters_count_exactly_under_parallel_attempts(db: TestDb) {
        let handles: Vec<_> = (0..24)
            .map(|_| {
                let d = db.db.clone();
                tokio::spawn(async move { d.count_attempt("login:account:x", t(5), 900).await.unwrap().count })
            })
            .collect();
        let mut counts: Vec<i64> = Vec::new();
        for h in handles {
            counts.push(h.await.unwrap());
        }
        counts.sort();
        assert_eq!(counts, (1..=24).collect::<Vec<_>>(), "every attempt got its own number");
        let after_window = db.db.count_attempt("login:account:x", t(5 + 900), 900).await.unwrap();
        assert_eq!(after_window.count, 1, "a new window starts over");
        assert_eq!(after_window.window_start, t(905));
        db.db.clear_attempts("login:account:x").await.unwrap();
        assert_eq!(db.db.count_attempt("login:account:x", t(906), 900).await.unwrap().count, 1);
    }
}

both_backends! {
    async fn locations_are_unique_per_merchant_and_isolated(db: TestDb) {
        let a = world(&db, "la").await;
        let b = world(&db, "lb").await;
        assert!(db.db.location(b.merchant.id, a.store.id).await.unwrap().is_none());
        let clash = location(a.merchant.id, "S1", LocationKind::Store);
        assert!(matches!(db.db.insert_location(&clash).await, Err(StoreError::Duplicate { field: "code" })));

        let mut changed = a.store.clone();
        changed.pickup_enabled = false;
        changed.status = LocationStatus::Archived;
        changed.opening_hours = OpeningHours::default();
        assert!(db.db.update_location(&changed, a.store.updated_at).await.unwrap());
        assert_eq!(db.db.location(a.merchant.id, a.store.id).await.unwrap().unwrap(), changed);

        let stores = LocationFilter { kind: Some(LocationKind::Store), ..Default::default() };
        let listed = db.db.list_locations(a.merchant.id, &stores, &PageRequest::first(10)).await.unwrap();
        assert_eq!(listed.items.len(), 1);
        let only = LocationFilter { only: Some(vec![a.warehouse.id]), ..Default::default() };
        let listed = db.db.list_locations(a.merchant.id, &only, &PageRequest::first(10)).await.unwrap();
        assert_eq!(listed.items.iter().map(|l| l.id).collect::<Vec<_>>(), vec![a.warehouse.id]);
        let none = LocationFilter { only: Some(vec![]), ..Default::default() };
        assert!(db.db.list_locations(a.merchant.id, &none, &PageRequest::first(10)).await.unwrap().items.is_empty());
    }
}

both_backends! {
    async fn catalog_search_uniques_and_prices(db: TestDb) {
        let a = world(&db, "ca").await;
        let b = world(&db, "cb").await;
        let cat = Category {
            id: CategoryId::new(),
            merchant_id: a.merchant.id,
            parent_id: None,
            name: Localized { zh: "床品".into(), en: "Bedding".into() },
            sort_order: 1,
            status: RecordStatus::Active,
            created_at: t(0),
            updated_at: t(0),
        };
        db.db.insert_category(&cat).await.unwrap();
        let mut towel = product(a.merchant.id, "100%纯棉毛巾", "Cotton towel");
        towel.category_id = Some(cat.id);
        db.db.insert_product(&towel).await.unwrap();

        let search = |q: &str| ProductFilter { query: Some(q.into()), ..Default::default() };
        let names = |p: sweep_app::page::Page<Product>| p.items.into_iter().map(|p| p.name.en).collect::<Vec<_>>();
        let first = PageRequest::first(10);
        assert_eq!(names(db.db.list_products(a.merchant.id, &search("毛巾"), &first).await.unwrap()), vec!["Cotton towel"]);
        assert_eq!(names(db.db.list_products(a.merchant.id, &search("COTTON"), &first).await.unwrap()).len(), 2);
        assert_eq!(names(db.db.list_products(a.merchant.id, &search("100%"), &first).await.unwrap()), vec!["Cotton towel"]);
        assert!(names(db.db.list_products(a.merchant.id, &search("%"), &first).await.unwrap()).len() == 1, "% is literal");
        assert!(db.db.list_products(b.merchant.id, &search("毛巾"), &first).await.unwrap().items.is_empty());
        let in_cat = ProductFilter { category: Some(cat.id), ..Default::default() };
        assert_eq!(db.db.list_products(a.merchant.id, &in_cat, &first).await.unwrap().items.len(), 1);

        // Codes and barcodes are unique within a merchant, not across merchants.
        let same_code = sku(a.merchant.id, towel.id, "BED-001", None);
        assert!(matches!(db.db.insert_sku(&same_code).await, Err(StoreError::Duplicate { field: "code" })));
        let same_barcode = sku(a.merchant.id, towel.id, "TWL-001", Some("6901234567892"));
        assert!(matches!(db.db.insert_sku(&same_barcode).await, Err(StoreError::Duplicate { field: "barcode" })));
        db.db.insert_sku(&sku(a.merchant.id, towel.id, "TWL-001", None)).await.unwrap();
        db.db.insert_sku(&sku(a.merchant.id, towel.id, "TWL-002", None)).await.expect("many SKUs without barcode");
        assert!(db.db.sku(b.merchant.id, a.sku.id).await.unwrap().is_none());
        let by_barcode = SkuFilter { barcode: Some("6901234567892".into()), ..Default::default() };
        assert_eq!(db.db.list_skus(a.merchant.id, &by_barcode, &first).await.unwrap().items[0].id, a.sku.id);

        let store_price = PriceOverride { sku_id: a.sku.id, scope: PriceScope::Store(a.store.id), price: Money::cny(27900), updated_at: t(1) };
        let pos_price = PriceOverride { sku_id: a.sku.id, scope: PriceScope::Channel(Channel::Pos), price: Money::cny(28900), updated_at: t(1) };
        db.db.set_price_override(a.merchant.id, &store_price).await.unwrap();
        db.db.set_price_override(a.merchant.id, &pos_price).await.unwrap();
        let cheaper = PriceOverride { price: Money::cny(25900), updated_at: t(2), ..store_price.clone() };
        db.db.set_price_override(a.merchant.id, &cheaper).await.unwrap();
        let mut all = db.db.price_overrides(a.merchant.id, a.sku.id).await.unwrap();
        all.sort_by_key(|o| o.price.minor());
        assert_eq!(all, vec![cheaper.clone(), pos_price.clone()]);
        assert!(db.db.price_overrides(b.merchant.id, a.sku.id).await.unwrap().is_empty());
        assert!(db.db.delete_price_override(a.merchant.id, a.sku.id, cheaper.scope).await.unwrap());
        assert!(!db.db.delete_price_override(a.merchant.id, a.sku.id, cheaper.scope).await.unwrap());
    }
}

both_backends! {
    async fn stock_moves_atomically_and_the_ledger_explains_it(db: TestDb) {
        let w = world(&db, "st").await;
        let m = w.merchant.id;
        db.db.apply_stock(m, &[line(w.sku.id, w.warehouse.id, MovementKind::Receive, 10)], None, t(1)).await.unwrap();
        db.db.apply_stock(m, &[line(w.sku.id, w.warehouse.id, MovementKind::Reserve, 4)], None, t(2)).await.unwrap();
        assert_eq!(level(&db, &w, w.warehouse.id).await, StockLevel { on_hand: 10, reserved: 4 });

        // Moving 6 out is fine; 7 would eat into reserved units. The second line fails,
        // so the first must not stick either.
        let transfer = [
            line(w.sku.id, w.warehouse.id, MovementKind::TransferOut, 7),
            line(w.sku.id, w.store.id, MovementKind::TransferIn, 7),
        ];
        let e = db.db.apply_stock(m, &transfer, None, t(3)).await.unwrap_err();
        assert!(matches!(e, StoreError::InsufficientStock { line: 0, available: 6 }), "{e:?}");
        let bad_second = [
            line(w.sku.id, w.store.id, MovementKind::Receive, 3),
            line(w.sku.id, w.warehouse.id, MovementKind::Release, 5),
        ];
        assert!(matches!(db.db.apply_stock(m, &bad_second, None, t(3)).await, Err(StoreError::InsufficientStock { line: 1, .. })));
        assert_eq!(level(&db, &w, w.store.id).await, StockLevel::default(), "nothing half-applied");

        let transfer = [
            line(w.sku.id, w.warehouse.id, MovementKind::TransferOut, 6),
            line(w.sku.id, w.store.id, MovementKind::TransferIn, 6),
        ];
        let moved = db.db.apply_stock(m, &transfer, None, t(4)).await.unwrap();
        assert_eq!(moved[0].after, StockLevel { on_hand: 4, reserved: 4 });
        assert_eq!(moved[1].after, StockLevel { on_hand: 6, reserved: 0 });
        db.db.apply_stock(m, &[line(w.sku.id, w.warehouse.id, MovementKind::Fulfil, 4)], None, t(5)).await.unwrap();
        assert_eq!(level(&db, &w, w.warehouse.id).await, StockLevel { on_hand: 0, reserved: 0 });

        let history = db.db.movements(m, &StockFilter { sku: Some(w.sku.id), ..Default::default() }, &PageRequest::first(50)).await.unwrap();
        let kinds: Vec<_> = history.items.iter().map(|m| m.kind).collect();
        assert_eq!(kinds, vec![MovementKind::Fulfil, MovementKind::TransferIn, MovementKind::TransferOut, MovementKind::Reserve, MovementKind::Receive]);
        assert!(db.db.ledger_mismatches().await.unwrap().is_empty());

        // A level changed behind the ledger's back is named by the check.
        sqlx::query("UPDATE stock_levels SET on_hand = on_hand + 1 WHERE location_id = $1")
            .bind(w.store.id.to_string())
            .execute(&*raw_pool(&db).await)
            .await
            .unwrap();
        let found = db.db.ledger_mismatches().await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].location_id.as_str(), found[0].on_hand, found[0].ledger_on_hand), (w.store.id.to_string().as_str(), 7, 6));
    }
}

both_backends! {
    async fn racing_reservations_never_oversell(db: TestDb) {
        let w = world(&db, "race").await;
        let m = w.merchant.id;
        db.db.apply_stock(m, &[line(w.sku.id, w.store.id, MovementKind::Receive, 7)], None, t(1)).await.unwrap();
        let tasks: Vec<_> = (0..30)
            .map(|_| {
                let d = db.db.clone();
                let l = line(w.sku.id, w.store.id, MovementKind::Reserve, 1);
                tokio::spawn(async move { d.apply_stock(m, &[l], None, t(2)).await })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(StoreError::InsufficientStock { .. }) => {}
                Err(e) => panic!("unexpected error: {e:?}"),
            }
        }
        assert_eq!(won, 7, "exactly min(buyers, units) reservations succeed");
        assert_eq!(level(&db, &w, w.store.id).await, StockLevel { on_hand: 7, reserved: 7 });
        assert!(db.db.ledger_mismatches().await.unwrap().is_empty());
    }
}

both_backends! {
    async fn idempotency_keys_claim_once_and_replay(db: TestDb) {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                let d = db.db.clone();
                tokio::spawn(async move { d.start("staff:1", "key-1", "hash-a", t(0)).await.unwrap() })
            })
            .collect();
        let mut started = 0;
        for h in handles {
            match h.await.unwrap() {
                IdempotencyStart::Started => started += 1,
                IdempotencyStart::InProgress => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(started, 1, "exactly one request runs");
        db.db.complete("staff:1", "key-1", 201, b"{\"id\":1}").await.unwrap();
        assert_eq!(
            db.db.start("staff:1", "key-1", "hash-a", t(1)).await.unwrap(),
            IdempotencyStart::Replay { status: 201, body: b"{\"id\":1}".to_vec() }
        );
        assert_eq!(db.db.start("staff:1", "key-1", "hash-b", t(1)).await.unwrap(), IdempotencyStart::Mismatch);
        assert_eq!(db.db.start("staff:2", "key-1", "hash-b", t(1)).await.unwrap(), IdempotencyStart::Started, "keys are per caller");
        db.db.abandon("staff:2", "key-1").await.unwrap();
        assert_eq!(db.db.start("staff:2", "key-1", "hash-c", t(1)).await.unwrap(), IdempotencyStart::Started, "abandoned keys free up");

        // A request whose process died leaves its key unfinished; after ten minutes a
        // retry takes it over, and only one retry does.
        assert_eq!(db.db.start("staff:2", "key-1", "hash-c", t(590)).await.unwrap(), IdempotencyStart::InProgress);
        let retries: Vec<_> = (0..6)
            .map(|_| {
                let d = db.db.clone();
                tokio::spawn(async move { d.start("staff:2", "key-1", "hash-c", t(602)).await.unwrap() })
            })
            .collect();
        let mut took_over = 0;
        for r in retries {
            if r.await.unwrap() == IdempotencyStart::Started {
                took_over += 1;
            }
        }
        assert_eq!(took_over, 1);
    }
}

both_backends! {
    async fn jobs_are_claimed_once_and_leases_expire(db: TestDb) {
        for i in 0..5 {
            let job = NewJob { kind: "k".into(), payload: format!("{i}"), run_at: t(0), dedupe_key: None };
            assert!(db.db.enqueue(&job).await.unwrap());
        }
        let periodic = NewJob { kind: "k".into(), payload: "p".into(), run_at: t(0), dedupe_key: Some("p:1".into()) };
        assert!(db.db.enqueue(&periodic).await.unwrap());
        assert!(!db.db.enqueue(&periodic).await.unwrap(), "deduplicated");

        let workers: Vec<_> = (0..4)
            .map(|w| {
                let d = db.db.clone();
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    for _ in 0..6 {
                        if let Some(job) = d.claim(&format!("w{w}"), t(1), 60).await.unwrap() {
                            got.push(job.payload);
                        }
                    }
                    got
                })
            })
            .collect();
        let mut claimed = Vec::new();
        for w in workers {
            claimed.extend(w.await.unwrap());
        }
        // Every claim counts: a job two workers both won shows up twice here.
        assert_eq!(claimed.len(), 6, "six claims in all: {claimed:?}");
        claimed.sort();
        assert_eq!(claimed, ["0", "1", "2", "3", "4", "p"], "all six jobs claimed, none twice");
        assert!(db.db.claim("late", t(2), 60).await.unwrap().is_none(), "all leased");
        let retaken = db.db.claim("late", t(62), 60).await.unwrap().expect("an expired lease frees the job");
        // A long job renews its lease: nobody takes it over while its worker lives,
        // and a worker that lost its lease cannot renew it.
        assert!(db.db.renew(retaken.id, "late", t(200)).await.unwrap());
        assert!(!db.db.renew(retaken.id, "w0", t(300)).await.unwrap(), "not w0's lease");
        // At t(150) every other lease has run out; only the renewed one still holds.
        let mut taken_over = Vec::new();
        while let Some(job) = db.db.claim("other", t(150), 60).await.unwrap() {
            taken_over.push(job.id);
        }
        assert_eq!(taken_over.len(), 5, "the five expired leases are taken over");
        assert!(!taken_over.contains(&retaken.id), "the renewed lease holds");
        db.db.finish(retaken.id, "late", t(163)).await.unwrap();
        assert!(!db.db.renew(retaken.id, "late", t(400)).await.unwrap(), "a finished job has no lease");
        assert_eq!(retaken.attempts, 2);
        assert_eq!(db.db.purge_expired(t(163 + 8 * 24 * 3600)).await.unwrap(), 1, "old finished job purged");
    }
}

both_backends! {
    async fn purging_drops_what_expired_and_keeps_what_lives(db: TestDb) {
        let w = world(&db, "purge").await;
        let member = staff(Some(w.merchant.id), "m@purge.test", Role::MerchantManager, vec![]);
        db.db.insert_staff(&member, "hash").await.unwrap();
        // Housekeeping a month in; "old" rows are from the first hour, "new" ones from a
        // minute ago and still in use.
        let now = t(30 * 24 * 3600);
        let lately = now.minus_seconds(60);

        // Staff sessions end at their expiry.
        for (token, created_at, expires_at) in [("old", t(0), t(3600)), ("new", lately, now.plus_seconds(3600))] {
            let session =
                SessionRecord { token_hash: token.into(), staff_id: member.id, csrf_token: "c".into(), created_at, expires_at };
            db.db.insert_session(&session).await.unwrap();
        }
        // Idempotency keys are kept a day, attempt counters a day past their window.
        for (key, at) in [("old", t(0)), ("new", lately)] {
            assert_eq!(db.db.start("staff:1", key, "hash", at).await.unwrap(), IdempotencyStart::Started);
            db.db.count_attempt(key, at, 900).await.unwrap();
        }
        // Shoppers' sessions and sign-in codes end at their expiry.
        let month = 30 * 24 * 3600;
        for (token, created_at, expires_at) in [("old", t(0), t(3600)), ("new", lately, now.plus_seconds(month))] {
            let session = ShopperSession {
                token_hash: token.into(),
                merchant_id: w.merchant.id,
                shopper_id: None,
                csrf_token: "c".into(),
                created_at,
                expires_at,
                visitor: format!("v_{token}"),
                scan: None,
            };
            db.db.insert_shopper_session(&session).await.unwrap();
        }
        for (id, created_at, expires_at) in [("old", t(0), t(300)), ("new", lately, now.plus_seconds(300))] {
            let otp = OtpRecord {
                id: id.into(),
                merchant_id: w.merchant.id,
                phone: sweep_domain::shopper::Phone::parse("phone", "13800138000").unwrap(),
                code_hash: "hash".into(),
                expires_at,
                created_at,
            };
            db.db.insert_otp(&otp).await.unwrap();
        }
        // Finished jobs are kept a week; a job still waiting to run is kept however old.
        let job = |payload: &str, run_at| NewJob { kind: "k".into(), payload: payload.into(), run_at, dedupe_key: None };
        for (payload, at) in [("old", t(0)), ("new", lately)] {
            assert!(db.db.enqueue(&job(payload, at)).await.unwrap());
            let claimed = db.db.claim("w", at, 60).await.unwrap().expect("the job just queued");
            assert_eq!(claimed.payload, payload);
            db.db.finish(claimed.id, "w", at).await.unwrap();
        }
        assert!(db.db.enqueue(&job("queued", t(0))).await.unwrap());

        let purged = db.db.purge_expired(now).await.unwrap();
        let pool = raw_pool(&db).await;
        for (table, column, kept) in [
            ("sessions", "token_hash", &["new"][..]),
            ("idempotency_keys", "key", &["new"]),
            ("attempt_counters", "key", &["new"]),
            ("shopper_sessions", "token_hash", &["new"]),
            ("otp_codes", "id", &["new"]),
            ("jobs", "payload", &["new", "queued"]),
        ] {
            let sql = format!("SELECT {column} FROM {table} ORDER BY {column}");
            let left: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&*pool).await.unwrap();
            assert_eq!(left, kept, "{table}: the expired row goes, the live one stays");
        }
        assert_eq!(purged, 6, "one expired row of each kind, counted");
    }
}

both_backends! {
    async fn cursor_pages_walk_every_row_once(db: TestDb) {
        let w = world(&db, "pg").await;
        let mut made = vec![w.store.id, w.warehouse.id];
        for i in 0..5 {
            let l = location(w.merchant.id, &format!("X{i}"), LocationKind::Store);
            db.db.insert_location(&l).await.unwrap();
            made.push(l.id);
        }
        let mut seen = Vec::new();
        let mut page = PageRequest::first(3);
        loop {
            let got = db.db.list_locations(w.merchant.id, &LocationFilter::default(), &page).await.unwrap();
            assert!(got.items.len() <= 3);
            seen.extend(got.items.iter().map(|l| l.id));
            match got.next_cursor {
                Some(c) => page.after = Some(c),
                None => break,
            }
        }
        made.sort();
        assert_eq!(seen, made, "in id order, each once");
    }
}

both_backends! {
    async fn crossing_transfers_never_deadlock(db: TestDb) {
        let w = world(&db, "cross").await;
        let m = w.merchant.id;
        let p = product(m, "枕头", "Pillow");
        db.db.insert_product(&p).await.unwrap();
        let second = sku(m, p.id, "PIL-001", None);
        db.db.insert_sku(&second).await.unwrap();
        for (s, l) in [(w.sku.id, w.warehouse.id), (w.sku.id, w.store.id), (second.id, w.warehouse.id), (second.id, w.store.id)] {
            db.db.apply_stock(m, &[line(s, l, MovementKind::Receive, 1000)], None, t(1)).await.unwrap();
        }
        // Transfers both ways and multi-line receipts listing the SKUs in opposite
        // orders, all at once: each must go through, none may deadlock or time out.
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let d = db.db.clone();
                let (from, to) = if i % 2 == 0 { (w.warehouse.id, w.store.id) } else { (w.store.id, w.warehouse.id) };
                let (a, b) = if i % 4 < 2 { (w.sku.id, second.id) } else { (second.id, w.sku.id) };
                let lines = vec![
                    line(a, from, MovementKind::TransferOut, 1),
                    line(b, from, MovementKind::TransferOut, 1),
                    line(a, to, MovementKind::TransferIn, 1),
                    line(b, to, MovementKind::TransferIn, 1),
                ];
                tokio::spawn(async move { d.apply_stock(m, &lines, None, t(2)).await.map(|moved| moved[0].sku_id) })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            let first = task.await.unwrap().unwrap_or_else(|e| panic!("transfer {i} failed: {e:?}"));
            let expected = if i % 4 < 2 { w.sku.id } else { second.id };
            assert_eq!(first, expected, "movements come back in the request's order");
        }
        assert_eq!(level(&db, &w, w.warehouse.id).await.on_hand, 1000);
        assert_eq!(level(&db, &w, w.store.id).await.on_hand, 1000);
        assert!(db.db.ledger_mismatches().await.unwrap().is_empty());
    }
}

fn card(w: &World, code: &str) -> sweep_domain::card::DisplayCard {
    sweep_domain::card::DisplayCard {
        id: CardId::new(),
        merchant_id: w.merchant.id,
        code: code.into(),
        store_id: w.store.id,
        sku_id: w.sku.id,
        product_id: w.sku.product_id,
        campaign_id: None,
        clerk_id: None,
        status: sweep_domain::card::CardStatus::Active,
        created_at: t(1),
        updated_at: t(1),
    }
}

both_backends! {
    async fn card_codes_are_unique_and_batches_all_or_nothing(db: TestDb) {
        let w = world(&db, "codes").await;
        db.db.insert_cards(&[card(&w, "AAAA2222")]).await.unwrap();
        // A batch whose second card collides writes nothing at all.
        let batch = [card(&w, "BBBB3333"), card(&w, "AAAA2222")];
        let e = db.db.insert_cards(&batch).await.unwrap_err();
        assert!(matches!(e, StoreError::Duplicate { field: "code" }), "{e:?}");
        assert!(db.db.card_by_code("BBBB3333").await.unwrap().is_none(), "nothing half-written");
        let found = db.db.card_by_code("AAAA2222").await.unwrap().unwrap();
        assert_eq!(found.store_id, w.store.id);

        // A funnel step is noted once per visitor, card and subject, however often it happens.
        let event = FunnelEvent {
            merchant_id: w.merchant.id,
            kind: FunnelKind::View,
            visitor: "v_1".into(),
            subject: w.sku.product_id.to_string(),
            card_id: found.id,
            store_id: w.store.id,
            campaign_id: None,
            at: t(2),
        };
        for _ in 0..3 {
            db.db.record_funnel_event(&event).await.unwrap();
        }
        // Counted in the table itself: the report counting distinct visitors would hide duplicates.
        let pool = raw_pool(&db).await;
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM funnel_events").fetch_one(&*pool).await.unwrap();
        assert_eq!(stored, 1, "one row however often the step is recorded");
        let rows = db.db.funnel(w.merchant.id, t(0), t(10), FunnelGroup::Card, None).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].views, rows[0].scans, rows[0].carts), (1, 0, 0));
        let elsewhere = db.db.funnel(w.merchant.id, t(0), t(10), FunnelGroup::Card, Some(&[w.warehouse.id])).await.unwrap();
        assert!(elsewhere.is_empty(), "limited to other stores, nothing shows");
    }
}
