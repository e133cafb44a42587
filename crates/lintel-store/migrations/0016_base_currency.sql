-- An organisation's base currency (ISO 4217): the currency of a lease on a unit without an asking
-- rent, and the one its reports lead with. Existing organisations take the currency most of
-- their priced units are in (the alphabetically first on a tie), else USD.

ALTER TABLE organisations ADD COLUMN base_currency TEXT NOT NULL DEFAULT 'USD';

UPDATE organisations SET base_currency = (
    SELECT u.rent_currency FROM units u
    WHERE u.org_id = organisations.id AND u.rent_currency IS NOT NULL
    GROUP BY u.rent_currency
    ORDER BY COUNT(*) DESC, u.rent_currency ASC
    LIMIT 1
)
WHERE EXISTS (
    SELECT 1 FROM units u WHERE u.org_id = organisations.id AND u.rent_currency IS NOT NULL
);
