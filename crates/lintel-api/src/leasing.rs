//! The leasing context (tenants, leases, renewals and move-outs): its routes arrive with its issue; see
//! `docs/architecture.md`.
