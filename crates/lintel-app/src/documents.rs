//! The documents context (stored files: lease documents, inspection photos, receipts): its use cases arrive with its issue; see
//! `docs/architecture.md`.
