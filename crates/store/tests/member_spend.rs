//! A member's spend over the last year is read for every payment captured (the points it
//! earns depend on the member's tier), so every payment notification reads it, duplicates
//! included. SQLite's planner, without statistics, used to take a merchant-wide index
//! and read every order of the merchant each time: a notification storm on a merchant
//! with 20,000 orders answered 40 notifications a second. It must use the member's own.

use sweep_store::Backend;
use sweep_store::testing::TestDb;

/// The query of `LoyaltyRepo::rolling_spend` (crates/store/src/loyalty.rs).
const ROLLING_SPEND: &str = "SELECT CAST(COALESCE(SUM(paid - refunded), 0) AS BIGINT) AS spend FROM orders
             WHERE merchant_id = $1 AND shopper_id = $2 AND paid_at >= $3";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_spend_is_read_through_the_members_index_on_sqlite() {
    let db = TestDb::new(Backend::Sqlite).await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let plan: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {ROLLING_SPEND}")))
            .bind("merchant")
            .bind("shopper")
            .bind(0i64)
            .fetch_all(&pool)
            .await
            .unwrap();
    let steps: Vec<&str> = plan.iter().map(|row| row.3.as_str()).collect();
    assert!(
        steps.iter().any(|s| s.contains("merchant_id=? AND shopper_id=?")),
        "the spend of one member is looked up by merchant and member, not scanned: {steps:?}"
    );
    pool.close().await;
}
