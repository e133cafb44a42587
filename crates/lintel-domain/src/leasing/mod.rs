//! The leasing context: tenants, leases, renewals and move-outs. So far: the lease's status and
//! the moves between statuses ([`LeaseStatus`]), which every route that changes a lease goes
//! through. See `docs/architecture.md`.

mod status;

pub use status::LeaseStatus;
