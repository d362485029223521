use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Executor, SqlSafeStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Connections for PostgreSQL, or readers for SQLite (SQLite always has one writer).
    pub max_connections: u32,
    /// How long a request waits for a connection or a SQLite lock before giving up.
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions { max_connections: 10, acquire_timeout: Duration::from_secs(5) }
    }
}

/// A connection to Sweep's database.
///
/// SQLite runs in WAL mode with `synchronous=FULL`: an acknowledged write survives a
/// power cut. It gets a single writer connection (writes queue in the process instead of
/// fighting over the file lock) and a pool of readers. PostgreSQL gets one pool.
pub struct Db {
    backend: Backend,
    writer: AnyPool,
    reader: AnyPool,
}

impl Db {
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            sqlx::Error::Configuration(
                format!("unsupported database URL (use sqlite: or postgres://): {}", redact(url)).into(),
            )
        })?;
        let connect = AnyConnectOptions::from_str(url)?;
        match backend {
            Backend::Sqlite => {
                // The writer keeps a large page cache and lets the WAL grow to ~64 MiB
                // between checkpoints: a group commit dirties the same index pages batch
                // after batch, and each checkpoint then writes them once, not once a batch.
                let pool = |max: u32, tuning: &'static [&'static str]| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .min_connections(1)
                        .acquire_timeout(options.acquire_timeout)
                        .after_connect(move |conn, _| {
                            Box::pin(async move {
                                for pragma in [
                                    "PRAGMA journal_mode = WAL",
                                    "PRAGMA synchronous = FULL",
                                    "PRAGMA busy_timeout = 5000",
                                    "PRAGMA foreign_keys = ON",
                                ]
                                .iter()
                                .chain(tuning)
                                {
                                    conn.execute(*pragma).await?;
                                }
                                Ok(())
                            })
                        })
                };
                let writer = pool(1, &["PRAGMA cache_size = -65536", "PRAGMA wal_autocheckpoint = 16384"])
                    .connect_with(connect.clone())
                    .await?;
                let reader = pool(options.max_connections.max(1), &[]).connect_with(connect).await?;
                Ok(Db { backend, writer, reader })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await?;
                Ok(Db { backend, writer: pool.clone(), reader: pool })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a transaction never fails half-way on a lock upgrade.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
    }

    /// Applies the embedded migrations that have not run yet. Safe to run from several
    /// processes at once: the migrator takes a database lock.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        // One schema for both databases: SQLite takes PostgreSQL's type names (BIGINT,
        // DOUBLE PRECISION and TEXT get the right affinities) except BYTEA.
        let files: [(i64, &str, &str); 10] = [
            (1, "foundation", include_str!("../migrations/0001_foundation.sql")),
            (2, "shopping", include_str!("../migrations/0002_shopping.sql")),
            (3, "cards", include_str!("../migrations/0003_cards.sql")),
            (4, "loyalty", include_str!("../migrations/0004_loyalty.sql")),
            (5, "flash", include_str!("../migrations/0005_flash.sql")),
            (6, "payments", include_str!("../migrations/0006_payments.sql")),
            (7, "live", include_str!("../migrations/0007_live.sql")),
            (8, "console orders", include_str!("../migrations/0008_console_orders.sql")),
            (9, "analytics", include_str!("../migrations/0009_analytics.sql")),
            (10, "member spend", include_str!("../migrations/0010_member_spend.sql")),
        ];
        let migrations = files
            .into_iter()
            .map(|(version, name, sql)| {
                let sql = match self.backend {
                    Backend::Sqlite => sql.replace("BYTEA", "BLOB"),
                    Backend::Postgres => sql.to_string(),
                };
                Migration::new(version, name.into(), MigrationType::Simple, AssertSqlSafe(sql).into_sql_str(), false)
            })
            .collect();
        Migrator::with_migrations(migrations).run(&self.writer).await
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.reader).await.is_ok()
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

#[async_trait::async_trait]
impl sweep_app::ports::Health for Db {
    async fn ready(&self) -> bool {
        self.ping().await
    }
}

/// The URL without its password (in the user part or a `password=` parameter), for messages.
pub fn redact(url: &str) -> String {
    let url = match url.split_once('?') {
        Some((base, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_string(),
                })
                .collect();
            format!("{base}?{}", params.join("&"))
        }
        None => url.to_string(),
    };
    let url = url.as_str();
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(super::redact("postgres://sweep:s3cret@db:5432/sweep"), "postgres://sweep:***@db:5432/sweep");
        assert_eq!(super::redact("postgres://sweep@db/sweep"), "postgres://sweep@db/sweep");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
        assert_eq!(
            super::redact("postgres://h/db?user=a&password=s3cret&sslmode=off"),
            "postgres://h/db?user=a&password=***&sslmode=off"
        );
    }
}
