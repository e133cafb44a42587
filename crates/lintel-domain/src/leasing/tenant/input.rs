//! What a client sends to create, replace or change a tenant, and its checks.

use serde::Deserialize;

use super::{Contact, NewTenant, Reference, TenantPatch};
use crate::portfolio::{nullable, AddressInput};
use crate::time::Date;
use crate::validation::{FieldError, Validator};

pub const TENANT_NAME_MAX: usize = 100;
pub const RELATIONSHIP_MAX: usize = 100;
pub const REFERENCES_MAX: usize = 5;
pub const REFERENCE_NOTES_MAX: usize = 1000;
pub const TENANT_NOTES_MAX: usize = 5000;

/// A person to call in an emergency. A name, and a phone or an email to reach them.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactInput {
    #[schema(required = true, value_type = String, min_length = 1, max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Ana Silva")]
    pub name: Option<String>,
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "Sister"
    )]
    pub relationship: Option<String>,
    /// 5–20 digits with `+` (first only), spaces, `-`, `.` or brackets; blank counts as absent.
    #[schema(
        max_length = 32,
        pattern = r"^ *(?:\+?[ ().-]*(?:[0-9][ ().-]*){5,20})?$",
        example = "+1 902 555 0142"
    )]
    pub phone: Option<String>,
    #[schema(value_type = Option<String>, format = Email, max_length = 254, example = "ana@example.com")]
    pub email: Option<String>,
}

/// A personal or professional reference.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReferenceInput {
    #[schema(required = true, value_type = String, min_length = 1, max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Sam Ortiz")]
    pub name: Option<String>,
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "Previous landlord"
    )]
    pub relationship: Option<String>,
    #[schema(
        max_length = 32,
        pattern = r"^ *(?:\+?[ ().-]*(?:[0-9][ ().-]*){5,20})?$"
    )]
    pub phone: Option<String>,
    #[schema(value_type = Option<String>, format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub notes: Option<String>,
}

/// `POST /api/tenants`, and `PUT /api/tenants/{id}` (which replaces every field: what is left
/// out is cleared).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantInput {
    #[schema(required = true, value_type = String, min_length = 1, max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Maria")]
    pub first_name: Option<String>,
    #[schema(required = true, value_type = String, min_length = 1, max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Costa")]
    pub last_name: Option<String>,
    /// Needed to invite the tenant to their account.
    #[schema(value_type = Option<String>, format = Email, max_length = 254, example = "maria@example.com")]
    pub email: Option<String>,
    #[schema(
        max_length = 32,
        pattern = r"^ *(?:\+?[ ().-]*(?:[0-9][ ().-]*){5,20})?$",
        example = "+1 902 555 0199"
    )]
    pub phone: Option<String>,
    /// Not in the future, not before 1900.
    #[schema(value_type = Option<String>, format = Date, example = "1990-04-17")]
    pub date_of_birth: Option<String>,
    pub address: Option<AddressInput>,
    pub emergency_contact: Option<ContactInput>,
    /// At most 5.
    #[schema(max_items = 5)]
    pub references: Option<Vec<ReferenceInput>>,
    #[schema(
        max_length = 5000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub notes: Option<String>,
}

/// `PATCH /api/tenants/{id}`: only the fields sent change; `null` clears an optional one and
/// `references` replaces the whole list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantPatchInput {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub first_name: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Email, max_length = 254)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 32, pattern = r"^ *(?:\+?[ ().-]*(?:[0-9][ ().-]*){5,20})?$")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Date)]
    pub date_of_birth: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<AddressInput>)]
    pub address: Option<Option<AddressInput>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<ContactInput>)]
    pub emergency_contact: Option<Option<ContactInput>>,
    #[schema(max_items = 5)]
    pub references: Option<Vec<ReferenceInput>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000, pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$")]
    pub notes: Option<Option<String>>,
}

fn name(v: &mut Validator, field: &str, value: Option<&str>) -> Option<String> {
    v.required(field, value)
        .and_then(|n| v.text(field, n, 1, TENANT_NAME_MAX))
}

fn birth(v: &mut Validator, value: Option<&str>) -> Option<Date> {
    let d = v.date("dateOfBirth", value)?;
    let earliest = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date");
    if d.0 > chrono::Utc::now().date_naive() {
        v.error("dateOfBirth", "must not be in the future");
    } else if d.0 < earliest {
        v.error("dateOfBirth", "must be 1900-01-01 or later");
    }
    Some(d)
}

impl ContactInput {
    fn validate(&self, v: &mut Validator, field: &str) -> Option<Contact> {
        let mut c = Validator::nested(field);
        let name = name(&mut c, "name", self.name.as_deref());
        let relationship = c.opt_text(
            "relationship",
            self.relationship.as_deref(),
            RELATIONSHIP_MAX,
        );
        let phone = c.opt_phone("phone", self.phone.as_deref());
        let email = c.opt_email("email", self.email.as_deref());
        if c.is_ok() && phone.is_none() && email.is_none() {
            c.error("phone", "a phone or an email is required");
        }
        let ok = c.is_ok();
        v.absorb(c.into_errors());
        ok.then(|| Contact {
            name: name.unwrap(),
            relationship,
            phone,
            email,
        })
    }
}

