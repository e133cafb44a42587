//! The leasing context (tenants, leases, renewals and move-outs): its tables and scoped repositories arrive with its issue; see
//! `docs/architecture.md`.
