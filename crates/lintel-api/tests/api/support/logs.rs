//! Log capture for one test, without a process-wide subscriber: every test of this binary shares
//! the process, so a global `tracing` subscriber would record all of them (and could be
//! installed only once). A [`Logs`] records every event of every target at TRACE level, in both
//! the human and the JSON format, into in-memory buffers, and [`Logs::run`] runs a test on a
//! Tokio runtime of its own whose every thread records into them; nothing else does.

use std::cell::RefCell;
use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::dispatcher::{self, DefaultGuard, Dispatch};
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
    /// other tests get from `#[tokio::test]`). The thread that blocks on it, the workers and the
    /// blocking pool all record into these logs: requests, their spawned tasks, password hashing
    /// and PostgreSQL I/O are captured. Threads the runtime did not start are not (SQLite's
    /// per-connection threads log the statements they run, which the PostgreSQL run captures),
    /// and neither is any other test running alongside.
    pub fn run<F: Future>(&self, test: F) -> F::Output {
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
        dispatcher::with_default(&self.dispatch, || runtime.block_on(test))
    }
}

/// The text of a log so far.
pub fn text(buf: &Buffer) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap()).into_owned()
}
