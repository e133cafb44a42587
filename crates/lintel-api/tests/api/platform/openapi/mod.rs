//! The committed OpenAPI document is the one the code generates, and it documents the contract.

mod inputs;
mod schemas;
mod spot_checks;

use serde_json::Value;

const PUBLIC: &[&str] = &[
    "/api/health",
    "/api/ready",
    "/api/docs",
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/signout",
    "/api/auth/callback",
    "/api/auth/accept-invite",
    "/api/documents/{id}/download",
    "/api/webhooks/stripe",
];

fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json")
}

#[test]
fn committed_document_matches_the_code() {
    let generated = lintel_api::openapi_json();
    if std::env::var_os("LINTEL_UPDATE_OPENAPI").is_some() {
        // Written beside the committed file, then renamed over it: tests running alongside in
        // this binary (the contract, the sweep, the bad-input battery) read the document and must
        // never see it half written.
        let path = committed_path();
        let mut file = tempfile::NamedTempFile::new_in(path.parent().unwrap()).unwrap();
        if let Ok(meta) = std::fs::metadata(&path) {
            file.as_file().set_permissions(meta.permissions()).unwrap();
        }
        std::io::Write::write_all(&mut file, generated.as_bytes()).unwrap();
        file.persist(&path).unwrap();
        return;
    }
    let committed =
        std::fs::read_to_string(committed_path()).expect("openapi.json at the repo root");
    assert!(
        committed == generated,
        "openapi.json is out of date: run `LINTEL_UPDATE_OPENAPI=1 cargo test -p lintel-api --test api openapi` and commit it"
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

fn doc() -> Value {
    serde_json::from_str(&lintel_api::openapi_json()).unwrap()
}
