//! Consistency checks over the whole database, run by `sweep check`.

use crate::ports::{Invariant, LedgerMismatch, OfflineOversell, PointsMismatch, ReservationMismatch, Violation};
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
    /// Orders, payments, refunds, coupons, flash sales and sold units that break their
    /// rules, in the order of [`Invariant::ALL`].
    pub violations: Vec<Violation>,
    /// Sales tills made offline beyond the recorded stock: not an inconsistency (the
    /// ledger explains them), but stock counts to look into.
    pub offline_oversells: Vec<OfflineOversell>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.stock_ledger.is_empty()
            && self.reservations.is_empty()
            && self.points.is_empty()
            && self.violations.is_empty()
    }
}

impl Sweep {
    pub async fn check(&self) -> AppResult<CheckReport> {
        let mut violations = vec![];
        for rule in Invariant::ALL {
            violations.extend(self.repos.integrity.violations(rule).await?);
        }
        Ok(CheckReport {
            violations,
            stock_ledger: self.repos.inventory.ledger_mismatches().await?,
            reservations: self.repos.inventory.reservation_mismatches().await?,
            points: self.repos.loyalty.points_mismatches().await?,
            offline_oversells: self.repos.till.offline_oversells().await?,
        })
    }
}
