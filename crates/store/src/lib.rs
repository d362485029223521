//! Sweep's storage. One [`Db`] implements every storage port of `sweep-app` with
//! portable SQL that runs on SQLite and on PostgreSQL alike; the schema lives in
//! `migrations/`, one folder per backend, kept in step.

mod analytics;
mod auth;
mod cards;
mod carts;
mod catalog;
mod coupons;
mod db;
mod flash;
mod history;
mod idempotency;
mod integrity;
mod inventory;
mod jobs;
mod locations;
mod loyalty;
mod media;
mod merchants;
mod orders;
mod payments;
mod platform;
mod sandbox;
mod shoppers;
mod sql;
mod staff;
#[cfg(feature = "test-support")]
pub mod testing;
mod till;

use std::path::PathBuf;
use std::sync::Arc;

pub use db::{Backend, Db, DbOptions, redact};
pub use history::{HistoryPlan, HistoryReport};
pub use media::FsMedia;
pub use shoppers::OutboxSms;
use sweep_app::Repos;

/// Every port served by one database and one media directory.
pub fn repos(db: Arc<Db>, media_dir: PathBuf) -> Repos {
    Repos {
        merchants: db.clone(),
        staff: db.clone(),
        auth: db.clone(),
        locations: db.clone(),
        catalog: db.clone(),
        inventory: db.clone(),
        idempotency: db.clone(),
        jobs: db.clone(),
        media: Arc::new(FsMedia::new(media_dir)),
        health: db.clone(),
        platform: db.clone(),
        shoppers: db.clone(),
        carts: db.clone(),
        orders: db.clone(),
        cards: db.clone(),
        loyalty: db.clone(),
        coupons: db.clone(),
        flash: db.clone(),
        analytics: db.clone(),
        till: db.clone(),
        payment_accounts: db.clone(),
        reconciliations: db.clone(),
        integrity: db.clone(),
        sms: Arc::new(OutboxSms(db)),
    }
}
