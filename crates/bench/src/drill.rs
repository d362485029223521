//! What the drills that drive a `sweep serve` child start with: the binary to run (all of
//! them), and a fresh database dropped afterwards (all but faults, which makes its own).

use std::path::{Path, PathBuf};

use anyhow::ensure;
use sweep_store::testing::TestDb;

use crate::local::{Db, drop_pg_schema};

/// The `sweep` binary a drill starts: the one given with `--sweep`, or the one built
/// beside this program.
pub(crate) fn sweep_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let sweep = match given {
        Some(p) => p.to_path_buf(),
        None => std::env::current_exe()?.with_file_name("sweep"),
    };
    ensure!(sweep.exists(), "{} not found: build it first (cargo build --bin sweep)", sweep.display());
    Ok(sweep)
}

/// Runs `drill` on a fresh database of `db`. A PostgreSQL schema is dropped afterwards
/// whatever the drill's outcome: a long drill leaves gigabytes behind.
pub(crate) async fn on_fresh_db<T>(db: Db, drill: impl AsyncFnOnce(&TestDb) -> T) -> T {
    let test_db = TestDb::new(db.backend()).await;
    let outcome = drill(&test_db).await;
    if matches!(db, Db::Postgres) {
        drop_pg_schema(&test_db.url).await;
    }
    outcome
}
