//! The comms context (email, notifications, webhooks and message threads): its routes arrive with its issue; see
//! `docs/architecture.md`.
