-- Unit counts kept in step with `units` inside every writing transaction, so list totals and a
-- property's unit figures cost the same for ten units or a million.

CREATE TABLE unit_counts (
    org_id       TEXT NOT NULL REFERENCES organisations(id),
    property_id  TEXT NOT NULL REFERENCES properties(id),
    status       TEXT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (property_id, status)
);

CREATE TABLE org_unit_counts (
    org_id  TEXT NOT NULL REFERENCES organisations(id),
    status  TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (org_id, status)
);

INSERT INTO unit_counts (org_id, property_id, status, n)
    SELECT org_id, property_id, status, COUNT(*) FROM units GROUP BY org_id, property_id, status;
INSERT INTO org_unit_counts (org_id, status, n)
    SELECT org_id, status, COUNT(*) FROM units GROUP BY org_id, status;

-- Lists are ordered by ID within each filter.
DROP INDEX units_property_idx;
CREATE INDEX units_property_idx ON units (property_id, id);
CREATE INDEX units_property_status_idx ON units (property_id, status, id);
CREATE INDEX units_org_status_idx ON units (org_id, status, id);
