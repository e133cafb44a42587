//! The leasing context (tenants, leases, renewals and move-outs): its use cases arrive with its issue; see
//! `docs/architecture.md`.
