//! The committed `openapi.json` is accurate: bodies generated from its schemas alone are
//! accepted (on both backends), and the document says what each operation needs (its role),
//! what errors carry and how rate-limit headers are measured.

mod schema_bodies;

use crate::support::units::create_unit;
use crate::support::*;
use axum::http::Method;
use lintel_domain::Plan;
use rand::SeedableRng;
use schema_bodies::{document, Context, Generator};
use serde_json::{json, Value};

/// The seed of the generated bodies: fixed, so a failure repeats; `LINTEL_TEST_SEED` picks
/// another.
fn seed() -> u64 {
    let seed = std::env::var("LINTEL_TEST_SEED").ok();
    seed.and_then(|s| s.parse().ok()).unwrap_or(0x5eed)
}

async fn created_id(r: Resp) -> String {
    assert!(r.status.is_success(), "{}", r.text);
    r.data()["id"].as_str().unwrap().to_string()
}

/// The request-body schema an operation documents.
fn body_schema<'a>(doc: &'a Value, method: &Method, path: &str) -> &'a str {
    let op = &doc["paths"][path][method.as_str().to_lowercase()];
    let schema = &op["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    let name = schema
        .as_str()
        .unwrap_or_else(|| panic!("{method} {path}: no body schema"));
    name.trim_start_matches("#/components/schemas/")
}

backend_test_with!(
    bodies_generated_from_the_document_are_accepted,
    unlimited_config(),
    |app| {
        let doc = document();
        let org = app.org(Plan::Business).await;
        let building = app
            .post("/api/buildings", &org.admin, json!({"name": "Fixture"}))
            .await;
        let building = created_id(building).await;
        let property = create_property(&app, &org.admin, "Fixture").await;
        let unit = create_unit(&app, &org.admin, &property, json!({"name": "Fixture"})).await;
        let unit = unit["id"].as_str().unwrap().to_string();
        let member = json!({"email": "fixture@example.com", "name": "Fixture", "role": "tenant",
        "password": PASSWORD});
        let member = created_id(app.post("/api/members", &org.admin, member).await).await;
        let ctx = Context {
            ids: vec![("BuildingId".into(), building.clone())],
            counter: 0,
        };
        let seed = seed();
        let mut gen = Generator {
            doc: &doc,
            rng: rand::rngs::StdRng::seed_from_u64(seed),
            ctx,
        };
        let (post, patch) = (Method::POST, Method::PATCH);
        // (method, documented path, the path with records, requests, signed in)
        let ops: Vec<(&Method, &str, String, usize, bool)> = vec![
            (&post, "/api/properties", "/api/properties".into(), 40, true),
            (
                &patch,
                "/api/properties/{id}",
                format!("/api/properties/{property}"),
                40,
                true,
            ),
            (&post, "/api/buildings", "/api/buildings".into(), 30, true),
            (
                &patch,
                "/api/buildings/{id}",
                format!("/api/buildings/{building}"),
                30,
                true,
            ),
            (
                &post,
                "/api/properties/{id}/units",
                format!("/api/properties/{property}/units"),
                40,
                true,
            ),
            (
                &post,
                "/api/properties/{id}/units/bulk",
                format!("/api/properties/{property}/units/bulk"),
                15,
                true,
            ),
            (
                &patch,
                "/api/units/{id}",
                format!("/api/units/{unit}"),
                40,
                true,
            ),
            (
                &patch,
                "/api/units/{id}/status",
                format!("/api/units/{unit}/status"),
                10,
                true,
            ),
            (&post, "/api/api-keys", "/api/api-keys".into(), 10, true),
            (
                &patch,
                "/api/members/{id}",
                format!("/api/members/{member}"),
                6,
                true,
            ),
            (&post, "/api/members", "/api/members".into(), 4, true),
            (
                &post,
                "/api/auth/register",
                "/api/auth/register".into(),
                3,
                false,
            ),
        ];
        let mut refused = Vec::new();
        let mut sent = 0;
        for (method, documented, path, n, signed_in) in ops {
            let schema = body_schema(&doc, method, documented);
            let client = if signed_in {
                org.admin.clone()
            } else {
                Client::Anon
            };
            for _ in 0..n {
                let body = gen.body(schema);
                let bytes = Some(body.to_string().into_bytes());
                let r = app.raw(method.clone(), &path, &client, bytes).await;
                sent += 1;
                if !r.status.is_success() {
                    refused.push(format!(
                        "{method} {documented} {body}\n    -> {} {}",
                        r.status, r.text
                    ));
                }
            }
        }
        assert!(
            refused.is_empty(),
            "seed {seed}: {} of {sent} schema-valid bodies refused:\n  {}",
            refused.len(),
            refused.join("\n  ")
        );
    }
);

/// Every operation of the document, with its method and path.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    out
}

