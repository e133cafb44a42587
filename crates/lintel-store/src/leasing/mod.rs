//! The leasing context's tables and scoped repositories: tenants, leases and renewal offers.

pub mod leases;
pub mod schema;
pub mod tenants;
