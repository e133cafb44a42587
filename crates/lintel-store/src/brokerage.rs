//! The brokerage context (listings, leads and deals): its tables and scoped repositories arrive with its issue; see
//! `docs/architecture.md`.
