//! The ledger context (the double-entry ledger: charges, payments, invoices, deposits): its routes arrive with its issue; see
//! `docs/architecture.md`.
