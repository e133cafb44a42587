//! Lintel's data layer: one query set over SQLite and PostgreSQL.
//!
//! Statements are built once with sea-query and rendered for whichever backend the URL names
//! ([`db`]); migrations are portable SQL ([`migrate`]). Organisation-owned tables are reached only
//! through [`Store::org`], so a query cannot forget its tenant. Every write records its audit entry
//! in the same transaction ([`audit`]).

pub mod audit;
mod backend;
pub mod db;
pub mod error;
pub mod events;
mod fetch;
pub mod idempotency;
mod iden;
pub mod identity;
mod list;
mod locks;
mod migrate;
mod pg_tx;
pub mod portfolio;
pub mod prepared;
mod retry;
mod row;
mod scope;
mod sqlite;
mod store;
mod stripe;
pub use stripe::{Processed, StripeEffect};
#[cfg(test)]
mod test_db;
pub mod timing;
mod usage;

pub use db::{Backend, ConnectOptions, Db};
pub use error::{Conflict, Result, StoreError};
pub use lintel_domain::Timestamp;
pub use store::{OrgScope, Store};

// Contexts still to come (empty until their issues).
pub mod brokerage;
pub mod comms;
pub mod documents;
pub mod insight;
pub mod leasing;
pub mod ledger;
pub mod maintenance;
