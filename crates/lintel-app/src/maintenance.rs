//! The maintenance context (work orders, inspections and vendors): its use cases arrive with its issue; see
//! `docs/architecture.md`.
