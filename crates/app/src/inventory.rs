//! Stock: receiving, adjusting and transferring, and reading levels and history.

use serde::Deserialize;
use sweep_domain::FieldError;
use sweep_domain::error::Validator;
use sweep_domain::ids::{LocationId, SkuId, TransferId};
use sweep_domain::inventory::{AdjustReason, Movement, MovementKind, Quantity, StockChange, StockRow};
use sweep_domain::location::{Location, LocationStatus};
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::text;

use crate::page::{Page, PageRequest};
use crate::ports::{StockFilter, StockLine};
use crate::{AppError, AppResult, Sweep, require, tenant};

/// Most lines in one receipt or transfer.
pub const MAX_LINES: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuantityLine {
    pub sku_id: SkuId,
    pub quantity: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiveInput {
    pub location_id: LocationId,
    pub lines: Vec<QuantityLine>,
    /// A delivery note number or remark.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdjustInput {
    pub location_id: LocationId,
    pub sku_id: SkuId,
    /// Signed change to on hand, e.g. -2 for two damaged units.
    pub delta: i64,
    pub reason: AdjustReason,
    /// Required when the reason is `other`.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferInput {
    pub from_location_id: LocationId,
    pub to_location_id: LocationId,
    pub lines: Vec<QuantityLine>,
    #[serde(default)]
    pub note: String,
}

/// The result of a stock operation: the movements it wrote, with levels after each.
pub struct StockResult {
    pub reference: Option<String>,
    pub movements: Vec<Movement>,
}

impl Sweep {
    pub async fn receive_stock(&self, actor: &Actor, input: ReceiveInput) -> AppResult<StockResult> {
        require(actor, Permission::ReceiveStock)?;
        let location = self.stock_location(actor, input.location_id, "location_id").await?;
        let mut v = Validator::new();
        let note = v.check(note("note", &input.note)).unwrap_or_default();
        let quantities = self.check_lines(actor, &input.lines, &mut v).await?;
        v.finish()?;
        let lines: Vec<StockLine> = quantities
            .into_iter()
            .map(|(sku_id, q)| StockLine {
                sku_id,
                location_id: location.id,
                change: StockChange::of(MovementKind::Receive, q),
                reason: None,
                note: note.clone(),
                reference: None,
            })
            .collect();
        let movements =
            self.repos.inventory.apply_stock(location.merchant_id, &lines, Some(actor.staff_id), self.now()).await?;
        Ok(StockResult { reference: None, movements })
    }

    pub async fn adjust_stock(&self, actor: &Actor, input: AdjustInput) -> AppResult<StockResult> {
        require(actor, Permission::AdjustStock)?;
        let location = self.stock_location(actor, input.location_id, "location_id").await?;
        let mut v = Validator::new();
        let change = v.check(StockChange::adjust("delta", input.delta));
        let note = v.check(note("note", &input.note)).unwrap_or_default();
        if input.reason == AdjustReason::Other && note.is_empty() {
            v.push(FieldError::new("note", "required", "say why when the reason is 'other'"));
        }
        if self.repos.catalog.sku(location.merchant_id, input.sku_id).await?.is_none() {
            v.push(FieldError::new("sku_id", "unknown_sku", "no such SKU"));
        }
        v.finish()?;
        let line = StockLine {
            sku_id: input.sku_id,
            location_id: location.id,
            change: change.expect("validated"),
            reason: Some(input.reason),
            note,
            reference: None,
        };
        let movements = self
            .repos
            .inventory
            .apply_stock(location.merchant_id, &[line], Some(actor.staff_id), self.now())
            .await
            .map_err(|e| match AppError::from(e) {
                AppError::InsufficientStock { available, .. } => {
                    AppError::InsufficientStock { field: "delta".into(), available }
                }
                other => other,
            })?;
        Ok(StockResult { reference: None, movements })
    }

    /// Moves stock between two locations at once: out of one and into the other in the
    /// same transaction, only from what is available at the source.
    pub async fn transfer_stock(&self, actor: &Actor, input: TransferInput) -> AppResult<StockResult> {
        require(actor, Permission::TransferStock)?;
        let from = self.stock_location(actor, input.from_location_id, "from_location_id").await?;
        let merchant_id = from.merchant_id;
        // The destination may be any of the merchant's locations, also outside a store
        // manager's own stores: sending stock to a sister store is their job.
        let to = self
            .repos
            .locations
            .location(merchant_id, input.to_location_id)
            .await?
            .filter(|l| l.status == LocationStatus::Active)
            .ok_or_else(|| AppError::invalid("to_location_id", "unknown_location", "no such active location"))?;
        if to.id == from.id {
            return Err(AppError::invalid("to_location_id", "same_location", "choose a different destination"));
        }
        let mut v = Validator::new();
        let note = v.check(note("note", &input.note)).unwrap_or_default();
        let quantities = self.check_lines(actor, &input.lines, &mut v).await?;
        v.finish()?;
        let reference = format!("transfer:{}", TransferId::new());
        let line = |location_id, kind, sku_id, q| StockLine {
            sku_id,
            location_id,
            change: StockChange::of(kind, q),
            reason: None,
            note: note.clone(),
            reference: Some(reference.clone()),
        };
        // Outgoing lines first, so a failing line's index is the request's line index.
        let mut lines: Vec<StockLine> =
            quantities.iter().map(|(s, q)| line(from.id, MovementKind::TransferOut, *s, *q)).collect();
        lines.extend(quantities.iter().map(|(s, q)| line(to.id, MovementKind::TransferIn, *s, *q)));
        let movements = self.repos.inventory.apply_stock(merchant_id, &lines, Some(actor.staff_id), self.now()).await?;
        Ok(StockResult { reference: Some(reference), movements })
    }

    pub async fn stock_levels(
        &self,
        actor: &Actor,
        mut filter: StockFilter,
        page: &PageRequest,
    ) -> AppResult<Page<StockRow>> {
        require(actor, Permission::ViewStock)?;
        let merchant_id = tenant(actor)?;
        self.scope_filter(actor, &mut filter)?;
        Ok(self.repos.inventory.stock_levels(merchant_id, &filter, page).await?)
    }

    pub async fn stock_movements(
        &self,
        actor: &Actor,
        mut filter: StockFilter,
        page: &PageRequest,
    ) -> AppResult<Page<Movement>> {
        require(actor, Permission::ViewStock)?;
        let merchant_id = tenant(actor)?;
        self.scope_filter(actor, &mut filter)?;
        Ok(self.repos.inventory.movements(merchant_id, &filter, page).await?)
    }

    fn scope_filter(&self, actor: &Actor, filter: &mut StockFilter) -> AppResult<()> {
        if !actor.is_head_office() {
            if let Some(location) = filter.location
                && !actor.can_see_location(location)
            {
                return Err(AppError::NotFound("location"));
            }
            filter.only = Some(actor.stores.clone());
        }
        Ok(())
    }

    /// A location the caller may move stock at: theirs, active.
    async fn stock_location(&self, actor: &Actor, id: LocationId, field: &str) -> AppResult<Location> {
        let location = match self.get_location(actor, id).await {
            Err(AppError::NotFound(_)) => return Err(AppError::NotFound("location")),
            other => other?,
        };
        if location.status != LocationStatus::Active {
            return Err(AppError::invalid(field, "archived_location", "this location is archived"));
        }
        Ok(location)
    }

    /// Validates quantity lines: 1..=MAX_LINES, each a known SKU, each SKU once.
    async fn check_lines(
        &self,
        actor: &Actor,
        lines: &[QuantityLine],
        v: &mut Validator,
    ) -> AppResult<Vec<(SkuId, Quantity)>> {
        let merchant_id = tenant(actor)?;
        if lines.is_empty() || lines.len() > MAX_LINES {
            v.push(FieldError::new("lines", "invalid_length", format!("give 1 to {MAX_LINES} lines")));
            return Ok(vec![]);
        }
        let mut out = Vec::with_capacity(lines.len());
        let mut seen = std::collections::HashSet::new();
        for (i, line) in lines.iter().enumerate() {
            let at = format!("lines.{i}");
            let q = v.check(Quantity::parse(&format!("{at}.quantity"), line.quantity));
            if !seen.insert(line.sku_id) {
                v.push(FieldError::new(format!("{at}.sku_id"), "duplicate", "each SKU once per request"));
                continue;
            }
            if self.repos.catalog.sku(merchant_id, line.sku_id).await?.is_none() {
                v.push(FieldError::new(format!("{at}.sku_id"), "unknown_sku", "no such SKU"));
                continue;
            }
            if let Some(q) = q {
                out.push((line.sku_id, q));
            }
        }
        Ok(out)
    }
}

fn note(field: &str, value: &str) -> Result<String, FieldError> {
    if value.trim().is_empty() { Ok(String::new()) } else { text::bounded_text(field, value, 0, 500) }
}
