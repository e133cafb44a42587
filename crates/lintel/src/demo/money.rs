//! The demo's money: the first lease's year of rent (posted when it was activated) paid month
//! by month by bank transfer, cash, cheque and card, one payment a little over the rent with the
//! excess refunded, a cheque that bounced (returned with a fee), and the latest month still
//! owed, with a card payment for it pending (started as `POST /api/payments/checkout` starts
//! one, waiting for Stripe's confirmation). Written through the same store as HTTP requests,
//! from the API's own inputs.

use lintel_domain::ledger::{
    CardCheckoutInput, ChargeKind, ChargeStatus, PaymentInput, PaymentMethod, RefundInput,
    ReturnInput,
};
use lintel_domain::money::MoneyDto;
use lintel_domain::{Actor, LeaseId, OrgId, PageRequest};
use lintel_store::ledger::charges::ChargeFilter;
use lintel_store::Store;

use crate::admin::ensure_valid;

/// What was recorded.
#[derive(Debug, Default)]
pub struct Seeded {
    pub payments: usize,
    pub refunds: usize,
    pub returns: usize,
    /// Card payments waiting for Stripe.
    pub pending: usize,
}

const METHODS: [PaymentMethod; 4] = [
    PaymentMethod::BankTransfer,
    PaymentMethod::Cash,
    PaymentMethod::Cheque,
    PaymentMethod::Card,
];

pub async fn seed(store: &Store, org: OrgId, lease: LeaseId) -> anyhow::Result<Seeded> {
    let actor = Actor::system();
    let scope = store.org(org);
    let filter = ChargeFilter {
        lease_id: Some(lease.to_string()),
        status: Some(ChargeStatus::Open),
        ..ChargeFilter::default()
    };
    let page = PageRequest {
        page: 1,
        page_size: 100,
    };
    let mut open = scope.charges().list(&filter, page).await?.items;
    open.sort_by_key(|c| c.due_date);
    let mut seeded = Seeded::default();
    // Every charge but the latest rent is paid, the methods in turn.
    let last_rent = open.iter().rposition(|c| c.kind == ChargeKind::Rent);
    for (i, charge) in open.iter().enumerate() {
        if Some(i) == last_rent {
            continue;
        }
        let method = METHODS[i % METHODS.len()];
        // The fourth payment is 50.00 over; the excess is refunded below.
        let over = if i == 3 { 5_000 } else { 0 };
        let input = PaymentInput {
            lease_id: Some(lease.to_string()),
            amount: Some(MoneyDto {
                amount_minor: charge.amount.amount_minor + over,
                currency: charge.amount.currency.clone(),
            }),
            method: Some(method.as_str().into()),
            received_on: Some(charge.due_date.add_days(2).to_string()),
            reference: Some(format!("Demo payment for {}", charge.due_date)),
            cheque_number: (method == PaymentMethod::Cheque).then(|| format!("{:06}", 100 + i)),
            tenant_id: None,
            allocations: None,
        };
        let new = ensure_valid("a demo payment", input.validate())?;
        let payment = scope.payments().create(&actor, &new).await?;
        seeded.payments += 1;
        if over > 0 {
            let refund = RefundInput {
                amount: Some(MoneyDto {
                    amount_minor: over,
                    currency: charge.amount.currency.clone(),
                }),
                reason: Some("Paid 50.00 too much".into()),
            };
            let refund = ensure_valid("a demo refund", refund.validate())?;
            scope.payments().refund(&actor, payment.id, &refund).await?;
            seeded.refunds += 1;
        }
        // The first cheque bounced: returned, with a fee charged on the lease.
        if method == PaymentMethod::Cheque && seeded.returns == 0 {
            let back = ReturnInput {
                reason: Some("Cheque returned: insufficient funds".into()),
                fee_amount: Some(MoneyDto {
                    amount_minor: 2_500,
                    currency: charge.amount.currency.clone(),
                }),
            };
            let back = ensure_valid("a demo return", back.validate())?;
            scope
                .payments()
                .return_unpaid(&actor, payment.id, &back)
                .await?;
            seeded.returns += 1;
        }
    }
    // The tenant has started paying what is still owed by card: the payment stays pending until
    // Stripe reports it (`payment_intent.succeeded` with its ID in `metadata.paymentId`).
    let card = CardCheckoutInput {
        lease_id: Some(lease.to_string()),
        amount: None,
    };
    let card = ensure_valid("a demo card payment", card.validate())?;
    scope.payments().start_card(&actor, &card, None).await?;
    seeded.pending += 1;
    Ok(seeded)
}
