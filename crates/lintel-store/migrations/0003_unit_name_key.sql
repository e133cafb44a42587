-- Unit names are unique within a property regardless of case and Unicode composition: `Harbour`
-- and `HARBOUR`, or `é` precomposed and `e` + U+0301, are the same name. The comparison keys
-- (canonical caseless forms of the name and the suite) are computed in Rust on every write
-- (lintel_domain::text::name_key) and stored next to the text; the unique index is on the keys.
--
-- Existing rows get LOWER() of their text here, which is exact for ASCII on both databases.
-- Rows with other characters are then given their real keys by Rust code in the same
-- transaction (lintel_store::unit_keys::rekey, run right after this file). Where two existing
-- units of a property now clash, the older one keeps the plain key and each later one gets
-- ` #<its id>` appended to its key, so nothing is renamed or lost; renaming such a unit gives
-- it its plain key again, if that is free.

ALTER TABLE units ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN suite_key TEXT;

UPDATE units SET name_key = LOWER(name), suite_key = LOWER(suite);

UPDATE units SET name_key = name_key || ' #' || id
WHERE EXISTS (
    SELECT 1 FROM units AS earlier
    WHERE earlier.property_id = units.property_id
      AND earlier.name_key = units.name_key
      AND COALESCE(earlier.suite_key, '') = COALESCE(units.suite_key, '')
      AND earlier.id < units.id
);

DROP INDEX units_property_name_key;
CREATE UNIQUE INDEX units_property_name_key
    ON units (property_id, name_key, (COALESCE(suite_key, '')));
