//! The identity context's tables and columns, for building statements with sea-query.

crate::iden::table! {
    pub enum Organisations = "organisations" {
        Id = "id",
        Name = "name",
        Plan = "plan",
        DemoSlug = "demo_slug",
        /// IANA time zone: what "today" is for the organisation's leases and rent.
        Timezone = "timezone",
        BaseCurrency = "base_currency",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::iden::table! {
    pub enum Users = "users" {
        Id = "id",
        Email = "email",
        Name = "name",
        PasswordHash = "password_hash",
        LastOrgId = "last_org_id",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::iden::table! {
    pub enum Memberships = "memberships" {
        OrgId = "org_id",
        UserId = "user_id",
        Role = "role",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::iden::table! {
    pub enum Invitations = "invitations" {
        Id = "id",
        OrgId = "org_id",
        Email = "email",
        Role = "role",
        TokenHash = "token_hash",
        InvitedBy = "invited_by",
        CreatedAt = "created_at",
        ExpiresAt = "expires_at",
        AcceptedAt = "accepted_at",
        AcceptedBy = "accepted_by",
        RevokedAt = "revoked_at",
        TenantId = "tenant_id",
    }
}

crate::iden::table! {
    pub enum Sessions = "sessions" {
        Id = "id",
        OrgId = "org_id",
        UserId = "user_id",
        TokenHash = "token_hash",
        CsrfHash = "csrf_hash",
        UserAgent = "user_agent",
        Ip = "ip",
        CreatedAt = "created_at",
        LastSeenAt = "last_seen_at",
        ExpiresAt = "expires_at",
    }
}

crate::iden::table! {
    pub enum ApiKeys = "api_keys" {
        Id = "id",
        OrgId = "org_id",
        Name = "name",
        Role = "role",
        Prefix = "prefix",
        SecretHash = "secret_hash",
        CreatedBy = "created_by",
        OwnerUserId = "owner_user_id",
        CreatedAt = "created_at",
        LastUsedAt = "last_used_at",
        RevokedAt = "revoked_at",
    }
}

crate::scope::org_tables!(Sessions, ApiKeys, Invitations);

/// A membership is keyed by its user within the organisation.
impl crate::scope::OrgTable for Memberships {
    const TABLE: Self = Memberships::Table;
    const ORG: Self = Memberships::OrgId;
    const ID: Self = Memberships::UserId;
}
