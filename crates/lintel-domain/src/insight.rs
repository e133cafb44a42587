//! The insight context (reports, exports and privacy requests): its types and rules arrive with its issue; see
//! `docs/architecture.md`.
