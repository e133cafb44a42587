//! The leasing context's tables and columns, for building statements with sea-query.

crate::iden::table! {
    pub enum Tenants = "tenants" {
        Id = "id",
        OrgId = "org_id",
        FirstName = "first_name",
        LastName = "last_name",
        Email = "email",
        Phone = "phone",
        DateOfBirth = "date_of_birth",
        AddressLine1 = "address_line1",
        AddressLine2 = "address_line2",
        City = "city",
        Region = "region",
        PostalCode = "postal_code",
        Country = "country",
        EmergencyContactJson = "emergency_contact_json",
        ReferencesJson = "references_json",
        Notes = "notes",
        SearchText = "search_text",
        SortName = "sort_name",
        Status = "status",
        IdStatus = "id_status",
        IdNote = "id_note",
        IdReviewedBy = "id_reviewed_by",
        IdReviewedAt = "id_reviewed_at",
        UserId = "user_id",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::iden::table! {
    pub enum Leases = "leases" {
        Id = "id",
        OrgId = "org_id",
        UnitId = "unit_id",
        PropertyId = "property_id",
        Status = "status",
        StartDate = "start_date",
        EndDate = "end_date",
        /// `end_date`, or `9999-12-31` for a periodic lease: the `endDate` order.
        EndSort = "end_sort",
        RentMinor = "rent_minor",
        Currency = "currency",
        RentFrequency = "rent_frequency",
        RentDueDay = "rent_due_day",
        DepositMinor = "deposit_minor",
        LateFeeJson = "late_fee_json",
        Notes = "notes",
        RenewalOfLeaseId = "renewal_of_lease_id",
        CreatedBy = "created_by",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::iden::table! {
    pub enum LeaseTenants = "lease_tenants" {
        OrgId = "org_id",
        LeaseId = "lease_id",
        TenantId = "tenant_id",
        Position = "position",
    }
}

crate::iden::table! {
    pub enum LeaseDocuments = "lease_documents" {
        OrgId = "org_id",
        LeaseId = "lease_id",
        DocumentId = "document_id",
    }
}

crate::iden::table! {
    pub enum LeaseStatusHistory = "lease_status_history" {
        Id = "id",
        OrgId = "org_id",
        LeaseId = "lease_id",
        FromStatus = "from_status",
        ToStatus = "to_status",
        EffectiveDate = "effective_date",
        Reason = "reason",
        ChangedBy = "changed_by",
        ChangedAt = "changed_at",
    }
}

crate::iden::table! {
    pub enum LeaseRenewals = "lease_renewals" {
        Id = "id",
        OrgId = "org_id",
        LeaseId = "lease_id",
        Status = "status",
        RentMinor = "rent_minor",
        Currency = "currency",
        StartDate = "start_date",
        EndDate = "end_date",
        OfferExpiresOn = "offer_expires_on",
        Message = "message",
        ResponseComment = "response_comment",
        RespondedBy = "responded_by",
        RespondedAt = "responded_at",
        SuccessorLeaseId = "successor_lease_id",
        LastReminderAt = "last_reminder_at",
        CreatedBy = "created_by",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::scope::org_tables!(Tenants, Leases, LeaseStatusHistory, LeaseRenewals);

/// A lease's tenants are keyed by lease.
impl crate::scope::OrgTable for LeaseTenants {
    const TABLE: Self = LeaseTenants::Table;
    const ORG: Self = LeaseTenants::OrgId;
    const ID: Self = LeaseTenants::LeaseId;
}

/// A lease's documents are keyed by lease.
impl crate::scope::OrgTable for LeaseDocuments {
    const TABLE: Self = LeaseDocuments::Table;
    const ORG: Self = LeaseDocuments::OrgId;
    const ID: Self = LeaseDocuments::LeaseId;
}
