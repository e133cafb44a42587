//! Identity use cases: organisations with their first admin, members, API keys, passwords.

pub mod passwords;
pub mod secrets;

use lintel_domain::identity::access::ApiKey;
use lintel_domain::identity::{NewMember, Organisation, Registration, User};
use lintel_domain::{Actor, ApiKeyId, Cap, OrgId, Plan, Role, SessionId, UserId};
use lintel_store::identity::{NewApiKey, NewUserRecord};
use lintel_store::Store;

use crate::AppResult;

/// Where an organisation comes from: the plan it starts on, and the demo's marker.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub plan: Plan,
    /// Marks the organisation `lintel demo` creates, so it is created once.
    pub demo_slug: Option<&'a str>,
}

/// Creates an organisation and its first admin (a new account) from a checked registration.
/// An email that already has an account is `StoreError::Conflict(Conflict::Email)`.
pub async fn create_organisation(
    store: &Store,
    reg: Registration,
    origin: Origin<'_>,
) -> AppResult<(Organisation, User)> {
    let admin = NewUserRecord {
        email: reg.email.as_str().to_string(),
        name: reg.name,
        password_hash: passwords::hash(reg.password).await?,
    };
    let orgs = store.orgs();
    let created = orgs
        .create_with_admin(&reg.organisation_name, origin.plan, admin, origin.demo_slug)
        .await?;
    Ok(created)
}

/// Self-service sign-up: an organisation on the FREE plan with the caller as its admin.
pub async fn register(store: &Store, reg: Registration) -> AppResult<(Organisation, User)> {
    let origin = Origin {
        plan: Plan::Free,
        demo_slug: None,
    };
    create_organisation(store, reg, origin).await
}

/// Creates an account for someone new and makes them a member of `org` with an initial
/// password; `cap` is the plan's member cap.
pub async fn add_member(
    store: &Store,
    actor: &Actor,
    org: OrgId,
    new: NewMember,
    cap: Cap,
) -> AppResult<User> {
    let rec = NewUserRecord {
        email: new.email.as_str().to_string(),
        name: new.name,
        password_hash: passwords::hash(new.password).await?,
    };
    let members = store.org(org).members();
    Ok(members.add(actor, rec, new.role, cap).await?)
}

/// Creates an API key for `org`; answers its record and the secret, which is never shown again.
pub async fn issue_api_key(
    store: &Store,
    actor: &Actor,
    org: OrgId,
    name: String,
    role: Role,
) -> AppResult<(ApiKey, String)> {
    let (secret, prefix) = secrets::new_api_key();
    let new = NewApiKey {
        id: ApiKeyId::new(),
        name,
        role,
        prefix,
        secret_hash: secrets::lookup_hash(&secret),
    };
    let key = store.org(org).api_keys().create(actor, new).await?;
    Ok((key, secret))
}

/// Sets an account's password (hashed here) and ends its sessions except `keep`; answers how
/// many ended. Recorded in `org`'s audit log.
pub async fn set_password(
    store: &Store,
    actor: &Actor,
    org: OrgId,
    user: UserId,
    password: String,
    keep: Option<SessionId>,
) -> AppResult<u64> {
    let hash = passwords::hash(password).await?;
    let accounts = store.accounts();
    Ok(accounts.set_password(actor, org, user, hash, keep).await?)
}
