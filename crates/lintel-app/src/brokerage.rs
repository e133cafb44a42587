//! The brokerage context (listings, leads and deals): its use cases arrive with its issue; see
//! `docs/architecture.md`.
