//! The server's connection handling, over real sockets: header-read, keep-alive and body-read
//! timeouts, the unread body of an early answer, the connection cap, graceful shutdown, h2c and
//! the peer address. Timeouts are whole seconds (1–5 s) and every bound has a wide margin: the
//! lower bounds show a timeout did not fire early, the upper ones only that it fired at all.

use std::time::Duration;

use crate::support::wire::{h2_get, limits, TestServer, Wire};
use crate::support::*;
use serde_json::json;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// `POST path` with a JSON body, the head and the body in separate writes, as many clients send.
async fn post_in_two_writes(w: &mut Wire, path: &str, body: &[u8]) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    w.send(head.as_bytes()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    w.send(body).await;
}

const HEALTH: &[u8] = b"GET /api/health HTTP/1.1\r\nHost: t\r\n\r\n";

backend_test_with!(
    silent_and_half_sent_connections_are_closed,
    limits(1, 30, 2, 64),
    |app| {
        let server = TestServer::start(&app).await;

        let mut silent = server.connect().await;
        let closed = silent.closed_within(secs(10.0)).await;
        let closed = closed.expect("a silent connection stays open");
        assert!(closed >= secs(0.8), "closed early: {closed:?}");

        // Half a request line, then a byte every 200 ms: the head is timed from the accept, so
        // trickling does not keep the connection.
        let mut half = server.connect().await;
        half.send(b"GET /api/hea").await;
        let closed = half
        .trickle(b"lth HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Duration::from_millis(200))
        .await
        .expect("a trickled request head stays open");
        assert!(closed <= secs(10.0), "{closed:?}");

        assert_eq!(server.health(secs(10.0)).await, Some(200));
    }
);

backend_test_with!(
    keep_alive_connections_are_reused_then_closed_when_idle,
    limits(1, 3, 2, 64),
    |app| {
        let server = TestServer::start(&app).await;
        let mut w = server.connect().await;
        w.send(HEALTH).await;
        assert_eq!(w.response(secs(10.0)).await.unwrap().status, 200);
        // Idle for longer than the header timeout, within the keep-alive timeout.
        tokio::time::sleep(secs(1.5)).await;
        w.send(HEALTH).await;
        let r = w
            .response(secs(10.0))
            .await
            .expect("the connection was reused");
        assert_eq!(r.status, 200);
        assert_ne!(r.header("connection"), "close");
        let closed = w
            .closed_within(secs(20.0))
            .await
            .expect("an idle connection stays open");
        assert!(
            closed >= secs(2.5),
            "closed before the keep-alive timeout: {closed:?}"
        );
    }
);

backend_test_with!(
    a_later_request_head_is_timed_from_its_first_byte,
    limits(1, 30, 2, 64),
    |app| {
        let server = TestServer::start(&app).await;
        let mut w = server.connect().await;
        w.send(HEALTH).await;
        assert_eq!(w.response(secs(10.0)).await.unwrap().status, 200);
        tokio::time::sleep(secs(2.0)).await;
        w.send(b"GET /api/heal").await;
        let closed = w
        .trickle(b"th HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Duration::from_millis(200))
        .await
        .expect("a trickled head on a keep-alive connection stays open");
        // Long before the 30 s keep-alive timeout.
        assert!(closed <= secs(15.0), "{closed:?}");
    }
);

backend_test_with!(
    a_slow_body_is_answered_408_and_the_connection_closed,
    limits(1, 30, 2, 64),
    |app| {
        let server = TestServer::start(&app).await;
        let mut w = server.connect().await;
        w.send(b"POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"email\":\"").await;
        // A byte every 300 ms: never idle for long, yet the whole body is not there in 2 s. The
        // trickle stops at the answer (bytes sent after it would turn the server's close into a reset).
        let started = tokio::time::Instant::now();
        let r = loop {
            if let Some(r) = w.response(Duration::from_millis(300)).await {
                break r;
            }
            if started.elapsed() > secs(20.0) || !w.try_send(b"a").await {
                break w
                    .response(secs(5.0))
                    .await
                    .expect("an answer before the close");
            }
        };
        let elapsed = started.elapsed();
        assert_eq!(r.status, 408, "{}", r.head);
        assert_eq!(r.json()["code"], "REQUEST_TIMEOUT");
        assert_eq!(
            r.json()["error"],
            "The request body was not received in time."
        );
        assert_eq!(r.header("connection"), "close");
        assert!(elapsed >= secs(1.8), "{elapsed:?}");
        assert!(w.closed_within(secs(10.0)).await.is_some());
    }
);

backend_test_with!(
    an_unread_body_does_not_break_the_connection,
    limits(5, 30, 5, 64),
    |app| {
        let server = TestServer::start(&app).await;
        let mut w = server.connect().await;
        let body = json!({"name": "Harbour View", "type": "residential"}).to_string();
        for round in 0..10 {
            // No credentials: 401 before the body is read.
            post_in_two_writes(&mut w, "/api/properties", body.as_bytes()).await;
            let r = w.response(secs(10.0)).await.expect("an answer");
            assert_eq!(r.status, 401, "round {round}: {}", r.head);
            assert_ne!(r.header("connection"), "close", "round {round}");
            w.send(HEALTH).await;
            let r = w.response(secs(10.0)).await;
            assert_eq!(
                r.map(|r| r.status),
                Some(200),
                "round {round}: the next request failed"
            );
        }
        // An unknown route and a wrong method do not read the body either.
        for path in ["/api/nowhere", "/api/health"] {
            post_in_two_writes(&mut w, path, body.as_bytes()).await;
            let r = w.response(secs(10.0)).await.expect("an answer");
            assert!(matches!(r.status, 404 | 405), "{}", r.head);
            w.send(HEALTH).await;
            assert_eq!(w.response(secs(10.0)).await.map(|r| r.status), Some(200));
        }
    }
);

backend_test_with!(
    an_unreadable_body_is_announced_with_connection_close,
    limits(5, 30, 5, 64),
    |app| {
        let server = TestServer::start(&app).await;
        // Larger than the body limit (1 MiB): not discarded.
        let mut w = server.connect().await;
        w.send(b"POST /api/properties HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n{").await;
        let r = w.response(secs(10.0)).await.expect("an answer");
        assert_eq!(r.status, 401);
        assert_eq!(r.header("connection"), "close");
        assert!(w.closed_within(secs(10.0)).await.is_some());

        // Waiting for `100 Continue`: the client will not send the body.
        let mut w = server.connect().await;
        w.send(b"POST /api/properties HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 20\r\nExpect: 100-continue\r\n\r\n").await;
        let r = w.response(secs(10.0)).await.expect("an answer");
        assert_eq!(r.status, 401);
        assert_eq!(r.header("connection"), "close");
        assert!(w.closed_within(secs(10.0)).await.is_some());
    }
);

backend_test_with!(
    connections_over_the_cap_wait_for_a_free_slot,
    limits(5, 5, 5, 3),
    |app| {
        let server = TestServer::start(&app).await;
        let mut silent = Vec::new();
        for _ in 0..3 {
            silent.push(server.connect().await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut extra = server.connect().await;
        extra
            .send(b"GET /api/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .await;
        assert!(
            extra.response(secs(0.5)).await.is_none(),
            "served beyond the cap"
        );
        drop(silent.pop());
        let r = extra
            .response(secs(4.0))
            .await
            .expect("served once a slot freed");
        assert_eq!(r.status, 200);
        assert!(extra.closed_within(secs(5.0)).await.is_some());
        // Two silent connections hold two slots; health is answered on the third.
        assert_eq!(server.health(secs(3.0)).await, Some(200));
    }
);

// A client that sends requests but never reads the answers holds its connection only as long
// as it could sit idle: here the only one under the cap, so health waits until it is dropped.
backend_test_with!(
    a_client_that_stops_reading_is_dropped,
    limits(5, 2, 5, 1),
    |app| {
        let server = TestServer::start(&app).await;
        let mut w = server.connect().await;
        // 80 pipelined requests for the OpenAPI document (~220 kB each): more than socket buffers hold.
        let many = b"GET /api/docs HTTP/1.1\r\nHost: t\r\n\r\n".repeat(80);
        w.send(&many).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let waited = tokio::time::Instant::now();
        assert_eq!(server.health(secs(20.0)).await, Some(200), "still held");
        assert!(waited.elapsed() >= secs(1.0), "{:?}", waited.elapsed());
        drop(w);
    }
);

backend_test_with!(
    shutdown_finishes_in_flight_requests_and_closes_idle_ones,
    limits(5, 30, 10, 64),
    |app| {
        let mut server = TestServer::start(&app).await;
        let mut idle = server.connect().await;
        idle.send(HEALTH).await;
        assert_eq!(idle.response(secs(10.0)).await.unwrap().status, 200);

        let body =
            json!({"email": "nobody@example.com", "password": "not-the-password"}).to_string();
        let (first, rest) = body.as_bytes().split_at(10);
        let mut busy = server.connect().await;
        let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
        busy.send(head.as_bytes()).await;
        busy.send(first).await;
        tokio::time::sleep(Duration::from_millis(300)).await;

        server.stop();
        assert!(
            idle.closed_within(secs(5.0)).await.is_some(),
            "idle connection kept"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        busy.send(rest).await;
        let r = busy
            .response(secs(10.0))
            .await
            .expect("the in-flight request was answered");
        assert_eq!(r.status, 401, "{}", r.head);
        assert_eq!(r.json()["code"], "UNAUTHORIZED");
        assert_eq!(r.header("connection"), "close");
        assert!(busy.closed_within(secs(5.0)).await.is_some());
        assert!(
            server.finished_within(secs(10.0)).await,
            "serve did not return"
        );
    }
);

backend_test_with!(
    h2c_is_served_and_idle_h2_connections_close,
    limits(1, 2, 2, 64),
    |app| {
        use http_body_util::BodyExt;
        let server = TestServer::start(&app).await;
        let (res, _sender, conn) = h2_get(server.addr, "/api/health", None).await;
        assert_eq!(res.version(), axum::http::Version::HTTP_2);
        assert_eq!(res.status(), 200);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert!(String::from_utf8_lossy(&body).contains("\"ok\""));
        let ended = tokio::time::timeout(secs(20.0), conn).await;
        assert!(ended.is_ok(), "an idle h2 connection stays open");
    }
);

// An h2 client that never opens its flow-control window gets its response headers but no data;
// the handler has answered, so the connection is idle and closed at the keep-alive timeout.
backend_test_with!(
    an_h2_client_that_never_reads_is_dropped,
    limits(1, 2, 2, 64),
    |app| {
        let server = TestServer::start(&app).await;
        let (res, _sender, conn) = h2_get(server.addr, "/api/docs", Some(0)).await;
        assert_eq!(res.status(), 200);
        let ended = tokio::time::timeout(secs(20.0), conn).await;
        assert!(
            ended.is_ok(),
            "a connection with an undeliverable response stays open"
        );
        drop(res);
    }
);

backend_test!(handlers_see_the_peer_address, |app| {
    let server = TestServer::start(&app).await;
    let mut w = server.connect().await;
    let body = json!({
        "email": format!("peer-{}@example.com", ulid::Ulid::new().to_string().to_lowercase()),
        "password": PASSWORD, "name": "Peer Test", "organisationName": "Peer Lettings"
    });
    post_in_two_writes(&mut w, "/api/auth/register", body.to_string().as_bytes()).await;
    let r = w.response(secs(30.0)).await.expect("registered");
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let cookie = r.header("set-cookie");
    let cookie = cookie.split(';').next().unwrap();
    let get = format!("GET /api/auth/sessions HTTP/1.1\r\nHost: t\r\nCookie: {cookie}\r\n\r\n");
    w.send(get.as_bytes()).await;
    let r = w.response(secs(10.0)).await.expect("sessions");
    assert_eq!(r.status, 200);
    let text = String::from_utf8_lossy(&r.body).to_string();
    assert!(text.contains("\"ip\":\"127.0.0.1\""), "{text}");
});
