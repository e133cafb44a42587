//! `Idempotency-Key` on the money operations, with Stripe's semantics: a retry with the same key
//! and the same request answers what the first did (`Idempotent-Replayed: true`) and changes
//! nothing; the same key on a different request is a 422 `IDEMPOTENCY_KEY_REUSED`; a retry
//! while the first is still running is a 409 `IDEMPOTENCY_KEY_IN_USE`. Keys belong to the
//! organisation and the credential (API key, or person) and are kept 24 hours; a request
//! without one works as before.
//!
//! The request runs in a task of its own, so a client that hangs up does not cut it short
//! between its change and the keeping of its answer; the change and the key's mark commit in
//! one transaction (`lintel_store::idempotency`).

use std::future::Future;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lintel_store::idempotency::{self, Claimed};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{json_body, RawBody};
use crate::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The header on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// The longest key accepted.
pub const KEY_MAX: usize = 255;
/// The largest answer kept for replays.
const ANSWER_MAX: usize = 4 << 20;

/// The key sent (if any) and what identifies the request: its method, path and body.
pub struct Idem {
    key: Option<String>,
    fingerprint: String,
}

impl Idem {
    /// The request's `Idempotency-Key`, if it sent one.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }
}

fn key_of(parts: &Parts) -> Result<Option<String>, ApiError> {
    let Some(v) = parts.headers.get(HEADER) else {
        return Ok(None);
    };
    let usable = v.to_str().ok().filter(|k| {
        (1..=KEY_MAX).contains(&k.len()) && k.bytes().all(|b| (0x21..0x7f).contains(&b))
    });
    match usable {
        Some(k) => Ok(Some(k.to_string())),
        None => Err(ApiError::BadRequest(
            format!(
                "Idempotency-Key must be 1 to {KEY_MAX} printable ASCII characters without \
                 spaces."
            ),
            vec![],
        )),
    }
}

fn fingerprint(parts: &Parts, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(parts.method.as_str().as_bytes());
    h.update(b" ");
    h.update(parts.uri.path().as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

impl FromRequestParts<AppState> for Idem {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        Ok(Idem {
            key: key_of(parts)?,
            fingerprint: fingerprint(parts, b""),
        })
    }
}

/// A JSON body under an `Idempotency-Key`. The body's fault, if any, is answered when the
/// request runs, so that a retry under a used key is recognised first.
pub struct IdemJson<T> {
    pub idem: Idem,
    pub body: Result<T, ApiError>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for IdemJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let key = key_of(&parts)?;
        let RawBody(bytes) =
            RawBody::from_request(Request::from_parts(parts.clone(), body), state).await?;
        Ok(IdemJson {
            idem: Idem {
                key,
                fingerprint: fingerprint(&parts, &bytes),
            },
            body: json_body(&parts.headers, &bytes),
        })
    }
}

fn refusal(code: ErrorCode, status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "success": false,
        "code": code,
        "error": message,
    });
    (status, axum::Json(body)).into_response()
}

impl Idem {
    /// Runs `op` for the caller under the key, if one was sent: claimed first, replayed or
    /// refused when it was used before, and the answer kept once `op` changed something.
    pub async fn run<Fut, R>(self, auth: &Principal, state: &AppState, op: Fut) -> Response
    where
        Fut: Future<Output = Result<R, ApiError>> + Send + 'static,
        R: IntoResponse,
    {
        let Some(key) = self.key else {
            return op.await.into_response();
        };
        let repo = state.store.org(auth.org);
        let credential = auth.rate_key();
        let claimed = repo
            .idempotency()
            .claim(&credential, &key, &self.fingerprint)
            .await;
        let claim =
            match claimed {
                Err(e) => return ApiError::internal(e).into_response(),
                Ok(Claimed::New(c)) => c,
                Ok(Claimed::Replay { status, body }) => {
                    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                    let mut res = (status, body).into_response();
                    let h = res.headers_mut();
                    h.insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    h.insert(REPLAYED, HeaderValue::from_static("true"));
                    return res;
                }
                Ok(Claimed::Reused) => {
                    return refusal(
                        ErrorCode::IdempotencyKeyReused,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "This Idempotency-Key was already used for a different request. Use a new \
                     key for a new request.",
                    )
                }
                Ok(Claimed::InFlight) => {
                    return refusal(
                        ErrorCode::IdempotencyKeyInUse,
                        StatusCode::CONFLICT,
                        "A request with this Idempotency-Key is still being processed. Retry \
                     shortly.",
                    )
                }
                Ok(Claimed::Unrecorded) => return refusal(
                    ErrorCode::IdempotencyKeyInUse,
                    StatusCode::CONFLICT,
                    "The request with this Idempotency-Key was carried out, but its answer was \
                     not kept. Look the result up instead of retrying.",
                ),
            };
        let store = state.store.clone();
        let org = auth.org;
        let ids = crate::request_id::current_ids();
        let task = async move {
            let res =
                idempotency::scope(claim.clone(), async move { op.await.into_response() }).await;
            let (parts, body) = res.into_parts();
            let bytes = match axum::body::to_bytes(body, ANSWER_MAX).await {
                Ok(b) => b,
                Err(e) => return ApiError::internal(e).into_response(),
            };
            let text = String::from_utf8_lossy(&bytes);
            let kept = store
                .org(org)
                .idempotency()
                .finish(&claim, parts.status.as_u16(), &text)
                .await;
            if let Err(e) = kept {
                tracing::error!(error = %e, "keeping an idempotent answer failed");
            }
            Response::from_parts(parts, Body::from(bytes))
        };
        let handle = match ids {
            Some(ids) => tokio::spawn(crate::request_id::scope(ids, task)),
            None => tokio::spawn(task),
        };
        match handle.await {
            Ok(res) => res,
            Err(e) => ApiError::internal(e).into_response(),
        }
    }
}

/// The `Idempotency-Key` header, as the OpenAPI document declares it.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyHeader {
    /// A key of your choosing, unique per request (a UUID, say): a retry with the same key and
    /// the same body answers the first request's response again, with
    /// `Idempotent-Replayed: true`, and changes nothing. Kept 24 hours per organisation and
    /// credential.
    #[param(
        rename = "Idempotency-Key",
        max_length = 255,
        pattern = r"^[\x21-\x7e]{1,255}$",
        example = "5f0c2b2e-6a49-4d8e-9d1a-3f1f4b0c2a77"
    )]
    #[allow(dead_code)]
    idempotency_key: Option<String>,
}

/// The errors of a POST that takes an `Idempotency-Key` and a JSON body.
pub struct IdemErrors;

impl utoipa::IntoResponses for IdemErrors {
    fn responses(
    ) -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        let mut m = <crate::responses::BodyErrors as utoipa::IntoResponses>::responses();
        m.extend(crate::responses::set(&[
            (
                "409",
                "CONFLICT: the change conflicts with existing data; IDEMPOTENCY_KEY_IN_USE: a \
                 request with this Idempotency-Key is still running",
            ),
            (
                "422",
                "VALIDATION_ERROR: invalid fields, every one listed in details; \
                 IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was used for a different request",
            ),
        ]));
        m
    }
}
