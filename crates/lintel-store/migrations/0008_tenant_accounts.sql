-- Tenant accounts and in-app notifications.
--
-- An invitation may be bound to a tenant profile: accepting it gives the person a `tenant`
-- membership and links the profile to their account (`tenants.user_id`).
-- Notifications are per user and organisation, written in the same transaction as the change
-- that causes them (a renewal offer, a lease's status, an invitation accepted).

ALTER TABLE invitations ADD COLUMN tenant_id TEXT REFERENCES tenants(id);

CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations(id),
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    entity_type  TEXT,
    entity_id    TEXT,
    read_at      BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX notifications_user_idx ON notifications (org_id, user_id, id);
CREATE INDEX notifications_unread_idx ON notifications (org_id, user_id, read_at, id);
