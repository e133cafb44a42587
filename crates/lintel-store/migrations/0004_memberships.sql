-- One person, several organisations: a user is an account (email, name, password); what they may
-- do in an organisation is a membership (organisation + role). Sessions keep their current
-- organisation in `sessions.org_id`; API keys stay bound to one organisation and now remember the
-- user who owns them, so a key never outranks its owner and dies with their membership.
-- Also: member invitations, and the client's correlation ID beside the request ID in the audit log.

CREATE TABLE memberships (
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id, org_id);
CREATE INDEX memberships_org_role_idx ON memberships (org_id, role);

INSERT INTO memberships (org_id, user_id, role, created_at, updated_at)
    SELECT org_id, id, role, created_at, updated_at FROM users;

DROP INDEX users_org_idx;
ALTER TABLE users DROP COLUMN org_id;
ALTER TABLE users DROP COLUMN role;
-- The organisation a sign-in lands in when none is asked for: the one last used.
ALTER TABLE users ADD COLUMN last_org_id TEXT;

-- The user a key acts for: the creating user, or (for a key made by a key) that key's owner.
-- NULL for keys made from the command line, which belong to the organisation alone.
ALTER TABLE api_keys ADD COLUMN owner_user_id TEXT;
UPDATE api_keys SET owner_user_id = created_by WHERE created_by LIKE 'usr\_%' ESCAPE '\';
UPDATE api_keys SET owner_user_id = (
    SELECT k.owner_user_id FROM api_keys k WHERE k.id = api_keys.created_by
) WHERE created_by LIKE 'key\_%' ESCAPE '\';
CREATE INDEX api_keys_owner_idx ON api_keys (org_id, owner_user_id);

CREATE TABLE invitations (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations(id),
    email        TEXT NOT NULL,
    role         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    invited_by   TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    accepted_at  BIGINT,
    accepted_by  TEXT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX invitations_token_key ON invitations (token_hash);
CREATE INDEX invitations_org_idx ON invitations (org_id, id);
CREATE INDEX invitations_org_email_idx ON invitations (org_id, email);

ALTER TABLE audit_log ADD COLUMN correlation_id TEXT;
