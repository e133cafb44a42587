//! The one error type of the API and its envelope. Every failure a client can see is built here.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lintel_domain::{FieldError, Plan, Role};
use lintel_store::StoreError;
use serde::Serialize;

use crate::request_id;

/// Seconds a client is asked to wait when the database is unavailable.
const RETRY_UNAVAILABLE_SECS: u64 = 2;
/// Seconds a client is asked to wait when its write kept losing lock conflicts with concurrent
/// writes (they clear in milliseconds).
const RETRY_CONTENTION_SECS: u64 = 1;

/// The machine codes clients branch on. Stable: never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    ValidationError,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    EmailTaken,
    /// Registration with an email that already has an account: sign in and create the
    /// organisation from there (`POST /api/organisations`).
    AccountExists,
    /// An invitation link that was accepted, revoked or has expired (410).
    InvitationUnavailable,
    PayloadTooLarge,
    UnsupportedMediaType,
    RequestTimeout,
    RateLimited,
    PlanLimitExceeded,
    PlanUpgradeRequired,
    PlanContextUnavailable,
    NotApplicable,
    ServiceUnavailable,
    InternalError,
    /// A status change to the status the record already has (409).
    AlreadyInStatus,
    /// A status change the record's lifecycle does not allow (409).
    InvalidStatusTransition,
    /// A lease that would be in force over another lease of the same unit (409).
    LeaseOverlap,
    /// An `Idempotency-Key` already used for a different request (422).
    IdempotencyKeyReused,
    /// An `Idempotency-Key` whose first request is still running (409).
    IdempotencyKeyInUse,
}

