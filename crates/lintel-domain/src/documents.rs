//! The documents context (stored files: lease documents, inspection photos, receipts): its types and rules arrive with its issue; see
//! `docs/architecture.md`.
