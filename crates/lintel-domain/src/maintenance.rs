//! The maintenance context (work orders, inspections and vendors): its types and rules arrive with its issue; see
//! `docs/architecture.md`.
