//! The ledger context: a double-entry journal per organisation. So far: the chart of accounts
//! ([`Account`], the [`SystemAccount`]s every organisation has) and the balanced entry
//! ([`BalancedEntry`]: an entry that does not balance in every currency cannot be built). See
//! `docs/architecture.md`.

mod account;
pub mod billing;
mod billing_run;
mod card;
mod charge;
mod entry;
mod invoice;
mod journal;
mod payment;
pub mod receipt;

pub use account::{
    Account, AccountInput, AccountPatch, AccountPatchInput, AccountType, NewAccount, SystemAccount,
    ACCOUNT_CODE_PATTERN,
};
pub use billing_run::{BillingRun, BillingRunInput, BILLING_AHEAD_DAYS};
pub use card::{
    card_step, CardCheckoutInput, CardReport, CardStep, NewCardCheckout, PaymentCheckout,
};
pub use charge::{
    Charge, ChargeInput, ChargeKind, ChargeStatus, LeaseLedger, LeaseLedgerLine, NewCharge,
};
pub use entry::{BalancedEntry, Dimensions, Line, Side, Unbalanced};
pub use invoice::{
    Invoice, InvoiceInput, InvoiceLine, InvoiceStatus, NewInvoice, INVOICE_CHARGES_MAX,
    INVOICE_NOTES_MAX,
};
pub use journal::{
    AccountBalance, CurrencyBalance, Discrepancy, DiscrepancyKind, EntryLineInput, EntrySource,
    IntegrityReport, JournalEntry, JournalLine, ManualEntryInput, NewEntry, TrialBalance,
    TrialBalanceRow,
};
pub use payment::{
    apply_in_order, refund_plan, Allocation, AllocationInput, NewPayment, NewRefund, NewReturn,
    Payer, Payment, PaymentInput, PaymentMethod, PaymentReturn, PaymentStatus, Refund, RefundInput,
    ReturnInput, REFERENCE_MAX,
};
