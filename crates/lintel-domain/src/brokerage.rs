//! The brokerage context (listings, leads and deals): its types and rules arrive with its issue; see
//! `docs/architecture.md`.
