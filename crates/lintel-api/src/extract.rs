//! Request extractors that answer in the envelope: JSON bodies (400 for malformed, 422 for
//! invalid, 408 when the body does not arrive in time), query strings and typed IDs in the path (404 for a malformed ID).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use lintel_domain::id::{Id, IdKind};
use lintel_domain::{FieldError, PageRequest, PageRule};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::AppState;

/// A JSON body. Unparseable JSON or a wrong JSON type is a 400; an unknown field is a 422.
pub struct ApiJson<T>(pub T);

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let msg = inner.to_string();
    // serde_json appends " at line L column C"; clients get the field path instead.
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let field = match path.as_str() {
            "." | "" => name.to_string(),
            p => p.to_string(),
        };
        return ApiError::Validation(vec![FieldError::new(field, "is not a known field")]);
    }
    let field = if path == "." { String::new() } else { path };
    if field.is_empty() {
        ApiError::BadRequest(format!("Invalid request body: {msg}."), vec![])
    } else {
        let detail = FieldError::new(field.clone(), msg.clone());
        ApiError::BadRequest(
            format!("Invalid request body: {field}: {msg}."),
            vec![detail],
        )
    }
}

/// Parses a JSON body into `T`, mapping every failure to the envelope.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "Request body must be a JSON object.".into(),
            vec![],
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        ApiError::BadRequest(format!("Malformed JSON: {msg}."), vec![])
    })?;
    serde_path_to_error::deserialize(value).map_err(json_error)
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The whole request body: 413 over the body limit, 408 when it does not arrive within the
/// body-read timeout, 400 when it cannot be read otherwise.
pub struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|r| {
                if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(state.config.body_limit)
                } else if crate::server::body::is_timeout(&r) {
                    ApiError::RequestTimeout
                } else {
                    ApiError::BadRequest("Request body could not be read.".into(), vec![])
                }
            })
    }
}

/// Query parameters into `T` (fields should be `Option<String>` and checked by the handler, so
/// a bad value becomes a field error). Unknown parameters are ignored.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(q)
            .map(ApiQuery)
            .map_err(|e| ApiError::BadRequest(format!("Invalid query string: {e}."), vec![]))
    }
}

/// A typed ID from the last path segment that is one; a malformed ID is "{Entity} not found.".
pub struct PathId<K: IdKind>(pub Id<K>);

impl<S: Send + Sync, K: IdKind> FromRequestParts<S> for PathId<K> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::NotFound(K::ENTITY))?;
        raw.parse()
            .map(PathId)
            .map_err(|_| ApiError::NotFound(K::ENTITY))
    }
}

/// Checks query parameters one by one, collecting every bad one, then answers a single 422
/// that lists them all (`page=0&pageSize=1000` names both).
#[derive(Debug, Default)]
pub struct QueryCheck {
    errors: Vec<FieldError>,
}

impl QueryCheck {
    pub fn new() -> QueryCheck {
        QueryCheck::default()
    }

    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// An optional integer.
    pub fn int(&mut self, field: &str, raw: Option<&str>) -> Option<i64> {
        let parsed = raw?.trim().parse::<i64>();
        parsed
            .map_err(|_| self.fail(field, "must be an integer"))
            .ok()
    }

    /// An optional value of a closed enum.
    pub fn choice<E: std::str::FromStr<Err = String>>(
        &mut self,
        field: &str,
        raw: Option<&str>,
    ) -> Option<E> {
        raw?.parse().map_err(|m| self.fail(field, m)).ok()
    }

    /// An optional typed ID, exactly as documented: an empty value (`?propertyId=`) or one with
    /// spaces around it is as malformed as any other non-ID.
    pub fn id<K: IdKind>(&mut self, field: &str, raw: Option<&str>) -> Option<Id<K>> {
        raw?.parse()
            .map_err(|e| self.fail(field, format!("{e}")))
            .ok()
    }

    /// Optional free text: at most `max` printable characters as sent (so the documented
    /// `maxLength` and no-control-character `pattern` hold exactly), then trimmed; blank counts
    /// as absent.
    pub fn text(&mut self, field: &str, raw: Option<&str>, max: usize) -> Option<String> {
        let raw = raw?;
        if raw.chars().count() > max || raw.chars().any(char::is_control) {
            self.fail(field, format!("must be at most {max} printable characters"));
            return None;
        }
        Some(raw.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// `page` and `pageSize` against the resource's rule.
    pub fn page(
        &mut self,
        rule: PageRule,
        page: Option<&str>,
        size: Option<&str>,
    ) -> Option<PageRequest> {
        let (page, size) = (self.int("page", page), self.int("pageSize", size));
        PageRequest::parse(rule, page, size)
            .map_err(|mut e| self.errors.append(&mut e))
            .ok()
    }

    /// The checked value, or a 422 listing every bad parameter.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ if !self.errors.is_empty() => Err(ApiError::Validation(self.errors)),
            _ => Err(ApiError::internal("query check finished without a value")),
        }
    }
}
