//! The documents context (stored files: lease documents, inspection photos, receipts): its routes arrive with its issue; see
//! `docs/architecture.md`.
