//! Request bodies: a deadline for reading each one, and what becomes of one a handler answered
//! without reading (a 401, 403, 404, 413 or 429 sent before the JSON extractor ran).
//!
//! - A handler has [`BodyPolicy::timeout`] from its first read of the body to the body's end.
//!   Past it the read fails with [`BodyReadTimeout`], which the extractors answer with 408
//!   `REQUEST_TIMEOUT`, and the response carries `Connection: close`.
//! - An HTTP/1 body left unread is read and discarded after the handler answered and before the
//!   response is sent, within the same deadline and up to the body limit, so the client can send
//!   its next request on the same connection. A body that is larger, too slow, or that the client
//!   holds back for a `100 Continue` that never came, gets `Connection: close` instead: the
//!   client learns the connection ends with this answer, rather than finding it gone.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Version};
use axum::response::Response;
use axum::BoxError;
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::time::{Instant, Sleep};

/// How request bodies are read.
#[derive(Debug, Clone, Copy)]
pub struct BodyPolicy {
    /// From the handler's first read to the body's end.
    pub timeout: Duration,
    /// The body limit in bytes: an unread body is discarded up to this size.
    pub limit: usize,
}

/// The request body was not received within the body-read timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received within the body-read timeout")]
pub struct BodyReadTimeout;

/// Whether `err` (an extractor's rejection) comes from [`BodyReadTimeout`].
pub fn is_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.is::<BodyReadTimeout>() {
            return true;
        }
        cur = e.source();
    }
    false
}

/// What the body was left as when the handler was done with it.
enum Leftover {
    /// Still owned by something that outlives the handler; nothing to do.
    Held,
    /// Read to its end.
    Done,
    /// Timed out, or failed: the connection cannot carry another request.
    Broken,
    /// Dropped before its end.
    Unread {
        body: Body,
        read: u64,
        deadline: Option<Instant>,
    },
}

/// What becomes of a request's body once its handler has answered (see [`Watch::finish`]).
pub struct Watch {
    policy: BodyPolicy,
    slot: Arc<Mutex<Leftover>>,
    expects_continue: bool,
    declared: Option<u64>,
}

/// Times the reading of `req`'s body. `None` when there is nothing to watch: a request without
/// a body, or an HTTP/2 one (HTTP/2 resets an unread stream on its own; the connection is
/// unaffected). The deadline still applies to HTTP/2 bodies.
pub fn watch(policy: BodyPolicy, req: Request) -> (Request, Option<Watch>) {
    if req.body().is_end_stream() {
        return (req, None);
    }
    let http1 = req.version() < Version::HTTP_2;
    let expects_continue = req
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let slot = Arc::new(Mutex::new(Leftover::Held));
    let (parts, body) = req.into_parts();
    let timed = Timed {
        body,
        slot: slot.clone(),
        timeout: policy.timeout,
        timer: None,
        read: 0,
        state: Reading::Open,
    };
    let req = Request::from_parts(parts, Body::new(timed));
    let watch = http1.then_some(Watch {
        policy,
        slot,
        expects_continue,
        declared,
    });
    (req, watch)
}

impl Watch {
    /// After the handler answered: discards an unread rest of the body, or marks the answer
    /// `Connection: close` when the connection cannot carry another request.
    pub async fn finish(self, mut res: Response) -> Response {
        let Watch {
            policy,
            slot,
            expects_continue,
            declared,
        } = self;
        let leftover = std::mem::replace(
            &mut *slot.lock().unwrap_or_else(|p| p.into_inner()),
            Leftover::Held,
        );
        let reusable = match leftover {
            Leftover::Held | Leftover::Done => true,
            Leftover::Broken => false,
            Leftover::Unread {
                body,
                read,
                deadline,
            } => {
                let limit = policy.limit as u64;
                let too_large = read > limit || declared.is_some_and(|n| n > limit);
                // Never read: a client waiting for `100 Continue` will not send the body.
                let held_back = expects_continue && deadline.is_none();
                !too_large
                    && !held_back
                    && discard(
                        body,
                        limit - read,
                        deadline.unwrap_or_else(|| Instant::now() + policy.timeout),
                    )
                    .await
            }
        };
        if !reusable {
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        res
    }
}

/// Reads `body` to its end and drops it; false when it is longer than `budget` bytes, fails, or
/// is not done by `deadline`.
async fn discard(mut body: Body, budget: u64, deadline: Instant) -> bool {
    let read = async {
        let mut left = budget;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            let len = frame.data_ref().map_or(0, |d| d.len() as u64);
            match left.checked_sub(len) {
                Some(rest) => left = rest,
                None => return false,
            }
        }
        true
    };
    tokio::time::timeout_at(deadline, read)
        .await
        .unwrap_or(false)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Open,
    Done,
    Broken,
}

/// The request body as the handler sees it: its reading must end `timeout` after it began.
struct Timed {
    body: Body,
    slot: Arc<Mutex<Leftover>>,
    timeout: Duration,
    /// Started by the first read.
    timer: Option<Pin<Box<Sleep>>>,
    read: u64,
    state: Reading,
}

impl http_body::Body for Timed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match this.state {
            Reading::Done => return Poll::Ready(None),
            Reading::Broken => return Poll::Ready(Some(Err(Box::new(BodyReadTimeout)))),
            Reading::Open => {}
        }
        let timeout = this.timeout;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(None) => {
                this.state = Reading::Done;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(frame))) => {
                this.read += frame.data_ref().map_or(0, |d| d.len() as u64);
                if this.body.is_end_stream() {
                    this.state = Reading::Done;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.state = Reading::Broken;
                Poll::Ready(Some(Err(Box::new(e))))
            }
            Poll::Pending => {
                if timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.state = Reading::Broken;
                Poll::Ready(Some(Err(Box::new(BodyReadTimeout))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self.state {
            Reading::Open => self.body.is_end_stream(),
            Reading::Done | Reading::Broken => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Timed {
    fn drop(&mut self) {
        let left = match self.state {
            Reading::Done => Leftover::Done,
            Reading::Broken => Leftover::Broken,
            Reading::Open if self.body.is_end_stream() => Leftover::Done,
            Reading::Open => Leftover::Unread {
                body: std::mem::take(&mut self.body),
                read: self.read,
                deadline: self.timer.as_ref().map(|t| t.deadline()),
            },
        };
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = left;
    }
}
