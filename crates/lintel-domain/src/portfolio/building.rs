use serde::{Deserialize, Serialize};

use super::{nullable, Address, AddressInput, DESCRIPTION_MAX};
use crate::id::{BuildingId, OrgId};
use crate::time::Timestamp;
use crate::validation::{FieldError, Validator};

pub const BUILDING_NAME_MAX: usize = 200;
pub const NUMBER_OF_UNITS_MAX: i64 = 100_000;

/// The building amenities of the Leasey seed: `(id, name)`, ids 1..=12.
pub const BUILDING_AMENITIES: &[(u8, &str)] = &[
    (1, "Bike storage"),
    (2, "Concierge"),
    (3, "Electrical car charging station"),
    (4, "Fitness center / gym"),
    (5, "Hot tub"),
    (6, "Sauna"),
    (7, "Steam room"),
    (8, "Swimming pool"),
    (9, "Common areas"),
    (10, "Community laundry"),
    (11, "Elevator"),
    (12, "On-site manager"),
];

/// Amenity value: included in the rent.
pub const AMENITY_INCLUDED: u8 = 1;
/// Amenity value: available, but not included in the rent.
pub const AMENITY_AVAILABLE_NOT_INCLUDED: u8 = 2;
/// Amenity value: not available.
pub const AMENITY_NOT_AVAILABLE: u8 = 3;

/// The name of a building amenity, if `id` is one.
pub fn building_amenity_name(id: u8) -> Option<&'static str> {
    BUILDING_AMENITIES
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, n)| *n)
}

/// One amenity of a building as given by a client.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AmenityInput {
    /// Amenity id, 1..=12 (see the building amenity table); at most once per list.
    #[schema(required = true, value_type = i64, minimum = 1, maximum = 12, example = 4)]
    pub id: Option<i64>,
    /// 1 = included, 2 = available but not included, 3 = not available.
    #[schema(required = true, value_type = i64, minimum = 1, maximum = 3, example = 1)]
    pub value: Option<i64>,
}

/// A checked building amenity. Shown as `{"id":4,"value":1,"name":"Fitness center / gym"}`;
/// deserialises from the same form (the name is ignored), e.g. when read back from storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "AmenityView")]
pub struct Amenity {
    pub id: u8,
    pub value: u8,
}

impl Amenity {
    /// A known amenity with a known value, else `None`.
    pub fn new(id: u8, value: u8) -> Option<Amenity> {
        let ok = building_amenity_name(id).is_some()
            && (AMENITY_INCLUDED..=AMENITY_NOT_AVAILABLE).contains(&value);
        ok.then_some(Amenity { id, value })
    }

    /// The amenity's name (empty for an unknown id).
    pub fn name(self) -> &'static str {
        building_amenity_name(self.id).unwrap_or("")
    }
}

/// The wire form of [`Amenity`].
#[derive(Serialize, utoipa::ToSchema)]
struct AmenityView {
    #[schema(example = 4)]
    id: u8,
    /// 1 = included, 2 = available but not included, 3 = not available.
    #[schema(example = 1)]
    value: u8,
    #[schema(example = "Fitness center / gym")]
    name: &'static str,
}

impl From<Amenity> for AmenityView {
    fn from(a: Amenity) -> Self {
        AmenityView {
            id: a.id,
            value: a.value,
            name: a.name(),
        }
    }
}

