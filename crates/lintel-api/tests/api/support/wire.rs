//! The real server on a loopback port, and a raw HTTP/1.1 client that writes bytes exactly as a
//! test wants them (half a request line, a body in pieces) and sees when the server closes.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::Empty;
use lintel_api::server::ServerLimits;
use lintel_api::ApiConfig;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};

use super::TestApp;

/// A test configuration (rate limits off) with these server limits, in seconds.
pub fn limits(header: u64, keep_alive: u64, body: u64, max_connections: u32) -> ApiConfig {
    let mut config = super::unlimited_config();
    config.server = ServerLimits {
        header_read_timeout_secs: header,
        keep_alive_timeout_secs: keep_alive,
        body_read_timeout_secs: body,
        max_connections,
    };
    config
}

/// `lintel_api::server::serve` for a test app, on 127.0.0.1 and a free port.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub async fn start(app: &TestApp) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let router = app.router.clone();
        let limits = app.state.config.server.clone();
        let task = tokio::spawn(async move {
            let stop = async {
                let _ = rx.await;
            };
            lintel_api::server::serve(listener, router, &limits, stop).await
        });
        TestServer {
            addr,
            stop: Some(tx),
            task,
        }
    }

    /// Asks the server to stop, as SIGTERM does.
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Whether `serve` returned (cleanly) within `within`.
    pub async fn finished_within(self, within: Duration) -> bool {
        match timeout(within, self.task).await {
            Ok(joined) => {
                joined
                    .expect("serve did not panic")
                    .expect("serve ended cleanly");
                true
            }
            Err(_) => false,
        }
    }

    pub async fn connect(&self) -> Wire {
        Wire::connect(self.addr).await
    }

    /// `GET /api/health` on a new connection: its status, or `None` if no answer came in `within`.
    pub async fn health(&self, within: Duration) -> Option<u16> {
        let mut w = timeout(within, Wire::connect(self.addr)).await.ok()?;
        w.send(b"GET /api/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .await;
        w.response(within).await.map(|r| r.status)
    }
}

/// `GET path` over a new h2c connection (prior knowledge), with the given initial stream
/// window (`None`: the default): the response (body unread), the request sender and the
/// connection's task. Hold the sender: once it is dropped the client closes the connection
/// itself; while it is held the task ends only when the server closes the connection.
pub async fn h2_get(
    addr: SocketAddr,
    path: &str,
    window: Option<u32>,
) -> (
    axum::http::Response<hyper::body::Incoming>,
    hyper::client::conn::http2::SendRequest<Empty<axum::body::Bytes>>,
    JoinHandle<hyper::Result<()>>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut builder = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
    if let Some(w) = window {
        builder.initial_stream_window_size(w);
    }
    let (mut send, conn) = builder
        .handshake(TokioIo::new(stream))
        .await
        .expect("h2c handshake");
    let conn = tokio::spawn(conn);
    let req = axum::http::Request::get(format!("http://{addr}{path}"))
        .body(Empty::<axum::body::Bytes>::new())
        .unwrap();
    let res = send.send_request(req).await.unwrap();
    (res, send, conn)
}

/// One answer, as read off the socket.
#[derive(Debug)]
pub struct WireResp {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl WireResp {
    /// A header's value (names compared case-insensitively), or "".
    pub fn header(&self, name: &str) -> String {
        self.head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A raw client connection.
pub struct Wire {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Wire {
    pub async fn connect(addr: SocketAddr) -> Wire {
        Wire {
            stream: TcpStream::connect(addr).await.expect("connects"),
            buf: Vec::new(),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Writes, and reports whether the server still took the bytes.
    pub async fn try_send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    /// Reads more bytes; false at end of stream (or a reset).
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// The next response (its body by `Content-Length`), or `None` if the connection ended or
    /// nothing complete arrived within `within`.
    pub async fn response(&mut self, within: Duration) -> Option<WireResp> {
        timeout(within, async {
            let end = loop {
                if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i;
                }
                if !self.fill().await {
                    return None;
                }
            };
            let head = String::from_utf8_lossy(&self.buf[..end]).to_string();
            let status = head.split_whitespace().nth(1)?.parse().ok()?;
            let mut resp = WireResp {
                status,
                head,
                body: Vec::new(),
            };
            let len: usize = resp.header("content-length").parse().unwrap_or(0);
            while self.buf.len() < end + 4 + len {
                if !self.fill().await {
                    return None;
                }
            }
            resp.body = self.buf[end + 4..end + 4 + len].to_vec();
            self.buf.drain(..end + 4 + len);
            Some(resp)
        })
        .await
        .ok()
        .flatten()
    }

    /// Waits for the server to close the connection; how long that took, or `None` if it was
    /// still open after `within`. Bytes that arrive meanwhile are kept for [`Wire::response`].
    pub async fn closed_within(&mut self, within: Duration) -> Option<Duration> {
        let started = Instant::now();
        timeout(within, async { while self.fill().await {} })
            .await
            .ok()
            .map(|()| started.elapsed())
    }

    /// Sends `bytes` one at a time, `every` apart, until the server closes the connection or
    /// they run out; how long until the close, or `None` if it stayed open.
    pub async fn trickle(&mut self, bytes: &[u8], every: Duration) -> Option<Duration> {
        let started = Instant::now();
        for b in bytes {
            if !self.try_send(std::slice::from_ref(b)).await {
                return Some(started.elapsed());
            }
            if let Some(_closed) = self.closed_within(every).await {
                return Some(started.elapsed());
            }
        }
        None
    }
}
