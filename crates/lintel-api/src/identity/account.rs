//! The signed-in person's own account: their password, the organisations they belong to,
//! switching the session between them, and starting another organisation.
//!
//! These act on a person, so they need a session: API keys belong to one organisation and have
//! no person behind them (403 NOT_APPLICABLE), except `GET /api/auth/organisations`, which shows
//! a key its one organisation.

use crate::contract::endpoints;
use axum::extract::State;
use lintel_domain::identity::{
    Membership, NewOrganisationInput, Organisation, OrganisationSettingsInput, PasswordChangeInput,
    SwitchOrganisationInput, User,
};
use lintel_domain::Plan;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;

use super::sign_in::check_credentials;
use crate::auth::{AdminOnly, Auth, SessionAuth};
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::ratelimit::RateSlot;
use crate::responses::{BodyErrors, ReadErrors};
use crate::AppState;

/// The answer to a password change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordChanged {
    /// How many of the person's other sessions were ended (this one stays signed in).
    pub other_sessions_ended: u64,
}

/// Changes the signed-in person's password. `currentPassword` must be right (422 on it
/// otherwise; wrong attempts count towards the account's failed sign-in limit, 429 past it);
/// `newPassword` follows the registration rules and differs from the current one. Every other
/// session of the person ends; this one stays. Requires tenant or higher, by session only (API keys:
/// 403 NOT_APPLICABLE).
#[utoipa::path(post, path = "/api/auth/password", tag = "Auth",
    request_body = PasswordChangeInput,
    responses((status = 200, body = Envelope<PasswordChanged>), BodyErrors))]
async fn change_password(
    auth: SessionAuth,
    State(state): State<AppState>,
    slot: RateSlot,
    ApiJson(input): ApiJson<PasswordChangeInput>,
) -> ApiResult<Success<PasswordChanged>> {
    let user = auth.user;
    let change = input.validate().map_err(ApiError::Validation)?;
    let account = state.store.accounts().get(user).await?;
    match check_credentials(&state, &slot, &account.email, change.current).await {
        Ok(_) => {}
        Err(ApiError::InvalidCredentials) => {
            return Err(ApiError::Validation(vec![lintel_domain::FieldError::new(
                "currentPassword",
                "is not the current password",
            )]))
        }
        Err(e) => return Err(e),
    }
    let ended = lintel_app::identity::set_password(
        &state.store,
        &auth.actor(),
        auth.org,
        user,
        change.new,
        Some(auth.session),
    )
    .await?;
    Ok(Success(PasswordChanged {
        other_sessions_ended: ended,
    }))
}

/// The organisations the signed-in person belongs to, in the order they joined, with their role
/// in each; `current` marks the one this session works in. An API key sees its one organisation.
/// Requires tenant or higher.
#[utoipa::path(get, path = "/api/auth/organisations", tag = "Auth",
    responses((status = 200, body = Envelope<Vec<Membership>>), ReadErrors))]
async fn organisations(
    auth: Auth,
    State(state): State<AppState>,
) -> ApiResult<Success<Vec<Membership>>> {
    let Some(user) = auth.user else {
        let organisation = state.store.orgs().get(auth.org).await?;
        let joined_at = organisation.created_at;
        return Ok(Success(vec![Membership {
            organisation,
            role: auth.role,
            current: true,
            joined_at,
        }]));
    };
    let list = state.store.accounts().memberships(user).await?;
    let list = list
        .into_iter()
        .map(|m| Membership {
            current: m.organisation.id == auth.org,
            organisation: m.organisation,
            role: m.role,
            joined_at: m.joined_at,
        })
        .collect();
    Ok(Success(list))
}

/// Where a switched session now works.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Switched {
    /// The person, as a member of `organisation`.
    pub user: User,
    pub organisation: Organisation,
}

/// Moves this session to another organisation the person belongs to; the next requests act
/// there, with their role there. The CSRF token stays the same. Not a member (or no such
/// organisation): 404. Requires tenant or higher, by session only (API keys are bound to one
/// organisation: 403 NOT_APPLICABLE).
#[utoipa::path(post, path = "/api/auth/switch-organisation", tag = "Auth",
    request_body = SwitchOrganisationInput,
    responses((status = 200, body = Envelope<Switched>), BodyErrors))]
async fn switch_organisation(
    auth: SessionAuth,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SwitchOrganisationInput>,
) -> ApiResult<Success<Switched>> {
    let (user, session) = (auth.user, auth.session);
    let org = input.validate().map_err(ApiError::Validation)?;
    let accounts = state.store.accounts();
    let member = accounts.switch_session(session, user, org).await;
    let user = member.map_err(|e| ApiError::from_store(Entity::Organisation, e))?;
    let organisation = state.store.orgs().get(org).await?;
    Ok(Success(Switched { user, organisation }))
}

/// Starts another organisation, on the FREE plan, with the signed-in person as its admin. The
/// session stays where it is: switch to the new one with `POST /api/auth/switch-organisation`.
/// Requires tenant or higher (any member: it is their own new organisation); session only.
#[utoipa::path(post, path = "/api/organisations", tag = "Organisations",
    request_body = NewOrganisationInput,
    responses((status = 201, body = Envelope<Membership>), BodyErrors))]
async fn create_organisation(
    auth: SessionAuth,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewOrganisationInput>,
) -> ApiResult<Created<Membership>> {
    let user = auth.user;
    let name = input.validate().map_err(ApiError::Validation)?;
    let orgs = state.store.orgs();
    let (organisation, member) = orgs
        .create_for(&auth.actor(), user, &name, Plan::Free)
        .await?;
    let joined_at = member.created_at;
    Ok(Created(Membership {
        organisation,
        role: member.role,
        current: false,
        joined_at,
    }))
}

/// The caller's current organisation, with its plan and settings. Requires tenant or higher.
#[utoipa::path(get, path = "/api/organisations/current", tag = "Organisations",
    responses((status = 200, body = Envelope<Organisation>), ReadErrors))]
async fn current_organisation(
    auth: Auth,
    State(state): State<AppState>,
) -> ApiResult<Success<Organisation>> {
    let org = state.store.orgs().get(auth.org).await;
    Ok(Success(
        org.map_err(auth.failed(Entity::Organisation, &state))?,
    ))
}

/// Changes the current organisation's settings: its `name`, its `timezone` (an IANA name,
/// default `UTC`), which decides what "today" is for leases and rent, and its `baseCurrency`
/// (ISO 4217, default `USD`, or for an organisation that had priced units when it was
/// introduced, their most common currency), which leads the trial balance; money already
/// recorded keeps its own currency. Admin only.
#[utoipa::path(patch, path = "/api/organisations/current", tag = "Organisations",
    request_body = OrganisationSettingsInput,
    responses((status = 200, body = Envelope<Organisation>), BodyErrors))]
async fn update_organisation(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<OrganisationSettingsInput>,
) -> ApiResult<Success<Organisation>> {
    let settings = input.validate().map_err(ApiError::Validation)?;
    let orgs = state.store.orgs();
    let org = orgs
        .update_settings(&auth.actor(), auth.org, &settings)
        .await;
    Ok(Success(
        org.map_err(auth.failed(Entity::Organisation, &state))?,
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(change_password))
        .routes(endpoints!(organisations))
        .routes(endpoints!(switch_organisation))
        .routes(endpoints!(create_organisation))
        .routes(endpoints!(current_organisation, update_organisation))
}
