//! Running a write transaction again when it lost a lock conflict.
//!
//! On PostgreSQL a transaction can be rolled back because a concurrent one holds what it needs:
//! a deadlock (`40P01`, the server picks a victim) or a serialization failure (`40001`). Nothing
//! of it was committed, so the whole transaction is run again from `BEGIN`, after a short
//! jittered pause that lets the winner finish, a bounded number of times. When every attempt
//! loses, the caller gets [`StoreError::Contention`] (the API answers 503 with `Retry-After`).
//! Writes take their row locks in one global order ([`crate::locks`]), so this is a safety net,
//! not the normal path. SQLite runs one writer at a time and never reports either code.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;

use crate::error::{Result, StoreError};

/// How often and how long to wait before running a lost transaction again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// Runs after the first one; the transaction runs at most `retries + 1` times.
    pub retries: u32,
    /// The pause before the first retry; it doubles for each further one, and each pause is
    /// drawn uniformly between half and one and a half times its nominal length.
    pub base_delay: Duration,
}

/// Three retries after 5, 10 and 20 ms (±50 %): at most about 50 ms added to a request that
/// keeps losing.
pub(crate) const WRITE_RETRIES: RetryPolicy = RetryPolicy {
    retries: 3,
    base_delay: Duration::from_millis(5),
};

impl RetryPolicy {
    /// The pause before retry number `n` (1-based).
    pub(crate) fn delay(&self, n: u32) -> Duration {
        let nominal = self.base_delay * 2u32.saturating_pow(n.saturating_sub(1));
        nominal.mul_f64(rand::thread_rng().gen_range(0.5..1.5))
    }

    /// Runs `attempt` until it succeeds, fails with anything but [`StoreError::Contention`], or
    /// has been retried `retries` times; each retry is counted in `retried`.
    pub(crate) async fn run<T, F, Fut>(&self, retried: &AtomicU64, attempt: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut n = 0;
        loop {
            match attempt().await {
                Err(StoreError::Contention(detail)) if n < self.retries => {
                    n += 1;
                    retried.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(error = %detail, retry = n, "write transaction lost a lock conflict; running it again");
                    tokio::time::sleep(self.delay(n)).await;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;

    const NO_WAIT: RetryPolicy = RetryPolicy {
        retries: 3,
        base_delay: Duration::ZERO,
    };

    /// An operation that loses `losses` times, then answers `Ok(calls)`.
    async fn run_losing(
        policy: RetryPolicy,
        losses: u32,
        retried: &AtomicU64,
    ) -> (Result<u32>, u32) {
        let calls = AtomicU32::new(0);
        let out = policy
            .run(retried, || async {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                if n <= losses {
                    Err(StoreError::Contention("deadlock detected".into()))
                } else {
                    Ok(n)
                }
            })
            .await;
        (out, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_lost_transaction_runs_again_until_it_wins() {
        let retried = AtomicU64::new(0);
        let (out, calls) = run_losing(NO_WAIT, 2, &retried).await;
        assert_eq!(out.unwrap(), 3);
        assert_eq!(calls, 3);
        assert_eq!(retried.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_win_first_time_is_not_retried() {
        let retried = AtomicU64::new(0);
        let (out, calls) = run_losing(NO_WAIT, 0, &retried).await;
        assert_eq!(out.unwrap(), 1);
        assert_eq!((calls, retried.load(Ordering::SeqCst)), (1, 0));
    }

    #[tokio::test]
    async fn retries_are_bounded_and_the_last_loss_is_returned() {
        let retried = AtomicU64::new(0);
        let (out, calls) = run_losing(NO_WAIT, u32::MAX, &retried).await;
        assert!(matches!(out, Err(StoreError::Contention(_))), "{out:?}");
        assert_eq!(calls, 4, "the first run and three retries");
        assert_eq!(retried.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let retried = AtomicU64::new(0);
        let calls = AtomicU32::new(0);
        let out: Result<()> = NO_WAIT
            .run(&retried, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(StoreError::Unavailable("connection reset".into()))
            })
            .await;
        assert!(matches!(out, Err(StoreError::Unavailable(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(retried.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn pauses_double_with_jitter() {
        for _ in 0..200 {
            for (n, nominal) in [(1, 5.0), (2, 10.0), (3, 20.0)] {
                let ms = WRITE_RETRIES.delay(n).as_secs_f64() * 1000.0;
                assert!(
                    ms >= nominal * 0.5 && ms <= nominal * 1.5,
                    "retry {n}: {ms} ms"
                );
            }
        }
    }

    #[test]
    fn deadlock_and_serialization_codes_are_contention() {
        use sqlx::error::{DatabaseError, ErrorKind};
        #[derive(Debug)]
        struct Fake(&'static str);
        impl std::fmt::Display for Fake {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("fake")
            }
        }
        impl std::error::Error for Fake {}
        impl DatabaseError for Fake {
            fn message(&self) -> &str {
                "deadlock detected"
            }
            fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
                Some(self.0.into())
            }
            fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
                self
            }
            fn kind(&self) -> ErrorKind {
                ErrorKind::Other
            }
        }
        let map = |code| StoreError::from(sqlx::Error::Database(Box::new(Fake(code))));
        assert!(matches!(map("40P01"), StoreError::Contention(_)));
        assert!(matches!(map("40001"), StoreError::Contention(_)));
        assert!(matches!(map("23503"), StoreError::Database(_)));
    }
}
