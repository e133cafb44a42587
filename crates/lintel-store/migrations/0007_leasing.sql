-- Tenancy: tenants, their leases (with the tenants on each, the history of every status change
-- and the documents filed with them) and renewal offers; and the organisation's time zone,
-- which decides what "today" is for leases and rent.

ALTER TABLE organisations ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';

CREATE TABLE tenants (
    id                      TEXT PRIMARY KEY,
    org_id                  TEXT NOT NULL REFERENCES organisations(id),
    first_name              TEXT NOT NULL,
    last_name               TEXT NOT NULL,
    email                   TEXT,
    phone                   TEXT,
    date_of_birth           TEXT,
    address_line1           TEXT,
    address_line2           TEXT,
    city                    TEXT,
    region                  TEXT,
    postal_code             TEXT,
    country                 TEXT,
    emergency_contact_json  TEXT,
    references_json         TEXT NOT NULL,
    notes                   TEXT,
    -- Lower-cased names, email and phone digits, for `q`.
    search_text             TEXT NOT NULL,
    -- `last first`, lower-cased: the list's order.
    sort_name               TEXT NOT NULL,
    -- prospect | current | past, kept in step with the tenant's leases.
    status                  TEXT NOT NULL,
    id_status               TEXT NOT NULL,
    id_note                 TEXT,
    id_reviewed_by          TEXT,
    id_reviewed_at          BIGINT,
    -- The account the tenant signs in with, once invited and accepted.
    user_id                 TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX tenants_org_idx ON tenants (org_id, id);
CREATE INDEX tenants_org_name_idx ON tenants (org_id, sort_name, id);
CREATE INDEX tenants_org_status_idx ON tenants (org_id, status, id);
CREATE UNIQUE INDEX tenants_user_key ON tenants (org_id, user_id);

CREATE TABLE leases (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES organisations(id),
    unit_id             TEXT NOT NULL REFERENCES units(id),
    property_id         TEXT NOT NULL REFERENCES properties(id),
    status              TEXT NOT NULL,
    start_date          TEXT NOT NULL,
    -- NULL: periodic (month to month).
    end_date            TEXT,
    -- end_date, or 9999-12-31 for a periodic lease: the endDate order, the same on both
    -- databases (which sort NULL differently).
    end_sort            TEXT NOT NULL,
    rent_minor          BIGINT NOT NULL,
    currency            TEXT NOT NULL,
    rent_frequency      TEXT NOT NULL,
    rent_due_day        BIGINT,
    deposit_minor       BIGINT,
    late_fee_json       TEXT,
    notes               TEXT,
    renewal_of_lease_id TEXT REFERENCES leases(id),
    created_by          TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX leases_org_idx ON leases (org_id, id);
CREATE INDEX leases_unit_idx ON leases (org_id, unit_id, status);
CREATE INDEX leases_property_idx ON leases (org_id, property_id, id);
CREATE INDEX leases_status_idx ON leases (org_id, status, id);
CREATE INDEX leases_start_idx ON leases (org_id, start_date, id);
CREATE INDEX leases_end_idx ON leases (org_id, end_sort, id);

-- The tenants on a lease; position 0 is the primary tenant.
CREATE TABLE lease_tenants (
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    lease_id    TEXT NOT NULL REFERENCES leases(id),
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    position    BIGINT NOT NULL,
    PRIMARY KEY (lease_id, tenant_id)
);
CREATE INDEX lease_tenants_tenant_idx ON lease_tenants (org_id, tenant_id, lease_id);

-- Documents filed with a lease when it was written (`documentIds`), besides those uploaded to
-- the lease itself.
CREATE TABLE lease_documents (
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    lease_id    TEXT NOT NULL REFERENCES leases(id),
    document_id TEXT NOT NULL,
    PRIMARY KEY (lease_id, document_id)
);

-- Every status change of a lease: from, to, when it takes effect, who, why.
CREATE TABLE lease_status_history (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations(id),
    lease_id        TEXT NOT NULL REFERENCES leases(id),
    from_status     TEXT,
    to_status       TEXT NOT NULL,
    effective_date  TEXT NOT NULL,
    reason          TEXT,
    changed_by      TEXT,
    changed_at      BIGINT NOT NULL
);
CREATE INDEX lease_status_history_idx ON lease_status_history (org_id, lease_id, id);

CREATE TABLE lease_renewals (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES organisations(id),
    lease_id            TEXT NOT NULL REFERENCES leases(id),
    status              TEXT NOT NULL,
    rent_minor          BIGINT NOT NULL,
    currency            TEXT NOT NULL,
    start_date          TEXT NOT NULL,
    end_date            TEXT,
    offer_expires_on    TEXT NOT NULL,
    message             TEXT,
    response_comment    TEXT,
    responded_by        TEXT,
    responded_at        BIGINT,
    successor_lease_id  TEXT REFERENCES leases(id),
    last_reminder_at    BIGINT,
    created_by          TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX lease_renewals_org_idx ON lease_renewals (org_id, id);
CREATE INDEX lease_renewals_lease_idx ON lease_renewals (org_id, lease_id, id);
CREATE INDEX lease_renewals_status_idx ON lease_renewals (org_id, status, id);
