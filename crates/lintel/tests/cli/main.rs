//! The `lintel` binary's integration tests, one binary with a module per subject:
//!
//! - `commands`: the CLI end to end: migrate, the admin and demo commands, configuration
//!   layering, `openapi`, metrics on their own address;
//! - `fd_exhaustion`: `lintel serve` under an open-file limit (set on the child process only);
//! - `scripts`: the measuring scripts answer `--help` without building anything;
//! - `support`: running the binary, a served instance and a minimal HTTP/1.1 client.
//!
//! Every test starts its own `lintel` process in a temporary directory of its own, so they run
//! side by side. Run one by name: `cargo test -p lintel --test cli fd_exhaustion`.

mod support;

mod commands;
mod fd_exhaustion;
mod scripts;
