//! Identity beyond the basics: one person in several organisations, invitations, password
//! changes, keys bounded by their owner, the sign-in limits and what a sign-in costs, trusted
//! proxies and request IDs. Every test runs on SQLite and PostgreSQL.

mod common;

mod identity {
    pub mod helpers;
    mod invitations;
    mod keys;
    mod limits;
    mod organisations;
    mod password;
    mod request_ids;
}
