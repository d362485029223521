//! Request extractors that turn every client mistake into a 4xx naming the field.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use bytes_body::read_limited;
use serde::de::DeserializeOwned;
use sweep_domain::FieldError;
use sweep_domain::roles::Actor;

use crate::error::{ApiError, ErrorCode};

/// A JSON body: `Content-Type: application/json`, at most the configured size, valid
/// JSON, the right types, no unknown fields.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send JSON with Content-Type: application/json",
            ));
        }
        let bytes = read_limited(req).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, reporting syntax errors as `invalid_json` and shape errors (wrong type,
/// missing or unknown field) as `validation_failed` on the field's path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // Deeply nested input is refused by serde_json's recursion limit (128), not by a crash.
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = dotted(e.path());
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = inner.to_string();
                let field = path;
                let code = if message.starts_with("unknown field") {
                    "unknown_field"
                } else if message.starts_with("missing field") {
                    "missing_field"
                } else {
                    "invalid_type"
                };
                // serde names a missing field in the message, not the path.
                let field = match (code, message.split('`').nth(1)) {
                    ("missing_field", Some(name)) if field.is_empty() => name.to_string(),
                    ("missing_field", Some(name)) => format!("{field}.{name}"),
                    _ => field,
                };
                let message = strip_position(&message);
                ApiError {
                    fields: vec![FieldError::new(field, code, message.clone())],
                    ..ApiError::new(ErrorCode::ValidationFailed, message)
                }
            }
            _ => ApiError::new(ErrorCode::InvalidJson, format!("the body is not valid JSON: {inner}")),
        }
    })?;
    de.end().map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// `lines[0].quantity` as `lines.0.quantity`, the form every other field error uses.
fn dotted(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Query parameters, with unknown or mistyped ones reported by name.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        // Control characters (a NUL, say) have no business in a filter, and PostgreSQL
        // refuses NUL in text: stop them here, by name.
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if value.chars().any(char::is_control) {
                return Err(ApiError::field(
                    ErrorCode::ValidationFailed,
                    name.into_owned(),
                    "invalid_characters",
                    "must not contain control characters",
                ));
            }
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let field = e.path().to_string();
            let message = e.into_inner().to_string();
            let code = if message.starts_with("unknown field") { "unknown_parameter" } else { "invalid_parameter" };
            let field = match message.split('`').nth(1) {
                Some(name) if field == "." || field.is_empty() => name.to_string(),
                _ => field,
            };
            ApiError::field(ErrorCode::ValidationFailed, field, code, message)
        })
    }
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// The authenticated caller. Requests without valid credentials get 401.
pub struct Caller(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Actor>().cloned().map(Caller).ok_or_else(ApiError::unauthenticated)
    }
}

/// The peer's socket address, when the server records it.
pub struct Peer(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let info = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(Peer(info.map(|c| c.0)))
    }
}

/// Path parameters. A path that does not decode names nothing that exists: 404, as JSON.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(_) => Err(ApiError::not_found()),
        }
    }
}

/// Parses an id from the path; an id that does not parse cannot exist, so: 404.
pub fn path_id<T: std::str::FromStr>(text: &str) -> Result<T, ApiError> {
    text.parse().map_err(|_| ApiError::not_found())
}

pub mod bytes_body {
    use axum::body::Bytes;
    use axum::extract::Request;
    use http_body_util::{BodyExt, LengthLimitError, Limited};

    use crate::error::{ApiError, ErrorCode};

    /// Bytes of JSON a request may carry.
    pub const JSON_LIMIT: usize = 1024 * 1024;

    pub async fn read_limited(req: Request) -> Result<Bytes, ApiError> {
        read_up_to(req, JSON_LIMIT).await
    }

    pub async fn read_up_to(req: Request, limit: usize) -> Result<Bytes, ApiError> {
        match Limited::new(req.into_body(), limit).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
                Err(ApiError::new(ErrorCode::PayloadTooLarge, format!("the body is over {limit} bytes")))
            }
            Err(e) => Err(ApiError::new(ErrorCode::InvalidJson, format!("could not read the body: {e}"))),
        }
    }
}
