use serde::{Deserialize, Serialize};

use super::DESCRIPTION_MAX;
use crate::id::{OrgId, PropertyId, UnitId};
use crate::money::{Money, MoneyDto};
use crate::time::Timestamp;
use crate::validation::{FieldError, Validator};

mod bulk;
mod patch;

pub use bulk::*;
pub use patch::*;

crate::string_enum! {
    /// Whether a unit is let.
    UnitStatus {
        Vacant => "vacant",
        Occupied => "occupied",
        Maintenance => "maintenance",
        Unavailable => "unavailable",
    }
}

crate::string_enum! {
    /// How a unit is furnished.
    Furnishing {
        Furnished => "furnished",
        Unfurnished => "unfurnished",
        PartiallyFurnished => "partially_furnished",
    }
}

crate::string_enum! {
    /// Whether storage comes with a unit.
    StorageAvailability {
        Available => "available",
        NotAvailable => "not_available",
        AvailableExtraCost => "available_extra_cost",
    }
}

crate::string_enum! {
    /// The kind of dwelling (the Leasey unit types).
    UnitType {
        Apartment => "apartment",
        House => "house",
        Townhouse => "townhouse",
        DuplexTriplex => "duplex/triplex",
        BasementSuite => "basement suite",
        RoomOnly => "room only",
        Other => "other",
    }
}

macro_rules! default_variant {
    ($($t:ident => $v:ident),*) => {
        $(impl Default for $t {
            fn default() -> Self {
                $t::$v
            }
        })*
    };
}
default_variant!(
    UnitStatus => Vacant,
    Furnishing => Unfurnished,
    StorageAvailability => NotAvailable,
    UnitType => Apartment
);

pub const UNIT_NAME_MAX: usize = 100;
pub const UNIT_SUITE_MAX: usize = 50;
pub const ROOMS_MAX: f64 = 50.0;
pub const AREA_SQFT_MAX: i64 = 1_000_000;
pub const PARKING_STALLS_MAX: i64 = 1_000;
pub const MAX_OCCUPANCY_MAX: i64 = 200;

const HALF_STEP_MSG: &str = "must be a multiple of 0.5 between 0 and 50";

/// Default occupancy: two people per bedroom, rounded up, at least 1 (and at most 200).
pub fn default_max_occupancy(bedrooms: f64) -> i64 {
    let n = (bedrooms * 2.0).ceil();
    if n.is_nan() {
        return 1;
    }
    (n as i64).clamp(1, MAX_OCCUPANCY_MAX)
}

/// A finite count of rooms between 0 and 50 in steps of 0.5.
fn half_step(v: &mut Validator, field: &str, value: f64) -> Option<f64> {
    if value.is_finite() && (0.0..=ROOMS_MAX).contains(&value) && (value * 2.0).fract() == 0.0 {
        Some(value + 0.0) // turns -0.0 into 0.0
    } else {
        v.error(field, HALF_STEP_MSG);
        None
    }
}

fn opt_enum<E: std::str::FromStr<Err = String> + Default>(
    v: &mut Validator,
    field: &str,
    value: Option<&str>,
) -> Option<E> {
    match value {
        None => Some(E::default()),
        Some(s) => v.parse_enum(field, s),
    }
}

/// `None` (absent or null) is fine; a present value must pass `check`.
fn opt<T, U>(value: Option<T>, check: impl FnOnce(T) -> Option<U>) -> Option<Option<U>> {
    match value {
        None => Some(None),
        Some(x) => check(x).map(Some),
    }
}

/// `POST /api/properties/{id}/units` (and one row of a bulk create).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnitInput {
    #[schema(required = true, value_type = String, min_length = 1, max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Unit 4B")]
    pub name: Option<String>,
    #[schema(
        max_length = 50,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "4B"
    )]
    pub suite: Option<String>,
    /// Defaults to `apartment`.
    #[schema(value_type = Option<UnitType>, example = "apartment")]
    pub unit_type: Option<String>,
    /// 0..=50 in steps of 0.5; defaults to 0.
    #[schema(minimum = 0, maximum = 50, multiple_of = 0.5, example = 2)]
    pub bedrooms: Option<f64>,
    /// 0..=50 in steps of 0.5; defaults to 0.
    #[schema(minimum = 0, maximum = 50, multiple_of = 0.5, example = 1.5)]
    pub bathrooms: Option<f64>,
    #[schema(minimum = 0, maximum = 1000000, example = 850)]
    pub area_sqft: Option<i64>,
    /// Asking rent per month; non-negative.
    pub rent: Option<MoneyDto>,
    /// Defaults to `unfurnished`.
    #[schema(value_type = Option<Furnishing>)]
    pub furnishing: Option<String>,
    /// Defaults to `not_available`.
    #[schema(value_type = Option<StorageAvailability>)]
    pub storage: Option<String>,
    #[schema(minimum = 0, maximum = 1000)]
    pub parking_stalls: Option<i64>,
    /// 1..=200; defaults to bedrooms × 2 rounded up, at least 1.
    #[schema(minimum = 1, maximum = 200)]
    pub max_occupancy: Option<i64>,
    /// Defaults to `vacant`.
    #[schema(value_type = Option<UnitStatus>)]
    pub status: Option<String>,
    #[schema(
        max_length = 5000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub description: Option<String>,
}