impl utoipa::PartialSchema for Amenity {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <AmenityView as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Amenity {}

/// Checks an amenity list under `field`: at most 12 entries, known ids and values, no id twice.
pub fn validate_amenities(
    v: &mut Validator,
    field: &str,
    list: Vec<AmenityInput>,
) -> Option<Vec<Amenity>> {
    let max = BUILDING_AMENITIES.len();
    let mut ok = true;
    if list.len() > max {
        v.error(field, format!("must contain at most {max} amenities"));
        ok = false;
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, a) in list.into_iter().enumerate() {
        let (fid, fval) = (format!("{field}[{i}].id"), format!("{field}[{i}].value"));
        let id = v.required(&fid, a.id).and_then(|id| {
            let r = v.int_range(&fid, id, 1, max as i64);
            r.map(|id| id as u8)
        });
        let value = v.required(&fval, a.value).and_then(|x| {
            let r = v.int_range(&fval, x, 1, AMENITY_NOT_AVAILABLE as i64);
            r.map(|x| x as u8)
        });
        if let Some(id) = id {
            if out.iter().any(|a: &Amenity| a.id == id) {
                v.error(&fid, "is listed more than once");
                ok = false;
                continue;
            }
        }
        match (id, value) {
            (Some(id), Some(value)) => out.push(Amenity { id, value }),
            // Keep the id for the duplicate check; the list is discarded anyway.
            (Some(id), None) => {
                out.push(Amenity { id, value: 0 });
                ok = false;
            }
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

/// `POST /api/buildings`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuildingInput {
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Harbour View Tower")]
    pub name: Option<String>,
    pub address: Option<AddressInput>,
    #[schema(minimum = 0, maximum = 100000, example = 48)]
    pub number_of_units: Option<i64>,
    #[schema(
        max_length = 5000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub description: Option<String>,
    /// Defaults to none. Each amenity at most once.
    #[schema(max_items = 12)]
    pub amenities: Option<Vec<AmenityInput>>,
}

/// A building ready to be stored.
#[derive(Debug, Clone)]
pub struct NewBuilding {
    pub name: String,
    pub address: Option<Address>,
    pub number_of_units: Option<i64>,
    pub description: Option<String>,
    pub amenities: Vec<Amenity>,
}

impl BuildingInput {
    pub fn validate(self) -> Result<NewBuilding, Vec<FieldError>> {
        let mut v = Validator::new();
        let name = v
            .required("name", self.name.as_deref())
            .and_then(|n| v.text("name", n, 1, BUILDING_NAME_MAX));
        let address = match self.address.as_ref() {
            None => Some(None),
            Some(a) => a.validate(&mut v, "address").map(Some),
        };
        let number_of_units = match self.number_of_units {
            None => Some(None),
            Some(n) => v
                .int_range("numberOfUnits", n, 0, NUMBER_OF_UNITS_MAX)
                .map(Some),
        };
        let description =
            v.opt_multiline("description", self.description.as_deref(), DESCRIPTION_MAX);
        let amenities = validate_amenities(&mut v, "amenities", self.amenities.unwrap_or_default());
        v.finish(|| NewBuilding {
            name: name.unwrap(),
            address: address.unwrap(),
            number_of_units: number_of_units.unwrap(),
            description,
            amenities: amenities.unwrap(),
        })
    }
}

/// `PATCH /api/buildings/{id}`: only the fields present change; `null` clears `address`,
/// `numberOfUnits` and `description`. `amenities`, when present, replaces the whole list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuildingPatchInput {
    /// `null` leaves the name unchanged.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<AddressInput>)]
    pub address: Option<Option<AddressInput>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 100000)]
    pub number_of_units: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000, pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$")]
    pub description: Option<Option<String>>,
    /// Replaces the whole list (`null` leaves it unchanged). Each amenity at most once.
    #[schema(max_items = 12)]
    pub amenities: Option<Vec<AmenityInput>>,
}

/// A checked building change.
#[derive(Debug, Clone, Default)]
pub struct BuildingPatch {
    pub name: Option<String>,
    pub address: Option<Option<Address>>,
    pub number_of_units: Option<Option<i64>>,
    pub description: Option<Option<String>>,
    pub amenities: Option<Vec<Amenity>>,
}

impl BuildingPatchInput {
    pub fn validate(self) -> Result<BuildingPatch, Vec<FieldError>> {
        let mut v = Validator::new();
        let mut p = BuildingPatch {
            name: self
                .name
                .as_deref()
                .and_then(|n| v.text("name", n, 1, BUILDING_NAME_MAX)),
            ..Default::default()
        };
        if let Some(a) = self.address {
            p.address = match a {
                None => Some(None),
                Some(a) => a.validate(&mut v, "address").map(Some),
            };
        }
        if let Some(n) = self.number_of_units {
            p.number_of_units = match n {
                None => Some(None),
                Some(n) => v
                    .int_range("numberOfUnits", n, 0, NUMBER_OF_UNITS_MAX)
                    .map(Some),
            };
        }
        p.description = self
            .description
            .map(|d| v.opt_multiline("description", d.as_deref(), DESCRIPTION_MAX));
        p.amenities = self
            .amenities
            .and_then(|a| validate_amenities(&mut v, "amenities", a));
        v.finish(|| p)
    }
}

impl BuildingPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.address.is_none()
            && self.number_of_units.is_none()
            && self.description.is_none()
            && self.amenities.is_none()
    }

    /// Applies the change to a building's stored fields.
    pub fn apply(self, b: &mut Building) {
        if let Some(v) = self.name {
            b.name = v;
        }
        if let Some(v) = self.address {
            b.address = v;
        }
        if let Some(v) = self.number_of_units {
            b.number_of_units = v;
        }
        if let Some(v) = self.description {
            b.description = v;
        }
        if let Some(v) = self.amenities {
            b.amenities = v;
        }
    }
}

