//! Lintel's use cases: the operations of several steps — create an organisation with its first
//! admin, register, add a member, issue an API key, change a password — written once and called
//! by the HTTP API, the command line, the demo and the benchmarks. Each takes the store and
//! validated domain inputs, does the work (hashing off the async workers, the writes) and
//! answers domain values. Nothing here knows HTTP; the API maps [`AppError`] to answers.
//!
//! Sliced by bounded context like the other crates; contexts without use cases yet have none.

pub mod error;
pub mod identity;
pub mod pdf;
pub mod portfolio;
pub mod stripe;

pub use error::{AppError, AppResult};

// Contexts still to come (empty until their issues).
pub mod brokerage;
pub mod comms;
pub mod documents;
pub mod insight;
pub mod leasing;
pub mod ledger;
pub mod maintenance;
