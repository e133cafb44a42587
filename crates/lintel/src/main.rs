//! `lintel`: the one binary. Parses the command line, loads the layered configuration, sets up
//! logging and hands over to the command.

mod admin;
mod cli;
mod config;
mod demo;
mod serve;
mod telemetry;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use lintel_store::Store;

use crate::cli::{Cli, Command};
use crate::config::{Config, DbKind};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // The OpenAPI document needs neither configuration nor a database (CI runs it bare).
    if let Command::Openapi = cli.command {
        print!("{}", lintel_api::openapi_json());
        return Ok(());
    }

    let mut config = Config::load(cli.config.as_deref())?;
    if let Command::Serve(args) = &cli.command {
        if let Some(bind) = &args.bind {
            config.bind = bind.clone();
        }
    }
    telemetry::init(&config)?;

    match cli.command {
        Command::Openapi => unreachable!("handled above"),
        Command::Serve(_) => serve::run(&config).await,
        Command::Migrate => {
            let store = open_store(&config).await?;
            let ran = store.migrate().await.context("running migrations");
            store.close().await;
            let ran = ran?;
            let noun = if ran == 1 { "migration" } else { "migrations" };
            println!("Applied {ran} {noun}.");
            Ok(())
        }
        Command::Admin(cmd) => {
            let store = open_migrated(&config).await?;
            let out = admin::run(&store, cmd).await;
            store.close().await;
            out
        }
        Command::Demo(args) => {
            let store = open_migrated(&config).await?;
            let out = demo::run(&store, &config, args.password).await;
            store.close().await;
            out
        }
    }
}

/// Connects to the configured database, creating the data directory for the default SQLite file.
/// Only the backend kind is logged: the URL may carry a password.
pub(crate) async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
    }
    let kind = match config.db_kind() {
        DbKind::Sqlite => "sqlite",
        DbKind::Postgres => "postgres",
    };
    if config.database_url.is_none() {
        tracing::info!(backend = kind, data_dir = %config.data_dir.display(), "opening database");
    } else {
        tracing::info!(backend = kind, "opening database");
    }
    Store::connect(config.database_url().expose(), &config.connect_options())
        .await
        .with_context(|| format!("cannot open the {kind} database"))
}

/// [`open_store`], then any pending migrations, so admin commands work on a fresh install.
async fn open_migrated(config: &Config) -> anyhow::Result<Store> {
    let store = open_store(config).await?;
    if let Err(e) = store.migrate().await {
        store.close().await;
        return Err(e).context("running migrations");
    }
    Ok(store)
}