/// A building as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Building {
    pub id: BuildingId,
    pub organisation_id: OrgId,
    pub name: String,
    pub address: Option<Address>,
    pub number_of_units: Option<i64>,
    pub description: Option<String>,
    pub amenities: Vec<Amenity>,
    /// Number of properties linked to the building.
    pub properties_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn am(id: i64, value: i64) -> AmenityInput {
        AmenityInput {
            id: Some(id),
            value: Some(value),
        }
    }

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn create_reports_every_field() {
        let errs = BuildingInput {
            name: Some("  ".into()),
            address: Some(AddressInput {
                line1: Some("1 Main".into()),
                ..Default::default()
            }),
            number_of_units: Some(100_001),
            description: Some("x".repeat(DESCRIPTION_MAX + 1)),
            amenities: Some(vec![am(0, 1), am(4, 4), AmenityInput::default(), am(4, 1)]),
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                "name",
                "address.city",
                "address.country",
                "numberOfUnits",
                "description",
                "amenities[0].id",
                "amenities[1].value",
                "amenities[2].id",
                "amenities[2].value",
                "amenities[3].id",
            ]
        );
        assert_eq!(errs[5].message, "must be between 1 and 12");
        assert_eq!(errs[9].message, "is listed more than once");
    }

    #[test]
    fn create_minimal_and_amenities() {
        let b = BuildingInput {
            name: Some(" Tower ".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(b.name, "Tower");
        assert!(b.address.is_none() && b.number_of_units.is_none() && b.amenities.is_empty());

        let b = BuildingInput {
            name: Some("Tower".into()),
            number_of_units: Some(0),
            amenities: Some(vec![am(12, 3), am(4, 1)]),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(b.number_of_units, Some(0));
        assert_eq!(
            b.amenities,
            [Amenity { id: 12, value: 3 }, Amenity { id: 4, value: 1 }]
        );
        assert_eq!(
            serde_json::to_string(&b.amenities[1]).unwrap(),
            r#"{"id":4,"value":1,"name":"Fitness center / gym"}"#
        );
        let back: Amenity =
            serde_json::from_str(r#"{"id":4,"value":1,"name":"Fitness center / gym"}"#).unwrap();
        assert_eq!(back, Amenity { id: 4, value: 1 });
    }

    #[test]
    fn amenity_table_and_limits() {
        assert_eq!(BUILDING_AMENITIES.len(), 12);
        assert_eq!(building_amenity_name(1), Some("Bike storage"));
        assert_eq!(building_amenity_name(12), Some("On-site manager"));
        assert_eq!(building_amenity_name(13), None);
        assert!(Amenity::new(13, 1).is_none() && Amenity::new(1, 0).is_none());

        let mut v = Validator::new();
        assert!(validate_amenities(&mut v, "amenities", vec![am(13, 1)]).is_none());
        assert_eq!(fields(&v.into_errors()), ["amenities[0].id"]);

        let mut v = Validator::new();
        let thirteen = (1..=13).map(|i| am(i.min(12), 1)).collect();
        assert!(validate_amenities(&mut v, "amenities", thirteen).is_none());
        assert_eq!(fields(&v.into_errors()), ["amenities", "amenities[12].id"]);
    }

    #[test]
    fn patch_tells_null_from_absent() {
        let p: BuildingPatchInput = serde_json::from_str(
            r#"{"address":null,"numberOfUnits":null,"amenities":[{"id":2,"value":2}]}"#,
        )
        .unwrap();
        let p = p.validate().unwrap();
        assert_eq!(p.address, Some(None));
        assert_eq!(p.number_of_units, Some(None));
        assert!(p.description.is_none() && p.name.is_none());
        assert_eq!(p.amenities, Some(vec![Amenity { id: 2, value: 2 }]));

        let p: BuildingPatchInput = serde_json::from_str("{}").unwrap();
        assert!(p.validate().unwrap().is_empty());

        let errs = BuildingPatchInput {
            name: Some("".into()),
            number_of_units: Some(Some(-1)),
            address: Some(Some(AddressInput::default())),
            amenities: Some(vec![am(3, 1), am(3, 2)]),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                "name",
                "address.line1",
                "address.city",
                "address.country",
                "numberOfUnits",
                "amenities[1].id"
            ]
        );
        assert!(serde_json::from_str::<BuildingPatchInput>(r#"{"floors":3}"#).is_err());
    }
}
