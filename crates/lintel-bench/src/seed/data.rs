//! Deterministic, varied portfolio data for the seed: property `i` and its units always look
//! the same, so two runs of the benchmark read the same kind of rows.

use lintel_domain::money::MoneyDto;
use lintel_domain::portfolio::{AddressInput, PropertyInput, UnitInput};

const CITIES: &[(&str, &str, &str, &str)] = &[
    ("Halifax", "NS", "B3J 1A1", "CA"),
    ("Leeds", "West Yorkshire", "LS1 4BR", "GB"),
    ("Portland", "OR", "97205", "US"),
    ("Lyon", "Auvergne-Rhône-Alpes", "69002", "FR"),
    ("Melbourne", "VIC", "3000", "AU"),
    ("Toronto", "ON", "M5V 2T6", "CA"),
];
const STREETS: &[&str] = &[
    "Harbour Street",
    "Granary Wharf",
    "Alder Avenue",
    "Rue de la République",
    "Flinders Lane",
    "King Street West",
    "Canal Road",
    "Birch Crescent",
];
const KINDS: &[&str] = &[
    "residential",
    "residential",
    "residential",
    "commercial",
    "mixed",
];
/// `(unit type, bedrooms, bathrooms, area, monthly rent in major units)`.
const PLANS: &[(&str, f64, f64, i64, i64)] = &[
    ("apartment", 0.5, 1.0, 420, 1_150),
    ("apartment", 1.0, 1.0, 610, 1_450),
    ("apartment", 2.0, 1.5, 820, 1_950),
    ("apartment", 3.0, 2.0, 1_150, 2_600),
    ("townhouse", 3.5, 2.5, 1_480, 3_200),
    ("basement suite", 1.0, 1.0, 540, 1_100),
];
/// Roughly 70 % occupied, as a managed portfolio would be.
const STATUSES: &[&str] = &[
    "occupied",
    "occupied",
    "vacant",
    "occupied",
    "occupied",
    "maintenance",
    "occupied",
    "occupied",
    "unavailable",
    "occupied",
];

fn currency(country: &str) -> &'static str {
    match country {
        "CA" => "CAD",
        "GB" => "GBP",
        "FR" => "EUR",
        "AU" => "AUD",
        _ => "USD",
    }
}

/// The `i`-th property of the organisation (`i` from 0).
pub fn property(i: usize) -> PropertyInput {
    let (city, region, postal, country) = CITIES[i % CITIES.len()];
    let street = STREETS[(i / CITIES.len()) % STREETS.len()];
    PropertyInput {
        name: Some(format!("{street} {} ({city})", i + 1)),
        kind: Some(KINDS[i % KINDS.len()].into()),
        status: Some("active".into()),
        address: Some(AddressInput {
            line1: Some(format!("{} {street}", 1 + i % 997)),
            line2: matches!(i % 3, 0).then(|| format!("Block {}", 1 + i % 7)),
            city: Some(city.into()),
            region: Some(region.into()),
            postal_code: Some(postal.into()),
            country: Some(country.into()),
        }),
        description: matches!(i % 2, 0)
            .then(|| format!("Benchmark property {} of the seeded portfolio.", i + 1)),
        building_id: None,
    }
}

/// Units `from..to` of property `i` (unit numbers from 0; suites run 101, 102, … per floor).
pub fn units(i: usize, from: usize, to: usize) -> Vec<UnitInput> {
    let country = CITIES[i % CITIES.len()].3;
    (from..to)
        .map(|u| {
            let (unit_type, bedrooms, bathrooms, area, rent) = PLANS[(i + u) % PLANS.len()];
            let floor = u / 20 + 1;
            let suite = format!("{floor}{:02}", u % 20 + 1);
            UnitInput {
                name: Some(format!("Unit {suite}")),
                suite: Some(suite),
                unit_type: Some(unit_type.into()),
                bedrooms: Some(bedrooms),
                bathrooms: Some(bathrooms),
                area_sqft: Some(area),
                rent: Some(MoneyDto {
                    amount_minor: (rent + 15 * floor as i64) * 100,
                    currency: currency(country).into(),
                }),
                furnishing: Some(
                    if u % 4 == 0 {
                        "furnished"
                    } else {
                        "unfurnished"
                    }
                    .into(),
                ),
                storage: Some("not_available".into()),
                parking_stalls: (u % 3 == 0).then_some(1),
                max_occupancy: None,
                status: Some(STATUSES[(i * 7 + u) % STATUSES.len()].into()),
                description: None,
            }
        })
        .collect()
}

/// How many of `total` units property `i` of `properties` gets: an even split, the remainder
/// going to the first properties.
pub fn units_of(i: usize, properties: usize, total: usize) -> usize {
    total / properties + usize::from(i < total % properties)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lintel_domain::portfolio::BulkUnitsInput;

    #[test]
    fn generated_rows_pass_the_api_validation() {
        for i in 0..40 {
            property(i)
                .validate()
                .unwrap_or_else(|e| panic!("property {i}: {e:?}"));
            let rows = BulkUnitsInput {
                units: Some(units(i, 0, 120)),
            };
            let rows = rows
                .validate()
                .unwrap_or_else(|e| panic!("units of {i}: {e:?}"));
            assert_eq!(rows.len(), 120);
        }
    }

    #[test]
    fn the_split_adds_up() {
        let total: usize = (0..7).map(|i| units_of(i, 7, 1000)).sum();
        assert_eq!(total, 1000);
        assert_eq!(units_of(0, 10_000, 1_000_000), 100);
    }
}
