//! The insight context (reports, exports and privacy requests): its use cases arrive with its issue; see
//! `docs/architecture.md`.
