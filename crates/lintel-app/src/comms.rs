//! The comms context (email, notifications, webhooks and message threads): its use cases arrive with its issue; see
//! `docs/architecture.md`.
