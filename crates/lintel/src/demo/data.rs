//! The demo portfolio's data: two buildings, five properties in three countries, 52 units.

use lintel_domain::portfolio::AddressInput;

pub struct Addr {
    pub line1: &'static str,
    pub line2: Option<&'static str>,
    pub city: &'static str,
    pub region: &'static str,
    pub postal_code: &'static str,
    pub country: &'static str,
}

impl Addr {
    pub fn input(&self) -> AddressInput {
        AddressInput {
            line1: Some(self.line1.into()),
            line2: self.line2.map(Into::into),
            city: Some(self.city.into()),
            region: Some(self.region.into()),
            postal_code: Some(self.postal_code.into()),
            country: Some(self.country.into()),
        }
    }
}

pub struct BuildingSpec {
    pub name: &'static str,
    pub address: Addr,
    pub number_of_units: i64,
    pub description: &'static str,
    /// `(amenity id, value)`: 1 included, 2 available at extra cost, 3 not available.
    pub amenities: &'static [(i64, i64)],
}

pub const BUILDINGS: &[BuildingSpec] = &[
    BuildingSpec {
        name: "Harbour View Tower",
        address: HALIFAX,
        number_of_units: 24,
        description: "Twelve-storey waterfront tower with a retail podium, built 2019.",
        amenities: &[(11, 1), (4, 1), (2, 1), (1, 1), (10, 2), (3, 2)],
    },
    BuildingSpec {
        name: "Granary Wharf Exchange",
        address: LEEDS,
        number_of_units: 12,
        description: "Converted Victorian grain warehouse on the canal basin.",
        amenities: &[(11, 1), (1, 1), (12, 1), (9, 1), (8, 3)],
    },
];

/// A group of identical units.
pub struct FloorPlan {
    pub count: usize,
    pub unit_type: &'static str,
    pub bedrooms: f64,
    pub bathrooms: f64,
    pub area_sqft: i64,
    /// Monthly asking rent in major units (the currency has two minor digits).
    pub rent: i64,
    pub furnishing: &'static str,
    pub storage: &'static str,
    pub parking: i64,
    pub description: Option<&'static str>,
}

pub const fn fp(
    count: usize,
    unit_type: &'static str,
    bedrooms: f64,
    bathrooms: f64,
    area_sqft: i64,
    rent: i64,
) -> FloorPlan {
    FloorPlan {
        count,
        unit_type,
        bedrooms,
        bathrooms,
        area_sqft,
        rent,
        furnishing: "unfurnished",
        storage: "not_available",
        parking: 0,
        description: None,
    }
}

pub struct PropertySpec {
    pub name: &'static str,
    pub kind: &'static str,
    /// Index into [`BUILDINGS`].
    pub building: Option<usize>,
    pub address: Addr,
    pub description: &'static str,
    pub currency: &'static str,
    /// Units are named `{prefix} {suite}`.
    pub prefix: &'static str,
    /// Units per floor for suite numbers (`101`, `102`, …); 0 numbers them `1`, `2`, ….
    pub per_floor: usize,
    pub plans: &'static [FloorPlan],
}

pub const COMMERCIAL: &str = "other";
const LEEDS: Addr = Addr {
    line1: "12 Wharf Approach",
    line2: None,
    city: "Leeds",
    region: "West Yorkshire",
    postal_code: "LS1 4BR",
    country: "GB",
};
const HALIFAX: Addr = Addr {
    line1: "1791 Barrington Street",
    line2: None,
    city: "Halifax",
    region: "NS",
    postal_code: "B3J 3K9",
    country: "CA",
};

