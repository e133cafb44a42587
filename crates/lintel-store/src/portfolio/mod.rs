//! The portfolio context: buildings, properties and their units, with the unit counters kept in
//! step in every writing transaction.

pub mod buildings;
pub mod properties;
pub(crate) mod schema;
mod unit_counts;
pub(crate) mod unit_keys;
pub mod units;
