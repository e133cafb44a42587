//! Organisations, users and credentials: the validated inputs of registration and membership.

use serde::{Deserialize, Serialize};

use crate::id::{OrgId, UserId};
use crate::plan::Plan;
use crate::role::Role;
use crate::text;
use crate::time::Timestamp;
use crate::validation::{FieldError, Validator};

pub mod access;
mod invitations;
mod organisations;
mod password;

pub use invitations::{
    AcceptInvitation, AcceptInvitationInput, Invitation, InvitationStatus, NewInvitationInput,
    INVITATION_TTL_MS,
};
pub use organisations::{
    Membership, NewOrganisationInput, OrganisationSettings, OrganisationSettingsInput,
    SwitchOrganisationInput,
};
pub use password::{PasswordChange, PasswordChangeInput};

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 256;
pub const NAME_MAX: usize = 120;

/// A syntactically valid e-mail address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Takes the address in NFC, trimmed, with ASCII letters lower-cased (the domain is
    /// case-insensitive; the local part is kept as sent otherwise). Whitespace, zero-width,
    /// control and bidirectional control characters are refused anywhere in it.
    pub fn parse(raw: &str) -> Result<Email, &'static str> {
        let s = text::nfc(raw).trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err("must not be empty");
        }
        if s.len() > 254 {
            return Err("must be at most 254 characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err("must be a valid email address");
        };
        let ok = !local.is_empty()
            && local.len() <= 64
            && domain.len() >= 3
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@')
            && s.chars().all(|c| c.is_ascii_graphic() || !c.is_ascii())
            && !s
                .chars()
                .any(|c| c.is_control() || text::is_invisible(c) || text::is_bidi_control(c))
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if ok {
            Ok(Email(s))
        } else {
            Err("must be a valid email address")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "passw0rd",
    "qwerty",
    "qwertyuiop",
    "1234567890",
    "0123456789",
    "12345678910",
    "iloveyou",
    "letmein",
    "welcome",
    "admin",
    "administrator",
    "abcdefghij",
    "abcd1234",
    "qwerty123",
    "1q2w3e4r5t",
    "princess",
    "sunshine",
    "football",
    "baseball",
    "dragon",
    "monkey",
    "trustno1",
    "changeme",
];

/// Checks a new password: length, variety and a short list of the most common choices.
pub fn check_password(v: &mut Validator, field: &str, password: &str) -> bool {
    let len = password.chars().count();
    let msg = if len < PASSWORD_MIN {
        Some(format!("must be at least {PASSWORD_MIN} characters"))
    } else if len > PASSWORD_MAX {
        Some(format!("must be at most {PASSWORD_MAX} characters"))
    } else if password.chars().any(|c| c == '\0') {
        Some("must not contain NUL characters".to_string())
    } else {
        let lower = password.to_lowercase();
        let mut distinct: Vec<char> = lower.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 5 {
            Some("is too weak: use at least 5 different characters".to_string())
        } else if COMMON_PASSWORDS
            .iter()
            .any(|p| lower.starts_with(p) && lower.len() <= p.len() + 4)
        {
            Some("is too common: choose a less guessable password".to_string())
        } else {
            None
        }
    };
    match msg {
        Some(m) => {
            v.error(field, m);
            false
        }
        None => true,
    }
}

pub(crate) fn email_field(v: &mut Validator, field: &str, value: Option<&str>) -> Option<Email> {
    let raw = v.required(field, value)?;
    match Email::parse(raw) {
        Ok(e) => Some(e),
        Err(m) => {
            v.error(field, m);
            None
        }
    }
}

/// `POST /api/auth/register`.
///
/// Texts are trimmed; `name` and `organisationName` must not be blank.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterInput {
    #[schema(required = true, value_type = String, format = Email, max_length = 254,
        example = "maria@example.com")]
    pub email: Option<String>,
    /// 10–256 characters, at least 5 of them different (ignoring case), no NUL; taken as sent
    /// (not trimmed). The most common passwords are refused too.
    #[schema(required = true, value_type = String, min_length = 10, max_length = 256,
        pattern = r"^[^\x00]*$", example = "correct-horse-battery")]
    pub password: Option<String>,
    #[schema(required = true, value_type = String, min_length = 1, max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Maria Lopez")]
    pub name: Option<String>,
    #[schema(required = true, value_type = String, min_length = 1, max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Lopez Lettings")]
    pub organisation_name: Option<String>,
}

