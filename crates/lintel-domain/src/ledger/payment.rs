//! Payments: money received from a lease's tenants by cash, cheque, bank transfer or card, posted
//! against receivables; applied to charges (oldest first unless the payer says which), any
//! excess held as the tenant's credit; refunded in part or whole, or returned when a cheque
//! bounces or a transfer fails.

use serde::{Deserialize, Serialize};

use super::journal::opt_id;
use super::SystemAccount;
use crate::id::{
    ChargeId, JournalEntryId, LeaseId, OrgId, PaymentId, PropertyId, RefundId, TenantId, UnitId,
};
use crate::money::{Money, MoneyDto};
use crate::time::{Date, Timestamp};
use crate::validation::{FieldError, Validator};

crate::string_enum! {
    /// How a payment was made.
    PaymentMethod {
        Cash => "cash",
        Cheque => "cheque",
        BankTransfer => "bank_transfer",
        Card => "card",
    }
}

impl PaymentMethod {
    /// Where the money lands: cash and cheques wait in undeposited funds until banked;
    /// transfers and cards arrive in the bank.
    pub fn cash_account(self) -> SystemAccount {
        match self {
            PaymentMethod::Cash | PaymentMethod::Cheque => SystemAccount::UndepositedFunds,
            PaymentMethod::BankTransfer | PaymentMethod::Card => SystemAccount::OperatingBank,
        }
    }

    /// Whether the payment can come back unpaid (a bounced cheque, a failed transfer).
    pub fn returnable(self) -> bool {
        matches!(self, PaymentMethod::Cheque | PaymentMethod::BankTransfer)
    }
}

crate::string_enum! {
    /// Where a payment stands. A recorded payment has `succeeded`; a card payment is `pending`
    /// until the card processor confirms it; `failed` is a card payment that did not go through
    /// or a payment returned unpaid.
    PaymentStatus {
        Pending => "pending",
        Succeeded => "succeeded",
        Failed => "failed",
        Refunded => "refunded",
        PartiallyRefunded => "partially_refunded",
    }
}

/// What a payment pays towards one charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    pub charge_id: ChargeId,
    /// In the payment's currency, more than zero.
    pub amount_minor: i64,
}

/// A refund of part or all of a payment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub id: RefundId,
    pub amount: MoneyDto,
    pub reason: Option<String>,
    /// The entry that paid it back.
    pub entry_id: JournalEntryId,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
}

/// A payment that came back unpaid.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentReturn {
    pub returned_on: Date,
    pub reason: String,
    /// The entry that took it back off the lease's account.
    pub entry_id: JournalEntryId,
    /// The returned-payment fee charged for it, if any.
    pub fee_charge_id: Option<ChargeId>,
}

/// A payment as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub id: PaymentId,
    pub organisation_id: OrgId,
    pub lease_id: LeaseId,
    /// Who paid: the tenant named, or the lease's primary tenant.
    pub tenant_id: TenantId,
    pub property_id: PropertyId,
    pub unit_id: UnitId,
    pub amount: MoneyDto,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub received_on: Date,
    pub reference: Option<String>,
    pub cheque_number: Option<String>,
    /// Applied to charges, in minor units.
    pub applied_minor: i64,
    /// Held as the tenant's credit, waiting for the next charges.
    pub credit_minor: i64,
    pub refunded_minor: i64,
    /// The charges it pays, and how much of each.
    pub allocations: Vec<Allocation>,
    pub refunds: Vec<Refund>,
    /// Set once the payment came back unpaid.
    #[serde(rename = "return")]
    pub returned: Option<PaymentReturn>,
    /// The entry that recorded the money received (none while pending or once failed unpaid).
    pub entry_id: Option<JournalEntryId>,
    /// Why a card payment failed.
    pub failure_reason: Option<String>,
    /// The receipt's number, once the payment succeeded.
    pub receipt_number: Option<String>,
    /// The Stripe Checkout Session of a card payment made through `POST /api/payments/checkout`.
    pub stripe_checkout_session_id: Option<String>,
    /// The Stripe PaymentIntent that collected it, once Stripe reported it.
    pub stripe_payment_intent_id: Option<String>,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub const REFERENCE_MAX: usize = 200;
pub const CHEQUE_NUMBER_MAX: usize = 50;
pub const REASON_MAX: usize = 500;
pub const ALLOCATIONS_MAX: usize = 100;

/// One allocation asked for in `POST /api/payments`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AllocationInput {
    #[schema(required = true, value_type = ChargeId)]
    pub charge_id: Option<String>,
    /// More than zero, in the payment's currency; at most what the charge still owes.
    #[schema(required = true, value_type = MoneyDto)]
    pub amount: Option<MoneyDto>,
}

