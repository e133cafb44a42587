//! The maintenance context (work orders, inspections and vendors): its tables and scoped repositories arrive with its issue; see
//! `docs/architecture.md`.