/// A unit ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUnit {
    pub name: String,
    pub suite: Option<String>,
    pub unit_type: UnitType,
    pub bedrooms: f64,
    pub bathrooms: f64,
    pub area_sqft: Option<i64>,
    pub rent: Option<Money>,
    pub furnishing: Furnishing,
    pub storage: StorageAvailability,
    pub parking_stalls: Option<i64>,
    pub max_occupancy: i64,
    /// Whether `max_occupancy` was given; when not, it follows the bedrooms.
    pub max_occupancy_set: bool,
    pub status: UnitStatus,
    pub description: Option<String>,
}

impl UnitInput {
    pub fn validate(self) -> Result<NewUnit, Vec<FieldError>> {
        let mut v = Validator::new();
        let name = v
            .required("name", self.name.as_deref())
            .and_then(|n| v.text("name", n, 1, UNIT_NAME_MAX));
        let suite = v.opt_text("suite", self.suite.as_deref(), UNIT_SUITE_MAX);
        let unit_type = opt_enum::<UnitType>(&mut v, "unitType", self.unit_type.as_deref());
        let bedrooms = half_step(&mut v, "bedrooms", self.bedrooms.unwrap_or(0.0));
        let bathrooms = half_step(&mut v, "bathrooms", self.bathrooms.unwrap_or(0.0));
        let area_sqft = opt(self.area_sqft, |a| {
            v.int_range("areaSqft", a, 0, AREA_SQFT_MAX)
        });
        let rent = opt(self.rent, |r| {
            Money::validate_non_negative(&mut v, "rent", &r)
        });
        let furnishing = opt_enum::<Furnishing>(&mut v, "furnishing", self.furnishing.as_deref());
        let storage = opt_enum::<StorageAvailability>(&mut v, "storage", self.storage.as_deref());
        let parking_stalls = opt(self.parking_stalls, |p| {
            v.int_range("parkingStalls", p, 0, PARKING_STALLS_MAX)
        });
        let max_occupancy = opt(self.max_occupancy, |m| {
            v.int_range("maxOccupancy", m, 1, MAX_OCCUPANCY_MAX)
        });
        let status = opt_enum::<UnitStatus>(&mut v, "status", self.status.as_deref());
        let description =
            v.opt_multiline("description", self.description.as_deref(), DESCRIPTION_MAX);
        v.finish(|| {
            let bedrooms = bedrooms.unwrap();
            let max_occupancy = max_occupancy.unwrap();
            NewUnit {
                name: name.unwrap(),
                suite,
                unit_type: unit_type.unwrap(),
                bedrooms,
                bathrooms: bathrooms.unwrap(),
                area_sqft: area_sqft.unwrap(),
                rent: rent.unwrap(),
                furnishing: furnishing.unwrap(),
                storage: storage.unwrap(),
                parking_stalls: parking_stalls.unwrap(),
                max_occupancy: max_occupancy.unwrap_or_else(|| default_max_occupancy(bedrooms)),
                max_occupancy_set: max_occupancy.is_some(),
                status: status.unwrap(),
                description,
            }
        })
    }
}

/// `PATCH /api/units/{id}/status`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnitStatusInput {
    #[schema(required = true, value_type = UnitStatus, example = "occupied")]
    pub status: Option<String>,
}

impl UnitStatusInput {
    pub fn validate(self) -> Result<UnitStatus, Vec<FieldError>> {
        let mut v = Validator::new();
        let status = v
            .required("status", self.status.as_deref())
            .and_then(|s| v.parse_enum::<UnitStatus>("status", s));
        v.finish(|| status.unwrap())
    }
}

