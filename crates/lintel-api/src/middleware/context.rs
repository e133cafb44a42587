//! The request's context: its IDs, client address, log span and timers, begun before routing and
//! finished on the answer (IDs and timing headers, security headers, the access line).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use tracing::Instrument;

use super::{X_CORRELATION_ID, X_DB_TIME, X_REQUEST_ID, X_RESPONSE_TIME};
use crate::client_ip::{self, ClientIp};
use crate::{request_id, AppState};

/// A request on its way through: see [`Begun::start`].
pub(super) struct Begun {
    pub started: Instant,
    ids: request_id::RequestIds,
    span: tracing::Span,
    db_micros: Arc<AtomicU64>,
}

impl Begun {
    /// Gives the request its ID and correlation ID, resolves its client address (put in its
    /// extensions as [`ClientIp`]) and opens its span.
    pub fn start(state: &AppState, req: &mut Request) -> Begun {
        let started = Instant::now();
        let id = request_id::generate();
        let correlation = request_id::correlation_from(
            req.headers()
                .get(&X_REQUEST_ID)
                .and_then(|v| v.to_str().ok()),
        );
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let client = client_ip::resolve(peer, req.headers(), &state.config.trusted_proxies);
        req.extensions_mut().insert(ClientIp(client));
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            correlation_id = correlation.as_deref().unwrap_or(""),
            method = %req.method(),
            path = %req.uri().path(),
        );
        Begun {
            started,
            ids: request_id::RequestIds {
                request_id: id,
                correlation_id: correlation,
            },
            span,
            db_micros: Arc::default(),
        }
    }

    /// Runs `fut` (the rest of the request) in the request's span, with its IDs and database
    /// timer in reach of everything it calls.
    pub async fn run<F: Future>(&self, fut: F) -> F::Output {
        let fut = request_id::scope(self.ids.clone(), fut);
        lintel_store::timing::scope(self.db_micros.clone(), fut)
            .instrument(self.span.clone())
            .await
    }

    /// Puts the IDs, timings and security headers on the answer and logs the access line.
    pub fn finish(self, mut res: Response) -> Response {
        let total = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let h = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.ids.request_id) {
            h.insert(X_REQUEST_ID, v);
        }
        if let Some(v) = self
            .ids
            .correlation_id
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            h.insert(X_CORRELATION_ID, v);
        }
        h.insert(X_RESPONSE_TIME, millis_header(total));
        h.insert(
            X_DB_TIME,
            millis_header(self.db_micros.load(Ordering::Relaxed)),
        );
        security_headers(h);
        self.span.in_scope(|| {
            tracing::info!(
                status = res.status().as_u16(),
                elapsed_ms = %Millis(total),
                "handled"
            )
        });
        res
    }
}

/// Microseconds as milliseconds with three decimals (`1234` → `1.234`), written without going
/// through float formatting: for the timing headers and the access line.
struct Millis(u64);

impl Millis {
    fn digits(&self, buf: &mut [u8; 24]) -> usize {
        let mut at = buf.len();
        let mut put = |b: u8| {
            at -= 1;
            buf[at] = b;
        };
        let (mut whole, mut frac) = (self.0 / 1000, self.0 % 1000);
        for _ in 0..3 {
            put(b'0' + (frac % 10) as u8);
            frac /= 10;
        }
        put(b'.');
        loop {
            put(b'0' + (whole % 10) as u8);
            whole /= 10;
            if whole == 0 {
                break;
            }
        }
        at
    }
}

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = [0u8; 24];
        let at = self.digits(&mut buf);
        f.write_str(std::str::from_utf8(&buf[at..]).map_err(|_| std::fmt::Error)?)
    }
}

fn millis_header(micros: u64) -> HeaderValue {
    let mut buf = [0u8; 24];
    let at = Millis(micros).digits(&mut buf);
    HeaderValue::from_bytes(&buf[at..]).unwrap_or(HeaderValue::from_static("0"))
}

/// Security headers on every response (panics included); a route that set its own (the docs
/// UI) keeps them.
fn security_headers(h: &mut HeaderMap) {
    const DEFAULTS: [(HeaderName, &str); 6] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in DEFAULTS {
        if let header::Entry::Vacant(e) = h.entry(name) {
            e.insert(HeaderValue::from_static(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{millis_header, Millis};

    #[test]
    fn millis_have_three_decimals() {
        for micros in [0, 5, 999, 1000, 1234, 60_000_001, u64::MAX] {
            let want = format!("{:.3}", micros as f64 / 1000.0);
            let want = if micros == u64::MAX {
                format!("{}.{:03}", micros / 1000, micros % 1000)
            } else {
                want
            };
            assert_eq!(millis_header(micros).to_str().unwrap(), want, "{micros}");
            assert_eq!(Millis(micros).to_string(), want);
        }
    }
}
