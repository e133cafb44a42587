-- Payments, what they pay, their refunds, and the Idempotency-Key records of retried requests.
--
-- A payment's figures are kept as running totals next to the rows they sum (allocations,
-- refunds), so reads need no aggregation; the integrity check recomputes each one.

CREATE TABLE payments (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organisations(id),
    lease_id          TEXT NOT NULL REFERENCES leases(id),
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    property_id       TEXT NOT NULL REFERENCES properties(id),
    unit_id           TEXT NOT NULL REFERENCES units(id),
    amount_minor      BIGINT NOT NULL CHECK (amount_minor > 0),
    currency          TEXT NOT NULL,
    method            TEXT NOT NULL,
    status            TEXT NOT NULL,
    received_on       TEXT NOT NULL,
    reference         TEXT,
    cheque_number     TEXT,
    -- Net amount applied to charges (sum of its allocations).
    applied_minor     BIGINT NOT NULL DEFAULT 0,
    refunded_minor    BIGINT NOT NULL DEFAULT 0,
    -- What a return took back (the part not refunded before it).
    returned_minor    BIGINT NOT NULL DEFAULT 0,
    entry_id          TEXT REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
    returned_on       TEXT,
    return_reason     TEXT,
    return_entry_id   TEXT REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
    return_fee_charge_id TEXT,
    failure_reason    TEXT,
    receipt_number    TEXT,
    created_by        TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    CHECK (applied_minor >= 0 AND refunded_minor >= 0 AND returned_minor >= 0),
    CHECK (applied_minor + refunded_minor + returned_minor <= amount_minor)
);
CREATE INDEX payments_org_idx ON payments (org_id, id);
CREATE INDEX payments_received_idx ON payments (org_id, received_on, id);
CREATE INDEX payments_lease_idx ON payments (org_id, lease_id, received_on);
CREATE INDEX payments_tenant_idx ON payments (org_id, tenant_id, received_on);
CREATE UNIQUE INDEX payments_receipt_key ON payments (org_id, receipt_number);

-- Every movement of money between a payment and a charge, signed: positive when the payment
-- pays towards the charge, negative when a refund or a return takes it back. Append-only.
CREATE TABLE payment_allocations (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    payment_id    TEXT NOT NULL REFERENCES payments(id) DEFERRABLE INITIALLY DEFERRED,
    charge_id     TEXT NOT NULL REFERENCES charges(id) DEFERRABLE INITIALLY DEFERRED,
    amount_minor  BIGINT NOT NULL CHECK (amount_minor <> 0),
    entry_id      TEXT NOT NULL REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
    created_at    BIGINT NOT NULL
);
CREATE INDEX payment_allocations_payment_idx ON payment_allocations (org_id, payment_id, id);
CREATE INDEX payment_allocations_charge_idx ON payment_allocations (org_id, charge_id);

CREATE TABLE payment_refunds (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    payment_id    TEXT NOT NULL REFERENCES payments(id),
    amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
    currency      TEXT NOT NULL,
    reason        TEXT,
    entry_id      TEXT NOT NULL REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
    created_by    TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX payment_refunds_payment_idx ON payment_refunds (org_id, payment_id, created_at);

-- Numbered documents (receipts, invoices): one counter per organisation and series, taken in
-- the transaction that numbers the document, so a series has no gaps.
CREATE TABLE org_counters (
    org_id   TEXT NOT NULL REFERENCES organisations(id),
    name     TEXT NOT NULL,
    last     BIGINT NOT NULL,
    PRIMARY KEY (org_id, name)
);

-- Idempotency-Key: one row per organisation, credential and key. `in_flight` while the first
-- request runs; `committed` set by the transaction that made its change (so a change and its
-- key commit together); `done` once its response is kept for replays.
CREATE TABLE idempotency_keys (
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    credential    TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    state         TEXT NOT NULL,
    token         TEXT NOT NULL,
    status_code   BIGINT,
    response      TEXT,
    locked_at     BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (org_id, credential, idem_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
