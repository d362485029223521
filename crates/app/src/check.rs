//! Consistency checks over the whole database, run by `sweep check`.

use crate::ports::{LedgerMismatch, ReservationMismatch};
use crate::{AppResult, Sweep};

#[derive(Debug, Default)]
pub struct CheckReport {
    /// Stock levels that their movement ledger does not explain, or that are illegal.
    pub stock_ledger: Vec<LedgerMismatch>,
    /// Reserved stock that open orders do not account for (or orders whose promise
    /// holds no stock).
    pub reservations: Vec<ReservationMismatch>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.stock_ledger.is_empty() && self.reservations.is_empty()
    }
}

impl Sweep {
    pub async fn check(&self) -> AppResult<CheckReport> {
        Ok(CheckReport {
            stock_ledger: self.repos.inventory.ledger_mismatches().await?,
            reservations: self.repos.inventory.reservation_mismatches().await?,
        })
    }
}
