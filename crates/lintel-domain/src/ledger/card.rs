//! Card payments through a processor's hosted checkout (Stripe Checkout): the request that
//! starts one, and how what the processor reports moves the payment. A card payment is created
//! `pending`, with no entry and no receipt; it succeeds (posting its entry) or fails when the
//! processor says so, and is refunded by the processor's refund reports. Its state only moves
//! forward: a failure reported after a success changes nothing, and reports arriving out of
//! order still end in the right place.

use serde::{Deserialize, Serialize};

use super::journal::opt_id;
use super::{Payment, PaymentStatus};
use crate::id::LeaseId;
use crate::money::{Money, MoneyDto};
use crate::validation::{FieldError, Validator};

/// `POST /api/payments/checkout`: pay a lease's balance, or a stated amount, by card.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CardCheckoutInput {
    #[schema(required = true, value_type = LeaseId)]
    pub lease_id: Option<String>,
    /// More than zero, in the lease's currency (default: what the lease owes now).
    #[schema(value_type = Option<MoneyDto>)]
    pub amount: Option<MoneyDto>,
}

/// A checked card checkout request; the store checks the lease, its currency and its balance.
#[derive(Debug, Clone, Copy)]
pub struct NewCardCheckout {
    pub lease: LeaseId,
    /// `None`: what the lease owes now.
    pub amount: Option<Money>,
}

impl CardCheckoutInput {
    pub fn validate(self) -> Result<NewCardCheckout, Vec<FieldError>> {
        let mut v = Validator::new();
        let lease = v
            .required("leaseId", self.lease_id.as_deref())
            .and_then(|l| opt_id::<LeaseId>(&mut v, "leaseId", Some(l)));
        let amount = self
            .amount
            .as_ref()
            .and_then(|a| Money::validate_positive(&mut v, "amount", a));
        v.finish(|| NewCardCheckout {
            lease: lease.expect("checked"),
            amount,
        })
    }
}

/// A card payment waiting at the processor's checkout page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentCheckout {
    /// The payment, `pending` until the processor confirms it.
    pub payment: Payment,
    /// Stripe's Checkout Session ID (`cs_…`).
    pub session_id: String,
    /// Where to send the person who pays.
    pub url: String,
}

/// What the processor reports about a card payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardReport {
    /// The money was collected.
    Paid,
    /// The attempt failed (declined, expired, abandoned), with the processor's reason.
    Failed(String),
    /// The processor has refunded this much of the payment in all (a running total).
    Refunded(i64),
}

/// What a report does to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardStep {
    /// Nothing: the payment is already past what the report says.
    Nothing,
    /// Succeed: post its entry, apply it to the lease's charges, number its receipt.
    Confirm,
    /// Fail (no entry was ever posted).
    Fail,
    /// Refund this much more.
    Refund(i64),
    /// A refund reported before the success it implies: succeed, then refund this much.
    ConfirmThenRefund(i64),
}

/// The step a `report` takes a card payment in `status` (for `amount`, `refunded` so far).
/// Forward only: pending → failed → succeeded → (partially) refunded. A failed attempt may be
/// followed by a success (the payer tries another card on the same checkout page); a failure
/// never undoes a success; a refund total at or below what is already refunded changes
/// nothing.
pub fn card_step(
    status: PaymentStatus,
    amount: i64,
    refunded: i64,
    report: &CardReport,
) -> CardStep {
    use PaymentStatus as S;
    let settled = matches!(status, S::Succeeded | S::PartiallyRefunded | S::Refunded);
    match report {
        CardReport::Paid if settled => CardStep::Nothing,
        CardReport::Paid => CardStep::Confirm,
        CardReport::Failed(_) if status == S::Pending => CardStep::Fail,
        CardReport::Failed(_) => CardStep::Nothing,
        CardReport::Refunded(total) => {
            let total = (*total).min(amount);
            if !settled {
                if total > 0 {
                    CardStep::ConfirmThenRefund(total)
                } else {
                    CardStep::Confirm
                }
            } else if total > refunded {
                CardStep::Refund(total - refunded)
            } else {
                CardStep::Nothing
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentStatus as S;

    #[test]
    fn reports_move_a_payment_forward_only() {
        let paid = CardReport::Paid;
        let failed = CardReport::Failed("card_declined".into());
        assert_eq!(card_step(S::Pending, 100, 0, &paid), CardStep::Confirm);
        assert_eq!(card_step(S::Failed, 100, 0, &paid), CardStep::Confirm);
        assert_eq!(card_step(S::Succeeded, 100, 0, &paid), CardStep::Nothing);
        assert_eq!(card_step(S::Pending, 100, 0, &failed), CardStep::Fail);
        assert_eq!(card_step(S::Succeeded, 100, 0, &failed), CardStep::Nothing);
        assert_eq!(card_step(S::Refunded, 100, 100, &failed), CardStep::Nothing);
        assert_eq!(card_step(S::Failed, 100, 0, &failed), CardStep::Nothing);
    }

    #[test]
    fn refund_totals_become_increments() {
        let r = |t| CardReport::Refunded(t);
        assert_eq!(
            card_step(S::Succeeded, 100, 0, &r(40)),
            CardStep::Refund(40)
        );
        assert_eq!(
            card_step(S::PartiallyRefunded, 100, 40, &r(100)),
            CardStep::Refund(60)
        );
        // A redelivered or older total changes nothing; a total beyond the amount is capped.
        assert_eq!(
            card_step(S::PartiallyRefunded, 100, 40, &r(40)),
            CardStep::Nothing
        );
        assert_eq!(
            card_step(S::PartiallyRefunded, 100, 40, &r(30)),
            CardStep::Nothing
        );
        assert_eq!(
            card_step(S::Succeeded, 100, 0, &r(500)),
            CardStep::Refund(100)
        );
        assert_eq!(card_step(S::Refunded, 100, 100, &r(100)), CardStep::Nothing);
        // Before the success it implies.
        assert_eq!(
            card_step(S::Pending, 100, 0, &r(30)),
            CardStep::ConfirmThenRefund(30)
        );
        assert_eq!(card_step(S::Failed, 100, 0, &r(0)), CardStep::Confirm);
    }

    #[test]
    fn checkout_input_is_checked() {
        let bad = CardCheckoutInput {
            lease_id: Some("tenant_x".into()),
            amount: Some(MoneyDto {
                amount_minor: 0,
                currency: "CAD".into(),
            }),
        };
        let errors = bad.validate().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["leaseId", "amount.amountMinor"]);
        let none = CardCheckoutInput::default().validate().unwrap_err();
        assert_eq!(none[0].field, "leaseId");
    }
}
