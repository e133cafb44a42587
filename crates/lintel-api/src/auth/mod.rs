//! Who is calling: API keys (`Authorization: Bearer`) and browser sessions (cookie + CSRF), the
//! role ladder and plan gates. Handlers take an [`Auth<R>`] whose type names the minimum role, so
//! a handler cannot be reached without its check.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use lintel_domain::identity::access::effective_key_role;
use lintel_domain::{
    Actor, ApiKeyId, Cap, Feature, Limit, OrgId, Plan, Role, SessionId, Timestamp, UserId,
};
use lintel_store::identity::Credentials;

pub use lintel_app::identity::issue_api_key;
pub use lintel_app::identity::secrets;
pub use secrets::{hash_password, verify_password};

use crate::error::ApiError;
use crate::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lintel_session";
/// The header carrying the CSRF token on cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The cookie holding the session's CSRF token for the browser's own scripts (not HttpOnly).
pub const CSRF_COOKIE: &str = "lintel_csrf";

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session(SessionId),
    ApiKey(ApiKeyId),
}

/// An authenticated caller within their organisation.
#[derive(Debug, Clone)]
pub struct Principal {
    pub org: OrgId,
    pub role: Role,
    pub plan: Plan,
    /// The user, for session callers; API keys act as themselves.
    pub user: Option<UserId>,
    pub via: Via,
    pub request_id: Option<String>,
    /// The client's own ID for the request, if it sent a usable `X-Request-Id`.
    pub correlation_id: Option<String>,
}

impl Principal {
    /// The actor recorded in the audit log for this caller's writes.
    pub fn actor(&self) -> Actor {
        let actor = match (self.via, self.user) {
            (Via::Session(_), Some(u)) => Actor::user(u, self.request_id.clone()),
            (Via::ApiKey(k), _) => Actor::api_key(k, self.request_id.clone()),
            (Via::Session(_), None) => Actor::system(),
        };
        actor.with_correlation(self.correlation_id.clone())
    }

    /// 403 FORBIDDEN unless the caller's role is `min` or higher.
    pub fn require(&self, min: Role) -> Result<(), ApiError> {
        if self.role.at_least(min) {
            Ok(())
        } else {
            Err(ApiError::RoleTooLow(min))
        }
    }

    /// 403 PLAN_UPGRADE_REQUIRED unless the organisation's plan includes `feature`.
    pub fn require_feature(&self, feature: Feature, state: &AppState) -> Result<(), ApiError> {
        if self.plan.has(feature) {
            Ok(())
        } else {
            Err(ApiError::PlanUpgradeRequired {
                current: self.plan,
                required: Plan::lowest_with(feature),
                upgrade_url: state.config.upgrade_url.clone(),
            })
        }
    }

    /// The plan's cap on `limit` (`None` is unlimited).
    pub fn cap(&self, limit: Limit) -> Cap {
        self.plan.cap(limit)
    }

    /// The 403 PLAN_LIMIT_EXCEEDED answer for `limit`.
    pub fn limit_error(&self, limit: Limit, max: u64, state: &AppState) -> ApiError {
        ApiError::PlanLimitExceeded {
            resource: limit.noun(),
            limit: max,
            plan: self.plan,
            upgrade_url: state.config.upgrade_url.clone(),
        }
    }

    /// The caller's own rate-limit bucket: the API key, else the user (else the session).
    pub fn rate_key(&self) -> String {
        match (self.via, self.user) {
            (Via::ApiKey(k), _) => format!("key:{k}"),
            (Via::Session(_), Some(u)) => format!("user:{u}"),
            (Via::Session(s), None) => format!("session:{s}"),
        }
    }

    pub fn session_id(&self) -> Option<SessionId> {
        match self.via {
            Via::Session(s) => Some(s),
            Via::ApiKey(_) => None,
        }
    }
}

/// A minimum role, named as a type.
pub trait MinRole: Send + Sync + 'static {
    const ROLE: Role;
}

macro_rules! min_role {
    ($($name:ident => $role:expr),+ $(,)?) => {$(
        /// Minimum role marker.
        pub struct $name;
        impl MinRole for $name {
            const ROLE: Role = $role;
        }
    )+};
}

min_role! {
    AnyMember => Role::Tenant,
    BrokerUp => Role::Broker,
    ManagerUp => Role::PropertyManager,
    LandlordUp => Role::Landlord,
    AdminOnly => Role::Admin,
}

/// A plan feature an operation needs, named as a type (or none, [`AnyPlan`]).
pub trait PlanGate: Send + Sync + 'static {
    const FEATURE: Option<Feature>;
}

/// No plan feature is needed.
pub struct AnyPlan;
impl PlanGate for AnyPlan {
    const FEATURE: Option<Feature> = None;
}

/// The plan must include API access (API keys).
pub struct ApiAccessPlan;
impl PlanGate for ApiAccessPlan {
    const FEATURE: Option<Feature> = Some(Feature::ApiAccess);
}

/// An authenticated caller (API key or session) whose role is at least `R::ROLE` and whose plan
/// includes `G::FEATURE`; also charges the caller's rate-limit bucket. The operation's OpenAPI
/// `security`, `x-required-role` and `x-required-plan` are derived from these two types (see
/// [`crate::contract`]), so the document cannot disagree with the check.
pub struct Auth<R: MinRole = AnyMember, G: PlanGate = AnyPlan>(pub Principal, PhantomData<(R, G)>);

