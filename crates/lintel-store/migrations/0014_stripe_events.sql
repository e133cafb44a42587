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

-- The `created` time of the latest subscription event applied to each organisation: an older
-- event arriving later (Stripe does not promise order) is recorded but changes nothing.
CREATE TABLE stripe_subscription_state (
    org_id        TEXT PRIMARY KEY REFERENCES organisations(id),
    event_created BIGINT NOT NULL
);
