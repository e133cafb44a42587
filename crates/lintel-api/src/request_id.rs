//! Request IDs: one per request, in every log line of its span and in `X-Request-Id`.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// A fresh request ID (`req_` + ULID).
pub fn generate() -> String {
    format!("req_{}", ulid::Ulid::new().to_string().to_ascii_lowercase())
}

/// Runs `fut` with `id` as the current request ID.
pub fn scope<F: Future>(id: String, fut: F) -> impl Future<Output = F::Output> {
    REQUEST_ID.scope(id, fut)
}

/// The current request's ID, when inside a request.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// An incoming `X-Request-Id` is kept when it is short and plain; otherwise a new one is made.
pub fn accept(incoming: Option<&str>) -> String {
    match incoming {
        Some(s)
            if !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            s.to_string()
        }
        _ => generate(),
    }
}
