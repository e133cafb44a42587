//! Store errors mapped to API errors once, by the kind of entity an operation acts on.
//!
//! A handler names its entity ([`Entity::Property`]) and maps with [`Principal::failed`] (or
//! [`ApiError::from_store`] where no caller is signed in); every status, code and message for
//! "not found", "conflict", "archived", "gone" and "plan limit" comes from the table below.

use lintel_store::{Conflict, StoreError};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::AppState;

/// What an operation acts on, as its errors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Property,
    Unit,
    Building,
    /// A member of the organisation (a user in it).
    User,
    /// A person's own account, at registration.
    Account,
    Invitation,
    ApiKey,
    Session,
    Organisation,
    AuditEntry,
    /// Any other record, by its name (`Entity::Record(K::ENTITY)` for an ID kind `K`): the
    /// default messages. A resource gets its own variant only for answers of its own.
    Record(&'static str),
}

impl Entity {
    /// The name in "… not found." and the other messages.
    pub fn name(self) -> &'static str {
        match self {
            Entity::Property => "Property",
            Entity::Unit => "Unit",
            Entity::Building => "Building",
            Entity::User | Entity::Account => "User",
            Entity::Invitation => "Invitation",
            Entity::ApiKey => "API key",
            Entity::Session => "Session",
            Entity::Organisation => "Organisation",
            Entity::AuditEntry => "Audit entry",
            Entity::Record(name) => name,
        }
    }

    /// Whose archived state makes a write read-only: a unit's is its property's.
    fn archived_owner(self) -> Entity {
        match self {
            Entity::Unit => Entity::Property,
            e => e,
        }
    }

    /// The answer to a clash with an existing record.
    fn conflict(self, kind: &Conflict) -> ApiError {
        match (self, kind) {
            (Entity::Account, Conflict::Email) => ApiError::AccountExists,
            (Entity::User, Conflict::Email) => ApiError::EmailTaken(
                "This person already has an account: invite them with POST /api/members/invitations.",
            ),
            (Entity::Invitation, Conflict::Email) => ApiError::Conflict(
                "An account with this email was created meanwhile: accept again with its password."
                    .into(),
            ),
            (_, Conflict::Email) => ApiError::EmailTaken(""),
            (Entity::Invitation, Conflict::Member) => {
                ApiError::Conflict("This person is already a member of the organisation.".into())
            }
            (Entity::Invitation, Conflict::Accepted) => ApiError::Conflict(
                "This invitation has been accepted: remove the member instead.".into(),
            ),
            (Entity::Building, Conflict::Unique(_)) => {
                ApiError::Conflict("A building with this name already exists.".into())
            }
            (e, _) => ApiError::Conflict(format!("{} conflicts with an existing record.", e.name())),
        }
    }
}

impl ApiError {
    /// Maps a store error met while acting on `entity`. A plan limit needs the caller's plan:
    /// map through [`Principal::failed`] where one can be reached.
    pub fn from_store(entity: Entity, e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::NotFound(entity.name()),
            StoreError::Missing(name) => ApiError::NotFound(name),
            StoreError::Transition { code, message } => ApiError::Transition {
                code: match code {
                    "ALREADY_IN_STATUS" => crate::error::ErrorCode::AlreadyInStatus,
                    _ => crate::error::ErrorCode::InvalidStatusTransition,
                },
                message,
            },
            StoreError::LeaseOverlap(other) => ApiError::LeaseOverlap(other),
            StoreError::Refused(message) => ApiError::Conflict(message),
            StoreError::TooSoon(secs) => ApiError::RateLimited {
                retry_after_secs: secs,
            },
            StoreError::Invalid(details) => ApiError::Validation(details),
            StoreError::Conflict(kind) => entity.conflict(&kind),
            StoreError::Gone(state) => ApiError::InvitationUnavailable(state),
            StoreError::Archived => ApiError::Conflict(format!(
                "{} is archived and read-only. Restore it before making changes.",
                entity.archived_owner().name()
            )),
            other => ApiError::from(other),
        }
    }
}

impl Principal {
    /// Maps a store error met while this caller acted on `entity`; a plan limit is answered with
    /// the caller's plan and the upgrade URL.
    pub fn failed<'a>(
        &'a self,
        entity: Entity,
        state: &'a AppState,
    ) -> impl Fn(StoreError) -> ApiError + 'a {
        move |e| match e {
            StoreError::LimitReached { limit, max } => self.limit_error(limit, max, state),
            e => ApiError::from_store(entity, e),
        }
    }
}

impl Principal {
    /// Maps a use case's failure met while this caller acted on `entity`: store errors as
    /// [`Principal::failed`] does, the others by their kind.
    pub fn app_failed<'a>(
        &'a self,
        entity: Entity,
        state: &'a AppState,
    ) -> impl Fn(lintel_app::AppError) -> ApiError + 'a {
        move |e| match e {
            lintel_app::AppError::Store(e) => self.failed(entity, state)(e),
            e => ApiError::from(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict(entity: Entity, kind: Conflict) -> ApiError {
        ApiError::from_store(entity, StoreError::Conflict(kind))
    }

    #[test]
    fn each_entity_and_kind_has_its_answer() {
        assert!(matches!(
            conflict(Entity::Account, Conflict::Email),
            ApiError::AccountExists
        ));
        assert!(matches!(
            conflict(Entity::User, Conflict::Email),
            ApiError::EmailTaken(hint) if hint.contains("invite them")
        ));
        assert!(matches!(
            conflict(Entity::Building, Conflict::Unique("x".into())),
            ApiError::Conflict(m) if m == "A building with this name already exists."
        ));
        assert!(matches!(
            conflict(Entity::Record("Parking spot"), Conflict::Unique("x".into())),
            ApiError::Conflict(m) if m == "Parking spot conflicts with an existing record."
        ));
        assert!(matches!(
            ApiError::from_store(Entity::Unit, StoreError::Archived),
            ApiError::Conflict(m) if m.starts_with("Property is archived")
        ));
        assert!(matches!(
            ApiError::from_store(Entity::ApiKey, StoreError::NotFound),
            ApiError::NotFound("API key")
        ));
    }
}
