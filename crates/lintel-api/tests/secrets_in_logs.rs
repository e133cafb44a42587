//! Secrets stay out of the logs. This binary installs a global `tracing` subscriber that
//! records EVERY event of every target at TRACE level, in both the human and the JSON format,
//! into in-memory buffers; then it registers, signs in (right and wrong passwords, API and
//! form), uses the session cookie and CSRF token, creates, uses and revokes API keys and adds a
//! member — and asserts that no password, API key, session token or CSRF token appears in
//! either log. The logs must be non-empty and carry the request IDs, and a planted canary must
//! be found, so the test can fail.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::{Method, StatusCode};
use common::*;
use lintel_domain::{Actor, OrgId, Plan};
use serde_json::json;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;

type Buffer = Arc<Mutex<Vec<u8>>>;

/// An `io::Write` that appends to a shared buffer.
struct Sink(Buffer);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The human and JSON logs of this test binary (installed once, shared by both backends).
fn logs() -> &'static (Buffer, Buffer) {
    static LOGS: OnceLock<(Buffer, Buffer)> = OnceLock::new();
    LOGS.get_or_init(|| {
        let (human, json): (Buffer, Buffer) = Default::default();
        let (h, j) = (human.clone(), json.clone());
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(move || Sink(h.clone()))
                    .with_filter(LevelFilter::TRACE),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(move || Sink(j.clone()))
                    .with_filter(LevelFilter::TRACE),
            )
            .try_init()
            .expect("the only subscriber of this binary");
        (human, json)
    })
}

fn text(buf: &Buffer) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap()).into_owned()
}