/// The error envelope: `{"success":false,"code":"NOT_FOUND","error":"Property not found."}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    pub code: ErrorCode,
    /// Human-readable description.
    pub error: String,
    /// More context where `error` alone is too short to act on: which role a 403 `FORBIDDEN`
    /// needs ("Forbidden: requires landlord role or higher") or why a CSRF check failed; what a
    /// plan allows on the `PLAN_*` errors; and why an operation does not apply to the caller on
    /// 403 `NOT_APPLICABLE` (for example, API keys have no sessions). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Every failing field, on 422 (and on 400 when a field had the wrong JSON type or was
    /// given twice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<FieldError>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "FREE")]
    pub current_plan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "BUSINESS")]
    pub required_plan: Option<String>,
    /// The request's ID, on server errors: quote it when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed request: unparseable JSON, wrong JSON type, bad encoding (400).
    #[error("bad request: {0}")]
    BadRequest(String, Vec<FieldError>),
    /// Well-formed but invalid input, every failing field listed (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unauthorized")]
    Unauthorized,
    /// A sign-in with a wrong email or password (one answer for both).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The feature does not apply to this kind of caller (e.g. sessions for an API key).
    #[error("not applicable: {0}")]
    NotApplicable(&'static str),
    /// The caller's role is below `0`.
    #[error("role too low")]
    RoleTooLow(Role),
    /// Forbidden for another reason (ownership, missing CSRF token).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// `{entity} not found.`
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A 404 with a message of its own, as the seeds word it ("Tenant profile not found").
    #[error("{0}")]
    Absent(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {0}")]
    Conflict(String),
    /// An email that already has an account, with the way forward for this route.
    #[error("email taken")]
    EmailTaken(&'static str),
    #[error("account exists")]
    AccountExists,
    /// An invitation that can no longer be used: `accepted`, `revoked` or `expired`.
    #[error("invitation {0}")]
    InvitationUnavailable(String),
    #[error("payload too large")]
    PayloadTooLarge(usize),
    /// A body that is not sent as JSON (415); carries the media type sent, if any.
    #[error("unsupported media type")]
    UnsupportedMediaType(Option<String>),
    /// A body of the right media type that cannot be taken for another reason (415): the
    /// message says what to send instead (an upload of a kind of file Lintel does not store, an
    /// upload not sent as `multipart/form-data`).
    #[error("unsupported media: {0}")]
    UnsupportedMedia(String),
    /// An uploaded file over the configured limit (413), in bytes.
    #[error("file too large")]
    FileTooLarge(u64),
    /// The request body did not arrive within the body-read timeout (408).
    #[error("request body timed out")]
    RequestTimeout,
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("plan limit exceeded")]
    PlanLimitExceeded {
        resource: &'static str,
        limit: u64,
        plan: Plan,
        upgrade_url: String,
    },
    #[error("plan upgrade required")]
    PlanUpgradeRequired {
        current: Plan,
        required: Plan,
        upgrade_url: String,
    },
    #[error("plan context unavailable")]
    PlanContextUnavailable { upgrade_url: String },
    #[error("service unavailable")]
    Unavailable(String),
    /// The write lost a lock conflict with concurrent writes on every attempt (503).
    #[error("write contention")]
    Contention,
    #[error("internal: {0}")]
    Internal(String),
    /// A status change the lifecycle refuses (409), with its code.
    #[error("{message}")]
    Transition { code: ErrorCode, message: String },
    /// A lease that would overlap another lease of its unit in force (409): the other's ID.
    #[error("lease overlap with {0}")]
    LeaseOverlap(String),
}

impl ApiError {
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(e.to_string())
    }

    /// The answer while the database cannot be reached.
    pub fn database_unavailable() -> ApiError {
        ApiError::Unavailable(
            "The database is temporarily unavailable. Please retry shortly.".into(),
        )
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(..) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::NotApplicable(_) => StatusCode::FORBIDDEN,
            ApiError::RoleTooLow(_)
            | ApiError::Forbidden(_)
            | ApiError::PlanLimitExceeded { .. }
            | ApiError::PlanUpgradeRequired { .. }
            | ApiError::PlanContextUnavailable { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::Absent(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_)
            | ApiError::EmailTaken(_)
            | ApiError::AccountExists
            | ApiError::Transition { .. }
            | ApiError::LeaseOverlap(_) => StatusCode::CONFLICT,
            ApiError::InvitationUnavailable(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) | ApiError::UnsupportedMedia(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::FileTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::Contention => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> ErrorBody {
        let mut b = ErrorBody {
            success: false,
            code: ErrorCode::InternalError,
            error: String::new(),
            message: None,
            details: None,
            upgrade_url: None,
            current_plan: None,
            required_plan: None,
            request_id: None,
        };
        let (code, error) = match self {
            ApiError::BadRequest(msg, details) => {
                if !details.is_empty() {
                    b.details = Some(details.clone());
                }
                (ErrorCode::ValidationError, msg.clone())
            }
            ApiError::Validation(details) => {
                b.details = Some(details.clone());
                let msg = "Validation failed. See 'details' for field-level errors.";
                (ErrorCode::ValidationError, msg.to_string())
            }
            ApiError::Unauthorized => (ErrorCode::Unauthorized, "Unauthorized".into()),
            ApiError::InvalidCredentials => {
                (ErrorCode::Unauthorized, "Invalid email or password.".into())
            }
            ApiError::NotApplicable(msg) => {
                b.message = Some(msg.to_string());
                (ErrorCode::NotApplicable, "Not applicable".into())
            }
            ApiError::RoleTooLow(role) => {
                b.message = Some(format!("Forbidden: requires {role} role or higher"));
                (ErrorCode::Forbidden, "Forbidden".into())
            }
            ApiError::Forbidden(msg) => {
                b.message = Some(msg.clone());
                (ErrorCode::Forbidden, "Forbidden".into())
            }
            ApiError::NotFound(entity) => (ErrorCode::NotFound, format!("{entity} not found.")),
            ApiError::Absent(message) => (ErrorCode::NotFound, message.to_string()),
            ApiError::MethodNotAllowed => {
                (ErrorCode::MethodNotAllowed, "Method not allowed.".into())
            }
            ApiError::Conflict(msg) => (ErrorCode::Conflict, msg.clone()),
            ApiError::Transition { code, message } => (*code, message.clone()),
            ApiError::LeaseOverlap(other) => (
                ErrorCode::LeaseOverlap,
                format!("The lease overlaps lease {other} of the same unit, which is in force."),
            ),
            ApiError::EmailTaken(hint) => {
                if !hint.is_empty() {
                    b.message = Some(hint.to_string());
                }
                (
                    ErrorCode::EmailTaken,
                    "An account with this email already exists.".into(),
                )
            }
            ApiError::AccountExists => {
                b.message = Some(
                    "Sign in with that account, then create the organisation with \
                     POST /api/organisations."
                        .into(),
                );
                (
                    ErrorCode::AccountExists,
                    "An account with this email already exists: sign in to add an organisation."
                        .into(),
                )
            }
            ApiError::InvitationUnavailable(state) => {
                let why = match state.as_str() {
                    "accepted" => "has already been accepted",
                    "revoked" => "was withdrawn",
                    _ => "has expired",
                };
                b.message = Some("Ask an admin of the organisation for a new invitation.".into());
                (
                    ErrorCode::InvitationUnavailable,
                    format!("This invitation {why}."),
                )
            }
            ApiError::PayloadTooLarge(limit) => (
                ErrorCode::PayloadTooLarge,
                format!("Request body is larger than the limit of {limit} bytes."),
            ),
            ApiError::UnsupportedMediaType(sent) => {
                let got = sent
                    .as_deref()
                    .map(|t| format!(" (got {t})"))
                    .unwrap_or_default();
                (
                    ErrorCode::UnsupportedMediaType,
                    format!(
                        "Unsupported media type{got}: send the body as JSON with \
                         Content-Type: application/json."
                    ),
                )
            }
            ApiError::UnsupportedMedia(msg) => (ErrorCode::UnsupportedMediaType, msg.clone()),
            ApiError::FileTooLarge(limit) => (
                ErrorCode::PayloadTooLarge,
                format!("File is larger than the limit of {limit} bytes."),
            ),
            ApiError::RequestTimeout => (
                ErrorCode::RequestTimeout,
                "The request body was not received in time.".into(),
            ),
            ApiError::RateLimited { .. } => (ErrorCode::RateLimited, "Too many requests".into()),
            ApiError::PlanLimitExceeded {
                resource,
                limit,
                plan,
                upgrade_url,
            } => {
                b.message = Some(format!(
                    "The {} plan allows {limit} {resource}. Upgrade to add more.",
                    plan.label()
                ));
                b.upgrade_url = Some(upgrade_url.clone());
                b.current_plan = Some(plan.label().into());
                (
                    ErrorCode::PlanLimitExceeded,
                    format!("Plan limit reached: {limit} {resource}."),
                )
            }
            ApiError::PlanUpgradeRequired {
                current,
                required,
                upgrade_url,
            } => {
                b.message = Some(format!(
                    "This feature requires the {} plan; your organisation is on {}.",
                    required.label(),
                    current.label()
                ));
                b.upgrade_url = Some(upgrade_url.clone());
                b.current_plan = Some(current.label().into());
                b.required_plan = Some(required.label().into());
                (
                    ErrorCode::PlanUpgradeRequired,
                    format!(
                        "PLAN_UPGRADE_REQUIRED: requires the {} plan",
                        required.label()
                    ),
                )
            }
            ApiError::PlanContextUnavailable { upgrade_url } => {
                b.upgrade_url = Some(upgrade_url.clone());
                b.message = Some(
                    "Organisation billing context could not be loaded. Request denied as a fail-secure measure."
                        .into(),
                );
                (
                    ErrorCode::PlanContextUnavailable,
                    "PLAN_CONTEXT_UNAVAILABLE".into(),
                )
            }
            ApiError::Unavailable(msg) => (ErrorCode::ServiceUnavailable, msg.clone()),
            ApiError::Contention => (
                ErrorCode::ServiceUnavailable,
                "The change conflicted with concurrent changes to the same records. Please retry shortly."
                    .into(),
            ),
            ApiError::Internal(_) => {
                b.request_id = request_id::current();
                (ErrorCode::InternalError, "Internal server error.".into())
            }
        };
        b.code = code;
        b.error = error;
        b
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed");
        }
        let status = self.status();
        let mut res = (status, axum::Json(self.body())).into_response();
        let retry_after = match self {
            ApiError::RateLimited { retry_after_secs } => Some(retry_after_secs.max(1)),
            ApiError::Unavailable(_) => Some(RETRY_UNAVAILABLE_SECS),
            ApiError::Contention => Some(RETRY_CONTENTION_SECS),
            _ => None,
        };
        if let Some(v) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// A store failure with no entity-specific meaning: 503 with `Retry-After` while the database is
/// unreachable or a write kept losing lock conflicts, otherwise an opaque 500.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                ApiError::database_unavailable()
            }
            StoreError::Contention(detail) => {
                tracing::warn!(error = %detail, "write lost every retry to concurrent writes");
                ApiError::Contention
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// A use case's failure with no entity-specific meaning.
impl From<lintel_app::AppError> for ApiError {
    fn from(e: lintel_app::AppError) -> ApiError {
        match e {
            lintel_app::AppError::Store(e) => ApiError::from(e),
            lintel_app::AppError::Internal(detail) => ApiError::Internal(detail),
            lintel_app::AppError::Storage(detail) => {
                tracing::warn!(error = %detail, "document storage unavailable");
                ApiError::Unavailable(
                    "The document storage is temporarily unavailable. Please retry shortly.".into(),
                )
            }
            lintel_app::AppError::Processor(detail) => {
                tracing::warn!(error = %detail, "Stripe unavailable");
                ApiError::Unavailable("Stripe is unavailable; try again shortly.".into())
            }
            lintel_app::AppError::UnsupportedFile => ApiError::UnsupportedMedia(format!(
                "Unsupported file type: upload a {} file.",
                lintel_domain::documents::ACCEPTED_KINDS
            )),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn write_contention_is_a_503_with_retry_after() {
        let e = StoreError::Contention("deadlock detected".into());
        let res = ApiError::from_store(crate::entity::Entity::Property, e).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
        let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "SERVICE_UNAVAILABLE");
        assert_eq!(body["success"], false);
        assert!(
            !body.to_string().contains("deadlock"),
            "the database's words stay in the log: {body}"
        );
    }
}
