-- Stripe webhook events already processed, by Stripe's event ID: a redelivery finds its row and
-- changes nothing. Written in the same transaction as the event's effect. Events arrive before
-- anyone knows which organisation they concern, so the table is not organisation-scoped; the
-- organisation an event touched is kept for the record.

CREATE TABLE stripe_events (
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    org_id       TEXT,
    received_at  BIGINT NOT NULL
);
