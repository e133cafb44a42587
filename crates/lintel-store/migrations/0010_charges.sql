-- Charges: what a lease's tenants owe or are credited, each posted as a journal entry. A
-- charge's amount never changes; it is voided by reversing its entry, while nothing is paid.

CREATE TABLE charges (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations(id),
    lease_id       TEXT NOT NULL REFERENCES leases(id),
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    property_id    TEXT NOT NULL REFERENCES properties(id),
    unit_id        TEXT NOT NULL REFERENCES units(id),
    kind           TEXT NOT NULL,
    amount_minor   BIGINT NOT NULL CHECK (amount_minor > 0),
    currency       TEXT NOT NULL,
    due_date       TEXT NOT NULL,
    description    TEXT,
    status         TEXT NOT NULL,
    paid_minor     BIGINT NOT NULL DEFAULT 0,
    entry_id       TEXT NOT NULL REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
    void_entry_id  TEXT REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
    created_by     TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX charges_org_idx ON charges (org_id, id);
CREATE INDEX charges_lease_idx ON charges (org_id, lease_id, due_date);
CREATE INDEX charges_tenant_idx ON charges (org_id, tenant_id, due_date);
CREATE INDEX charges_status_idx ON charges (org_id, status, due_date);
