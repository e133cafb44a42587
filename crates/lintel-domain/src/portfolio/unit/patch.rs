use serde::Deserialize;

use super::{
    default_max_occupancy, half_step, opt, Furnishing, StorageAvailability, Unit, UnitStatus,
    UnitType, AREA_SQFT_MAX, MAX_OCCUPANCY_MAX, PARKING_STALLS_MAX, UNIT_NAME_MAX, UNIT_SUITE_MAX,
};
use crate::money::{Money, MoneyDto};
use crate::portfolio::{nullable, DESCRIPTION_MAX};
use crate::validation::{FieldError, Validator};

/// `PATCH /api/units/{id}`: only the fields present change; `null` clears `suite`, `areaSqft`,
/// `rent`, `parkingStalls` and `description`.
///
/// `maxOccupancy` is tri-state: absent keeps it, a number pins it, and an explicit `null`
/// resets it to the default derived from the bedrooms ([`default_max_occupancy`]), which then
/// follows later bedroom changes again (see [`UnitPatch::apply`]).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnitPatchInput {
    /// `null` leaves the name unchanged.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 50, pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$")]
    pub suite: Option<Option<String>>,
    #[schema(value_type = Option<UnitType>)]
    pub unit_type: Option<String>,
    /// 0..=50 in steps of 0.5.
    #[schema(minimum = 0, maximum = 50, multiple_of = 0.5)]
    pub bedrooms: Option<f64>,
    /// 0..=50 in steps of 0.5.
    #[schema(minimum = 0, maximum = 50, multiple_of = 0.5)]
    pub bathrooms: Option<f64>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub area_sqft: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<MoneyDto>)]
    pub rent: Option<Option<MoneyDto>>,
    #[schema(value_type = Option<Furnishing>)]
    pub furnishing: Option<String>,
    #[schema(value_type = Option<StorageAvailability>)]
    pub storage: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000)]
    pub parking_stalls: Option<Option<i64>>,
    /// 1..=200: a number pins the occupancy; `null` resets it to bedrooms × 2 (rounded up, at
    /// least 1).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub max_occupancy: Option<Option<i64>>,
    #[schema(value_type = Option<UnitStatus>)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000, pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$")]
    pub description: Option<Option<String>>,
}

/// A checked unit change. `max_occupancy: Some(None)` means "reset to the bedrooms default".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitPatch {
    pub name: Option<String>,
    pub suite: Option<Option<String>>,
    pub unit_type: Option<UnitType>,
    pub bedrooms: Option<f64>,
    pub bathrooms: Option<f64>,
    pub area_sqft: Option<Option<i64>>,
    pub rent: Option<Option<Money>>,
    pub furnishing: Option<Furnishing>,
    pub storage: Option<StorageAvailability>,
    pub parking_stalls: Option<Option<i64>>,
    pub max_occupancy: Option<Option<i64>>,
    pub status: Option<UnitStatus>,
    pub description: Option<Option<String>>,
}

impl UnitPatchInput {
    pub fn validate(self) -> Result<UnitPatch, Vec<FieldError>> {
        let mut v = Validator::new();
        let mut p = UnitPatch {
            name: self
                .name
                .as_deref()
                .and_then(|n| v.text("name", n, 1, UNIT_NAME_MAX)),
            ..Default::default()
        };
        p.suite = self
            .suite
            .map(|s| v.opt_text("suite", s.as_deref(), UNIT_SUITE_MAX));
        p.unit_type = self
            .unit_type
            .as_deref()
            .and_then(|t| v.parse_enum("unitType", t));
        p.bedrooms = self.bedrooms.and_then(|b| half_step(&mut v, "bedrooms", b));
        p.bathrooms = self
            .bathrooms
            .and_then(|b| half_step(&mut v, "bathrooms", b));
        p.area_sqft = self
            .area_sqft
            .and_then(|a| opt(a, |a| v.int_range("areaSqft", a, 0, AREA_SQFT_MAX)));
        p.rent = self
            .rent
            .and_then(|r| opt(r, |r| Money::validate_non_negative(&mut v, "rent", &r)));
        p.furnishing = self
            .furnishing
            .as_deref()
            .and_then(|f| v.parse_enum("furnishing", f));
        p.storage = self
            .storage
            .as_deref()
            .and_then(|s| v.parse_enum("storage", s));
        p.parking_stalls = self.parking_stalls.and_then(|s| {
            opt(s, |s| {
                v.int_range("parkingStalls", s, 0, PARKING_STALLS_MAX)
            })
        });
        p.max_occupancy = self
            .max_occupancy
            .and_then(|m| opt(m, |m| v.int_range("maxOccupancy", m, 1, MAX_OCCUPANCY_MAX)));
        p.status = self
            .status
            .as_deref()
            .and_then(|s| v.parse_enum("status", s));
        p.description = self
            .description
            .map(|d| v.opt_multiline("description", d.as_deref(), DESCRIPTION_MAX));
        v.finish(|| p)
    }
}

