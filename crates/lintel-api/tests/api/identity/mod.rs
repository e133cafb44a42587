//! Identity: registration and sign-in, sessions, API keys, members, invitations, several
//! organisations per person, password changes, the sign-in limits and what a sign-in costs,
//! trusted proxies and request IDs, and the audit log. Every test runs on SQLite and PostgreSQL.

pub mod helpers;

mod api_keys;
mod audit_log;
mod auth;
mod invitations;
mod keys;
mod limits;
mod members;
mod organisations;
mod password;
mod plan;
mod request_ids;
mod sessions;
