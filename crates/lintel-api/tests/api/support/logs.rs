//! Log capture for one test, without a process-wide capturing subscriber: every test of this
//! binary shares the process, so a global `tracing` subscriber would record all of them (and
//! could be installed only once). A [`Logs`] records every event of every target at TRACE level,
//! in both the human and the JSON format, into in-memory buffers, and [`Logs::run`] runs a test
//! so that its events, and only its events, reach them:
//!
//! - every thread of the test's own Tokio runtime (the one blocking on the test, the workers,
//!   the blocking pool) has the capture as its default subscriber;
//! - a thread the runtime did not start (SQLite's per-connection threads) records into the
//!   capture while it works inside one of the capture's spans, which those threads enter for
//!   each statement they run: the only global subscriber, [`Router`], passes an event on to the
//!   capture whose span is current on that thread, and drops every other event.

use std::cell::RefCell;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};

use tracing::dispatcher::{self, DefaultGuard, Dispatch};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;

pub type Buffer = Arc<Mutex<Vec<u8>>>;

/// An `io::Write` that appends to a shared buffer.
struct Sink(Buffer);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The human and JSON logs of one test, and the subscriber that writes them.
pub struct Logs {
    pub human: Buffer,
    pub json: Buffer,
    dispatch: Dispatch,
}

thread_local! {
    /// The capture a thread of a [`Logs::run`] runtime records into, for as long as it lives.
    static CAPTURE: RefCell<Option<DefaultGuard>> = const { RefCell::new(None) };
}

impl Logs {
    pub fn new() -> Logs {
        let (human, json): (Buffer, Buffer) = Default::default();
        let (h, j) = (human.clone(), json.clone());
        let subscriber = tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(move || Sink(h.clone()))
                    .with_filter(LevelFilter::TRACE),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(move || Sink(j.clone()))
                    .with_filter(LevelFilter::TRACE),
            );
        Logs {
            human,
            json,
            dispatch: Dispatch::new(subscriber),
        }
    }

    /// Runs `test` to completion on a multi-threaded runtime of its own (two workers, as the
    /// other tests get from `#[tokio::test]`), recording what it logs: everything on the
    /// runtime's threads, and on other threads what happens inside the capture's spans.
    pub fn run<F: Future>(&self, test: F) -> F::Output {
        let _live = Router::add(&self.dispatch);
        let dispatch = self.dispatch.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .on_thread_start(move || {
                let guard = dispatcher::set_default(&dispatch);
                CAPTURE.with(|c| *c.borrow_mut() = Some(guard));
            })
            .on_thread_stop(|| CAPTURE.with(|c| drop(c.borrow_mut().take())))
            .build()
            .expect("a runtime for the captured test");
        dispatcher::with_default(&self.dispatch, || {
            // One span around the whole test, so work handed to other threads outside a request
            // (set-up statements on SQLite's connection threads) is the capture's too.
            let span = tracing::info_span!("captured");
            runtime.block_on(tracing::Instrument::instrument(test, span))
        })
    }
}

/// The text of a log so far.
pub fn text(buf: &Buffer) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap()).into_owned()
}

/// Captures in progress, for [`Router`].
static LIVE: Mutex<Vec<(usize, Dispatch)>> = Mutex::new(Vec::new());
static LIVE_COUNT: AtomicUsize = AtomicUsize::new(0);
static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// The process's global subscriber once a capture has run. It records nothing itself: it serves
/// threads with no subscriber of their own, passing an event to the capture whose span is
/// current on the thread (a SQLite connection thread running a statement for a captured test)
/// and dropping the rest. It enables no span, so it holds no state of its own.
struct Router;

/// Removes a capture from [`LIVE`] when its run ends.
struct Live(usize);

impl Router {
    fn add(capture: &Dispatch) -> Live {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            // Fails only if something else installed a global subscriber first; then threads
            // outside the runtime are simply not captured.
            let _ = dispatcher::set_global_default(Dispatch::new(Router));
        });
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut live = LIVE.lock().unwrap();
        live.push((id, capture.clone()));
        LIVE_COUNT.store(live.len(), Ordering::SeqCst);
        Live(id)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let mut live = LIVE.lock().unwrap();
        live.retain(|(id, _)| *id != self.0);
        LIVE_COUNT.store(live.len(), Ordering::SeqCst);
    }
}

impl Subscriber for Router {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Events, and the hints of `tracing::enabled!` that guard some of them; never spans.
        !metadata.is_span() && LIVE_COUNT.load(Ordering::Relaxed) > 0
    }
    fn event(&self, event: &Event<'_>) {
        for (_, capture) in LIVE.lock().unwrap().iter() {
            if capture.current_span().id().is_some() && capture.enabled(event.metadata()) {
                capture.event(event);
            }
        }
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Not reached through the `span!` macros, which ask `enabled` first; a span made
        // regardless gets a placeholder ID and records nothing.
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
