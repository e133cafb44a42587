-- Documents: files attached to a record of the organisation (a property, building or unit, and
-- later tenants and leases). The bytes live in the configured object storage under a key made
-- from the organisation and document IDs; this row holds what is known about them. A row exists
-- only once its bytes are stored, and is removed only after they are.

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    entity_type   TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    category      TEXT NOT NULL,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    created_by    TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX documents_org_idx ON documents (org_id, id);
CREATE INDEX documents_entity_idx ON documents (org_id, entity_type, entity_id, id);
CREATE INDEX documents_category_idx ON documents (org_id, category, id);

-- Bytes stored per organisation, kept in step with `documents` in the same transaction, for the
-- plan's storage quota (checked without summing every document).
CREATE TABLE document_usage (
    org_id  TEXT PRIMARY KEY REFERENCES organisations(id),
    bytes   BIGINT NOT NULL
);
