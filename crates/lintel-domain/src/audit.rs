//! Who changed what: the actor of a write and the audit entries the store records with it.

use serde::Serialize;

use crate::id::{ApiKeyId, AuditId, UserId};
use crate::time::Timestamp;

crate::string_enum! {
    /// What kind of principal performed a write.
    ActorKind {
        User => "user",
        ApiKey => "api_key",
        System => "system",
    }
}

/// The principal behind a write, with the request it came in on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    /// The user or API key ID; `None` for the system (CLI, migrations, demo data).
    pub id: Option<String>,
    pub request_id: Option<String>,
    /// The client's own ID for the request (its `X-Request-Id`), when it sent a usable one.
    pub correlation_id: Option<String>,
}

impl Actor {
    pub fn user(id: UserId, request_id: Option<String>) -> Actor {
        Actor {
            kind: ActorKind::User,
            id: Some(id.to_string()),
            request_id,
            correlation_id: None,
        }
    }

    pub fn api_key(id: ApiKeyId, request_id: Option<String>) -> Actor {
        Actor {
            kind: ActorKind::ApiKey,
            id: Some(id.to_string()),
            request_id,
            correlation_id: None,
        }
    }

    pub fn system() -> Actor {
        Actor {
            kind: ActorKind::System,
            id: None,
            request_id: None,
            correlation_id: None,
        }
    }

    /// The same actor, carrying the client's correlation ID.
    pub fn with_correlation(mut self, correlation_id: Option<String>) -> Actor {
        self.correlation_id = correlation_id;
        self
    }
}

/// One recorded write, as `GET /api/audit-log` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: AuditId,
    pub actor_type: ActorKind,
    /// The user or API key that made the change; absent for system changes.
    pub actor_id: Option<String>,
    /// `{entity}.{verb}`, e.g. `property.create`, `unit.status`.
    #[schema(example = "property.update")]
    pub action: String,
    #[schema(example = "property")]
    pub entity_type: String,
    pub entity_id: String,
    /// The entity before the change (absent on create).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The entity after the change (absent on delete).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The server's ID of the request that made the change (its `X-Request-Id` answer header).
    pub request_id: Option<String>,
    /// The ID the client sent as `X-Request-Id` with that request, if it was usable.
    pub correlation_id: Option<String>,
    pub created_at: Timestamp,
}
