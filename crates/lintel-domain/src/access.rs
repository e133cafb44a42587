//! Credentials other than passwords: browser sessions and API keys.

use serde::{Deserialize, Serialize};

use crate::id::{ApiKeyId, SessionId};
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
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
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
