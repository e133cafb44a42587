//! `lintel serve`: migrate, then serve the API until SIGINT or SIGTERM.

use anyhow::Context;
use lintel_api::AppState;
use lintel_store::Backend;
use tokio::net::TcpListener;

use crate::config::Config;

pub async fn run(config: &Config) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    let ran = store.migrate().await.context("running migrations")?;
    if ran > 0 {
        tracing::info!(count = ran, "applied migrations");
    }

    // Descriptors besides client connections: the database pool, the listener, logs and files.
    let reserved = u64::from(config.max_connections) + 64;
    lintel_api::server::raise_fd_limit(&config.server, reserved);

    let state = AppState::new(store.clone(), config.api_config())
        .await
        .context("starting the API")?;
    let app = lintel_api::router(state);

    let listener = TcpListener::bind(config.bind.trim())
        .await
        .with_context(|| format!("cannot listen on {}", config.bind.trim()))?;
    let addr = listener.local_addr()?;
    let backend = match store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    tracing::info!(%addr, backend, "listening on http://{addr}");

    let served = lintel_api::server::serve(listener, app, &config.server, shutdown_signal()).await;

    // In-flight requests have finished (or the server failed): release the database either way.
    tracing::info!("closing the database");
    store.close().await;
    served.context("server error")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!(signal = "SIGINT", "shutting down: finishing in-flight requests"),
        () = terminate => tracing::info!(signal = "SIGTERM", "shutting down: finishing in-flight requests"),
    }
}
