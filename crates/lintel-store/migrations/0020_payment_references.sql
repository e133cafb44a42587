-- `GET /api/payments?reference=`: a payment found by the payer's or the bank's reference (a
-- transfer's reference, a cheque's memo), as when reconciling a statement or looking up the
-- result of a request whose answer was lost. Only payments that carry one are indexed.
CREATE INDEX payments_reference_idx ON payments (org_id, reference)
    WHERE reference IS NOT NULL;
