//! The portfolio: properties, buildings and units (one at a time, in bulk, their names) through
//! HTTP, on both backends.

mod buildings;
mod properties;
mod units;
