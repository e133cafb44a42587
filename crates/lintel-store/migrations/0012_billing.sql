-- Billing: the charges a billing run or a lease's activation posts carry a key naming what
-- they bill (`rent:2026-01-01` for the period starting that day, `deposit`, `late_fee:<charge>`),
-- unique per lease, so that however many runs there are, at once or one after another, each
-- is posted once. Charges posted by hand have none.

ALTER TABLE charges ADD COLUMN billing_key TEXT;
-- The last day a rent charge covers (inclusive).
ALTER TABLE charges ADD COLUMN period_end TEXT;
CREATE UNIQUE INDEX charges_billing_key ON charges (org_id, lease_id, billing_key);
