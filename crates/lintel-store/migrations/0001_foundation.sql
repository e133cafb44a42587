-- Foundation: organisations, identity, audit and the portfolio.
-- Written once in the SQL both SQLite and PostgreSQL accept: TEXT, BIGINT, DOUBLE PRECISION.
-- IDs are prefixed ULID strings; instants are Unix milliseconds; money is integer minor units.

CREATE TABLE organisations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL,
    demo_slug   TEXT UNIQUE,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations(id),
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_org_idx ON users (org_id, id);

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash    TEXT NOT NULL,
    csrf_hash     TEXT NOT NULL,
    user_agent    TEXT,
    ip            TEXT,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX sessions_token_key ON sessions (token_hash);
CREATE INDEX sessions_user_idx ON sessions (user_id, id);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   TEXT NOT NULL,
    created_by    TEXT,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE UNIQUE INDEX api_keys_secret_key ON api_keys (secret_hash);
CREATE INDEX api_keys_org_idx ON api_keys (org_id, id);

CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations(id),
    actor_type   TEXT NOT NULL,
    actor_id     TEXT,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    request_id   TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX audit_log_org_idx ON audit_log (org_id, id);
CREATE INDEX audit_log_entity_idx ON audit_log (org_id, entity_type, entity_id, id);

CREATE TABLE buildings (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations(id),
    name             TEXT NOT NULL,
    address_line1    TEXT,
    address_line2    TEXT,
    city             TEXT,
    region           TEXT,
    postal_code      TEXT,
    country          TEXT,
    number_of_units  BIGINT,
    description      TEXT,
    amenities_json   TEXT NOT NULL,
    search_name      TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX buildings_org_name_key ON buildings (org_id, name);

CREATE TABLE properties (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations(id),
    building_id    TEXT REFERENCES buildings(id),
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    status         TEXT NOT NULL,
    address_line1  TEXT NOT NULL,
    address_line2  TEXT,
    city           TEXT NOT NULL,
    region         TEXT,
    postal_code    TEXT,
    country        TEXT NOT NULL,
    description    TEXT,
    search_text    TEXT NOT NULL,
    archived_at    BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX properties_org_idx ON properties (org_id, id);
CREATE INDEX properties_org_name_idx ON properties (org_id, name);
CREATE INDEX properties_building_idx ON properties (building_id);

CREATE TABLE units (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations(id),
    property_id     TEXT NOT NULL REFERENCES properties(id),
    name            TEXT NOT NULL,
    suite           TEXT,
    unit_type       TEXT NOT NULL,
    bedrooms        DOUBLE PRECISION NOT NULL,
    bathrooms       DOUBLE PRECISION NOT NULL,
    area_sqft       BIGINT,
    rent_minor      BIGINT,
    rent_currency   TEXT,
    furnishing      TEXT NOT NULL,
    storage         TEXT NOT NULL,
    parking_stalls  BIGINT,
    max_occupancy   BIGINT NOT NULL,
    max_occupancy_set BIGINT NOT NULL,
    status          TEXT NOT NULL,
    description     TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX units_property_name_key ON units (property_id, name, (COALESCE(suite, '')));
CREATE INDEX units_org_idx ON units (org_id, id);
CREATE INDEX units_property_idx ON units (property_id, status);
