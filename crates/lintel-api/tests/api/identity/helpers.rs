//! Helpers shared by the identity tests.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

pub use crate::support::auth::{client_of, relaxed, send, unique_email};
pub use crate::support::*;

/// Registers a person (and their first organisation); returns their client and the
/// organisation's ID.
pub async fn person(app: &TestApp, tag: &str) -> (String, Client, String) {
    let email = unique_email(tag);
    let r = app
        .post(
            "/api/auth/register",
            &Client::Anon,
            crate::support::auth::register_body(&email),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let org = r.data()["organisation"]["id"].as_str().unwrap().to_string();
    (email, client_of(&r), org)
}

/// Signs in by email and password (optionally into `org`), asserting success.
pub async fn sign_in(app: &TestApp, email: &str, password: &str, org: Option<&str>) -> Resp {
    let mut body = json!({"email": email, "password": password});
    if let Some(o) = org {
        body["organisationId"] = json!(o);
    }
    app.post("/api/auth/login", &Client::Anon, body).await
}

/// Invites `email` into the admin's organisation; returns the answer's data.
pub async fn invite(app: &TestApp, admin: &Client, email: &str, role: &str) -> Value {
    let r = app
        .post(
            "/api/members/invitations",
            admin,
            json!({"email": email, "role": role}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.data().clone()
}

/// A request from `peer`, as the server sees connections (with `ConnectInfo`).
pub fn from_peer(
    method: Method,
    uri: &str,
    peer: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let body = match body {
        Some(v) => {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let mut req = b.body(body).unwrap();
    let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

/// The audit entries of `org` (as its admin sees them), newest first.
pub async fn audit(app: &TestApp, admin: &Client) -> Vec<Value> {
    let r = app.get("/api/audit-log", admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.data()["items"].as_array().unwrap().clone()
}
