//! Running the binary, a served instance, and a minimal HTTP/1.1 client over `TcpStream`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// `lintel` in `dir`, with no inherited `LINTEL_*` or `RUST_LOG` variables.
pub fn lintel(dir: &Path) -> Command {
    clean(Command::new(env!("CARGO_BIN_EXE_lintel")), dir)
}

/// `lintel` as [`lintel`] does, under an open-file limit of `nofile` (soft and hard), through
/// util-linux's `prlimit`.
pub fn lintel_with_fd_limit(dir: &Path, nofile: u32) -> Command {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--nofile={nofile}:{nofile}"))
        .arg(env!("CARGO_BIN_EXE_lintel"));
    clean(cmd, dir)
}

fn clean(mut cmd: Command, dir: &Path) -> Command {
    cmd.current_dir(dir).stdin(Stdio::null());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("LINTEL_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

/// Runs `cmd`, asserts it succeeded, returns its standard output.
pub fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The rest of the first line of `out` starting with `label`, trimmed.
pub fn stdout_line(out: &str, label: &str) -> String {
    out.lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .unwrap_or_else(|| panic!("no line starting with {label:?} in:\n{out}"))
        .trim()
        .to_string()
}

/// A running `lintel serve`; killed if dropped without [`Server::stop_gracefully`].
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    /// The log lines before the "listening on" line.
    pub startup_log: Vec<String>,
    logs: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `cmd` and waits for its "listening on http://ADDR" log line.
    pub fn start(cmd: &mut Command) -> Server {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.split("listening on http://").nth(1) {
                        let addr = rest.split_whitespace().next().unwrap();
                        break addr.parse().expect("a socket address");
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("serve did not start:\n{}", seen.join("\n"));
                }
            }
        };
        Server {
            child: Some(child),
            addr,
            startup_log: seen,
            logs: rx,
        }
    }

    /// The first log line, within `within`, that contains every one of `needles`.
    pub fn wait_for_log(&self, needles: &[&str], within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let line = self.logs.recv_timeout(left).ok()?;
            if needles.iter().all(|n| line.contains(n)) {
                return Some(line);
            }
        }
    }

    /// Sends SIGTERM and expects a clean exit after the shutdown is logged.
    pub fn stop_gracefully(mut self) {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("serve did not stop within 30 s of SIGTERM");
            }
            thread::sleep(Duration::from_millis(50));
        };
        let logs: Vec<String> = self.logs.try_iter().collect();
        assert!(status.success(), "exit {status}:\n{}", logs.join("\n"));
        let logs = logs.join("\n");
        assert!(
            logs.contains("SIGTERM") && logs.contains("stopped"),
            "{logs}"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `GET path` with an optional bearer token; returns the status and the body.
pub fn get(addr: SocketAddr, path: &str, bearer: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = bearer
        .map(|k| format!("Authorization: Bearer {k}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let body = &raw[split + 4..];
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().replace(' ', "") == "transfer-encoding:chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    (status, String::from_utf8(body).expect("a UTF-8 body"))
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..eol]).to_string();
        let n = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        let tail = &rest[eol + 2..];
        out.extend_from_slice(&tail[..n]);
        rest = tail[n..].strip_prefix(b"\r\n").unwrap_or(&tail[n..]);
    }
    out
}

/// `POST path` with a JSON body; returns the status and the body.
pub fn post_json(addr: SocketAddr, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

/// A PostgreSQL database of its own for one test, dropped when this is dropped; `None` (with a
/// notice) when `LINTEL_TEST_POSTGRES_URL` is unset.
pub struct FreshPostgres {
    pub url: String,
    admin: String,
    name: String,
}

fn admin_sql(admin: &str, sql: String) {
    let admin = admin.to_string();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL");
            sqlx::Executor::execute(&mut c, sql.as_str())
                .await
                .expect(&sql);
        });
    })
    .join()
    .unwrap();
}

impl FreshPostgres {
    pub fn create() -> Option<FreshPostgres> {
        let Ok(admin) = std::env::var("LINTEL_TEST_POSTGRES_URL") else {
            eprintln!("skipping PostgreSQL run: LINTEL_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("lintel_c_{}", ulid::Ulid::new().to_string().to_lowercase());
        admin_sql(&admin, format!("CREATE DATABASE \"{name}\""));
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Some(FreshPostgres {
            url: format!("{base}/{name}"),
            admin,
            name,
        })
    }
}

impl Drop for FreshPostgres {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let admin = self.admin.clone();
        let _ = std::panic::catch_unwind(move || admin_sql(&admin, sql));
    }
}
