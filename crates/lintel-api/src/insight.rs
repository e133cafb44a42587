//! The insight context (reports, exports and privacy requests): its routes arrive with its issue; see
//! `docs/architecture.md`.
