use serde::{Deserialize, Serialize};

use super::{nullable, Address, AddressInput};
use crate::id::{BuildingId, OrgId, PropertyId};
use crate::time::Timestamp;
use crate::validation::{FieldError, Validator};

crate::string_enum! {
    /// What a property is used for.
    PropertyType {
        Residential => "residential",
        Commercial => "commercial",
        Mixed => "mixed",
    }
}

crate::string_enum! {
    /// Whether a property is operating.
    PropertyStatus {
        Active => "active",
        Inactive => "inactive",
        Maintenance => "maintenance",
    }
}

pub const PROPERTY_NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 5_000;

/// `POST /api/properties`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PropertyInput {
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Harbour View Apartments")]
    pub name: Option<String>,
    #[serde(rename = "type")]
    #[schema(required = true, value_type = PropertyType, example = "residential")]
    pub kind: Option<String>,
    /// Defaults to `active`.
    #[schema(value_type = Option<PropertyStatus>, example = "active")]
    pub status: Option<String>,
    #[schema(required = true, value_type = AddressInput)]
    pub address: Option<AddressInput>,
    #[schema(
        max_length = 5000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub description: Option<String>,
    /// A building of the organisation.
    #[schema(value_type = Option<BuildingId>)]
    pub building_id: Option<String>,
}

/// A property ready to be stored.
#[derive(Debug, Clone)]
pub struct NewProperty {
    pub name: String,
    pub kind: PropertyType,
    pub status: PropertyStatus,
    pub address: Address,
    pub description: Option<String>,
    pub building_id: Option<BuildingId>,
}

impl NewProperty {
    /// The property this input creates: no units yet, not archived.
    pub fn into_property(self, id: PropertyId, organisation_id: OrgId, now: Timestamp) -> Property {
        Property {
            id,
            organisation_id,
            name: self.name,
            kind: self.kind,
            status: self.status,
            address: self.address,
            description: self.description,
            building_id: self.building_id,
            units_count: 0,
            occupied_units: 0,
            archived_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

pub(crate) fn building_ref(v: &mut Validator, raw: &str) -> Option<BuildingId> {
    match raw.parse() {
        Ok(id) => Some(id),
        Err(e) => {
            v.error("buildingId", format!("{e}"));
            None
        }
    }
}

impl PropertyInput {
    pub fn validate(self) -> Result<NewProperty, Vec<FieldError>> {
        let mut v = Validator::new();
        let name = v
            .required("name", self.name.as_deref())
            .and_then(|n| v.text("name", n, 1, PROPERTY_NAME_MAX));
        let kind = v
            .required("type", self.kind.as_deref())
            .and_then(|k| v.parse_enum::<PropertyType>("type", k));
        let status = match self.status.as_deref() {
            None => Some(PropertyStatus::Active),
            Some(s) => v.parse_enum::<PropertyStatus>("status", s),
        };
        let address = v
            .required("address", self.address.as_ref())
            .and_then(|a| a.validate(&mut v, "address"));
        let description =
            v.opt_multiline("description", self.description.as_deref(), DESCRIPTION_MAX);
        let building_id = match self.building_id.as_deref() {
            None => Some(None),
            Some(b) => building_ref(&mut v, b).map(Some),
        };
        v.finish(|| NewProperty {
            name: name.unwrap(),
            kind: kind.unwrap(),
            status: status.unwrap(),
            address: address.unwrap(),
            description,
            building_id: building_id.unwrap(),
        })
    }
}

/// `PATCH /api/properties/{id}`: only the fields present change; `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PropertyPatchInput {
    /// `null` leaves the name unchanged.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub name: Option<String>,
    #[serde(rename = "type")]
    #[schema(value_type = Option<PropertyType>)]
    pub kind: Option<String>,
    #[schema(value_type = Option<PropertyStatus>)]
    pub status: Option<String>,
    /// Replaces the whole address (`null` leaves it unchanged).
    pub address: Option<AddressInput>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000, pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$")]
    pub description: Option<Option<String>>,
    /// A building of the organisation; `null` unlinks the property.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<BuildingId>)]
    pub building_id: Option<Option<String>>,
}

/// A checked property change.
#[derive(Debug, Clone, Default)]
pub struct PropertyPatch {
    pub name: Option<String>,
    pub kind: Option<PropertyType>,
    pub status: Option<PropertyStatus>,
    pub address: Option<Address>,
    pub description: Option<Option<String>>,
    pub building_id: Option<Option<BuildingId>>,
}

impl PropertyPatchInput {
    pub fn validate(self) -> Result<PropertyPatch, Vec<FieldError>> {
        let mut v = Validator::new();
        let mut p = PropertyPatch {
            name: self
                .name
                .as_deref()
                .and_then(|n| v.text("name", n, 1, PROPERTY_NAME_MAX)),
            kind: self.kind.as_deref().and_then(|k| v.parse_enum("type", k)),
            status: self
                .status
                .as_deref()
                .and_then(|s| v.parse_enum("status", s)),
            address: self
                .address
                .as_ref()
                .and_then(|a| a.validate(&mut v, "address")),
            ..Default::default()
        };
        p.description = self
            .description
            .map(|d| v.opt_multiline("description", d.as_deref(), DESCRIPTION_MAX));
        if let Some(b) = self.building_id {
            p.building_id = Some(b.as_deref().and_then(|b| building_ref(&mut v, b)));
        }
        v.finish(|| p)
    }
}

impl PropertyPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.kind.is_none()
            && self.status.is_none()
            && self.address.is_none()
            && self.description.is_none()
            && self.building_id.is_none()
    }

