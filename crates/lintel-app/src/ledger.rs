//! The ledger context (the double-entry ledger: charges, payments, invoices, deposits): its use cases arrive with its issue; see
//! `docs/architecture.md`.