/// A registration whose every field has been checked.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: Email,
    pub password: String,
    pub name: String,
    pub organisation_name: String,
}

impl RegisterInput {
    pub fn validate(self) -> Result<Registration, Vec<FieldError>> {
        let mut v = Validator::new();
        let email = email_field(&mut v, "email", self.email.as_deref());
        let password = v.required("password", self.password);
        if let Some(p) = &password {
            check_password(&mut v, "password", p);
        }
        let name = v
            .required("name", self.name.as_deref())
            .and_then(|n| v.text("name", n, 1, NAME_MAX));
        let org = v
            .required("organisationName", self.organisation_name.as_deref())
            .and_then(|n| v.text("organisationName", n, 1, NAME_MAX));
        v.finish(|| Registration {
            email: email.unwrap(),
            password: password.unwrap(),
            name: name.unwrap(),
            organisation_name: org.unwrap(),
        })
    }
}

/// `POST /api/auth/login`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginInput {
    #[schema(required = true, value_type = String, max_length = 254, pattern = r"^[^\x00]*$",
        example = "maria@example.com")]
    pub email: Option<String>,
    #[schema(required = true, value_type = String, max_length = 256,
        example = "correct-horse-battery")]
    pub password: Option<String>,
    /// The organisation to work in, for someone who belongs to several; without it the session
    /// starts in the organisation they used last.
    #[schema(value_type = Option<OrgId>)]
    pub organisation_id: Option<String>,
}

/// A checked sign-in.
#[derive(Debug, Clone)]
pub struct Login {
    /// Trimmed and lower-cased.
    pub email: String,
    pub password: String,
    pub organisation: Option<OrgId>,
}

impl LoginInput {
    /// Only presence, size and storability are checked: a login never says which part was
    /// wrong. An email with a NUL character can match no account, and PostgreSQL cannot even
    /// compare it (a NUL in a text parameter is an error), so it is a 422 here.
    pub fn validate(self) -> Result<Login, Vec<FieldError>> {
        let mut v = Validator::new();
        let organisation = self
            .organisation_id
            .and_then(|raw| match raw.parse::<OrgId>() {
                Ok(id) => Some(id),
                Err(e) => {
                    v.error("organisationId", e.to_string());
                    None
                }
            });
        let email = v.required("email", self.email);
        let password = v.required("password", self.password);
        if password
            .as_ref()
            .is_some_and(|p| p.chars().count() > PASSWORD_MAX)
        {
            v.error(
                "password",
                format!("must be at most {PASSWORD_MAX} characters"),
            );
        }
        if email.as_ref().is_some_and(|e| e.chars().count() > 254) {
            v.error("email", "must be at most 254 characters");
        } else if email.as_ref().is_some_and(|e| e.contains('\0')) {
            v.error("email", "must not contain NUL characters");
        }
        v.finish(|| Login {
            email: text::nfc(&email.unwrap()).trim().to_ascii_lowercase(),
            password: password.unwrap(),
            organisation,
        })
    }
}

