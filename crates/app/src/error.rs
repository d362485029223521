use sweep_domain::{FieldError, MoneyError};

use crate::ports::StoreError;

/// Why a use case refused or failed. The web layer maps each variant to a status and
/// a stable error code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The thing does not exist, or the caller may not know that it does.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("not signed in")]
    Unauthenticated,
    /// Wrong login or password (or a disabled account: we do not say which).
    #[error("wrong login or password")]
    InvalidCredentials,
    /// The caller sees the thing but may not do this to it.
    #[error("not allowed")]
    Forbidden,
    #[error("{message}")]
    Conflict { code: &'static str, field: Option<String>, message: String },
    #[error("not enough stock for {field}: {available} available")]
    InsufficientStock { field: String, available: i64 },
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: i64 },
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn conflict(code: &'static str, field: Option<&str>, message: impl Into<String>) -> Self {
        AppError::Conflict { code, field: field.map(str::to_string), message: message.into() }
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(errors: Vec<FieldError>) -> Self {
        AppError::Invalid(errors)
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Invalid(vec![error])
    }
}

/// Money arithmetic on figures the server computed itself: an overflow or a mixed
/// currency is a bug, never the client's fault.
impl From<MoneyError> for AppError {
    fn from(error: MoneyError) -> Self {
        AppError::Internal(error.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Duplicate { field } => {
                AppError::conflict("duplicate", Some(field), format!("{field} is already in use"))
            }
            StoreError::InsufficientStock { line, available } => {
                AppError::InsufficientStock { field: format!("lines.{line}"), available }
            }
            StoreError::CouponUnavailable => {
                AppError::conflict("coupon_unavailable", Some("coupon_id"), "this coupon is used or not yours")
            }
            StoreError::InsufficientPoints { available } => AppError::conflict(
                "insufficient_points",
                Some("points"),
                format!("only {available} points on the card"),
            ),
            StoreError::Busy(m) => AppError::Unavailable(m),
            StoreError::Other(m) => AppError::Internal(m),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
