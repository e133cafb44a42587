//! The ledger context (the double-entry ledger: charges, payments, invoices, deposits): its types and rules arrive with its issue; see
//! `docs/architecture.md`.
