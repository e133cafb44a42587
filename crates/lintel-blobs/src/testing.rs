//! A real S3-compatible server for tests: moto's, started on a free port and stopped on drop.
//! Its command is taken from `LINTEL_TEST_MOTO` (what `scripts/s3-test-server` prints, which
//! `.ci/run` exports) or `moto_server` on the `PATH`; without one, [`start_moto`] answers `None`
//! and the caller prints a notice and skips. Behind the `testing` feature.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::S3Settings;

/// A running moto server.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command that starts moto's server: `LINTEL_TEST_MOTO` (a command line, e.g. what
/// `scripts/s3-test-server` prints), else `moto_server` if it is on the `PATH`.
fn moto_command() -> Option<Vec<String>> {
    if let Ok(cmd) = std::env::var("LINTEL_TEST_MOTO") {
        let words: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
        if !words.is_empty() {
            return Some(words);
        }
    }
    let found = Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    found.then(|| vec!["moto_server".to_string()])
}

pub fn start_moto() -> Option<Moto> {
    let cmd = moto_command()?;
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&cmd[0])
        .args(&cmd[1..])
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?} did not start: {e}"));
    let moto = Moto { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not listen within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

/// One HTTP/1.1 request; the status and the body.
pub fn http(port: u16, method: &str, path_and_query: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[head_end..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[line_end + 2..line_end + 2 + size]);
        b = &b[line_end + 2 + size + 2..];
    }
}

impl Moto {
    /// Creates `bucket` and answers the settings that reach it.
    pub fn bucket(&self, bucket: &str) -> S3Settings {
        let (status, _) = http(self.port, "PUT", &format!("/{bucket}"));
        assert_eq!(status, 200, "creating the bucket");
        S3Settings {
            endpoint: Some(format!("http://127.0.0.1:{}", self.port)),
            region: "us-east-1".into(),
            bucket: bucket.into(),
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
        }
    }

    /// The path and query of a URL of this server (a presigned URL).
    pub fn path_of<'a>(&self, url: &'a str) -> &'a str {
        url.split_once(&format!("127.0.0.1:{}", self.port))
            .expect("a URL of this server")
            .1
    }
}

/// The notice printed when no moto server can start.
pub const SKIPPED: &str = "NOTICE: S3 test skipped: no moto_server (set LINTEL_TEST_MOTO or put it on PATH; .ci/run installs it)";
