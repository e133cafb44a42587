//! The portfolio context's tables and columns, for building statements with sea-query.

crate::iden::table! {
    pub enum Buildings = "buildings" {
        Id = "id",
        OrgId = "org_id",
        Name = "name",
        AddressLine1 = "address_line1",
        AddressLine2 = "address_line2",
        City = "city",
        Region = "region",
        PostalCode = "postal_code",
        Country = "country",
        NumberOfUnits = "number_of_units",
        Description = "description",
        AmenitiesJson = "amenities_json",
        SearchName = "search_name",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::iden::table! {
    pub enum Properties = "properties" {
        Id = "id",
        OrgId = "org_id",
        BuildingId = "building_id",
        Name = "name",
        Kind = "kind",
        Status = "status",
        AddressLine1 = "address_line1",
        AddressLine2 = "address_line2",
        City = "city",
        Region = "region",
        PostalCode = "postal_code",
        Country = "country",
        Description = "description",
        SearchText = "search_text",
        ArchivedAt = "archived_at",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::iden::table! {
    pub enum Units = "units" {
        Id = "id",
        OrgId = "org_id",
        PropertyId = "property_id",
        Name = "name",
        Suite = "suite",
        UnitType = "unit_type",
        Bedrooms = "bedrooms",
        Bathrooms = "bathrooms",
        AreaSqft = "area_sqft",
        RentMinor = "rent_minor",
        RentCurrency = "rent_currency",
        Furnishing = "furnishing",
        Storage = "storage",
        ParkingStalls = "parking_stalls",
        MaxOccupancy = "max_occupancy",
        MaxOccupancySet = "max_occupancy_set",
        Status = "status",
        Description = "description",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
        /// The canonical caseless form of `name` (see `lintel_domain::text::name_key`).
        NameKey = "name_key",
        /// The canonical caseless form of `suite`, or NULL.
        SuiteKey = "suite_key",
    }
}

crate::iden::table! {
    pub enum UnitCounts = "unit_counts" {
        OrgId = "org_id",
        PropertyId = "property_id",
        Status = "status",
        N = "n",
    }
}

crate::iden::table! {
    pub enum OrgUnitCounts = "org_unit_counts" {
        OrgId = "org_id",
        Status = "status",
        N = "n",
    }
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
