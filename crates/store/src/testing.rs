//! Fresh, migrated databases for tests: a SQLite file in a temporary directory, or a
//! new schema in the PostgreSQL named by `SWEEP_TEST_DATABASE_URL`. Each test gets its
//! own, so tests never share state and never need to sleep.

use std::path::PathBuf;
use std::sync::Arc;

use sqlx::Connection;

use crate::{Backend, Db, DbOptions};

pub const PG_URL_VAR: &str = "SWEEP_TEST_DATABASE_URL";

pub struct TestDb {
    pub db: Arc<Db>,
    /// A URL another process (or a second pool) can open to reach the same data.
    pub url: String,
    pub media_dir: PathBuf,
    pub dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("sweep.db").display()),
            Backend::Postgres => fresh_pg_schema().await,
        };
        let db = Db::connect(&url, &DbOptions::default()).await.expect("connect to the test database");
        db.migrate().await.expect("migrate the test database");
        let media_dir = dir.path().join("media");
        TestDb { db: Arc::new(db), url, media_dir, dir }
    }
}

/// The base PostgreSQL URL for tests. Panics with a clear message when unset: the
/// PostgreSQL tests only run (are not ignored) when it is set or in CI.
pub fn pg_base_url() -> String {
    match std::env::var(PG_URL_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("{PG_URL_VAR} is not set: the PostgreSQL tests need a database (CI sets it; see .ci/run)"),
    }
}

/// Creates an empty schema and returns a URL whose connections use it.
async fn fresh_pg_schema() -> String {
    sqlx::any::install_default_drivers();
    let base = pg_base_url();
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::AnyConnection::connect(&base).await.expect("connect to SWEEP_TEST_DATABASE_URL");
    drop_stale_schemas(&mut conn).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let _ = conn.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// Test schemas are named after the time they were made; drop those over three hours
/// old so a long-lived CI database does not fill up. Not sooner: the console benchmark
/// at 10 million orders on PostgreSQL keeps its schema for an hour and a half, and tests
/// run meanwhile must not drop it.
async fn drop_stale_schemas(conn: &mut sqlx::AnyConnection) {
    let cutoff = uuid::Uuid::now_v7().simple().to_string();
    let Ok(rows) = sqlx::query("SELECT CAST(nspname AS TEXT) AS name FROM pg_namespace WHERE nspname LIKE 't\\_%'")
        .fetch_all(&mut *conn)
        .await
    else {
        return;
    };
    let cutoff_ms = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64)
        .saturating_sub(3 * 3_600_000);
    for row in rows {
        let name: String = sqlx::Row::get(&row, "name");
        let Some(hex) = name.strip_prefix("t_") else {
            continue;
        };
        let created_ms = hex.get(..12).and_then(|h| u64::from_str_radix(h, 16).ok()).unwrap_or(u64::MAX);
        if created_ms < cutoff_ms && hex.len() == cutoff.len() {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {name} CASCADE")))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// Declares one async test body that runs against SQLite and against PostgreSQL, as
/// two tests named `<name>::sqlite` and `<name>::postgres`. The PostgreSQL one is
/// ignored unless `SWEEP_TEST_DATABASE_URL` is set (or CI=true) at build time.
#[macro_export]
macro_rules! both_backends {
    ($(#[$meta:meta])* async fn $name:ident($db:ident : $ty:ty) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($db: $ty) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                body(<$ty>::new($crate::Backend::Sqlite).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
            async fn postgres() {
                body(<$ty>::new($crate::Backend::Postgres).await).await
            }
        }
    };
}
