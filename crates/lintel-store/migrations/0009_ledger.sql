-- The ledger: a chart of accounts per organisation and an append-only double-entry journal.
--
-- Every organisation gets the system accounts when it is created; this migration's Rust step
-- gives them to the organisations that exist already (IDs are made in Rust), and installs the
-- triggers that make the database refuse an unbalanced entry and any change to a posted one
-- (written for each backend: `ledger::setup`).
--
-- An entry's lines are written first and the entry row last: the lines' reference to their
-- entry is checked at commit (DEFERRABLE INITIALLY DEFERRED), and the trigger on the entry's
-- insert checks that its lines exist and balance in every currency.

CREATE TABLE accounts (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations(id),
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL,
    -- The ledger's own account this is (operating_bank, rental_income, ...); NULL for custom.
    system_key   TEXT,
    archived_at  BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX accounts_code_key ON accounts (org_id, code);
CREATE UNIQUE INDEX accounts_system_key ON accounts (org_id, system_key);
CREATE INDEX accounts_org_idx ON accounts (org_id, id);

CREATE TABLE journal_entries (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    entry_date    TEXT NOT NULL,
    memo          TEXT,
    -- What posted it: manual, charge, payment, refund, reversal, ...
    source        TEXT NOT NULL,
    source_id     TEXT,
    reversal_of   TEXT REFERENCES journal_entries(id),
    created_by    TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX journal_entries_org_idx ON journal_entries (org_id, id);
CREATE INDEX journal_entries_date_idx ON journal_entries (org_id, entry_date, id);
CREATE UNIQUE INDEX journal_entries_reversal_key ON journal_entries (reversal_of);

CREATE TABLE journal_lines (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    entry_id      TEXT NOT NULL REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
    position      BIGINT NOT NULL,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    side          TEXT NOT NULL CHECK (side IN ('debit', 'credit')),
    amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
    currency      TEXT NOT NULL,
    property_id   TEXT,
    unit_id       TEXT,
    lease_id      TEXT,
    tenant_id     TEXT,
    entry_date    TEXT NOT NULL
);
CREATE INDEX journal_lines_entry_idx ON journal_lines (entry_id, position);
CREATE INDEX journal_lines_account_idx ON journal_lines (org_id, account_id, entry_date);
CREATE INDEX journal_lines_lease_idx ON journal_lines (org_id, lease_id, entry_date);
CREATE INDEX journal_lines_tenant_idx ON journal_lines (org_id, tenant_id, entry_date);
CREATE INDEX journal_lines_property_idx ON journal_lines (org_id, property_id, entry_date);
