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
    let blobs_kind = state.blobs.kind();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let metrics = match &config.metrics_bind {
        Some(bind) => {
            Some(serve_metrics(bind.trim(), state.clone(), config, stopped.clone()).await?)
        }
        None => None,
    };
    let app = lintel_api::router(state);

    let listener = TcpListener::bind(config.bind.trim())
        .await
        .with_context(|| format!("cannot listen on {}", config.bind.trim()))?;
    let addr = listener.local_addr()?;
    let backend = match store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    tracing::info!(%addr, backend, storage = blobs_kind, "listening on http://{addr}");

    let shutdown = async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    };
    let served = lintel_api::server::serve(listener, app, &config.server, shutdown).await;
    if let Some(task) = metrics {
        let _ = task.await;
    }

    // In-flight requests have finished (or the server failed): release the database either way.
    tracing::info!("closing the database");
    store.close().await;
    served.context("server error")?;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `/metrics` alone on `bind` until `stopped` turns true.
async fn serve_metrics(
    bind: &str,
    state: AppState,
    config: &Config,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind} (metrics_bind)"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "metrics on http://{addr}/metrics");
    let app = lintel_api::metrics_router(state);
    let limits = config.server.clone();
    Ok(tokio::spawn(async move {
        let stop = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        if let Err(e) = lintel_api::server::serve(listener, app, &limits, stop).await {
            tracing::error!(error = %e, "metrics server failed");
        }
    }))
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
