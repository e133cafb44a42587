//! Credentials other than passwords: browser sessions and API keys.

use serde::{Deserialize, Serialize};

use crate::id::{ApiKeyId, SessionId, UserId};
use crate::role::Role;
use crate::time::Timestamp;
use crate::validation::{FieldError, Validator};

/// A signed-in browser session, as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub id: SessionId,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    /// Whether this is the session the request came in on.
    pub current: bool,
}

/// An API key's public record. The secret is never stored or shown again after creation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub role: Role,
    /// The first characters of the secret, to recognise a key.
    #[schema(example = "lk_live_3Fq9")]
    pub prefix: String,
    /// The user or API key that created the key.
    pub created_by: Option<String>,
    /// The user the key acts for: the key never has more than their current role in the
    /// organisation, and is revoked when they leave it. Absent for keys created from the
    /// command line, which belong to the organisation alone.
    pub owned_by: Option<UserId>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// The role a key acts with: its own, capped at its owner's current role. `owner` is `None` for
/// a key without an owner, `Some(None)` when the owner is no longer a member (the key is dead).
pub fn effective_key_role(key_role: Role, owner: Option<Option<Role>>) -> Option<Role> {
    match owner {
        None => Some(key_role),
        Some(None) => None,
        Some(Some(owner_role)) => Some(key_role.min(owner_role)),
    }
}

/// `POST /api/api-keys`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApiKeyInput {
    /// Trimmed; must not be blank.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Accounting sync")]
    pub name: Option<String>,
    #[schema(required = true, value_type = Role, example = "property_manager")]
    pub role: Option<String>,
}

impl NewApiKeyInput {
    pub fn validate(self) -> Result<(String, Role), Vec<FieldError>> {
        let mut v = Validator::new();
        let name = v
            .required("name", self.name.as_deref())
            .and_then(|n| v.text("name", n, 1, 100));
        let role = v
            .required("role", self.role.as_deref())
            .and_then(|r| v.parse_enum::<Role>("role", r));
        v.finish(|| (name.unwrap(), role.unwrap()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_never_outranks_its_owner() {
        assert_eq!(effective_key_role(Role::Admin, None), Some(Role::Admin));
        assert_eq!(
            effective_key_role(Role::Admin, Some(Some(Role::Landlord))),
            Some(Role::Landlord)
        );
        assert_eq!(
            effective_key_role(Role::Tenant, Some(Some(Role::Admin))),
            Some(Role::Tenant)
        );
        assert_eq!(effective_key_role(Role::Admin, Some(None)), None);
    }
}
