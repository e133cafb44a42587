//! Organisations a person belongs to: creating one more, listing them, switching between them.

use serde::{Deserialize, Serialize};

use super::{Organisation, NAME_MAX};
use crate::id::OrgId;
use crate::role::Role;
use crate::time::Timestamp;
use crate::validation::{FieldError, Validator};

/// One organisation the signed-in person belongs to, with their role there.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub organisation: Organisation,
    /// The person's role in this organisation.
    pub role: Role,
    /// Whether the session is currently working in this organisation.
    pub current: bool,
    /// When the person joined this organisation.
    pub joined_at: Timestamp,
}

/// `POST /api/organisations`: a signed-in person creates another organisation, of which they
/// become the admin. It starts on the FREE plan.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrganisationInput {
    /// Trimmed; must not be blank.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Okafor Property Services")]
    pub name: Option<String>,
}

impl NewOrganisationInput {
    pub fn validate(self) -> Result<String, Vec<FieldError>> {
        let mut v = Validator::new();
        let name = v
            .required("name", self.name.as_deref())
            .and_then(|n| v.text("name", n, 1, NAME_MAX));
        v.finish(|| name.unwrap())
    }
}

/// `PATCH /api/organisations/current`: the organisation's settings; only the fields sent change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganisationSettingsInput {
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub name: Option<String>,
    /// An IANA time zone name, such as `Europe/London` or `America/Halifax`.
    #[schema(example = "America/Halifax")]
    pub timezone: Option<String>,
    /// ISO 4217: the currency of leases on units without an asking rent. Money already
    /// recorded keeps its own currency.
    #[schema(value_type = Option<crate::money::Currency>, example = "CAD")]
    pub base_currency: Option<String>,
}

/// Checked settings: the fields to change.
#[derive(Debug, Clone, Default)]
pub struct OrganisationSettings {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub base_currency: Option<crate::money::Currency>,
}

impl OrganisationSettingsInput {
    pub fn validate(self) -> Result<OrganisationSettings, Vec<FieldError>> {
        let mut v = Validator::new();
        let name = self
            .name
            .as_deref()
            .and_then(|n| v.text("name", n, 1, NAME_MAX));
        let timezone = self.timezone.as_deref().and_then(|tz| {
            let tz = tz.trim();
            match tz.parse::<chrono_tz::Tz>() {
                Ok(zone) => Some(zone.name().to_string()),
                Err(_) => {
                    v.error(
                        "timezone",
                        "must be an IANA time zone such as Europe/London",
                    );
                    None
                }
            }
        });
        let base_currency = self.base_currency.as_deref().and_then(|c| {
            let found = crate::money::Currency::parse(c);
            if found.is_none() {
                v.error(
                    "baseCurrency",
                    "must be an ISO-4217 currency code such as USD, EUR or GBP",
                );
            }
            found
        });
        v.finish(|| OrganisationSettings {
            name,
            timezone,
            base_currency,
        })
    }
}

/// `POST /api/auth/switch-organisation`: moves the session to another of the person's
/// organisations.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchOrganisationInput {
    #[schema(required = true, value_type = OrgId)]
    pub organisation_id: Option<String>,
}

impl SwitchOrganisationInput {
    pub fn validate(self) -> Result<OrgId, Vec<FieldError>> {
        let mut v = Validator::new();
        let id = v
            .required("organisationId", self.organisation_id.as_deref())
            .and_then(|raw| match raw.parse::<OrgId>() {
                Ok(id) => Some(id),
                Err(e) => {
                    v.error("organisationId", e.to_string());
                    None
                }
            });
        v.finish(|| id.unwrap())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs() {
        let e = NewOrganisationInput::default().validate().unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].message.as_str()),
            ("name", "is required")
        );
        let name = NewOrganisationInput {
            name: Some("  Okafor Lettings ".into()),
        };
        assert_eq!(name.validate().unwrap(), "Okafor Lettings");
        let bad = SwitchOrganisationInput {
            organisation_id: Some("prop_01".into()),
        };
        let e = bad.validate().unwrap_err();
        assert!(e[0].message.contains("'org_'"), "{e:?}");
        let id = OrgId::new();
        let ok = SwitchOrganisationInput {
            organisation_id: Some(id.to_string()),
        };
        assert_eq!(ok.validate().unwrap(), id);
    }
}