/// `POST /api/members`: an admin adds a user to the organisation. The same rules as
/// registration apply to `email`, `name` and `password`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMemberInput {
    #[schema(required = true, value_type = String, format = Email, max_length = 254,
        example = "sam@example.com")]
    pub email: Option<String>,
    #[schema(required = true, value_type = String, min_length = 1, max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Sam Okafor")]
    pub name: Option<String>,
    #[schema(required = true, value_type = Role, example = "property_manager")]
    pub role: Option<String>,
    /// The member's initial password; they can change it later. The same rules as at
    /// registration: 10–256 characters, at least 5 of them different (ignoring case), no NUL,
    /// not one of the most common passwords.
    #[schema(required = true, value_type = String, min_length = 10, max_length = 256,
        pattern = r"^[^\x00]*$", example = "initial-secret-42")]
    pub password: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewMember {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub password: String,
}

impl NewMemberInput {
    pub fn validate(self) -> Result<NewMember, Vec<FieldError>> {
        let mut v = Validator::new();
        let email = email_field(&mut v, "email", self.email.as_deref());
        let name = v
            .required("name", self.name.as_deref())
            .and_then(|n| v.text("name", n, 1, NAME_MAX));
        let role = v
            .required("role", self.role.as_deref())
            .and_then(|r| v.parse_enum::<Role>("role", r));
        let password = v.required("password", self.password);
        if let Some(p) = &password {
            check_password(&mut v, "password", p);
        }
        v.finish(|| NewMember {
            email: email.unwrap(),
            name: name.unwrap(),
            role: role.unwrap(),
            password: password.unwrap(),
        })
    }
}

/// `PATCH /api/members/{id}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberPatchInput {
    #[schema(required = true, value_type = Role, example = "landlord")]
    pub role: Option<String>,
}

impl MemberPatchInput {
    pub fn validate(self) -> Result<Role, Vec<FieldError>> {
        let mut v = Validator::new();
        let role = v
            .required("role", self.role.as_deref())
            .and_then(|r| v.parse_enum::<Role>("role", r));
        v.finish(|| role.unwrap())
    }
}

/// An organisation (tenant of the platform).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub plan: Plan,
    /// IANA time zone (default `UTC`): what "today" is for the organisation's leases and rent.
    #[schema(example = "America/Halifax")]
    pub timezone: String,
    /// ISO 4217 (default `USD`): the currency of a lease on a unit without an asking rent.
    #[schema(example = "CAD")]
    pub base_currency: String,
    pub created_at: Timestamp,
}

/// A member as the organisation sees them: the person's account and their role in this
/// organisation (`organisationId`). Never carries the password hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    pub organisation_id: OrgId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_emails_with_nul_are_invalid() {
        let input = LoginInput {
            email: Some("a\0@example.com".into()),
            password: Some("correct-horse-battery".into()),
            organisation_id: None,
        };
        let errors = input.validate().unwrap_err();
        assert_eq!(errors[0].field, "email");
        assert!(errors[0].message.contains("NUL"));
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Maria@Example.COM ").unwrap().as_str(),
            "maria@example.com"
        );
        for bad in [
            "",
            "a",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "@x.com",
            "a@.com",
            "a@x..com",
            "a@x.com.",
            "a\u{200b}b@example.com",
            "a\u{202e}b@example.com",
            "a\u{a0}b@example.com",
            "a\u{85}b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_nfc() {
        let composed = Email::parse("Jos\u{e9}@Example.com").unwrap();
        let decomposed = Email::parse("Jose\u{301}@example.COM").unwrap();
        assert_eq!(composed, decomposed);
        assert_eq!(composed.as_str(), "jos\u{e9}@example.com");
    }

    #[test]
    fn passwords() {
        let check = |p: &str| {
            let mut v = Validator::new();
            check_password(&mut v, "password", p)
        };
        assert!(!check("short"));
        assert!(!check("aaaaaaaaaaaa"));
        assert!(!check("password123"));
        assert!(!check(&"ab1cd".repeat(60)));
        assert!(check("correct-horse-battery"));
    }

    #[test]
    fn register_lists_every_field() {
        let errs = RegisterInput::default().validate().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "password", "name", "organisationName"]);
    }
}
