//! The insight context (reports, exports and privacy requests): its tables and scoped repositories arrive with its issue; see
//! `docs/architecture.md`.
