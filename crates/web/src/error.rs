//! The API's errors: a stable machine code, a message and the offending fields, always
//! as JSON. The catalogue of codes is [`ErrorCode`]; docs/API.md lists them.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sweep_app::AppError;
use sweep_domain::FieldError;
use utoipa::ToSchema;

/// Every error code the API answers with. Codes never change meaning once published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidJson,
    UnsupportedMediaType,
    PayloadTooLarge,
    ValidationFailed,
    Unauthenticated,
    InvalidCredentials,
    Forbidden,
    CsrfFailed,
    NotFound,
    MethodNotAllowed,
    Conflict,
    Duplicate,
    InsufficientStock,
    IdempotencyKeyReused,
    IdempotencyInProgress,
    TooManyAttempts,
    ServiceUnavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::InvalidJson,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::PayloadTooLarge,
        ErrorCode::ValidationFailed,
        ErrorCode::Unauthenticated,
        ErrorCode::InvalidCredentials,
        ErrorCode::Forbidden,
        ErrorCode::CsrfFailed,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Conflict,
        ErrorCode::Duplicate,
        ErrorCode::InsufficientStock,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::IdempotencyInProgress,
        ErrorCode::TooManyAttempts,
        ErrorCode::ServiceUnavailable,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::CsrfFailed => "csrf_failed",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Duplicate => "duplicate",
            ErrorCode::InsufficientStock => "insufficient_stock",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::IdempotencyInProgress => "idempotency_in_progress",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidJson => StatusCode::BAD_REQUEST,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::ValidationFailed | ErrorCode::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::CsrfFailed => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict
            | ErrorCode::Duplicate
            | ErrorCode::InsufficientStock
            | ErrorCode::IdempotencyInProgress => StatusCode::CONFLICT,
            ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `validation_failed`.
    pub code: String,
    /// For people; may change between versions.
    pub message: String,
    /// The fields at fault, for validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// Units still available, for `insufficient_stock`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    /// A finer reason for conflicts (e.g. `merchant_suspended`); defaults to the code.
    pub reason: Option<&'static str>,
    pub message: String,
    pub fields: Vec<FieldError>,
    pub available: Option<i64>,
    pub retry_after_secs: Option<i64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason: None,
            message: message.into(),
            fields: vec![],
            available: None,
            retry_after_secs: None,
        }
    }

    pub fn field(
        code: ErrorCode,
        field: impl Into<String>,
        field_code: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        let message = message.into();
        let fields = vec![FieldError::new(field, field_code, message.clone())];
        ApiError { fields, ..ApiError::new(code, message) }
    }

    pub fn not_found() -> ApiError {
        ApiError::new(ErrorCode::NotFound, "not found")
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(ErrorCode::Unauthenticated, "sign in or send an API token")
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::Invalid(fields) => {
                let message = match fields.first() {
                    Some(f) if fields.len() == 1 => f.to_string(),
                    _ => format!("{} fields are invalid", fields.len()),
                };
                ApiError { fields, ..ApiError::new(ErrorCode::ValidationFailed, message) }
            }
            AppError::NotFound(what) => ApiError::new(ErrorCode::NotFound, format!("{what} not found")),
            AppError::Unauthenticated => ApiError::unauthenticated(),
            AppError::InvalidCredentials => ApiError::new(ErrorCode::InvalidCredentials, "wrong login or password"),
            AppError::Forbidden => ApiError::new(ErrorCode::Forbidden, "your role may not do this"),
            AppError::Conflict { code, field, message } => {
                let api_code = if code == "duplicate" { ErrorCode::Duplicate } else { ErrorCode::Conflict };
                let fields = field.map(|f| vec![FieldError::new(f, code, message.clone())]).unwrap_or_default();
                ApiError { reason: Some(code), fields, ..ApiError::new(api_code, message) }
            }
            AppError::InsufficientStock { field, available } => ApiError {
                available: Some(available),
                fields: vec![FieldError::new(field, "insufficient_stock", format!("{available} available"))],
                ..ApiError::new(ErrorCode::InsufficientStock, format!("not enough stock: {available} available"))
            },
            AppError::TooManyAttempts { retry_after_secs } => ApiError {
                retry_after_secs: Some(retry_after_secs),
                ..ApiError::new(
                    ErrorCode::TooManyAttempts,
                    format!("too many attempts; try again in {retry_after_secs} s"),
                )
            },
            AppError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "storage unavailable");
                ApiError {
                    retry_after_secs: Some(2),
                    ..ApiError::new(ErrorCode::ServiceUnavailable, "busy; try again shortly")
                }
            }
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                ApiError::new(ErrorCode::Internal, "something went wrong on our side")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = match (self.code, self.reason) {
            (ErrorCode::Conflict, Some(reason)) => reason.to_string(),
            (c, _) => c.as_str().to_string(),
        };
        let body = ErrorBody {
            error: ErrorDetail { code, message: self.message, fields: self.fields, available: self.available },
        };
        let mut response = (self.code.status(), Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
