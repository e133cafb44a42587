//! The test harness: a fresh database per test (SQLite file, or a PostgreSQL database created
//! for the test and dropped after), the real router driven in-process, and clients for every
//! kind of caller.
#![allow(dead_code)]

pub mod auth;
pub mod units;
pub mod wire;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use lintel_api::auth::{hash_password, secrets};
use lintel_api::{ApiConfig, AppState};
use lintel_domain::{Actor, OrgId, Plan, Role, Timestamp, UserId};
use lintel_store::identity::{NewSession, NewUserRecord};
use lintel_store::{ConnectOptions, Store};
use serde_json::Value;
use tower::ServiceExt;

/// Declares a test that runs once on SQLite and once on PostgreSQL (skipped with a notice when
/// `LINTEL_TEST_POSTGRES_URL` is unset).
#[macro_export]
macro_rules! backend_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::common::TestApp::sqlite().await;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = $crate::common::TestApp::postgres().await else {
                    return;
                };
                $body
            }
        }
    };
}

/// A fast password hash for test users (hashing is exercised by the auth tests themselves).
pub const PASSWORD: &str = "correct-horse-battery";

fn password_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap())
        .clone()
}

enum Guard {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Postgres { admin_url, name } = self {
            let (url, name) = (admin_url.clone(), name.clone());
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = sqlx::Executor::execute(&mut c, sql.as_str()).await;
                    }
                });
            })
            .join();
        }
    }
}

/// One running application on its own database.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub backend: &'static str,
    _guard: Guard,
}

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum Client {
    Anon,
    Session {
        cookie: String,
        csrf: String,
    },
    /// A session cookie, but state-changing requests omit the CSRF token.
    SessionNoCsrf {
        cookie: String,
    },
    Key(String),
}

/// A created organisation and its admin.
pub struct TestOrg {
    pub id: OrgId,
    pub admin: Client,
    pub admin_id: UserId,
}

