-- Card payments made through Stripe Checkout: the session that collects the money and the
-- PaymentIntent behind it. A payment created through Checkout is `pending` (no entry, no
-- receipt) until Stripe's webhook confirms it; its events find it by `metadata.paymentId`, a
-- refund event by the PaymentIntent as well.

ALTER TABLE payments ADD COLUMN stripe_session_id TEXT;
ALTER TABLE payments ADD COLUMN stripe_payment_intent TEXT;
CREATE INDEX payments_stripe_intent_idx ON payments (stripe_payment_intent);
