//! `lintel-bench`: the helpers `scripts/bench` drives.
//!
//! - `seed`: creates one organisation with N units through `lintel_store` (the same code paths
//!   the API uses), on SQLite or PostgreSQL, and writes the API key and a sample of property IDs.
//! - `seed-ledger`: an organisation whose journal holds N lines (leases, rent and payments
//!   through `lintel_store`, the rest written in bulk), for the payments and ledger scenarios.
//! - `floor`: the least work that answers scenario 2's request (`GET /api/properties/{id}`):
//!   a constant-time bearer check, one indexed single-row SELECT, JSON out.
//! - `insert-loop`: single-row INSERTs into `properties`, each in its own durable transaction,
//!   the raw write rate Lintel's `POST /api/properties` is compared with.
//! - `payment-loop`: scenario 7's payments through `lintel_store` without HTTP, each under a
//!   fresh Idempotency-Key, the database work of a payment on its own.
//! - `report`: reads the results directory the script filled and writes the Markdown report.

mod floor;
mod insert_loop;
mod payment_loop;
mod report;
mod seed;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "lintel-bench",
    about = "Lintel's benchmark harness (run by scripts/bench)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates a BUSINESS-plan organisation with its properties and units.
    Seed(seed::SeedArgs),
    /// Creates an organisation whose journal holds N lines, with leases to pay into.
    SeedLedger(seed::ledger::LedgerArgs),
    /// Serves GET /api/properties/{id} with the least possible work.
    Floor(floor::FloorArgs),
    /// Inserts property rows in a loop, one durable transaction each, and prints the rate.
    InsertLoop(insert_loop::InsertArgs),
    /// Records payments through lintel_store (no HTTP) in a loop and prints the rate.
    PaymentLoop(payment_loop::PaymentLoopArgs),
    /// Writes the Markdown report from a results directory.
    Report(ReportArgs),
}

#[derive(Args)]
pub struct ReportArgs {
    /// The results directory scripts/bench filled.
    #[arg(long)]
    results: PathBuf,
    /// The Markdown file to write (its hand-written parts are kept).
    #[arg(long)]
    out: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = match cli.command {
        Command::Seed(a) => runtime().and_then(|rt| rt.block_on(seed::run(a))),
        Command::SeedLedger(a) => runtime().and_then(|rt| rt.block_on(seed::ledger::run(a))),
        Command::Floor(a) => floor::run(a),
        Command::InsertLoop(a) => insert_loop::run(a),
        Command::PaymentLoop(a) => payment_loop::run(a),
        Command::Report(a) => report::run(&a.results, &a.out),
    };
    match out {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
