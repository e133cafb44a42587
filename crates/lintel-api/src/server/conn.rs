//! One connection: hyper (HTTP/1.1, or h2c by prior knowledge) over the socket, and a watchdog
//! that closes it when a request head takes too long or it sits idle too long.
//!
//! hyper's own `header_read_timeout` is not used: it starts as soon as a keep-alive connection
//! waits for its next request, so it would close idle connections before any byte of a request
//! arrived, and it does not cover the protocol sniffing of the first bytes at all. Instead the
//! socket wrapper [`Watched`] notes when bytes arrive on an idle connection, the service notes
//! when a request's head is complete and when its handler has answered, and [`Server::run`]
//! turns those into deadlines.
//!
//! A request is in flight until its handler has answered, not until the answer has been
//! delivered: a client that does not read its responses (or, on HTTP/2, never opens its flow
//! control window) is idle, and closed at the keep-alive timeout like any other.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, Version};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify, OwnedSemaphorePermit};
use tokio::time::Instant;

use super::{Serve, ServerLimits};

/// After a graceful shutdown was asked of a connection with nothing in flight, how long it may
/// take to close by itself before it is dropped.
const GRACE: Duration = Duration::from_secs(1);

/// What every connection shares: the application, the protocol settings and the timeouts.
#[derive(Clone)]
pub(super) struct Server<A> {
    app: A,
    builder: Arc<auto::Builder<TokioExecutor>>,
    header_timeout: Duration,
    idle_timeout: Duration,
}

impl<A: Serve> Server<A> {
    pub(super) fn new(app: A, limits: &ServerLimits) -> Server<A> {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // The watchdog below measures header reads; hyper's timer would act as an idle timeout.
        builder.http1().keep_alive(true).header_read_timeout(None);
        Server {
            app,
            builder: Arc::new(builder),
            header_timeout: limits.header_read_timeout(),
            idle_timeout: limits.keep_alive_timeout(),
        }
    }

    /// Serves one connection until it closes; `_slot` is its place under the connection cap.
    pub(super) async fn run(
        self,
        stream: TcpStream,
        peer: SocketAddr,
        mut stop: watch::Receiver<bool>,
        _slot: OwnedSemaphorePermit,
    ) {
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            io: stream,
            activity: activity.clone(),
        });
        let service = ConnService {
            app: self.app.clone(),
            peer,
            activity: activity.clone(),
        };
        let conn = self.builder.serve_connection(io, service);
        tokio::pin!(conn);
        let mut stopping = false;
        // When the connection was asked to shut down gracefully (server stopping, or idle).
        let mut shutdown_at: Option<Instant> = None;
        loop {
            let deadline = match self.due(&activity, shutdown_at, Instant::now()) {
                Due::Wait(deadline) => deadline,
                Due::Shutdown(at) => {
                    tracing::debug!(%peer, "closing a keep-alive connection: idle too long");
                    conn.as_mut().graceful_shutdown();
                    shutdown_at = Some(at);
                    continue;
                }
                Due::Close(why) => {
                    tracing::debug!(%peer, "closing a connection: {why}");
                    return;
                }
            };
            let timer = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                served = conn.as_mut() => {
                    if let Err(e) = served {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = stop.changed(), if !stopping => {
                    stopping = true;
                    if shutdown_at.is_none() {
                        conn.as_mut().graceful_shutdown();
                        shutdown_at = Some(Instant::now());
                    }
                }
                () = activity.changed.notified() => {}
                () = timer => {}
            }
        }
    }

    /// What the watchdog must do now, given the connection's activity and when (if ever) it
    /// was asked to shut down gracefully.
    fn due(&self, activity: &Activity, shutdown_at: Option<Instant>, now: Instant) -> Due {
        let (phase, since) = activity.phase();
        let deadline = match (phase, shutdown_at) {
            (Phase::InFlight, _) => None,
            (Phase::Head, None) => Some(since + self.header_timeout),
            (Phase::Head, Some(at)) => Some((since + self.header_timeout).min(at + GRACE)),
            (Phase::Idle, None) => Some(since + self.idle_timeout),
            (Phase::Idle, Some(at)) => Some(since.max(at) + GRACE),
        };
        match deadline {
            Some(d) if d <= now && phase == Phase::Idle && shutdown_at.is_none() => {
                Due::Shutdown(d)
            }
            Some(d) if d <= now && phase == Phase::Head => {
                Due::Close("request head not received in time")
            }
            Some(d) if d <= now => Due::Close("did not close after a graceful shutdown"),
            _ => Due::Wait(deadline),
        }
    }
}

