//! Changing one's own password.

use serde::Deserialize;

use super::{check_password, PASSWORD_MAX};
use crate::validation::{FieldError, Validator};

/// `POST /api/auth/password`: the signed-in person changes their password. Their other
/// sessions end.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordChangeInput {
    /// The password in use now.
    #[schema(required = true, value_type = String, max_length = 256,
        example = "correct-horse-battery")]
    pub current_password: Option<String>,
    /// The same rules as at registration: 10–256 characters, at least 5 of them different
    /// (ignoring case), no NUL, not one of the most common passwords; and not the current one.
    #[schema(required = true, value_type = String, min_length = 10, max_length = 256,
        pattern = r"^[^\x00]*$",
        example = "staple-orbit-lantern-9")]
    pub new_password: Option<String>,
}

/// A checked password change: `(current, new)`.
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

impl PasswordChangeInput {
    pub fn validate(self) -> Result<PasswordChange, Vec<FieldError>> {
        let mut v = Validator::new();
        let current = v.required("currentPassword", self.current_password);
        if current
            .as_ref()
            .is_some_and(|p| p.chars().count() > PASSWORD_MAX)
        {
            v.error(
                "currentPassword",
                format!("must be at most {PASSWORD_MAX} characters"),
            );
        }
        let new = v.required("newPassword", self.new_password);
        if let Some(n) = &new {
            if check_password(&mut v, "newPassword", n) && current.as_ref() == Some(n) {
                v.error("newPassword", "must differ from the current password");
            }
        }
        v.finish(|| PasswordChange {
            current: current.unwrap(),
            new: new.unwrap(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_password_follows_the_rules_and_differs() {
        let fields = |c: Option<&str>, n: Option<&str>| {
            let input = PasswordChangeInput {
                current_password: c.map(Into::into),
                new_password: n.map(Into::into),
            };
            match input.validate() {
                Ok(_) => vec![],
                Err(e) => e.into_iter().map(|e| (e.field, e.message)).collect(),
            }
        };
        assert_eq!(fields(None, None).len(), 2);
        assert_eq!(fields(Some("x"), Some("password123"))[0].0, "newPassword");
        let same = fields(Some("correct-horse-battery"), Some("correct-horse-battery"));
        assert_eq!(same[0].1, "must differ from the current password");
        assert!(fields(Some("old-secret-zz"), Some("staple-orbit-lantern-9")).is_empty());
    }
}
