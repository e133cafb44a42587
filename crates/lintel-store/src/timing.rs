//! Time spent in the database by the current request, for the `X-DB-Query-Time-ms` header.
//!
//! The HTTP layer runs each request inside [`scope`]; every statement the store executes adds its
//! duration. Outside a scope (CLI, background work) recording is a no-op.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

tokio::task_local! {
    static DB_MICROS: Arc<AtomicU64>;
}

/// Runs `fut` with a fresh timer; `counter` reads the accumulated microseconds at any point.
pub fn scope<F: Future>(counter: Arc<AtomicU64>, fut: F) -> impl Future<Output = F::Output> {
    DB_MICROS.scope(counter, fut)
}

pub(crate) fn record(elapsed: Duration) {
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    let _ = DB_MICROS.try_with(|c| c.fetch_add(micros, Ordering::Relaxed));
}
