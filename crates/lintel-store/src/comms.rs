//! The comms context (email, notifications, webhooks and message threads): its tables and scoped repositories arrive with its issue; see
//! `docs/architecture.md`.
