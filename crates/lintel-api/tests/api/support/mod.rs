//! The test harness shared by every context: a fresh database per test (SQLite file, or a
//! PostgreSQL database created for the test and dropped after), the real router driven
//! in-process, and clients for every kind of caller.

#[macro_use]
mod macros;
#[macro_use]
pub mod auth;
mod db;
pub mod form;
pub mod logs;
pub mod stripe;
pub mod units;
pub mod wire;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use lintel_api::auth::{hash_password, secrets};
use lintel_api::{ApiConfig, AppState};
use lintel_domain::{Actor, OrgId, Plan, Role, Timestamp, UserId};
use lintel_store::identity::{NewSession, NewUserRecord};
use lintel_store::Store;
use serde_json::Value;
use tower::ServiceExt;

use db::Guard;

/// A fast password hash for test users (hashing is exercised by the auth tests themselves).
pub const PASSWORD: &str = "correct-horse-battery";

fn password_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap())
        .clone()
}

/// One running application on its own database.
pub struct TestApp {
    pub router: lintel_api::middleware::App,
    pub state: AppState,
    pub backend: &'static str,
    /// Where this app's documents are stored (local backend).
    pub documents: tempfile::TempDir,
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
    /// The body as received.
    pub bytes: Vec<u8>,
}

impl Resp {
    /// Reads a response whole.
    pub async fn read(res: axum::response::Response) -> Resp {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&bytes).to_string(),
            bytes: bytes.to_vec(),
        }
    }

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

/// The Stripe webhook signing secrets of the test configuration (a rotation in progress).
pub const STRIPE_SECRETS: [&str; 2] = ["whsec_test_old", "whsec_test_new"];

pub fn test_config() -> ApiConfig {
    let mut config = ApiConfig::default();
    config.stripe.webhook_secrets = STRIPE_SECRETS.map(str::to_string).to_vec();
    config.stripe.price_pro = Some("price_pro_test".into());
    config.stripe.price_business = Some("price_business_test".into());
    config
}

/// `Stripe-Signature` for `body` sent at `t` under `secret`, as Stripe's libraries make it.
pub fn stripe_signature(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", lintel_app::stripe::sign(secret, t, body))
}

impl TestApp {
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
        self.raw_with(method, path, client, content_type, body, &[])
            .await
    }

    /// POSTs a JSON body with an `Idempotency-Key`.
    pub async fn post_keyed(&self, path: &str, client: &Client, key: &str, body: Value) -> Resp {
        let bytes = Some(body.to_string().into_bytes());
        let headers = [("idempotency-key", key)];
        self.raw_with(
            Method::POST,
            path,
            client,
            Some("application/json"),
            bytes,
            &headers,
        )
        .await
    }

    /// [`Self::raw_as`] with more request headers.
    pub async fn raw_with(
        &self,
        method: Method,
        path: &str,
        client: &Client,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
        extra: &[(&str, &str)],
    ) -> Resp {
        let mut b = Request::builder().method(method.clone()).uri(path);
        for (name, value) in extra {
            b = b.header(*name, *value);
        }
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
        Resp::read(self.router.clone().oneshot(req).await.unwrap()).await
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

/// A test configuration with rate limiting off, so a long run of requests is never a 429.
pub fn unlimited_config() -> ApiConfig {
    let mut config = test_config();
    config.rate_limits.enabled = false;
    config
}
