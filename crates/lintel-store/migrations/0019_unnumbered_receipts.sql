-- Payments that took money but have no receipt number yet. A payment recorded through the API
-- is numbered just after its transaction commits, by a short transaction that numbers every
-- such payment of the organisation at once (`payments::writes::number_pending`), so that the
-- receipt counter is not held locked through each payment's commit. This index finds them;
-- it stays small because a payment leaves it as soon as it is numbered.
CREATE INDEX payments_unnumbered_idx ON payments (org_id, created_at, id)
    WHERE receipt_number IS NULL AND entry_id IS NOT NULL;
