//! The S3 backend against a real S3-compatible server: moto's, started here. Its `moto_server`
//! is taken from `LINTEL_TEST_MOTO` (the path `.ci/run` installs it at) or the `PATH`; without
//! one the test prints a notice and passes, so the tests need no services.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use lintel_blobs::{Backend, BlobError, BlobKey, Blobs, S3Settings};
use lintel_domain::{DocumentId, OrgId};

struct Moto {
    child: Child,
    port: u16,
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

fn start_moto() -> Option<Moto> {
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
fn http(port: u16, method: &str, path_and_query: &str) -> (u16, Vec<u8>) {
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

#[tokio::test]
async fn objects_round_trip_through_an_s3_server_and_download_by_presigned_url() {
    let Some(moto) = start_moto() else {
        eprintln!("NOTICE: S3 test skipped: no moto_server (set LINTEL_TEST_MOTO or put it on PATH; .ci/run installs it)");
        return;
    };
    let (status, _) = http(moto.port, "PUT", "/lintel-docs");
    assert_eq!(status, 200, "creating the bucket");
    let blobs = Blobs::open(&Backend::S3(S3Settings {
        endpoint: Some(format!("http://127.0.0.1:{}", moto.port)),
        region: "us-east-1".into(),
        bucket: "lintel-docs".into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
    }))
    .unwrap();
    assert_eq!(blobs.kind(), "s3");
    let key = BlobKey::document(OrgId::new(), DocumentId::new());
    let bytes = Bytes::from_static(b"\x89PNG\r\n\x1a\n not really a picture");
    blobs.put(&key, bytes.clone()).await.unwrap();
    assert_eq!(blobs.get(&key).await.unwrap(), bytes);

    let url = blobs
        .presigned_get(&key, Duration::from_secs(900))
        .await
        .unwrap()
        .expect("S3 presigns");
    assert!(
        url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=900"),
        "{url}"
    );
    let path_and_query = url
        .split_once(&format!("127.0.0.1:{}", moto.port))
        .unwrap()
        .1;
    assert!(path_and_query.starts_with(&format!("/lintel-docs/{}", key.as_str())));
    let (status, body) = http(moto.port, "GET", path_and_query);
    assert_eq!((status, body.as_slice()), (200, &bytes[..]));

    blobs.delete(&key).await.unwrap();
    assert!(matches!(blobs.get(&key).await, Err(BlobError::NotFound)));
    blobs.delete(&key).await.unwrap();
}
