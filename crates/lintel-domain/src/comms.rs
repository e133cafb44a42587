//! The comms context (email, notifications, webhooks and message threads): its types and rules arrive with its issue; see
//! `docs/architecture.md`.
