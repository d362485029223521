//! The console's analytics: sales by day and channel, mobile share, leaderboards,
//! members and the CSV export of each table, from the folded day totals. Store managers
//! see their stores only. On SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_test;
use crate::helpers::*;

/// The CSV rows of one analytics table (the BOM dropped, cells split on commas).
async fn csv(client: &Client, table: &str) -> Vec<Vec<String>> {
    let response =
        client.raw(reqwest::Method::GET, &format!("/console/analytics/{table}.csv")).await.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{table}.csv");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = response.text().await.unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM for spreadsheet programs");
    text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
}

api_test! {
    async fn analytics_report_channels_mobile_share_stores_and_members(app) {
        let w = shop_world(&app, "ana").await;
        // One order through the API, paid; one from WeChat on a phone, not paid.
        let api = app.shopper("ana", "13800138081").await;
        api.post("/s/ana/api/cart/items", json!({"sku_id": w.sku, "quantity": 2})).await;
        let (status, order) = api.post("/s/ana/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        app.pay_in_sandbox(&api, "ana", order["id"].as_str().unwrap()).await;
        let mut phone = app.phone("10.1.1.1", true);
        app.sign_in_shopper(&mut phone, "ana", "13800138082").await;
        phone.post("/s/ana/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        let (status, order) = phone.post("/s/ana/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
        assert_eq!((status, order["channel"].as_str()), (StatusCode::CREATED, Some("wechat")), "{order}");

        // Before the feed is folded the report has nothing: it never reads the orders.
        assert_eq!(csv(&w.owner, "channels").await.iter().skip(1).map(|r| r[1].parse::<i64>().unwrap()).sum::<i64>(), 0);
        app.sweep.fold_sales_feed().await.unwrap();
        app.sweep.snapshot_members().await.unwrap();

        let (status, html) = w.owner.page("/console/analytics").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("¥70.00") && html.contains("50.0%"), "GMV and mobile share: {html}");
        assert!(html.contains("data-option=") && html.contains("echarts.min.js"), "charts drawn by ECharts");

        let channels = csv(&w.owner, "channels").await;
        assert_eq!(channels[0], ["渠道", "下单数", "支付订单", "成交额（元）"]);
        let row = |name: &str| channels.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("{name}: {channels:?}")).clone();
        assert_eq!(row("微信")[1..], ["1", "0", "0.00"]);
        assert_eq!(row("接口")[1..], ["1", "1", "70.00"]);
        assert_eq!(row("门店收银")[1..], ["0", "0", "0.00"]);

        let days = csv(&w.owner, "days").await;
        assert_eq!(days.len(), 31, "a header and the last 30 days");
        assert_eq!(days.last().unwrap()[1..], ["2", "1", "70.00", "50.0%"], "today");

        let stores = csv(&w.owner, "stores").await;
        assert_eq!((stores.len(), &stores[1][1..]), (2, &["SA".to_string(), "2".into(), "1".into(), "70.00".into()][..]));
        let products = csv(&w.owner, "products").await;
        assert_eq!(products[1][1..], ["2", "70.00"], "{products:?}");
        let members = csv(&w.owner, "members").await;
        assert_eq!(members.last().unwrap()[1..], ["2", "2", "70"], "two members joined today; the paid order earned 70 points: {members:?}");
        let points = csv(&w.owner, "points").await;
        assert_eq!(points[1], ["2", "1", "70"], "members, members holding points, points outstanding");

        // A store manager sees their store's figures only; no channel split, no members.
        let manager_a = staff(&app, &w.owner, "ma@ana.test", "store_manager", &[&w.store_a]).await;
        let (status, html) = manager_a.page("/console/analytics").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("¥70.00") && !html.contains("table-channels") && !html.contains("table-members"));
        let response = manager_a.raw(reqwest::Method::GET, "/console/analytics/channels.csv").await.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let manager_b = staff(&app, &w.owner, "mb@ana.test", "store_manager", &[&w.store_b]).await;
        let stores = csv(&manager_b, "stores").await;
        assert_eq!(stores.len(), 1, "another store's manager sees none of store A: {stores:?}");
        let days = csv(&manager_b, "days").await;
        assert_eq!(days.last().unwrap()[1..], ["0", "0", "0.00"]);

        // Clerks have no reports; another merchant sees its own empty report.
        let clerk = staff(&app, &w.owner, "c@ana.test", "clerk", &[&w.store_a]).await;
        assert_eq!(clerk.page("/console/analytics").await.0, StatusCode::FORBIDDEN);
        let (_, other) = app.merchant("ana2").await;
        assert_eq!(csv(&other, "stores").await.len(), 1);
    }
}

api_test! {
    async fn analytics_ranges_are_checked(app) {
        let (_, owner) = app.merchant("anr").await;
        let (status, html) = owner.page("/console/analytics?from=2026-02-30").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("YYYY-MM-DD"), "{html}");
        let (status, _) = owner.page("/console/analytics?from=2026-11-20&to=2026-11-10").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = owner.page("/console/analytics?from=2024-01-01&to=2026-11-10").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let response = owner.raw(reqwest::Method::GET, "/console/analytics/days.csv?from=2026-11-01&to=2026-11-07").await.send().await.unwrap();
        assert!(response.headers()["content-disposition"].to_str().unwrap().contains("days-2026-11-01-2026-11-07.csv"));
        let text = response.text().await.unwrap();
        assert_eq!(text.lines().count(), 8, "a header and seven days: {text}");
        let (status, _) = owner.page("/console/analytics/nothing.csv").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

api_test! {
    async fn flash_results_count_every_sale_that_started_in_the_range(app) {
        let w = shop_world(&app, "anf").await;
        w.owner.create("/api/v1/stock/receipts", json!({"location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 60}]})).await;
        let campaign = campaign(&w.owner, "双十一").await;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        let now = sweep_domain::Timestamp::from_unix_micros(i64::try_from(now.as_micros()).unwrap());
        // More sales than one page of them; the first made starts first.
        for i in 0..55 {
            let body = json!({
                "campaign_id": campaign, "name": format!("秒杀{i:02}"), "location_id": w.store_a,
                "starts_at": now.plus_seconds(-3600 + i * 10).to_rfc3339(), "ends_at": now.plus_seconds(3600).to_rfc3339(),
                "per_member_limit": 1, "items": [{"sku_id": w.sku, "price": 990, "units": 1}]
            });
            let (status, sale) = w.owner.post("/api/v1/flash-sales", body).await;
            assert_eq!(status, StatusCode::CREATED, "{sale}");
        }
        let rows = csv(&w.owner, "flash").await;
        assert_eq!(rows.len(), 56, "a header and every sale: {rows:?}");
        assert_eq!((rows[1][0].as_str(), rows[55][0].as_str()), ("秒杀54", "秒杀00"), "latest start first");
        assert_eq!(rows[55][2..4], ["1", "0"], "pool and taken");

        // A range before they started has none.
        let response = w.owner.raw(reqwest::Method::GET, "/console/analytics/flash.csv?from=2026-01-01&to=2026-01-31").await.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap().lines().count(), 1, "only the header");
    }
}
