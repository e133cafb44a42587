//! The ledger context (the double-entry ledger: charges, payments, invoices, deposits): its tables and scoped repositories arrive with its issue; see
//! `docs/architecture.md`.
