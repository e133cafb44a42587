//! The maintenance context (work orders, inspections and vendors): its routes arrive with its issue; see
//! `docs/architecture.md`.
