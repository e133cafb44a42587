//! Member invitations: an admin invites an email address with a role; the person follows a
//! single-use link, valid for seven days, and joins (creating their account, or with the one
//! they already have).

use serde::{Deserialize, Serialize};

use super::{check_password, email_field, Email, NAME_MAX, PASSWORD_MAX};
use crate::id::{InvitationId, OrgId};
use crate::role::Role;
use crate::time::Timestamp;
use crate::validation::{FieldError, Validator};

/// How long an invitation link works.
pub const INVITATION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// The longest token accepted (tokens are 43 characters; anything much longer is not one).
pub const TOKEN_MAX: usize = 128;

crate::string_enum! {
    /// Where an invitation stands.
    InvitationStatus {
        /// Sent, not yet used, not expired.
        Pending => "pending",
        Accepted => "accepted",
        /// Not used within seven days.
        Expired => "expired",
        /// Withdrawn by an admin (or replaced by a newer invitation to the same email).
        Revoked => "revoked",
    }
}

/// An invitation as admins see it. The token is never shown again after creation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub id: InvitationId,
    pub organisation_id: OrgId,
    pub email: String,
    /// The role the person gets on accepting.
    pub role: Role,
    pub status: InvitationStatus,
    /// The user or API key that sent it.
    pub invited_by: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// For a tenant's invitation: the tenant profile the account is linked to on accepting.
    pub tenant_id: Option<crate::id::TenantId>,
}

impl Invitation {
    /// The status implied by the stored instants at `now`.
    pub fn status_at(
        accepted: Option<Timestamp>,
        revoked: Option<Timestamp>,
        expires: Timestamp,
        now: Timestamp,
    ) -> InvitationStatus {
        match (accepted, revoked) {
            (Some(_), _) => InvitationStatus::Accepted,
            (None, Some(_)) => InvitationStatus::Revoked,
            (None, None) if expires <= now => InvitationStatus::Expired,
            (None, None) => InvitationStatus::Pending,
        }
    }
}

/// `POST /api/members/invitations`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewInvitationInput {
    #[schema(required = true, value_type = String, format = Email, max_length = 254,
        example = "sam@example.com")]
    pub email: Option<String>,
    #[schema(required = true, value_type = Role, example = "property_manager")]
    pub role: Option<String>,
}

impl NewInvitationInput {
    pub fn validate(self) -> Result<(Email, Role), Vec<FieldError>> {
        let mut v = Validator::new();
        let email = email_field(&mut v, "email", self.email.as_deref());
        let role = v
            .required("role", self.role.as_deref())
            .and_then(|r| v.parse_enum::<Role>("role", r));
        v.finish(|| (email.unwrap(), role.unwrap()))
    }
}

/// `POST /api/auth/accept-invite`. Someone new chooses their name and password; someone who
/// already has an account proves it with their current password (`name` is then ignored).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptInvitationInput {
    /// The token from the invitation link (`/invite/{token}`).
    #[schema(required = true, value_type = String, min_length = 1, max_length = 128,
        example = "pV3x9Qk0nYJ0rQ2lZ7bW8cE1fG4hT6uI5oP3aS9dF2g")]
    pub token: Option<String>,
    /// For a new account: 10–256 characters, at least 5 of them different (ignoring case), no
    /// NUL, not one of the most common passwords. For an existing account: its current password.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 256,
        example = "correct-horse-battery")]
    pub password: Option<String>,
    /// Required for a new account (trimmed, 1–120 characters); ignored for an existing one.
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "Sam Okafor"
    )]
    pub name: Option<String>,
}

/// A checked acceptance; the password and name rules of a new account are applied by
/// [`AcceptInvitation::new_account`] once it is known that the account is new.
#[derive(Debug, Clone)]
pub struct AcceptInvitation {
    pub token: String,
    pub password: String,
    pub name: Option<String>,
}

impl AcceptInvitationInput {
    pub fn validate(self) -> Result<AcceptInvitation, Vec<FieldError>> {
        let mut v = Validator::new();
        let token = v.required("token", self.token);
        if token
            .as_ref()
            .is_some_and(|t| t.is_empty() || t.chars().count() > TOKEN_MAX)
        {
            v.error("token", format!("must be 1–{TOKEN_MAX} characters"));
        }
        let password = v.required("password", self.password);
        if password
            .as_ref()
            .is_some_and(|p| p.is_empty() || p.chars().count() > PASSWORD_MAX)
        {
            v.error("password", format!("must be 1–{PASSWORD_MAX} characters"));
        }
        // Checked whenever it is sent, though only a new account uses it.
        let name = self
            .name
            .as_deref()
            .and_then(|n| v.text("name", n, 1, NAME_MAX));
        v.finish(|| AcceptInvitation {
            token: token.unwrap(),
            password: password.unwrap(),
            name,
        })
    }
}

impl AcceptInvitation {
    /// The name and password of a new account: the registration rules.
    pub fn new_account(&self) -> Result<String, Vec<FieldError>> {
        let mut v = Validator::new();
        let name = v
            .required("name", self.name.as_deref())
            .and_then(|n| v.text("name", n, 1, NAME_MAX));
        check_password(&mut v, "password", &self.password);
        v.finish(|| name.unwrap())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_instants() {
        let (t, now) = (Some(Timestamp(5)), Timestamp(10));
        let status = |a, r, e| Invitation::status_at(a, r, Timestamp(e), now);
        assert_eq!(status(t, t, 1), InvitationStatus::Accepted);
        assert_eq!(status(None, t, 20), InvitationStatus::Revoked);
        assert_eq!(status(None, None, 10), InvitationStatus::Expired);
        assert_eq!(status(None, None, 11), InvitationStatus::Pending);
    }

    #[test]
    fn acceptance_rules() {
        let e = AcceptInvitationInput::default().validate().unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["token", "password"]);
        let a = AcceptInvitationInput {
            token: Some("t".into()),
            password: Some("short".into()),
            name: None,
        }
        .validate()
        .unwrap();
        let e = a.new_account().unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "password"]);
        let ok = AcceptInvitation {
            token: "t".into(),
            password: "correct-horse-battery".into(),
            name: Some(" Sam ".into()),
        };
        assert_eq!(ok.new_account().unwrap(), "Sam");
        let inv = NewInvitationInput {
            email: Some("Sam@Example.com".into()),
            role: Some("owner".into()),
        };
        assert_eq!(inv.validate().unwrap_err()[0].field, "role");
    }
}