/// A unique secret-like value (so a match can only come from this run).
fn secret(tag: &str) -> String {
    format!("{tag}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// The session token in a `Set-Cookie` answer.
fn cookie_of(r: &Resp) -> String {
    let v = r.header("set-cookie");
    let token = v.strip_prefix("lintel_session=").unwrap_or_default();
    let token = token.split(';').next().unwrap_or_default().to_string();
    assert!(token.len() > 20, "no session cookie in {:?}", r.headers);
    token
}

/// What a run has seen: secrets that must not be logged, request IDs that must be.
#[derive(Default)]
struct Seen {
    secrets: Vec<(String, String)>,
    request_ids: Vec<String>,
}

impl Seen {
    fn secret(&mut self, what: &str, value: &str) {
        self.secrets.push((what.to_string(), value.to_string()));
    }
    fn saw(&mut self, r: Resp) -> Resp {
        let id = r.header("x-request-id").to_string();
        assert!(!id.is_empty(), "no request ID");
        self.request_ids.push(id);
        r
    }
}

async fn sign_in_and_use(app: &TestApp, seen: &mut Seen) -> (OrgId, Client) {
    let password = secret("pw-register");
    let email = format!("{}@example.com", secret("owner"));
    seen.secret("registration password", &password);
    let body = json!({"email": email, "password": password, "name": "Owner", "organisationName": "Logs Ltd"});
    let r = seen.saw(app.post("/api/auth/register", &Client::Anon, body).await);
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    seen.secret("session token (register)", &cookie_of(&r));
    seen.secret(
        "CSRF token (register)",
        r.data()["csrfToken"].as_str().unwrap(),
    );
    let org: OrgId = r.data()["organisation"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    for (what, pw, mail) in [
        ("wrong password", secret("pw-wrong"), email.clone()),
        (
            "unknown account's password",
            secret("pw-nobody"),
            "nobody@example.com".into(),
        ),
    ] {
        seen.secret(what, &pw);
        let body = json!({"email": mail, "password": pw});
        let r = seen.saw(app.post("/api/auth/login", &Client::Anon, body).await);
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    let body = json!({"email": email, "password": password, "remember": password});
    let r = seen.saw(app.post("/api/auth/login", &Client::Anon, body).await);
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let body = json!({"email": email, "password": password});
    let r = seen.saw(app.post("/api/auth/login", &Client::Anon, body).await);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (cookie, csrf) = (
        cookie_of(&r),
        r.data()["csrfToken"].as_str().unwrap().to_string(),
    );
    seen.secret("session token (login)", &cookie);
    seen.secret("CSRF token (login)", &csrf);
    let session = Client::Session {
        cookie: cookie.clone(),
        csrf,
    };

    // The sign-in form, right and wrong.
    let wrong = secret("pw-form");
    seen.secret("wrong form password", &wrong);
    for (pw, status) in [
        (&wrong, StatusCode::SEE_OTHER),
        (&password, StatusCode::SEE_OTHER),
    ] {
        let form = format!("email={}&password={pw}", email.replace('@', "%40"));
        let r = app
            .raw(
                Method::POST,
                "/login",
                &Client::Anon,
                Some(form.into_bytes()),
            )
            .await;
        let r = seen.saw(r);
        assert_eq!(r.status, status, "{}", r.text);
        if r.header("location") == "/api/docs/ui" {
            seen.secret("session token (form)", &cookie_of(&r));
        }
    }

    // The cookie and CSRF token at work, and a wrong CSRF token.
    let r = seen.saw(app.get("/api/auth/session", &session).await);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = seen.saw(
        app.post("/api/properties", &session, property_body("Logged"))
            .await,
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let bad_csrf = secret("csrf-wrong");
    seen.secret("wrong CSRF token", &bad_csrf);
    let forged = Client::Session {
        cookie,
        csrf: bad_csrf,
    };
    let r = seen.saw(
        app.post("/api/properties", &forged, property_body("Forged"))
            .await,
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    (org, session)
}

async fn keys_and_members(app: &TestApp, org: OrgId, session: &Client, seen: &mut Seen) {
    app.store()
        .orgs()
        .set_plan(&Actor::system(), org, Plan::Business)
        .await
        .unwrap();
    let body = json!({"name": "Sync", "role": "admin"});
    let r = seen.saw(app.post("/api/api-keys", session, body).await);
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let key = r.data()["secret"].as_str().unwrap().to_string();
    let key_id = r.data()["apiKey"]["id"].as_str().unwrap().to_string();
    seen.secret("API key", &key);
    let client = Client::Key(key.clone());
    let r = seen.saw(app.get("/api/properties", &client).await);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = seen.saw(
        app.post("/api/properties", &client, property_body("By key"))
            .await,
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let initial = secret("pw-member");
    seen.secret("member's initial password", &initial);
    let email = format!("{}@example.com", secret("member"));
    let body = json!({"email": email, "name": "Mem", "role": "tenant", "password": initial});
    let r = seen.saw(app.post("/api/members", &client, body).await);
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let body = json!({"email": email, "password": initial});
    let r = seen.saw(app.post("/api/auth/login", &Client::Anon, body).await);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    seen.secret("session token (member)", &cookie_of(&r));
    seen.secret(
        "CSRF token (member)",
        r.data()["csrfToken"].as_str().unwrap(),
    );

    let r = seen.saw(
        app.delete(&format!("/api/api-keys/{key_id}"), session)
            .await,
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = seen.saw(app.get("/api/properties", &client).await);
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "revoked key: {}",
        r.text
    );
    let bogus = format!("lk_{}", secret("bogus").replace('-', ""));
    seen.secret("made-up API key", &bogus);
    let r = seen.saw(app.get("/api/properties", &Client::Key(bogus)).await);
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    let r = seen.saw(app.post_empty("/api/auth/signout", session).await);
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text);
}

/// The secrets found in `log`, matched whole and by a 16-character middle slice (a secret
/// logged truncated or inside another value still counts).
fn found<'a>(log: &str, secrets: &'a [(String, String)]) -> Vec<&'a str> {
    secrets
        .iter()
        .filter(|(_, s)| {
            let mid = s.len() / 2;
            let slice = s.get(mid.saturating_sub(8)..mid + 8).unwrap_or(s);
            log.contains(s.as_str()) || log.contains(slice)
        })
        .map(|(what, _)| what.as_str())
        .collect()
}

backend_test_with!(no_secret_reaches_the_logs, unlimited_config(), |app| {
    let (human, json) = logs();
    let mut seen = Seen::default();
    let (org, session) = sign_in_and_use(&app, &mut seen).await;
    keys_and_members(&app, org, &session, &mut seen).await;
    let canary = secret("canary");
    tracing::info!(value = %canary, "planted to prove the capture works");

    for (format, buf) in [("human", human), ("JSON", json)] {
        let log = text(buf);
        assert!(log.len() > 1_000, "the {format} log is (nearly) empty");
        assert!(
            log.contains(&canary),
            "the {format} log misses the planted canary"
        );
        for id in &seen.request_ids {
            assert!(
                log.contains(id.as_str()),
                "the {format} log lacks request {id}"
            );
        }
        let leaked = found(&log, &seen.secrets);
        assert!(leaked.is_empty(), "the {format} log contains: {leaked:?}");
        let canaries = [("canary".to_string(), canary.clone())];
        assert!(
            !found(&log, &canaries).is_empty(),
            "the detector misses a logged value"
        );
        eprintln!(
            "[{}] {format} log: {} bytes, {} requests, {} secrets checked, none found",
            app.backend,
            log.len(),
            seen.request_ids.len(),
            seen.secrets.len()
        );
    }
});
