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