    /// Applies the change to a property's stored fields.
    pub fn apply(self, p: &mut Property) {
        if let Some(v) = self.name {
            p.name = v;
        }
        if let Some(v) = self.kind {
            p.kind = v;
        }
        if let Some(v) = self.status {
            p.status = v;
        }
        if let Some(v) = self.address {
            p.address = v;
        }
        if let Some(v) = self.description {
            p.description = v;
        }
        if let Some(v) = self.building_id {
            p.building_id = v;
        }
    }
}

/// The lower-cased text `q` searches: name and address.
pub fn property_search_text(name: &str, address: &Address) -> String {
    format!("{} {}", name, address.one_line()).to_lowercase()
}

/// A property as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    pub id: PropertyId,
    pub organisation_id: OrgId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: PropertyType,
    pub status: PropertyStatus,
    pub address: Address,
    pub description: Option<String>,
    pub building_id: Option<BuildingId>,
    /// Number of units in the property.
    pub units_count: i64,
    /// Number of units whose status is `occupied`.
    pub occupied_units: i64,
    /// Set while the property is archived (read-only until restored).
    pub archived_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

crate::string_enum! {
    /// Sort orders for the property list; a leading `-` sorts descending.
    PropertySort {
        Name => "name",
        NameDesc => "-name",
        CreatedAt => "createdAt",
        CreatedAtDesc => "-createdAt",
        UpdatedAt => "updatedAt",
        UpdatedAtDesc => "-updatedAt",
    }
}

crate::string_enum! {
    /// Which properties a list shows.
    Availability {
        Active => "active",
        Archived => "archived",
    }
}

/// One column of `GET /api/properties/compare`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertyComparison {
    pub id: PropertyId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: PropertyType,
    pub status: PropertyStatus,
    pub units_count: i64,
    pub occupied_units: i64,
    pub vacant_units: i64,
    /// Vacant units divided by all units, 0..1, rounded to 4 places; 0 when there are no units.
    pub vacancy_rate: f64,
    /// Asking rents per currency (units in different currencies are never added together).
    pub rent: Vec<RentSummary>,
    /// Sum of unit areas in square feet.
    pub total_area_sqft: i64,
}

/// Asking rent of a property's units in one currency.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RentSummary {
    pub currency: String,
    /// Number of units priced in this currency.
    pub units: i64,
    pub total_asking_rent_minor: i64,
    /// Total divided by units, rounded half away from zero to a whole minor unit.
    pub average_asking_rent_minor: i64,
}

/// Vacancy rate rounded to four decimal places.
pub fn vacancy_rate(units: i64, vacant: i64) -> f64 {
    if units <= 0 {
        return 0.0;
    }
    ((vacant as f64 / units as f64) * 10_000.0).round() / 10_000.0
}

/// Integer average, rounded half away from zero.
pub fn average_minor(total: i64, count: i64) -> i64 {
    if count <= 0 {
        return 0;
    }
    let (q, r) = (total / count, total % count);
    if 2 * r.abs() >= count {
        q + total.signum()
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_requires_and_checks_fields() {
        let errs = PropertyInput {
            kind: Some("castle".into()),
            address: Some(AddressInput {
                country: Some("Canada".into()),
                ..Default::default()
            }),
            building_id: Some("unit_x".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "type",
                "address.line1",
                "address.city",
                "address.country",
                "buildingId"
            ]
        );
    }

    #[test]
    fn averages_and_rates() {
        assert_eq!(average_minor(10, 4), 3);
        assert_eq!(average_minor(9, 4), 2);
        assert_eq!(average_minor(0, 0), 0);
        assert_eq!(vacancy_rate(3, 1), 0.3333);
        assert_eq!(vacancy_rate(0, 0), 0.0);
    }
}
