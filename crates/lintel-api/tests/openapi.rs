//! The committed OpenAPI document is the one the code generates, and it documents the contract.

use serde_json::Value;

const PUBLIC: &[&str] = &[
    "/api/health",
    "/api/ready",
    "/api/docs",
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/signout",
    "/api/auth/callback",
];

fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json")
}

#[test]
fn committed_document_matches_the_code() {
    let generated = lintel_api::openapi_json();
    if std::env::var_os("LINTEL_UPDATE_OPENAPI").is_some() {
        std::fs::write(committed_path(), &generated).unwrap();
        return;
    }
    let committed =
        std::fs::read_to_string(committed_path()).expect("openapi.json at the repo root");
    assert!(
        committed == generated,
        "openapi.json is out of date: run `LINTEL_UPDATE_OPENAPI=1 cargo test -p lintel-api --test openapi` and commit it"
    );
}

#[test]
fn document_is_openapi_3_1_with_security_and_errors() {
    let doc: Value = serde_json::from_str(&lintel_api::openapi_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/properties/{id}"));
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                !responses.is_empty(),
                "{method} {path} documents no response"
            );
            if PUBLIC.contains(&path.as_str()) {
                continue;
            }
            assert!(
                op["security"].is_array(),
                "{method} {path} documents no security"
            );
            for code in ["401", "403"] {
                assert!(responses.contains_key(code), "{method} {path} lacks {code}");
            }
        }
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}
