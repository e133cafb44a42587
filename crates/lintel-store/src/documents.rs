//! The documents context (stored files: lease documents, inspection photos, receipts): its tables and scoped repositories arrive with its issue; see
//! `docs/architecture.md`.