/// `POST /api/payments`: money received for a lease, named directly or through its tenant.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentInput {
    /// The lease paid for; give this or `tenantId`.
    #[schema(value_type = Option<LeaseId>)]
    pub lease_id: Option<String>,
    /// The tenant who paid; without `leaseId`, their one lease in force is paid for.
    #[schema(value_type = Option<TenantId>)]
    pub tenant_id: Option<String>,
    /// More than zero, in the lease's currency.
    #[schema(required = true, value_type = MoneyDto)]
    pub amount: Option<MoneyDto>,
    #[schema(required = true, value_type = PaymentMethod)]
    pub method: Option<String>,
    /// The day the money was received (default: today in the organisation's time zone).
    #[schema(value_type = Option<String>, format = Date, example = "2026-12-01")]
    pub received_on: Option<String>,
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "Bank ref 88412"
    )]
    pub reference: Option<String>,
    /// Required for a cheque, refused for any other method.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "000123"
    )]
    pub cheque_number: Option<String>,
    /// The charges to pay and how much of each; without it, the oldest open charges are paid
    /// first. Whatever is left becomes the tenant's credit.
    #[schema(value_type = Option<Vec<AllocationInput>>, max_items = 100)]
    pub allocations: Option<Vec<AllocationInput>>,
}

/// Who a payment is for, as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payer {
    Lease(LeaseId),
    Tenant(TenantId),
    /// Both: the tenant must be on the lease.
    Both(LeaseId, TenantId),
}

/// A checked payment; the store checks the lease, the currency and the charges.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub payer: Payer,
    pub amount: Money,
    pub method: PaymentMethod,
    pub received_on: Option<Date>,
    pub reference: Option<String>,
    pub cheque_number: Option<String>,
    /// `None`: oldest open charges first.
    pub allocations: Option<Vec<(ChargeId, i64)>>,
}

/// The lease or tenant named by `leaseId` and `tenantId`: at least one, each well formed.
pub(crate) fn payer(v: &mut Validator, lease: Option<&str>, tenant: Option<&str>) -> Option<Payer> {
    let lease_id: Option<LeaseId> = opt_id(v, "leaseId", lease);
    let tenant_id: Option<TenantId> = opt_id(v, "tenantId", tenant);
    if lease.is_none() && tenant.is_none() {
        v.error("leaseId", "give leaseId or tenantId");
    }
    match (lease_id, tenant_id) {
        (Some(l), Some(t)) => Some(Payer::Both(l, t)),
        (Some(l), None) => Some(Payer::Lease(l)),
        (None, Some(t)) => Some(Payer::Tenant(t)),
        (None, None) => None,
    }
}

impl PaymentInput {
    pub fn validate(self) -> Result<NewPayment, Vec<FieldError>> {
        let mut v = Validator::new();
        let payer = payer(&mut v, self.lease_id.as_deref(), self.tenant_id.as_deref());
        let amount = v
            .required("amount", self.amount.as_ref())
            .and_then(|a| Money::validate_positive(&mut v, "amount", a));
        let method = v
            .required("method", self.method.as_deref())
            .and_then(|m| v.parse_enum::<PaymentMethod>("method", m.trim()));
        let received_on = self
            .received_on
            .as_deref()
            .and_then(|d| v.date("receivedOn", Some(d)));
        let reference = v.opt_text("reference", self.reference.as_deref(), REFERENCE_MAX);
        let cheque_number = v.opt_text(
            "chequeNumber",
            self.cheque_number.as_deref(),
            CHEQUE_NUMBER_MAX,
        );
        match (method, cheque_number.as_deref()) {
            (Some(PaymentMethod::Cheque), None | Some("")) => {
                v.error("chequeNumber", "is required for a cheque payment")
            }
            (Some(m), Some(_)) if m != PaymentMethod::Cheque => {
                v.error("chequeNumber", "is only for cheque payments")
            }
            _ => {}
        }
        let allocations = self.allocations.map(|list| {
            if list.len() > ALLOCATIONS_MAX {
                v.error(
                    "allocations",
                    format!("must have at most {ALLOCATIONS_MAX} entries"),
                );
            }
            let mut out: Vec<(ChargeId, i64)> = Vec::with_capacity(list.len());
            for (i, a) in list.into_iter().enumerate() {
                let f = |name: &str| format!("allocations[{i}].{name}");
                let charge = v
                    .required(&f("chargeId"), a.charge_id.as_deref())
                    .and_then(|c| opt_id::<ChargeId>(&mut v, &f("chargeId"), Some(c)));
                let money = v
                    .required(&f("amount"), a.amount.as_ref())
                    .and_then(|m| Money::validate_positive(&mut v, &f("amount"), m));
                if let (Some(m), Some(p)) = (money, amount) {
                    if m.currency != p.currency {
                        v.error(&f("amount.currency"), "must be the payment's currency");
                    }
                }
                if let Some(c) = charge {
                    if out.iter().any(|(o, _)| *o == c) {
                        v.error(&f("chargeId"), "is already allocated above");
                    }
                    if let Some(m) = money {
                        out.push((c, m.amount_minor));
                    }
                }
            }
            let total: i128 = out.iter().map(|(_, a)| i128::from(*a)).sum();
            if let Some(p) = amount {
                if total > i128::from(p.amount_minor) {
                    v.error("allocations", "add up to more than the payment's amount");
                }
            }
            out
        });
        v.finish(|| NewPayment {
            payer: payer.expect("checked"),
            amount: amount.expect("checked"),
            method: method.expect("checked"),
            received_on,
            reference,
            cheque_number,
            allocations,
        })
    }
}

