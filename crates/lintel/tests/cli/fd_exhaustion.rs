//! `lintel serve` out of file descriptors: clients beyond the limit wait, the accept loop logs
//! the error and keeps going, and once connections close the server answers again.

use std::net::TcpStream;
use std::time::Duration;

use crate::support::{get, lintel_with_fd_limit, Server};
use tempfile::TempDir;

/// Descriptors the process may open: a few dozen go to the database, the listener and logs.
const NOFILE: u32 = 128;
/// Idle client connections opened at once: well over `NOFILE`, and under what the server can
/// hold plus the listen queue (128 on a default Linux), so every connect completes.
const CLIENTS: usize = 200;

fn survives_running_out_of_descriptors(database_url: Option<&str>) {
    let dir = TempDir::new().unwrap();
    let mut cmd = lintel_with_fd_limit(dir.path(), NOFILE);
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        // Idle connections are held until the test closes them.
        .env("LINTEL_SERVER__HEADER_READ_TIMEOUT_SECS", "120");
    if let Some(url) = database_url {
        cmd.env("LINTEL_DATABASE_URL", url);
    }
    let server = Server::start(&mut cmd);
    let startup = server.startup_log.join("\n");
    assert!(
        startup.contains("does not fit under the open-file limit"),
        "no warning about max_connections and the fd limit:\n{startup}"
    );
    assert_eq!(get(server.addr, "/api/health", None).0, 200);

    let clients: Vec<TcpStream> = (0..CLIENTS)
        .map(|_| TcpStream::connect(server.addr).expect("the kernel queues the connection"))
        .collect();
    let line = server
        .wait_for_log(
            &["accept error", "Too many open files"],
            Duration::from_secs(30),
        )
        .expect("the accept loop did not report running out of descriptors");
    assert!(line.contains("still accepting"), "{line}");

    // Closing the clients frees the server's descriptors: it answers again.
    drop(clients);
    let (status, body) = get(server.addr, "/api/health", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(server.addr, "/api/ready", None).0, 200);
    server.stop_gracefully();
}

#[test]
fn running_out_of_file_descriptors_is_survived() {
    survives_running_out_of_descriptors(None);
}

#[test]
fn running_out_of_file_descriptors_is_survived_on_postgres() {
    let Some(db) = super::support::FreshPostgres::create() else {
        return;
    };
    survives_running_out_of_descriptors(Some(&db.url));
}
