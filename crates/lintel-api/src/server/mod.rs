//! The HTTP server: our own accept loop over hyper, so every connection is bounded in time and
//! their number is capped (see `docs/decisions/0005-connection-limits.md`).
//!
//! - **Connection cap**: at most [`ServerLimits::max_connections`] connections are open at once.
//!   When all slots are taken the loop stops accepting until one frees (backpressure): further
//!   clients wait in the kernel's listen queue, they are not refused.
//! - **Header-read timeout**: from a connection's accept (its first request) or from the first
//!   byte of each later request until that request's head is complete; past it the connection
//!   is closed.
//! - **Keep-alive idle timeout**: how long a connection may sit with no request in flight
//!   between requests; past it the connection is shut down gracefully.
//! - **Body-read timeout**: enforced per request by [`body`], which answers 408 and closes.
//! - **Accept errors** (out of file descriptors, aborted handshakes, …) never stop the loop: it
//!   logs them (at most one line per few seconds) and backs off briefly.
//! - **Graceful shutdown**: when `shutdown` resolves, the loop stops accepting, idle connections
//!   are closed, and [`serve`] returns once every in-flight request has been answered.

pub mod body;
mod conn;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, Response};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// How long a connection may take over each part of its life, and how many may be open.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerLimits {
    /// Seconds from a connection's accept (first request) or a request's first byte (later
    /// requests) until the request head is complete.
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may stay open with no request in flight.
    pub keep_alive_timeout_secs: u64,
    /// Seconds to receive a request's whole body, from the handler's first read; past it the
    /// answer is 408 and the connection is closed.
    pub body_read_timeout_secs: u64,
    /// Connections open at once; further clients wait until one closes.
    pub max_connections: u32,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout_secs: 10,
            keep_alive_timeout_secs: 60,
            body_read_timeout_secs: 30,
            max_connections: 10_000,
        }
    }
}

impl ServerLimits {
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }
    pub fn keep_alive_timeout(&self) -> Duration {
        Duration::from_secs(self.keep_alive_timeout_secs)
    }
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_secs(self.body_read_timeout_secs)
    }

    /// The first key (relative to the `server` table) whose value is out of range.
    pub fn invalid_key(&self) -> Option<&'static str> {
        [
            ("header_read_timeout_secs", self.header_read_timeout_secs),
            ("keep_alive_timeout_secs", self.keep_alive_timeout_secs),
            ("body_read_timeout_secs", self.body_read_timeout_secs),
            ("max_connections", u64::from(self.max_connections)),
        ]
        .into_iter()
        .find(|(_, v)| *v == 0)
        .map(|(k, _)| k)
    }
}

/// Raises the soft open-file limit to the hard one and warns when `max_connections` plus
/// `reserved` descriptors (database pool, log, listener) do not fit under it. Returns the soft
/// limit in force, when the platform has one.
pub fn raise_fd_limit(limits: &ServerLimits, reserved: u64) -> Option<u64> {
    let soft = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(soft) => soft,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-file limit");
            return rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(s, _)| s);
        }
    };
    let wanted = u64::from(limits.max_connections) + reserved;
    if wanted > soft {
        tracing::warn!(
            max_connections = limits.max_connections,
            open_file_limit = soft,
            "server.max_connections does not fit under the open-file limit: past about {} \
             connections accepting fails (and is retried) until some close; raise `ulimit -n` \
             or lower server.max_connections",
            soft.saturating_sub(reserved)
        );
    } else {
        tracing::debug!(open_file_limit = soft, "open-file limit");
    }
    Some(soft)
}

/// What [`serve`] serves: the application ([`crate::middleware::App`]) or a bare router (the
/// metrics listener). Always ready; cloned once per connection and once per request.
pub trait Serve:
    tower::Service<
        Request<Body>,
        Response = Response<Body>,
        Error = std::convert::Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<A> Serve for A where
    A: tower::Service<
            Request<Body>,
            Response = Response<Body>,
            Error = std::convert::Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits for in-flight requests.
/// Handlers see the peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve<A: Serve>(
    listener: TcpListener,
    app: A,
    limits: &ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let max = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max as usize));
    let (stop_tx, stop_rx) = watch::channel(false);
    let server = conn::Server::new(app, limits);
    let mut errors = AcceptErrors::default();
    tokio::pin!(shutdown);

    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        // Keep the slot across failed accepts: it is only handed to a connection.
        let accepted = loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break None,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => break Some(pair),
                    Err(e) => errors.on_error(e).await,
                },
            }
        };
        let Some((stream, peer)) = accepted else {
            break;
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        tokio::spawn(server.clone().run(stream, peer, stop_rx.clone(), slot));
    }
    // New clients are refused from here on; open connections finish what they are doing.
    drop(listener);
    drop(stop_tx);
    drain(&slots, max).await
}

/// Waits until every connection has closed (each holds one slot).
async fn drain(slots: &Semaphore, max: u32) -> io::Result<()> {
    let open = max as usize - slots.available_permits();
    if open > 0 {
        tracing::info!(connections = open, "waiting for open connections to finish");
    }
    let _all = slots
        .acquire_many(max)
        .await
        .map_err(|_| io::Error::other("connection slots closed"))?;
    Ok(())
}

/// How long the loop pauses after an accept error that is not about one connection.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// At most one accept-error log line per this interval; the rest are counted.
const ACCEPT_LOG_EVERY: Duration = Duration::from_secs(5);

/// Accept errors, logged without flooding the log while they last.
#[derive(Default)]
struct AcceptErrors {
    last_logged: Option<Instant>,
    suppressed: u64,
}

impl AcceptErrors {
    async fn on_error(&mut self, e: io::Error) {
        use io::ErrorKind::*;
        // Errors about one connection (the peer gave up during the handshake): take the next.
        if matches!(
            e.kind(),
            ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
        ) {
            tracing::debug!(error = %e, "accept error on one connection");
            return;
        }
        // Out of file descriptors or memory: the listener stays open and the connection waits
        // in the kernel's queue, so pause and retry rather than spin.
        let now = Instant::now();
        if self
            .last_logged
            .is_none_or(|t| now.duration_since(t) >= ACCEPT_LOG_EVERY)
        {
            tracing::error!(
                error = %e,
                suppressed = self.suppressed,
                "accept error: {e}; still accepting, retrying every {} ms",
                ACCEPT_BACKOFF.as_millis()
            );
            self.last_logged = Some(now);
            self.suppressed = 0;
        } else {
            self.suppressed += 1;
        }
        tokio::time::sleep(ACCEPT_BACKOFF).await;
    }
}