/// A unit as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Unit {
    pub id: UnitId,
    pub organisation_id: OrgId,
    pub property_id: PropertyId,
    pub name: String,
    pub suite: Option<String>,
    pub unit_type: UnitType,
    pub bedrooms: f64,
    pub bathrooms: f64,
    pub area_sqft: Option<i64>,
    pub rent: Option<MoneyDto>,
    pub furnishing: Furnishing,
    pub storage: StorageAvailability,
    pub parking_stalls: Option<i64>,
    pub max_occupancy: i64,
    pub status: UnitStatus,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> UnitInput {
        UnitInput {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn create_reports_every_field() {
        let errs = UnitInput {
            name: None,
            suite: Some("x".repeat(UNIT_SUITE_MAX + 1)),
            unit_type: Some("loft".into()),
            bedrooms: Some(1.25),
            bathrooms: Some(f64::NAN),
            area_sqft: Some(-1),
            rent: Some(MoneyDto {
                amount_minor: -5,
                currency: "usd".into(),
            }),
            furnishing: Some("yes".into()),
            storage: Some("maybe".into()),
            parking_stalls: Some(1001),
            max_occupancy: Some(0),
            status: Some("let".into()),
            description: Some("x".repeat(DESCRIPTION_MAX + 1)),
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                "name",
                "suite",
                "unitType",
                "bedrooms",
                "bathrooms",
                "areaSqft",
                "rent.amountMinor",
                "rent.currency",
                "furnishing",
                "storage",
                "parkingStalls",
                "maxOccupancy",
                "status",
                "description",
            ]
        );
        assert_eq!(errs[3].message, HALF_STEP_MSG);
        assert_eq!(
            errs[4].message,
            "must be a multiple of 0.5 between 0 and 50"
        );
        assert!(errs[2]
            .message
            .contains("duplex/triplex, basement suite, room only"));
    }

    #[test]
    fn defaults_and_occupancy() {
        let u = named(" 4B ").validate().unwrap();
        assert_eq!(u.name, "4B");
        assert_eq!(u.unit_type, UnitType::Apartment);
        assert_eq!((u.bedrooms, u.bathrooms), (0.0, 0.0));
        assert_eq!(u.furnishing, Furnishing::Unfurnished);
        assert_eq!(u.storage, StorageAvailability::NotAvailable);
        assert_eq!(u.status, UnitStatus::Vacant);
        assert_eq!((u.max_occupancy, u.max_occupancy_set), (1, false));
        assert!(u.rent.is_none() && u.area_sqft.is_none() && u.suite.is_none());

        let u = UnitInput {
            bedrooms: Some(1.5),
            ..named("A")
        }
        .validate()
        .unwrap();
        assert_eq!(
            (u.bedrooms, u.max_occupancy, u.max_occupancy_set),
            (1.5, 3, false)
        );
        let u = UnitInput {
            bedrooms: Some(3.0),
            max_occupancy: Some(2),
            ..named("A")
        };
        let u = u.validate().unwrap();
        assert_eq!((u.max_occupancy, u.max_occupancy_set), (2, true));

        assert_eq!(default_max_occupancy(0.0), 1);
        assert_eq!(default_max_occupancy(0.5), 1);
        assert_eq!(default_max_occupancy(2.5), 5);
        assert_eq!(default_max_occupancy(1.2), 3);
        assert_eq!(default_max_occupancy(50.0), 100);
        assert_eq!(default_max_occupancy(f64::NAN), 1);
    }

    #[test]
    fn rooms_in_half_steps() {
        let rooms = |b: f64| {
            UnitInput {
                bathrooms: Some(b),
                ..named("A")
            }
            .validate()
        };
        assert_eq!(rooms(1.5).unwrap().bathrooms, 1.5);
        assert_eq!(rooms(50.0).unwrap().bathrooms, 50.0);
        assert_eq!(rooms(-0.0).unwrap().bathrooms.to_bits(), 0.0f64.to_bits());
        for bad in [1.25, -0.5, 50.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let errs = rooms(bad).unwrap_err();
            assert_eq!(fields(&errs), ["bathrooms"], "{bad}");
        }
        assert_eq!(
            "duplex/triplex".parse::<UnitType>(),
            Ok(UnitType::DuplexTriplex)
        );
        assert_eq!(
            serde_json::to_string(&UnitType::RoomOnly).unwrap(),
            r#""room only""#
        );
    }

    #[test]
    fn status_input() {
        let e = UnitStatusInput::default().validate().unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].message.as_str()),
            ("status", "is required")
        );
        let e = UnitStatusInput {
            status: Some("let".into()),
        }
        .validate()
        .unwrap_err();
        assert_eq!(fields(&e), ["status"]);
        let s = UnitStatusInput {
            status: Some("occupied".into()),
        }
        .validate();
        assert_eq!(s, Ok(UnitStatus::Occupied));
    }
}
