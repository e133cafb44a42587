-- The transactional outbox: every write stores the events it emits in the same transaction as
-- the change, so nothing is lost if the process dies after the commit. The audit log is written
-- from the same events in that transaction; consumers that work after the commit (in-app
-- notifications, webhooks, email) read the rows not yet published, in ID (creation) order.

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations(id),
    kind            TEXT NOT NULL,
    entity_type     TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    actor_type      TEXT NOT NULL,
    actor_id        TEXT,
    request_id      TEXT,
    correlation_id  TEXT,
    before_json     TEXT,
    after_json      TEXT,
    created_at      BIGINT NOT NULL,
    published_at    BIGINT
);
CREATE INDEX outbox_unpublished_idx ON outbox (published_at, id);
CREATE INDEX outbox_org_idx ON outbox (org_id, id);
