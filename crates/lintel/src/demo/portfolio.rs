//! Creates the demo portfolio of [`super::data`].
//!
//! Everything is built as the API's own `*Input` structs and validated, so demo data passes the
//! same rules as data sent over HTTP.

use lintel_app::portfolio;
use lintel_domain::money::MoneyDto;
use lintel_domain::portfolio::{
    AmenityInput, BuildingInput, BulkUnitsInput, PropertyInput, UnitInput,
};
use lintel_domain::{Actor, OrgId, Plan};
use lintel_store::Store;

use crate::admin::ensure_valid;

use super::data::{PropertySpec, BUILDINGS, COMMERCIAL, PROPERTIES, STATUSES};

/// What was created.
#[derive(Debug, Default)]
pub struct Seeded {
    pub buildings: usize,
    pub properties: usize,
    pub units: usize,
}

fn units_of(p: &PropertySpec, status_at: &mut usize) -> Vec<UnitInput> {
    let mut out = Vec::new();
    for pl in p.plans {
        for _ in 0..pl.count {
            let i = out.len();
            let (suite, floor) = match p.per_floor {
                0 => ((i + 1).to_string(), 0),
                n => {
                    let floor = i / n + 1;
                    (format!("{}{:02}", floor, i % n + 1), floor as i64)
                }
            };
            let status = STATUSES[*status_at % STATUSES.len()];
            *status_at += 1;
            // Higher floors ask a little more.
            let rent_major = pl.rent + 25 * (floor - 1).max(0);
            out.push(UnitInput {
                name: Some(format!("{} {}", p.prefix, suite)),
                suite: Some(suite),
                unit_type: Some(pl.unit_type.into()),
                bedrooms: Some(pl.bedrooms),
                bathrooms: Some(pl.bathrooms),
                area_sqft: Some(pl.area_sqft),
                rent: Some(MoneyDto {
                    amount_minor: rent_major * 100,
                    currency: p.currency.into(),
                }),
                furnishing: Some(pl.furnishing.into()),
                storage: Some(pl.storage.into()),
                parking_stalls: (pl.parking > 0).then_some(pl.parking),
                max_occupancy: (pl.unit_type == COMMERCIAL).then_some(12),
                status: Some(status.into()),
                description: pl.description.map(Into::into),
            });
        }
    }
    out
}

/// Creates the buildings, properties and units of the demo organisation.
pub async fn seed(store: &Store, org: OrgId, plan: Plan) -> anyhow::Result<Seeded> {
    let actor = Actor::system();
    let scope = store.org(org);
    let mut seeded = Seeded::default();

    let mut building_ids = Vec::new();
    for b in BUILDINGS {
        let new = ensure_valid(
            b.name,
            BuildingInput {
                name: Some(b.name.into()),
                address: Some(b.address.input()),
                number_of_units: Some(b.number_of_units),
                description: Some(b.description.into()),
                amenities: Some(
                    b.amenities
                        .iter()
                        .map(|&(id, value)| AmenityInput {
                            id: Some(id),
                            value: Some(value),
                        })
                        .collect(),
                ),
            }
            .validate(),
        )?;
        building_ids.push(scope.buildings().create(&actor, new).await?.id);
        seeded.buildings += 1;
    }

    let mut status_at = 0;
    for p in PROPERTIES {
        let new = ensure_valid(
            p.name,
            PropertyInput {
                name: Some(p.name.into()),
                kind: Some(p.kind.into()),
                status: Some("active".into()),
                address: Some(p.address.input()),
                description: Some(p.description.into()),
                building_id: p.building.map(|i| building_ids[i].to_string()),
            }
            .validate(),
        )?;
        let rows = BulkUnitsInput {
            units: Some(units_of(p, &mut status_at)),
        }
        .validate();
        let units = ensure_valid(&format!("the units of {}", p.name), rows)?;
        let (_, created) =
            portfolio::create_property_with_units(store, &actor, org, plan, new, units).await?;
        seeded.properties += 1;
        seeded.units += created.len();
    }
    Ok(seeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_passes_validation_and_the_mix_is_varied() {
        let mut at = 0;
        let mut all = Vec::new();
        for p in PROPERTIES {
            let rows = BulkUnitsInput {
                units: Some(units_of(p, &mut at)),
            }
            .validate();
            all.extend(rows.unwrap_or_else(|e| panic!("{}: {e:?}", p.name)));
        }
        assert!((40..=60).contains(&all.len()), "{} units", all.len());
        for s in ["vacant", "occupied", "maintenance", "unavailable"] {
            assert!(all.iter().any(|u| u.status.as_str() == s), "no {s} unit");
        }
        assert!(all.iter().any(|u| u.bedrooms == 0.5) && all.iter().any(|u| u.bedrooms == 4.0));
        let buildings: usize = BUILDINGS.len();
        assert_eq!(buildings, 2);
        let mut countries: Vec<_> = PROPERTIES.iter().map(|p| p.address.country).collect();
        countries.dedup();
        assert!(countries.len() >= 3);
    }
}
