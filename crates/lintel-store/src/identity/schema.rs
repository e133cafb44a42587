//! The identity context's tables and columns, for building statements with sea-query.

use sea_query::Iden;

#[derive(Iden, Clone, Copy)]
pub enum Organisations {
    Table,
    Id,
    Name,
    Plan,
    DemoSlug,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    LastOrgId,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Memberships {
    Table,
    OrgId,
    UserId,
    Role,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Invitations {
    Table,
    Id,
    OrgId,
    Email,
    Role,
    TokenHash,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    AcceptedBy,
    RevokedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Sessions {
    Table,
    Id,
    OrgId,
    UserId,
    TokenHash,
    CsrfHash,
    UserAgent,
    Ip,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ApiKeys {
    Table,
    Id,
    OrgId,
    Name,
    Role,
    Prefix,
    SecretHash,
    CreatedBy,
    OwnerUserId,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

crate::scope::org_tables!(Sessions, ApiKeys, Invitations);

/// A membership is keyed by its user within the organisation.
impl crate::scope::OrgTable for Memberships {
    const TABLE: Self = Memberships::Table;
    const ORG: Self = Memberships::OrgId;
    const ID: Self = Memberships::UserId;
}