/// The watchdog's next step.
enum Due {
    /// Nothing yet: wake at this instant (or on the next change of activity).
    Wait(Option<Instant>),
    /// Idle too long: ask for a graceful shutdown, counted as asked at this instant.
    Shutdown(Instant),
    /// Drop the connection, for this reason.
    Close(&'static str),
}

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request head: since accept, or since the first byte after an idle spell.
    Head,
    /// At least one request is being handled or answered.
    InFlight,
    /// Between requests (keep-alive).
    Idle,
}

struct PhaseState {
    phase: Phase,
    since: Instant,
    in_flight: usize,
    /// HTTP/2 sends frames of its own between requests (pings, window updates), so there bytes
    /// on an idle connection do not start a request head.
    h2: bool,
}

/// A connection's phase, updated by its socket and its service, watched by [`Server::run`].
struct Activity {
    state: Mutex<PhaseState>,
    changed: Notify,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            state: Mutex::new(PhaseState {
                phase: Phase::Head,
                since: Instant::now(),
                in_flight: 0,
                h2: false,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PhaseState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn phase(&self) -> (Phase, Instant) {
        let s = self.lock();
        (s.phase, s.since)
    }

    /// Bytes arrived: on an idle HTTP/1 connection, a new request head has started.
    fn bytes_read(&self) {
        let mut s = self.lock();
        if s.phase == Phase::Idle && !s.h2 {
            s.phase = Phase::Head;
            s.since = Instant::now();
            drop(s);
            self.changed.notify_one();
        }
    }

    /// A request head is complete; the returned guard ends it when dropped.
    fn request_started(self: &Arc<Self>, version: Version) -> InFlight {
        let mut s = self.lock();
        s.in_flight += 1;
        s.phase = Phase::InFlight;
        s.h2 |= version == Version::HTTP_2;
        InFlight(self.clone())
    }
}

/// One request in flight: from its complete head until its handler has answered (or the
/// exchange was abandoned).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        if s.in_flight == 0 {
            s.phase = Phase::Idle;
            s.since = Instant::now();
        }
        drop(s);
        self.0.changed.notify_one();
    }
}

/// The socket, noting when bytes arrive.
struct Watched {
    io: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The application as hyper calls it: the peer address in `ConnectInfo`, and the request
/// counted in flight until its handler has answered.
#[derive(Clone)]
struct ConnService<A> {
    app: A,
    peer: SocketAddr,
    activity: Arc<Activity>,
}

pin_project_lite::pin_project! {
    /// The application's answer; the request stops counting as in flight when it is ready (or
    /// abandoned).
    struct Answer<F> {
        #[pin]
        answer: F,
        in_flight: Option<InFlight>,
    }
}

impl<F: Future> Future for Answer<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let out = std::task::ready!(this.answer.poll(cx));
        this.in_flight.take();
        Poll::Ready(out)
    }
}

impl<A: Serve> hyper::service::Service<Request<Incoming>> for ConnService<A> {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Answer<A::Future>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.request_started(req.version());
        req.extensions_mut().insert(ConnectInfo(self.peer));
        // The application is always ready, so it can be called without `poll_ready`.
        let answer = tower::Service::call(&mut self.app.clone(), req.map(Body::new));
        Answer {
            answer,
            in_flight: Some(in_flight),
        }
    }
}
