//! Request extractors that answer in the envelope: JSON bodies (415 for another media type, 400
//! for malformed JSON or a wrong JSON type, 422 for unknown or missing fields, 408 when the body
//! does not arrive in time), query strings (422 for an unknown parameter) and typed IDs in the
//! path (404 for a malformed ID).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use lintel_domain::id::{Id, IdKind};
use lintel_domain::FieldError;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::json::{BodyError, Strict, DUPLICATE_KEY};
use crate::AppState;

pub use crate::query::QueryCheck;

/// A JSON body, sent as `Content-Type: application/json` (parameters such as `charset` and
/// `application/*+json` types are fine; anything else is a 415). Malformed JSON, a duplicate
/// key or a wrong JSON type is a 400; an unknown or missing field is a 422 on that field.
pub struct ApiJson<T>(pub T);

/// Whether a `Content-Type` value names JSON: `application/json` or `application/*+json`, with
/// any parameters.
pub fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json")
            || (sub.len() > 5 && sub[sub.len() - 5..].eq_ignore_ascii_case("+json")))
}

/// The 415 for a body of another media type, or `None` when the request may go on: JSON, or
/// no `Content-Type` at all (then the body must be empty, checked once it is read).
pub(crate) fn media_type_error(headers: &HeaderMap) -> Option<ApiError> {
    let value = headers.get(header::CONTENT_TYPE)?;
    let text = value.to_str().unwrap_or("");
    (!is_json_media_type(text)).then(|| ApiError::UnsupportedMediaType(sent_type(text)))
}

/// The media type as sent, shortened for the message.
fn sent_type(text: &str) -> Option<String> {
    let t: String = text.chars().filter(|c| !c.is_control()).take(100).collect();
    (!t.trim().is_empty()).then_some(t)
}

/// `{path}.{key}` for a key of the object at `path` (`.` is the body itself).
fn join(path: &str, key: &str) -> String {
    match path {
        "." | "" => key.to_string(),
        p => format!("{p}.{key}"),
    }
}

fn body_error(e: serde_path_to_error::Error<BodyError>) -> ApiError {
    let path = e.path().to_string();
    match e.into_inner() {
        BodyError::UnknownField(name) => {
            // The path names the unknown key itself, unless the key could not be captured.
            let field = if path.rsplit('.').next() == Some(name.as_str()) {
                path
            } else {
                join(&path, &name)
            };
            ApiError::Validation(vec![FieldError::new(field, "is not a known field")])
        }
        BodyError::MissingField(name) => {
            ApiError::Validation(vec![FieldError::new(join(&path, &name), "is required")])
        }
        BodyError::Message(msg) if path == "." => {
            ApiError::BadRequest(format!("Invalid request body: {msg}."), vec![])
        }
        BodyError::Message(msg) => ApiError::BadRequest(
            format!("Invalid request body: {path}: {msg}."),
            vec![FieldError::new(path, msg)],
        ),
    }
}

/// serde_json's message without the " at line L column C" it appends.
fn without_position(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    msg.split(" at line ").next().unwrap_or(&msg).to_string()
}

/// Parses a body into [`Strict`]. A duplicate key is reported on its path, found by parsing
/// again with path tracking (only then: the common case pays nothing for it).
fn parse_strict(bytes: &[u8]) -> Result<Strict, ApiError> {
    let err = match serde_json::from_slice::<Strict>(bytes) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let msg = without_position(&err);
    let Some(rest) = msg.strip_prefix(DUPLICATE_KEY) else {
        return Err(ApiError::BadRequest(
            format!("Malformed JSON: {msg}."),
            vec![],
        ));
    };
    let key = rest.trim_end_matches('`');
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let path = match serde_path_to_error::deserialize::<_, Strict>(&mut de) {
        Err(e) => e.path().to_string(),
        Ok(_) => ".".to_string(),
    };
    let field = join(&path, key);
    Err(ApiError::BadRequest(
        format!("Invalid request body: {field}: is given more than once."),
        vec![FieldError::new(field, "is given more than once")],
    ))
}

/// Parses a JSON body into `T`, mapping every failure to the envelope.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "Request body must be a JSON object.".into(),
            vec![],
        ));
    }
    let value = parse_strict(bytes)?;
    serde_path_to_error::deserialize(value).map_err(body_error)
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(e) = media_type_error(req.headers()) {
            return Err(e);
        }
        let headers = req.headers().clone();
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        json_body(&headers, &bytes).map(ApiJson)
    }
}

/// A body already read, taken as [`ApiJson`] takes one: JSON by its `Content-Type` (or an
/// empty body with none), parsed strictly.
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(e) = media_type_error(headers) {
        return Err(e);
    }
    if !headers.contains_key(header::CONTENT_TYPE) && !bytes.is_empty() {
        return Err(ApiError::UnsupportedMediaType(None));
    }
    parse_json(bytes)
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
/// a bad value becomes a field error). A parameter `T` does not know is a 422 naming it, one
/// entry per unknown parameter; names are case-sensitive.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or_default();
        let mut unknown: Vec<String> = Vec::new();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        let value = serde_ignored::deserialize(de, |path| unknown.push(path.to_string()))
            .map_err(|e| ApiError::BadRequest(format!("Invalid query string: {e}."), vec![]))?;
        if unknown.is_empty() {
            return Ok(ApiQuery(value));
        }
        let details = unknown
            .into_iter()
            .map(|name| FieldError::new(name, "is not a known parameter"))
            .collect();
        Err(ApiError::Validation(details))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            "application/merge-patch+json",
            "application/vnd.api+json ; q=1",
        ] {
            assert!(is_json_media_type(ok), "{ok}");
        }
        for bad in [
            "",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
            "application/+json",
            "text/json",
            "json",
        ] {
            assert!(!is_json_media_type(bad), "{bad}");
        }
    }
}
