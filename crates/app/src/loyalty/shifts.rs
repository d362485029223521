//! Closing a till's shift: the clerk counts the drawer and Sweep sets it against what
//! the till's cash sales and refunds since the last close say should be there.

use serde::Deserialize;
use sweep_domain::ids::LocationId;
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::till::{TillShift, expected_cash};
use sweep_domain::{FieldError, Money, text};

use crate::page::{Page, PageRequest};
use crate::ports::StoreError;
use crate::{AppError, AppResult, Sweep, require, tenant};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CloseShiftInput {
    pub store_id: LocationId,
    pub till_id: String,
    /// Cash the drawer held when the shift began, in minor units.
    pub opening_float: i64,
    /// Cash counted in the drawer now, in minor units.
    pub counted_cash: i64,
    #[serde(default)]
    pub note: String,
    /// The `closed_at` of the till's last close (RFC 3339), as the till knows it; leave
    /// it out for the till's first shift.
    #[serde(default)]
    pub since: Option<String>,
}

fn shift_closed(message: impl Into<String>) -> AppError {
    AppError::conflict("shift_closed", None, message)
}

impl Sweep {
    /// Closes the shift the till says it is closing: the one that began at `since` (the
    /// `closed_at` of the till's last close as the till knows it; none for the till's
    /// first shift). When the till was closed after that (two closes at once, a form
    /// sent twice, two clerks at one drawer), this close is `409 shift_closed` and
    /// nothing is written.
    pub async fn close_shift(&self, actor: &Actor, input: CloseShiftInput) -> AppResult<TillShift> {
        require(actor, Permission::SellAtTill)?;
        let m = tenant(actor)?;
        let merchant = self.repos.merchants.merchant(m).await?.ok_or(AppError::NotFound("merchant"))?;
        let mut errors = Vec::new();
        let expected = match input.since.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(text) => match sweep_domain::Timestamp::parse_rfc3339(text) {
                Some(at) => Some(at),
                None => {
                    errors.push(FieldError::new(
                        "since",
                        "invalid",
                        "the closed_at of the till's last close, in RFC 3339",
                    ));
                    None
                }
            },
        };
        let till = input.till_id.trim();
        if till.is_empty() || till.len() > 32 || !till.bytes().all(|b| b.is_ascii_graphic()) {
            errors.push(FieldError::new("till_id", "invalid", "use 1 to 32 visible ASCII characters"));
        }
        let float = Money::price("opening_float", input.opening_float, merchant.currency);
        let counted = Money::price("counted_cash", input.counted_cash, merchant.currency);
        let note = text::bounded_text("note", &input.note, 0, 500);
        errors.extend(float.as_ref().err().cloned());
        errors.extend(counted.as_ref().err().cloned());
        errors.extend(note.as_ref().err().cloned());
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let (float, counted, note) = (float.expect("checked"), counted.expect("checked"), note.expect("checked"));
        let store = self.till_store(actor, input.store_id).await?;
        let now = self.now();
        let since = self.repos.till.last_shift_close(m, store.id, till).await?;
        match (expected, since) {
            (Some(_), None) => {
                return Err(AppError::invalid("since", "unknown_shift", "this till has not been closed before"));
            }
            (_, Some(last)) if expected != Some(last) => {
                return Err(shift_closed(format!(
                    "this till was closed at {}; reload and count again",
                    last.to_rfc3339()
                )));
            }
            _ => {}
        }
        let start = since.unwrap_or(sweep_domain::Timestamp::from_unix_micros(0));
        let (cash_sales, cash_refunds, sales) = self.repos.till.till_takings(m, store.id, till, start, now).await?;
        let cash_sales = Money::new(cash_sales, merchant.currency);
        let cash_refunds = Money::new(cash_refunds, merchant.currency);
        let expected = expected_cash(float, cash_sales, cash_refunds)?;
        let shift = TillShift {
            id: uuid::Uuid::now_v7().to_string(),
            store_id: store.id,
            till_id: till.to_string(),
            since,
            closed_at: now,
            closed_by: actor.staff_id,
            opening_float: float,
            cash_sales,
            cash_refunds,
            sales,
            expected_cash: expected,
            counted_cash: counted,
            difference: counted.checked_sub(expected)?,
            note,
        };
        match self.repos.till.insert_shift(m, &shift).await {
            Ok(()) => {
                tracing::info!(event = "shift_closed", store = %store.id, till, expected = expected.minor(), counted = counted.minor());
                Ok(shift)
            }
            Err(StoreError::Duplicate { .. }) => {
                Err(shift_closed("this shift was closed meanwhile; reload and count again"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A store's closed shifts, newest first.
    pub async fn shifts(&self, actor: &Actor, store: LocationId, page: &PageRequest) -> AppResult<Page<TillShift>> {
        require(actor, Permission::SellAtTill)?;
        let m = tenant(actor)?;
        let store = self.till_store(actor, store).await?;
        Ok(self.repos.till.shifts(m, store.id, page).await?)
    }
}
