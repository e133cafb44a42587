//! The portfolio context's tables and columns, for building statements with sea-query.

use sea_query::Iden;

#[derive(Iden, Clone, Copy)]
pub enum Buildings {
    Table,
    Id,
    OrgId,
    Name,
    AddressLine1,
    AddressLine2,
    City,
    Region,
    PostalCode,
    Country,
    NumberOfUnits,
    Description,
    AmenitiesJson,
    SearchName,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Properties {
    Table,
    Id,
    OrgId,
    BuildingId,
    Name,
    Kind,
    Status,
    AddressLine1,
    AddressLine2,
    City,
    Region,
    PostalCode,
    Country,
    Description,
    SearchText,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Units {
    Table,
    Id,
    OrgId,
    PropertyId,
    Name,
    Suite,
    UnitType,
    Bedrooms,
    Bathrooms,
    AreaSqft,
    RentMinor,
    RentCurrency,
    Furnishing,
    Storage,
    ParkingStalls,
    MaxOccupancy,
    MaxOccupancySet,
    Status,
    Description,
    CreatedAt,
    UpdatedAt,
    /// The canonical caseless form of `name` (see `lintel_domain::text::name_key`).
    NameKey,
    /// The canonical caseless form of `suite`, or NULL.
    SuiteKey,
}

#[derive(Iden, Clone, Copy)]
pub enum UnitCounts {
    Table,
    OrgId,
    PropertyId,
    Status,
    N,
}

#[derive(Iden, Clone, Copy)]
pub enum OrgUnitCounts {
    Table,
    OrgId,
    Status,
    N,
}

crate::scope::org_tables!(Buildings, Properties, Units);

/// A property's counter row is keyed by property (and status).
impl crate::scope::OrgTable for UnitCounts {
    const TABLE: Self = UnitCounts::Table;
    const ORG: Self = UnitCounts::OrgId;
    const ID: Self = UnitCounts::PropertyId;
}

/// An organisation's counter row is keyed by status.
impl crate::scope::OrgTable for OrgUnitCounts {
    const TABLE: Self = OrgUnitCounts::Table;
    const ORG: Self = OrgUnitCounts::OrgId;
    const ID: Self = OrgUnitCounts::Status;
}