/// `POST /api/payments/{id}/refund`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundInput {
    /// More than zero, in the payment's currency, at most what is not yet refunded.
    #[schema(required = true, value_type = MoneyDto)]
    pub amount: Option<MoneyDto>,
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "Overpaid in November"
    )]
    pub reason: Option<String>,
}

/// A checked refund.
#[derive(Debug, Clone)]
pub struct NewRefund {
    pub amount: Money,
    pub reason: Option<String>,
}

impl RefundInput {
    pub fn validate(self) -> Result<NewRefund, Vec<FieldError>> {
        let mut v = Validator::new();
        let amount = v
            .required("amount", self.amount.as_ref())
            .and_then(|a| Money::validate_positive(&mut v, "amount", a));
        let reason = v.opt_text("reason", self.reason.as_deref(), REASON_MAX);
        v.finish(|| NewRefund {
            amount: amount.expect("checked"),
            reason,
        })
    }
}

/// `POST /api/payments/{id}/return`: a cheque that bounced or a transfer that failed.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReturnInput {
    #[schema(
        required = true,
        value_type = String,
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "Cheque returned: insufficient funds"
    )]
    pub reason: Option<String>,
    /// A returned-payment fee to charge on the lease (more than zero, in its currency).
    #[schema(value_type = Option<MoneyDto>)]
    pub fee_amount: Option<MoneyDto>,
}

/// A checked return.
#[derive(Debug, Clone)]
pub struct NewReturn {
    pub reason: String,
    pub fee: Option<Money>,
}

impl ReturnInput {
    pub fn validate(self) -> Result<NewReturn, Vec<FieldError>> {
        let mut v = Validator::new();
        let reason = v
            .required("reason", self.reason.as_deref())
            .and_then(|r| v.text("reason", r, 1, REASON_MAX));
        let fee = self
            .fee_amount
            .as_ref()
            .and_then(|f| Money::validate_positive(&mut v, "feeAmount", f));
        v.finish(|| NewReturn {
            reason: reason.expect("checked"),
            fee,
        })
    }
}

/// Applies `amount` to charges in the order given (oldest first), each up to what it still
/// owes: the amounts applied and what is left over.
pub fn apply_in_order(owed: &[(ChargeId, i64)], amount: i64) -> (Vec<(ChargeId, i64)>, i64) {
    let mut left = amount;
    let mut applied = Vec::new();
    for (charge, due) in owed {
        if left == 0 {
            break;
        }
        let take = left.min(*due);
        if take > 0 {
            applied.push((*charge, take));
            left -= take;
        }
    }
    (applied, left)
}

/// What a refund of `amount` takes back: first the payment's unapplied credit, then what it
/// paid towards charges, the most recently paid first (re-opening them).
pub fn refund_plan(
    credit: i64,
    allocations_newest_first: &[(ChargeId, i64)],
    amount: i64,
) -> (i64, Vec<(ChargeId, i64)>) {
    let from_credit = credit.min(amount).max(0);
    let (from_charges, _) = apply_in_order(allocations_newest_first, amount - from_credit);
    (from_credit, from_charges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_first_then_credit() {
        let (a, b) = (ChargeId::new(), ChargeId::new());
        let (applied, left) = apply_in_order(&[(a, 100), (b, 50)], 120);
        assert_eq!(applied, vec![(a, 100), (b, 20)]);
        assert_eq!(left, 0);
        let (applied, left) = apply_in_order(&[(a, 100)], 130);
        assert_eq!(applied, vec![(a, 100)]);
        assert_eq!(left, 30);
    }

    #[test]
    fn refunds_take_credit_first() {
        let (a, b) = (ChargeId::new(), ChargeId::new());
        assert_eq!(refund_plan(30, &[(b, 20), (a, 100)], 20), (20, vec![]));
        assert_eq!(
            refund_plan(30, &[(b, 20), (a, 100)], 60),
            (30, vec![(b, 20), (a, 10)])
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let errs = PaymentInput {
            amount: Some(MoneyDto {
                amount_minor: 0,
                currency: "CAD".into(),
            }),
            method: Some("cheque".into()),
            allocations: Some(vec![AllocationInput {
                charge_id: Some("nope".into()),
                amount: Some(MoneyDto {
                    amount_minor: 5,
                    currency: "USD".into(),
                }),
            }]),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "leaseId",
                "amount.amountMinor",
                "chequeNumber",
                "allocations[0].chargeId"
            ]
        );
        let errs = PaymentInput {
            lease_id: Some(LeaseId::new().to_string()),
            amount: Some(MoneyDto {
                amount_minor: 100,
                currency: "CAD".into(),
            }),
            method: Some("cash".into()),
            cheque_number: Some("12".into()),
            allocations: Some(vec![AllocationInput {
                charge_id: Some(ChargeId::new().to_string()),
                amount: Some(MoneyDto {
                    amount_minor: 150,
                    currency: "USD".into(),
                }),
            }]),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "chequeNumber",
                "allocations[0].amount.currency",
                "allocations"
            ]
        );
    }
}