pub const PROPERTIES: &[PropertySpec] = &[
    PropertySpec {
        name: "Harbour View Residences",
        kind: "residential",
        building: Some(0),
        address: HALIFAX,
        description: "Rental apartments on floors 2-12 of Harbour View Tower.",
        currency: "CAD",
        prefix: "Suite",
        per_floor: 4,
        plans: &[
            FloorPlan {
                furnishing: "furnished",
                description: Some("Furnished studio with harbour glimpses."),
                ..fp(4, "apartment", 0.0, 1.0, 480, 1_595)
            },
            fp(6, "apartment", 1.0, 1.0, 640, 1_950),
            FloorPlan {
                furnishing: "partially_furnished",
                description: Some("One bedroom plus den."),
                ..fp(4, "apartment", 1.5, 1.0, 760, 2_195)
            },
            FloorPlan {
                parking: 1,
                ..fp(4, "apartment", 2.0, 2.0, 920, 2_650)
            },
            FloorPlan {
                parking: 2,
                storage: "available",
                description: Some("Penthouse with wraparound terrace."),
                ..fp(2, "apartment", 3.0, 2.5, 1_340, 3_900)
            },
        ],
    },
    PropertySpec {
        name: "Harbour View Retail Podium",
        kind: "commercial",
        building: Some(0),
        address: Addr {
            line2: Some("Ground floor"),
            ..HALIFAX
        },
        description: "Street-front retail units under Harbour View Tower.",
        currency: "CAD",
        prefix: "Retail",
        per_floor: 0,
        plans: &[
            FloorPlan {
                description: Some("Corner unit, café fit-out."),
                ..fp(1, COMMERCIAL, 0.0, 1.0, 2_400, 7_800)
            },
            fp(2, COMMERCIAL, 0.0, 1.0, 1_150, 4_200),
            FloorPlan {
                storage: "available_extra_cost",
                ..fp(1, COMMERCIAL, 0.0, 0.5, 1_600, 5_350)
            },
        ],
    },
    PropertySpec {
        name: "Granary Wharf Lofts",
        kind: "mixed",
        building: Some(1),
        address: LEEDS,
        description:
            "Canal-side loft apartments above two ground-floor studios for small businesses.",
        currency: "GBP",
        prefix: "Apartment",
        per_floor: 4,
        plans: &[
            FloorPlan {
                storage: "available",
                ..fp(2, COMMERCIAL, 0.0, 1.0, 860, 1_450)
            },
            FloorPlan {
                furnishing: "furnished",
                description: Some("Studio with a sleeping alcove."),
                ..fp(2, "apartment", 0.5, 1.0, 420, 795)
            },
            fp(4, "apartment", 1.0, 1.0, 590, 925),
            FloorPlan {
                furnishing: "partially_furnished",
                ..fp(4, "apartment", 2.0, 2.0, 810, 1_250)
            },
        ],
    },
    PropertySpec {
        name: "Maple Row Townhomes",
        kind: "residential",
        building: None,
        address: Addr {
            line1: "2140 NW Irving Street",
            line2: None,
            city: "Portland",
            region: "OR",
            postal_code: "97210",
            country: "US",
        },
        description: "Eight terraced townhomes with private yards in Northwest Portland.",
        currency: "USD",
        prefix: "Townhome",
        per_floor: 0,
        plans: &[
            FloorPlan {
                parking: 1,
                ..fp(2, "townhouse", 2.0, 1.5, 1_120, 2_250)
            },
            FloorPlan {
                parking: 2,
                storage: "available",
                ..fp(4, "townhouse", 3.0, 2.5, 1_480, 2_850)
            },
            FloorPlan {
                parking: 2,
                storage: "available",
                description: Some("End unit with a double garage."),
                ..fp(2, "house", 4.0, 3.0, 1_820, 3_450)
            },
        ],
    },
    PropertySpec {
        name: "Alder Street Commons",
        kind: "mixed",
        building: None,
        address: Addr {
            line1: "825 SW Alder Street",
            line2: None,
            city: "Portland",
            region: "OR",
            postal_code: "97205",
            country: "US",
        },
        description: "Four-storey walk-up downtown: shops at street level, apartments above.",
        currency: "USD",
        prefix: "Unit",
        per_floor: 4,
        plans: &[
            fp(2, COMMERCIAL, 0.0, 0.5, 1_050, 3_100),
            FloorPlan {
                furnishing: "furnished",
                ..fp(4, "apartment", 1.0, 1.0, 610, 1_695)
            },
            FloorPlan {
                parking: 1,
                ..fp(2, "apartment", 2.0, 1.0, 840, 2_150)
            },
        ],
    },
];

/// Unit states, cycled over the portfolio: mostly let, some vacant, a few out of service.
pub const STATUSES: &[&str] = &[
    "occupied",
    "occupied",
    "vacant",
    "occupied",
    "occupied",
    "maintenance",
    "occupied",
    "occupied",
    "vacant",
    "occupied",
    "unavailable",
    "occupied",
];
