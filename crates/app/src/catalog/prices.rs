//! Base and member prices of many SKUs at once, all or nothing (the console's bulk edit).
//!
//! Each change names only the fields the user changed, with the value the page showed
//! for each: a field changed by someone else since then is refused rather than
//! overwritten, and a field the user left alone is never written.

use std::collections::HashSet;

use sweep_domain::Money;
use sweep_domain::catalog::Sku;
use sweep_domain::error::Validator;
use sweep_domain::ids::SkuId;
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::{FieldError, Timestamp};

use crate::{AppError, AppResult, SAVE_ATTEMPTS, Sweep, concurrent_edit, next_version, require, tenant};

/// Most SKUs one bulk price edit may change.
pub const MAX_PRICE_CHANGES: usize = 500;

/// New prices for one SKU, in fen: only the fields the user changed, each with the
/// value the user saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceChange {
    pub sku_id: SkuId,
    /// The new base price; `None` leaves it as stored.
    pub base_price: Option<i64>,
    /// The base price the user saw; checked when `base_price` is given.
    pub shown_base_price: i64,
    /// The new member price (`Some(None)` removes it); `None` leaves it as stored.
    pub member_price: Option<Option<i64>>,
    /// The member price the user saw; checked when `member_price` is given.
    pub shown_member_price: Option<i64>,
}

impl Sweep {
    /// Sets the changed prices of every SKU in `changes` in one transaction. Every change
    /// is checked first (errors name `changes.<index>.<field>`); if any is bad, if a
    /// changed field's stored value is no longer the one shown (a conflict naming the
    /// first such field), or a SKU changed meanwhile more often than we retry, nothing
    /// is written. Returns the SKUs as saved.
    pub async fn set_prices(&self, actor: &Actor, changes: &[PriceChange]) -> AppResult<Vec<Sku>> {
        require(actor, Permission::EditCatalog)?;
        require(actor, Permission::EditPrices)?;
        let merchant_id = tenant(actor)?;
        if changes.is_empty() || changes.len() > MAX_PRICE_CHANGES {
            return Err(AppError::invalid(
                "changes",
                "invalid_length",
                format!("change 1 to {MAX_PRICE_CHANGES} SKUs at once"),
            ));
        }
        for _ in 0..SAVE_ATTEMPTS {
            let mut v = Validator::new();
            let mut seen = HashSet::new();
            let mut stale: Option<String> = None;
            let mut rows: Vec<(Sku, Timestamp)> = Vec::with_capacity(changes.len());
            for (i, change) in changes.iter().enumerate() {
                let at = |field: &str| format!("changes.{i}.{field}");
                if !seen.insert(change.sku_id) {
                    v.push(FieldError::new(at("sku_id"), "duplicate", "each SKU once"));
                    continue;
                }
                if change.base_price.is_none() && change.member_price.is_none() {
                    v.push(FieldError::new(at("sku_id"), "no_change", "change the base or the member price"));
                    continue;
                }
                let Some(current) = self.repos.catalog.sku(merchant_id, change.sku_id).await? else {
                    v.push(FieldError::new(at("sku_id"), "unknown_sku", "no such SKU"));
                    continue;
                };
                let currency = current.base_price.currency();
                let base = match change.base_price {
                    Some(p) => v.check(Money::price(&at("base_price"), p, currency)),
                    None => Some(current.base_price),
                };
                let member = match change.member_price {
                    Some(Some(p)) => v.check(Money::price(&at("member_price"), p, currency)).map(Some),
                    Some(None) | None => Some(None),
                };
                // What the user changed must still be what they saw.
                if change.base_price.is_some() && current.base_price.minor() != change.shown_base_price {
                    stale.get_or_insert_with(|| at("base_price"));
                }
                if change.member_price.is_some() && current.member_price.map(|m| m.minor()) != change.shown_member_price
                {
                    stale.get_or_insert_with(|| at("member_price"));
                }
                if let (Some(base), Some(member)) = (base, member) {
                    let expected = current.updated_at;
                    let mut sku = current;
                    sku.base_price = base;
                    if change.member_price.is_some() {
                        sku.member_price = member;
                    }
                    sku.updated_at = next_version(self.now(), expected);
                    rows.push((sku, expected));
                }
            }
            v.finish()?;
            if let Some(field) = stale {
                return Err(AppError::conflict(
                    "price_changed",
                    Some(field.as_str()),
                    "someone changed this price since the page was shown; check it and save again",
                ));
            }
            if self.repos.catalog.update_sku_prices(merchant_id, &rows).await? {
                return Ok(rows.into_iter().map(|(sku, _)| sku).collect());
            }
        }
        Err(concurrent_edit())
    }
}