#[test]
fn each_operation_says_the_role_it_requires() {
    let doc: Value = serde_json::from_str(&lintel_api::openapi_json()).unwrap();
    for (method, path, op) in operations(&doc) {
        let Some(role) = op["x-required-role"].as_str() else {
            continue;
        };
        let text = op["description"]
            .as_str()
            .or(op["summary"].as_str())
            .unwrap_or("");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let said = text.contains(&format!("Requires {role} or higher"))
            || (role == "admin" && text.contains("Admin only"));
        assert!(
            said,
            "{method} {path}: the description does not name {role}: {text:?}"
        );
    }
}

#[test]
fn body_operations_document_415_and_errors_document_message() {
    let doc: Value = serde_json::from_str(&lintel_api::openapi_json()).unwrap();
    for (method, path, op) in operations(&doc) {
        if op["requestBody"].is_object() {
            assert!(
                op["responses"]["415"].is_object(),
                "{method} {path} lacks 415"
            );
        }
    }
    let s = &doc["components"]["schemas"];
    let codes = s["ErrorCode"]["enum"].as_array().unwrap();
    assert!(codes.contains(&json!("UNSUPPORTED_MEDIA_TYPE")));
    let message = s["ErrorBody"]["properties"]["message"]["description"]
        .as_str()
        .unwrap();
    for what in ["403", "FORBIDDEN", "PLAN_", "NOT_APPLICABLE", "CSRF"] {
        assert!(
            message.contains(what),
            "ErrorBody.message does not mention {what}: {message}"
        );
    }
    let status = s["UnitStatusInput"]["description"].as_str().unwrap();
    assert!(status.contains("PATCH /api/units/{id}/status"), "{status}");
    assert!(!status.contains("PUT"), "{status}");
}

#[test]
fn rate_limit_reset_is_documented_in_milliseconds() {
    let doc: Value = serde_json::from_str(&lintel_api::openapi_json()).unwrap();
    let header = &doc["components"]["responses"]["RateLimited"]["headers"]["X-RateLimit-Reset"];
    let described = header["description"].as_str().unwrap();
    assert!(described.contains("milliseconds"), "{described}");
    let intro = doc["info"]["description"].as_str().unwrap();
    let at = intro.find("X-RateLimit-Reset").unwrap();
    assert!(intro[at..].contains("milliseconds"), "{intro}");
    let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"));
    let at = readme
        .find("X-RateLimit-Reset")
        .expect("README names X-RateLimit-Reset");
    assert!(readme[at..at + 200].contains("milliseconds"), "README");
    // And the header is what the document says: a Unix time in milliseconds, in the future.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let app = TestApp::sqlite().await;
        let r = app.get("/api/health", &Client::Anon).await;
        let reset: i64 = r.header("x-ratelimit-reset").parse().unwrap();
        assert!(
            reset > now_ms && reset <= now_ms + 61_000,
            "{reset} vs {now_ms}"
        );
    });
}

/// The text `pattern`s the document gives and the validators accept the same strings: every
/// character of the Basic Multilingual Plane (and a few beyond), alone and inside a name.
#[test]
fn text_patterns_and_validators_agree_on_every_character() {
    use lintel_domain::text::{LINE_PATTERN, MULTILINE_PATTERN, REQUIRED_LINE_PATTERN};
    use lintel_domain::Validator;
    let doc: Value = serde_json::from_str(&lintel_api::openapi_json()).unwrap();
    let documented = doc.to_string();
    for p in [LINE_PATTERN, MULTILINE_PATTERN, REQUIRED_LINE_PATTERN] {
        assert!(
            documented.contains(&Value::from(p).to_string()),
            "{p} is not in the document"
        );
    }
    let required = regex::Regex::new(REQUIRED_LINE_PATTERN).unwrap();
    let line = regex::Regex::new(LINE_PATTERN).unwrap();
    let multiline = regex::Regex::new(MULTILINE_PATTERN).unwrap();
    let chars = (0..=0xFFFF_u32)
        .chain([0x1F642, 0xE0001, 0x10FFFD])
        .filter_map(char::from_u32);
    for c in chars {
        for s in [c.to_string(), format!("a{c}b"), format!("{c}{c}")] {
            let mut v = Validator::new();
            let req_ok = v.text("f", &s, 1, 10).is_some() && v.is_ok();
            assert_eq!(required.is_match(&s), req_ok, "required {s:?}");
            let mut v = Validator::new();
            v.opt_text("f", Some(&s), 10);
            assert_eq!(line.is_match(&s), v.is_ok(), "line {s:?}");
            let mut v = Validator::new();
            v.opt_multiline("f", Some(&s), 10);
            assert_eq!(multiline.is_match(&s), v.is_ok(), "multiline {s:?}");
        }
    }
}