impl UnitPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == UnitPatch::default()
    }

    /// Applies the change to a unit's stored fields. `max_occupancy_set` says whether the unit's
    /// occupancy was pinned; the new flag is returned. An unpinned occupancy is recomputed from
    /// the (possibly changed) bedrooms.
    pub fn apply(self, u: &mut Unit, max_occupancy_set: bool) -> bool {
        let mut set = max_occupancy_set;
        macro_rules! put {
            ($($f:ident),*) => { $(if let Some(x) = self.$f { u.$f = x; })* };
        }
        put!(name, suite, unit_type, bedrooms, bathrooms, area_sqft, furnishing, storage);
        put!(parking_stalls, status, description);
        if let Some(r) = self.rent {
            u.rent = r.map(Money::to_dto);
        }
        match self.max_occupancy {
            None => {}
            Some(Some(m)) => {
                u.max_occupancy = m;
                set = true;
            }
            Some(None) => set = false,
        }
        if !set {
            u.max_occupancy = default_max_occupancy(u.bedrooms);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{OrgId, PropertyId, UnitId};
    use crate::time::Timestamp;

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn patch_nulls_and_occupancy_default() {
        let p: UnitPatchInput =
            serde_json::from_str(r#"{"suite":null,"rent":null,"maxOccupancy":null,"bedrooms":2}"#)
                .unwrap();
        let p = p.validate().unwrap();
        assert_eq!(
            (p.suite.clone(), p.rent, p.max_occupancy),
            (Some(None), Some(None), Some(None))
        );
        assert!(p.area_sqft.is_none() && p.description.is_none());
        assert!(UnitPatchInput::default().validate().unwrap().is_empty());

        let errs = UnitPatchInput {
            name: Some(" ".into()),
            bedrooms: Some(0.1),
            area_sqft: Some(Some(AREA_SQFT_MAX + 1)),
            max_occupancy: Some(Some(201)),
            status: Some("gone".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            fields(&errs),
            ["name", "bedrooms", "areaSqft", "maxOccupancy", "status"]
        );

        let now = Timestamp(0);
        let mut u = Unit {
            id: UnitId::new(),
            organisation_id: OrgId::new(),
            property_id: PropertyId::new(),
            name: "A".into(),
            suite: Some("1".into()),
            unit_type: UnitType::Apartment,
            bedrooms: 1.0,
            bathrooms: 1.0,
            area_sqft: None,
            rent: None,
            furnishing: Furnishing::Furnished,
            storage: StorageAvailability::Available,
            parking_stalls: None,
            max_occupancy: 2,
            status: UnitStatus::Vacant,
            description: None,
            created_at: now,
            updated_at: now,
        };
        let set = p.apply(&mut u, true);
        assert_eq!(
            (set, u.bedrooms, u.max_occupancy, u.suite.clone()),
            (false, 2.0, 4, None)
        );
        let pin = UnitPatch {
            max_occupancy: Some(Some(9)),
            ..Default::default()
        };
        assert!(pin.apply(&mut u, false));
        let more = UnitPatch {
            bedrooms: Some(5.0),
            ..Default::default()
        };
        assert!(more.apply(&mut u, true));
        assert_eq!(u.max_occupancy, 9);
        let reset = UnitPatch {
            max_occupancy: Some(None),
            ..Default::default()
        };
        assert!(!reset.apply(&mut u, true));
        assert_eq!(u.max_occupancy, 10);
    }
}
