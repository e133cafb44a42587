//! Helpers for the sign-in tests.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use lintel_api::ApiConfig;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::*;

pub fn relaxed() -> ApiConfig {
    let mut c = test_config();
    c.rate_limits.login = 1000;
    c.rate_limits.registration = 1000;
    c
}

/// Like `backend_test!`, with [`relaxed`] rate limits.
macro_rules! relaxed_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app =
                    $crate::support::TestApp::sqlite_with($crate::support::auth::relaxed()).await;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) =
                    $crate::support::TestApp::postgres_with($crate::support::auth::relaxed()).await
                else {
                    return;
                };
                $body
            }
        }
    };
}

pub fn unique_email(tag: &str) -> String {
    format!(
        "{tag}-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

pub fn register_body(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD, "name": "Maria Lopez", "organisationName": "Lopez Lettings"})
}

/// The `Set-Cookie` header that sets `name`, whole.
pub fn set_cookie<'a>(r: &'a Resp, name: &str) -> &'a str {
    let prefix = format!("{name}=");
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", r.headers))
}

/// The session token in a response's `Set-Cookie`.
pub fn cookie_of(r: &Resp) -> String {
    let c = set_cookie(r, "lintel_session");
    let v = &c["lintel_session=".len()..];
    v.split(';').next().unwrap().to_string()
}

/// The client a sign-in answer describes (cookie + CSRF token).
pub fn client_of(r: &Resp) -> Client {
    Client::Session {
        cookie: cookie_of(r),
        csrf: r.data()["csrfToken"].as_str().unwrap().to_string(),
    }
}

pub async fn register(app: &TestApp, email: &str) -> Client {
    let r = app
        .post("/api/auth/register", &Client::Anon, register_body(email))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    client_of(&r)
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> Resp {
    app.post(
        "/api/auth/login",
        &Client::Anon,
        json!({"email": email, "password": password}),
    )
    .await
}

/// Sends a request built by hand (forms, extra headers).
pub async fn send(app: &TestApp, req: Request<Body>) -> Resp {
    Resp::read(app.router.clone().oneshot(req).await.unwrap()).await
}

pub async fn post_form(app: &TestApp, form: &str, extra: Option<(&str, &str)>) -> Resp {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some((k, v)) = extra {
        b = b.header(k, v);
    }
    send(app, b.body(Body::from(form.to_string())).unwrap()).await
}
