//! Secrets stay out of the logs. Each run records EVERY event of every target at TRACE level, in
//! both the human and the JSON format, into in-memory buffers of its own (a capture per test,
//! see `support/logs.rs`: the other tests of this binary neither add to it nor see it); then it
//! registers, signs in (right and wrong passwords, API and form), uses the session cookie and
//! CSRF token, creates, uses and revokes API keys and adds a member — and asserts that no password, API key, session token or CSRF token appears in
//! either log. The logs must be non-empty and carry the request IDs, and a planted canary must
//! be found, so the test can fail.

use axum::http::{Method, StatusCode};
use lintel_domain::{Actor, OrgId, Plan};
use serde_json::json;

use crate::support::logs::{text, Logs};
use crate::support::*;

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

/// Signs in and uses every kind of credential on `app`, then reads both logs of the run.
async fn no_secret_in_the_logs_of(app: &TestApp, logs: &Logs) {
    let (human, json) = (&logs.human, &logs.json);
    let mut seen = Seen::default();
    let (org, session) = sign_in_and_use(app, &mut seen).await;
    keys_and_members(app, org, &session, &mut seen).await;
    let canary = secret("canary");
    tracing::info!(value = %canary, "planted to prove the capture works");
    // Planted on a worker thread and on the blocking pool too: the capture covers every thread
    // of the test's runtime, where spawned tasks and password hashing run.
    let (worker, blocking) = (secret("canary-worker"), secret("canary-blocking"));
    let w = worker.clone();
    tokio::spawn(async move { tracing::info!(value = %w, "planted on a worker") })
        .await
        .unwrap();
    let b = blocking.clone();
    tokio::task::spawn_blocking(move || tracing::info!(value = %b, "planted on the blocking pool"))
        .await
        .unwrap();

    for (format, buf) in [("human", human), ("JSON", json)] {
        let log = text(buf);
        assert!(log.len() > 1_000, "the {format} log is (nearly) empty");
        assert!(
            log.contains(&canary),
            "the {format} log misses the planted canary"
        );
        for planted in [&worker, &blocking] {
            assert!(
                log.contains(planted.as_str()),
                "the {format} log misses {planted}"
            );
        }
        // The statements the store runs: logged by sqlx on PostgreSQL, by the store's SQLite
        // executor on SQLite.
        let statements = match app.backend {
            "sqlite" => "lintel_store::sqlite",
            _ => "sqlx::query",
        };
        assert!(
            log.contains(statements),
            "the {format} log misses the database statements"
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
}

mod no_secret_reaches_the_logs {
    use super::*;

    #[test]
    fn sqlite() {
        let logs = Logs::new();
        logs.run(async {
            let app = TestApp::sqlite_with(unlimited_config()).await;
            no_secret_in_the_logs_of(&app, &logs).await;
        });
    }

    #[test]
    fn postgres() {
        let logs = Logs::new();
        logs.run(async {
            let Some(app) = TestApp::postgres_with(unlimited_config()).await else {
                return;
            };
            no_secret_in_the_logs_of(&app, &logs).await;
        });
    }
}
