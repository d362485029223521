//! Consistency checks over the whole database, run by `sweep check`.

use crate::ports::{LedgerMismatch, OfflineOversell, PointsMismatch, ReservationMismatch};
use crate::{AppResult, Sweep};

#[derive(Debug, Default)]
pub struct CheckReport {
    /// Stock levels that their movement ledger does not explain, or that are illegal.
    pub stock_ledger: Vec<LedgerMismatch>,
    /// Reserved stock that open orders do not account for (or orders whose promise
    /// holds no stock).
    pub reservations: Vec<ReservationMismatch>,
    /// Members whose points balance is not the sum of their ledger.
    pub points: Vec<PointsMismatch>,
    /// Sales tills made offline beyond the recorded stock: not an inconsistency (the
    /// ledger explains them), but stock counts to look into.
    pub offline_oversells: Vec<OfflineOversell>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.stock_ledger.is_empty() && self.reservations.is_empty() && self.points.is_empty()
    }
}

impl Sweep {
    pub async fn check(&self) -> AppResult<CheckReport> {
        Ok(CheckReport {
            stock_ledger: self.repos.inventory.ledger_mismatches().await?,
            reservations: self.repos.inventory.reservation_mismatches().await?,
            points: self.repos.loyalty.points_mismatches().await?,
            offline_oversells: self.repos.till.offline_oversells().await?,
        })
    }
}
