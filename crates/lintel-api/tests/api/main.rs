//! The API's integration tests, one binary with a module per bounded context. Every test drives
//! the real router (in-process, or over a loopback socket) against a database of its own, on
//! SQLite always and on PostgreSQL when `LINTEL_TEST_POSTGRES_URL` is set.
//!
//! - `identity`: sign-up and sign-in, sessions, API keys, members, invitations, organisations,
//!   passwords, sign-in limits, request IDs, the audit log;
//! - `documents`: uploads, signed download links, deletes, and storage kept in step with the
//!   records;
//! - `leasing`: tenants and their ID checks, leases, their state machine and occupancy;
//! - `ledger`: the chart of accounts;
//! - `portfolio`: properties, buildings, units (one at a time, in bulk, their names);
//! - `platform`: what every route shares (health, contract headers, metrics), the OpenAPI
//!   document and the contract it states, strict input, connection handling, concurrent,
//!   cancelled and retried writes, secrets kept out of the logs;
//! - `reliability`: the authorisation sweep and the bad-input battery over every documented
//!   operation, with their generators and fixtures;
//! - `support`: the harness all of them share (`TestApp`, clients, `backend_test!`, raw wire).
//!
//! Run one context or one test by name: `cargo test -p lintel-api --test api portfolio::units`.
//!
//! All tests share this process and run side by side, so none may change process-wide state
//! in passing: no environment variables, no global `tracing` subscriber (`support::logs`
//! captures one test's logs), no file another test reads unless it is replaced whole (as the
//! OpenAPI update renames its file into place).

#[macro_use]
mod support;

mod documents;
mod identity;
mod leasing;
mod ledger;
mod platform;
mod portfolio;
mod reliability;
