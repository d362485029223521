//! The rules `sweep check` holds the whole database to, beyond the stock ledger and the
//! points ledger (which have their own reports).

use async_trait::async_trait;

use super::StoreResult;

/// Which rule a row breaks; the names are stable, for scripts that read the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Invariant {
    /// An order's money does not fit its status (an unpaid order holding money, a paid
    /// one holding other than its total, a refund its status does not show).
    OrderMoney,
    /// An order's history holds an illegal step, or never reached its status.
    OrderHistory,
    /// The money kept for an order (captures less refunds) is not what the order says it
    /// kept, or more than one payment of an online order was kept.
    Payments,
    /// Refunds of a payment add up to other than what the payment records, or exceed it.
    Refunds,
    /// A coupon definition issued more than its limits, or a coupon and its order disagree.
    Coupons,
    /// A member holds more of a flash sale than its limit, or a pool sold more than it held.
    FlashSales,
    /// Units left the shelf for an order that does not exist, or more than it ordered.
    SoldUnits,
}

impl Invariant {
    pub const ALL: [Invariant; 7] = [
        Invariant::OrderMoney,
        Invariant::OrderHistory,
        Invariant::Payments,
        Invariant::Refunds,
        Invariant::Coupons,
        Invariant::FlashSales,
        Invariant::SoldUnits,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Invariant::OrderMoney => "order_money",
            Invariant::OrderHistory => "order_history",
            Invariant::Payments => "payments",
            Invariant::Refunds => "refunds",
            Invariant::Coupons => "coupons",
            Invariant::FlashSales => "flash_sales",
            Invariant::SoldUnits => "sold_units",
        }
    }
}

/// One row that breaks one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub invariant: Invariant,
    pub merchant_id: String,
    /// The row, as `order <id>`, `payment <id>`, `coupon definition <id>`...
    pub subject: String,
    /// The figures that disagree.
    pub detail: String,
}

#[async_trait]
pub trait IntegrityRepo: Send + Sync {
    /// Every row breaking `rule`, oldest first within a merchant.
    async fn violations(&self, rule: Invariant) -> StoreResult<Vec<Violation>>;
}