impl<R: MinRole, G: PlanGate> std::ops::Deref for Auth<R, G> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

/// The answer to an API key at an operation on a person's own account or sessions.
pub const PEOPLE_ONLY: &str =
    "This acts on a signed-in person's account or sessions; API keys have neither.";

/// A person signed in with a browser session (cookie + CSRF) whose role is at least `R::ROLE`.
/// An API key is answered 403 NOT_APPLICABLE; the operation's OpenAPI `security` names the
/// session cookie only.
pub struct SessionAuth<R: MinRole = AnyMember> {
    pub principal: Principal,
    /// The signed-in person.
    pub user: UserId,
    /// The session the request came with.
    pub session: SessionId,
    role: PhantomData<R>,
}

impl<R: MinRole> std::ops::Deref for SessionAuth<R> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub(crate) fn session_cookie(parts: &Parts) -> Option<String> {
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(&parts.headers);
    jar.get(SESSION_COOKIE).map(|c| c.value().to_string())
}

/// Reads a stored plan; an unreadable one denies the request (fail-secure).
fn plan_of(raw: Option<&str>, state: &AppState) -> Result<Plan, ApiError> {
    raw.and_then(|p| p.parse().ok())
        .ok_or_else(|| ApiError::PlanContextUnavailable {
            upgrade_url: state.config.upgrade_url.clone(),
        })
}

fn role_of(raw: &str) -> Result<Role, ApiError> {
    raw.parse().map_err(|_| ApiError::Unauthorized)
}

/// Resolves the caller from the request's credentials.
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let request_id = crate::request_id::current();
    let correlation_id = crate::request_id::correlation();
    let creds = state.store.credentials();
    if let Some(token) = bearer(parts) {
        if token.is_empty() || token.len() > 256 {
            return Err(ApiError::Unauthorized);
        }
        let hash = secrets::lookup_hash(token);
        let key = creds.api_key(&hash).await.map_err(ApiError::from)?;
        let Some(key) = key.filter(|k| !k.revoked) else {
            return Err(ApiError::Unauthorized);
        };
        let plan = plan_of(key.plan.as_deref(), state)?;
        // A key never acts above its owner's current role, and dies with their membership.
        let owner = match &key.owner_role {
            None => None,
            Some(None) => Some(None),
            Some(Some(r)) => Some(Some(role_of(r)?)),
        };
        let role = effective_key_role(role_of(&key.role)?, owner).ok_or(ApiError::Unauthorized)?;
        let p = Principal {
            org: key.org_id,
            role,
            plan,
            user: None,
            via: Via::ApiKey(key.key_id),
            request_id,
            correlation_id,
        };
        // API access is a plan feature: keys of an organisation that left the plan stop working.
        p.require_feature(Feature::ApiAccess, state)?;
        if Credentials::needs_touch(key.last_used_at) {
            if let Err(e) = creds.touch_api_key(&hash, key.key_id).await {
                tracing::warn!(error = %e, "could not record API key use");
            }
        }
        return Ok(p);
    }
    let Some(token) = session_cookie(parts) else {
        return Err(ApiError::Unauthorized);
    };
    if token.is_empty() || token.len() > 256 {
        return Err(ApiError::Unauthorized);
    }
    let s = creds
        .session(&secrets::lookup_hash(&token))
        .await
        .map_err(ApiError::from)?
        .filter(|s| s.expires_at > Timestamp::now())
        .ok_or(ApiError::Unauthorized)?;
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if sent.is_empty() || !secrets::same_hash(&secrets::lookup_hash(sent), &s.csrf_hash) {
            return Err(ApiError::Forbidden(
                "Missing or invalid CSRF token: send the X-CSRF-Token header returned at login."
                    .into(),
            ));
        }
    }
    let plan = plan_of(s.plan.as_deref(), state)?;
    if Credentials::needs_touch(Some(s.last_seen_at)) {
        if let Err(e) = creds.touch_session(s.session_id).await {
            tracing::warn!(error = %e, "could not record session use");
        }
    }
    Ok(Principal {
        org: s.org_id,
        role: role_of(&s.role)?,
        plan,
        user: Some(s.user_id),
        via: Via::Session(s.session_id),
        request_id,
        correlation_id,
    })
}

/// Authenticates, charges the caller's rate-limit bucket, then checks the role and the plan, in
/// that order.
async fn admit(
    parts: &Parts,
    state: &AppState,
    role: Role,
    feature: Option<Feature>,
) -> Result<Principal, ApiError> {
    let principal = authenticate(parts, state).await?;
    let key = principal.rate_key();
    crate::ratelimit::charge_caller(parts, state, principal.role, &key).await?;
    principal.require(role)?;
    if let Some(feature) = feature {
        principal.require_feature(feature, state)?;
    }
    Ok(principal)
}

impl<R: MinRole, G: PlanGate> FromRequestParts<AppState> for Auth<R, G> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = admit(parts, state, R::ROLE, G::FEATURE).await?;
        Ok(Auth(principal, PhantomData))
    }
}

impl<R: MinRole> FromRequestParts<AppState> for SessionAuth<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = admit(parts, state, R::ROLE, None).await?;
        match (principal.via, principal.user) {
            (Via::Session(session), Some(user)) => Ok(SessionAuth {
                principal,
                user,
                session,
                role: PhantomData,
            }),
            _ => Err(ApiError::NotApplicable(PEOPLE_ONLY)),
        }
    }
}