/// A response, its JSON body parsed.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// `data` of a success envelope.
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    /// Field names in `details`.
    pub fn fields(&self) -> Vec<String> {
        self.body["details"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|d| d["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub fn test_config() -> ApiConfig {
    ApiConfig::default()
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        Self::sqlite_with(test_config()).await
    }

    pub async fn sqlite_with(config: ApiConfig) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/lintel.db", dir.path().display());
        Self::start(&url, config, Guard::Sqlite(dir), "sqlite").await
    }

    /// `None` (after printing a notice) when `LINTEL_TEST_POSTGRES_URL` is unset.
    pub async fn postgres() -> Option<TestApp> {
        Self::postgres_with(test_config()).await
    }

    pub async fn postgres_with(config: ApiConfig) -> Option<TestApp> {
        let Ok(admin_url) = std::env::var("LINTEL_TEST_POSTGRES_URL") else {
            eprintln!("skipping PostgreSQL run: LINTEL_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("lintel_t_{}", ulid::Ulid::new().to_string().to_lowercase());
        {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("connect to PostgreSQL");
            sqlx::Executor::execute(&mut c, format!("CREATE DATABASE \"{name}\"").as_str())
                .await
                .expect("create test database");
        }
        let url = with_database(&admin_url, &name);
        let guard = Guard::Postgres { admin_url, name };
        Some(Self::start(&url, config, guard, "postgres").await)
    }

    async fn start(url: &str, config: ApiConfig, guard: Guard, backend: &'static str) -> TestApp {
        let opts = ConnectOptions {
            max_connections: 5,
            ..Default::default()
        };
        let store = Store::connect(url, &opts).await.expect("connect");
        store.migrate().await.expect("migrate");
        let state = AppState::new(store, config).await.expect("state");
        TestApp {
            router: lintel_api::router(state.clone()),
            state,
            backend,
            _guard: guard,
        }
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Sends a request with a raw body (as `application/json` when there is one).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        client: &Client,
        body: Option<Vec<u8>>,
    ) -> Resp {
        let json = body.is_some().then_some("application/json");
        self.raw_as(method, path, client, json, body).await
    }

    /// Sends a request with a raw body and the `Content-Type` given (none when `None`).
    pub async fn raw_as(
        &self,
        method: Method,
        path: &str,
        client: &Client,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Resp {
        let mut b = Request::builder().method(method.clone()).uri(path);
        match client {
            Client::Anon => {}
            Client::Key(k) => b = b.header(header::AUTHORIZATION, format!("Bearer {k}")),
            Client::Session { cookie, csrf } => {
                b = b.header(header::COOKIE, format!("lintel_session={cookie}"));
                b = b.header("x-csrf-token", csrf);
            }
            Client::SessionNoCsrf { cookie } => {
                b = b.header(header::COOKIE, format!("lintel_session={cookie}"));
            }
        }
        if let Some(t) = content_type {
            b = b.header(header::CONTENT_TYPE, t);
        }
        let req = b
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, client: &Client) -> Resp {
        self.raw(Method::GET, path, client, None).await
    }
    pub async fn post(&self, path: &str, client: &Client, body: Value) -> Resp {
        self.raw(
            Method::POST,
            path,
            client,
            Some(body.to_string().into_bytes()),
        )
        .await
    }
    pub async fn post_empty(&self, path: &str, client: &Client) -> Resp {
        self.raw(Method::POST, path, client, None).await
    }
    pub async fn patch(&self, path: &str, client: &Client, body: Value) -> Resp {
        self.raw(
            Method::PATCH,
            path,
            client,
            Some(body.to_string().into_bytes()),
        )
        .await
    }
    pub async fn delete(&self, path: &str, client: &Client) -> Resp {
        self.raw(Method::DELETE, path, client, None).await
    }

    /// A new organisation on `plan` with an admin signed in by session.
    pub async fn org(&self, plan: Plan) -> TestOrg {
        let n = ulid::Ulid::new().to_string().to_lowercase();
        let admin = NewUserRecord {
            email: format!("admin-{n}@example.com"),
            name: "Test Admin".into(),
            password_hash: password_hash(),
        };
        let (org, user) = self
            .store()
            .orgs()
            .create_with_admin("Test Org", plan, admin, None)
            .await
            .unwrap();
        let client = self.session_for(org.id, user.id).await;
        TestOrg {
            id: org.id,
            admin: client,
            admin_id: user.id,
        }
    }

    /// A member of `org` with `role`, signed in by session.
    pub async fn member(&self, org: &TestOrg, role: Role) -> Client {
        let n = ulid::Ulid::new().to_string().to_lowercase();
        let rec = NewUserRecord {
            email: format!("{role}-{n}@example.com"),
            name: format!("Test {role}"),
            password_hash: password_hash(),
        };
        let user = self
            .store()
            .org(org.id)
            .members()
            .add(&Actor::system(), rec, role, lintel_domain::Cap::Unlimited)
            .await
            .unwrap();
        self.session_for(org.id, user.id).await
    }

    /// Signs a user in directly (no password round-trip).
    pub async fn session_for(&self, org: OrgId, user: UserId) -> Client {
        let token = secrets::random_token();
        let csrf = secrets::random_token();
        let new = NewSession {
            user_id: user,
            token_hash: secrets::lookup_hash(&token),
            csrf_hash: secrets::lookup_hash(&csrf),
            user_agent: Some("tests".into()),
            ip: None,
            expires_at: Timestamp(Timestamp::now().0 + 3_600_000),
        };
        self.store().org(org).sessions().create(new).await.unwrap();
        Client::Session {
            cookie: token,
            csrf,
        }
    }

    /// An API key of `org` with `role` (keys work only on the BUSINESS plan).
    pub async fn key(&self, org: &TestOrg, role: Role) -> Client {
        let (_, secret) = lintel_api::auth::issue_api_key(
            self.store(),
            &Actor::system(),
            org.id,
            "test".into(),
            role,
        )
        .await
        .unwrap();
        Client::Key(secret)
    }
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A valid property body.
pub fn property_body(name: &str) -> Value {
    serde_json::json!({
        "name": name,
        "type": "residential",
        "address": {"line1": "41 Harbour Street", "city": "Halifax", "region": "NS", "postalCode": "B3J 1A1", "country": "CA"}
    })
}

/// Creates a property and returns its ID.
pub async fn create_property(app: &TestApp, client: &Client, name: &str) -> String {
    let r = app
        .post("/api/properties", client, property_body(name))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.data()["id"].as_str().unwrap().to_string()
}

/// Like [`backend_test!`], with the `ApiConfig` expression `$config` for both runs.
#[macro_export]
macro_rules! backend_test_with {
    ($name:ident, $config:expr, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::common::TestApp::sqlite_with($config).await;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = $crate::common::TestApp::postgres_with($config).await else {
                    return;
                };
                $body
            }
        }
    };
}

impl TestApp {
    /// The URL of this test's own database, for tests that inspect the tables directly.
    pub fn database_url(&self) -> String {
        match &self._guard {
            Guard::Sqlite(dir) => format!("sqlite://{}/lintel.db", dir.path().display()),
            Guard::Postgres { admin_url, name } => with_database(admin_url, name),
        }
    }
}

/// A test configuration with rate limiting off, so a long run of requests is never a 429.
pub fn unlimited_config() -> ApiConfig {
    let mut config = test_config();
    config.rate_limits.enabled = false;
    config
}
