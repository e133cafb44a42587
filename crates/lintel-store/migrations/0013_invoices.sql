-- Invoices: a lease's open charges grouped under a per-organisation number. An invoice moves no
-- money; `paid_minor` follows its charges (kept in step in the transaction that changes them)
-- and `status` with it once issued.

CREATE TABLE invoices (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    number        TEXT NOT NULL,
    lease_id      TEXT NOT NULL REFERENCES leases(id),
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    property_id   TEXT NOT NULL REFERENCES properties(id),
    unit_id       TEXT NOT NULL REFERENCES units(id),
    -- draft | issued | partially_paid | paid | void (overdue is issued past its due date)
    status        TEXT NOT NULL,
    issue_date    TEXT NOT NULL,
    due_date      TEXT NOT NULL,
    currency      TEXT NOT NULL,
    total_minor   BIGINT NOT NULL CHECK (total_minor > 0),
    paid_minor    BIGINT NOT NULL DEFAULT 0 CHECK (paid_minor >= 0),
    notes         TEXT,
    issued_at     BIGINT,
    voided_at     BIGINT,
    created_by    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX invoices_number_key ON invoices (org_id, number);
CREATE INDEX invoices_org_idx ON invoices (org_id, id);
CREATE INDEX invoices_status_idx ON invoices (org_id, status, due_date);
CREATE INDEX invoices_lease_idx ON invoices (org_id, lease_id);

-- The charges of each invoice. `active` is 1 while the invoice is not void and NULL after, so
-- the unique index keeps a charge on at most one invoice that is not void.
CREATE TABLE invoice_charges (
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    invoice_id  TEXT NOT NULL REFERENCES invoices(id) DEFERRABLE INITIALLY DEFERRED,
    charge_id   TEXT NOT NULL REFERENCES charges(id),
    position    BIGINT NOT NULL,
    active      BIGINT,
    PRIMARY KEY (invoice_id, charge_id)
);
CREATE UNIQUE INDEX invoice_charges_active_key ON invoice_charges (org_id, charge_id, active);
CREATE INDEX invoice_charges_charge_idx ON invoice_charges (org_id, charge_id);
