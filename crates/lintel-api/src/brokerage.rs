//! The brokerage context (listings, leads and deals): its routes arrive with its issue; see
//! `docs/architecture.md`.
