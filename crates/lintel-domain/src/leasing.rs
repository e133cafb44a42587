//! The leasing context (tenants, leases, renewals and move-outs): its types and rules arrive with its issue; see
//! `docs/architecture.md`.