fn references(v: &mut Validator, list: &[ReferenceInput]) -> Option<Vec<Reference>> {
    if list.len() > REFERENCES_MAX {
        v.error(
            "references",
            format!("must contain at most {REFERENCES_MAX} references"),
        );
        return None;
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        let mut c = Validator::nested(format!("references[{i}]"));
        let name = name(&mut c, "name", r.name.as_deref());
        let relationship = c.opt_text("relationship", r.relationship.as_deref(), RELATIONSHIP_MAX);
        let phone = c.opt_phone("phone", r.phone.as_deref());
        let email = c.opt_email("email", r.email.as_deref());
        let notes = c.opt_multiline("notes", r.notes.as_deref(), REFERENCE_NOTES_MAX);
        if c.is_ok() {
            out.push(Reference {
                name: name.unwrap(),
                relationship,
                phone,
                email,
                notes,
            });
        }
        v.absorb(c.into_errors());
    }
    (out.len() == list.len()).then_some(out)
}

impl TenantInput {
    pub fn validate(self) -> Result<NewTenant, Vec<FieldError>> {
        let mut v = Validator::new();
        let first_name = name(&mut v, "firstName", self.first_name.as_deref());
        let last_name = name(&mut v, "lastName", self.last_name.as_deref());
        let email = v.opt_email("email", self.email.as_deref());
        let phone = v.opt_phone("phone", self.phone.as_deref());
        let date_of_birth = birth(&mut v, self.date_of_birth.as_deref());
        let address = match &self.address {
            None => Some(None),
            Some(a) => a.validate(&mut v, "address").map(Some),
        };
        let emergency_contact = match &self.emergency_contact {
            None => Some(None),
            Some(c) => c.validate(&mut v, "emergencyContact").map(Some),
        };
        let references = references(&mut v, self.references.as_deref().unwrap_or_default());
        let notes = v.opt_multiline("notes", self.notes.as_deref(), TENANT_NOTES_MAX);
        v.finish(|| NewTenant {
            first_name: first_name.unwrap(),
            last_name: last_name.unwrap(),
            email,
            phone,
            date_of_birth,
            address: address.unwrap(),
            emergency_contact: emergency_contact.unwrap(),
            references: references.unwrap(),
            notes,
        })
    }
}

impl TenantPatchInput {
    pub fn validate(self) -> Result<TenantPatch, Vec<FieldError>> {
        let mut v = Validator::new();
        let mut p = TenantPatch {
            first_name: self
                .first_name
                .as_deref()
                .and_then(|n| v.text("firstName", n, 1, TENANT_NAME_MAX)),
            last_name: self
                .last_name
                .as_deref()
                .and_then(|n| v.text("lastName", n, 1, TENANT_NAME_MAX)),
            email: self.email.map(|e| v.opt_email("email", e.as_deref())),
            phone: self.phone.map(|p| v.opt_phone("phone", p.as_deref())),
            date_of_birth: self.date_of_birth.map(|d| birth(&mut v, d.as_deref())),
            notes: self
                .notes
                .map(|n| v.opt_multiline("notes", n.as_deref(), TENANT_NOTES_MAX)),
            ..Default::default()
        };
        if let Some(a) = self.address {
            p.address = match a {
                None => Some(None),
                Some(a) => a.validate(&mut v, "address").map(Some),
            };
        }
        if let Some(c) = self.emergency_contact {
            p.emergency_contact = match c {
                None => Some(None),
                Some(c) => c.validate(&mut v, "emergencyContact").map(Some),
            };
        }
        if let Some(list) = self.references {
            p.references = references(&mut v, &list);
        }
        v.finish(|| p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn every_field_is_checked() {
        let input: TenantInput = serde_json::from_value(serde_json::json!({
            "firstName": " ", "email": "nope", "phone": "call me", "dateOfBirth": "2999-01-01",
            "emergencyContact": {"relationship": "Sister"},
            "references": [{"name": "A", "email": "a@example.com"}, {"phone": "12"}],
            "notes": "ok"
        }))
        .unwrap();
        let errs = input.validate().unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                "firstName",
                "lastName",
                "email",
                "phone",
                "dateOfBirth",
                "emergencyContact.name",
                "references[1].name",
                "references[1].phone",
            ]
        );
        let six: Vec<_> = (0..6).map(|_| serde_json::json!({"name": "R"})).collect();
        let input: TenantInput = serde_json::from_value(serde_json::json!({
            "firstName": "A", "lastName": "B", "references": six,
            "emergencyContact": {"name": "C"}, "dateOfBirth": "1890-01-01"
        }))
        .unwrap();
        let errs = input.validate().unwrap_err();
        assert_eq!(
            fields(&errs),
            ["dateOfBirth", "emergencyContact.phone", "references"]
        );
    }

    #[test]
    fn a_tenant_and_a_patch() {
        let t: TenantInput = serde_json::from_value(serde_json::json!({
            "firstName": " Maria ", "lastName": "Costa", "email": "Maria@Example.com",
            "phone": "+1 (902) 555-0199", "dateOfBirth": "1990-04-17",
            "emergencyContact": {"name": "Ana", "email": "ana@example.com"}
        }))
        .unwrap();
        let t = t.validate().unwrap();
        assert_eq!(t.first_name, "Maria");
        assert_eq!(t.email.as_deref(), Some("maria@example.com"));
        assert_eq!(t.date_of_birth.unwrap().to_string(), "1990-04-17");
        let p: TenantPatchInput =
            serde_json::from_value(serde_json::json!({"phone": null, "references": []})).unwrap();
        let p = p.validate().unwrap();
        assert_eq!(p.phone, Some(None));
        assert_eq!(p.references, Some(vec![]));
        assert!(p.email.is_none() && p.first_name.is_none());
    }
}
