//! The `lintel` binary end to end: each test runs it in its own temporary directory, with no
//! `LINTEL_*` variables inherited, so the default `./lintel-data/lintel.db` is used.

use crate::support::{get, lintel, ok, post_json, stdout_line, Server};
use tempfile::TempDir;

#[test]
fn migrate_twice_runs_nothing_the_second_time() {
    let dir = TempDir::new().unwrap();
    let first = ok(lintel(dir.path()).arg("migrate"));
    assert!(!first.contains("Applied 0 "), "{first}");
    assert!(first.starts_with("Applied "), "{first}");
    assert!(dir.path().join("lintel-data/lintel.db").is_file());
    let second = ok(lintel(dir.path()).arg("migrate"));
    assert_eq!(second.trim(), "Applied 0 migrations.");
}

#[test]
fn migrate_on_postgres_when_configured() {
    let Ok(url) = std::env::var("LINTEL_TEST_POSTGRES_URL") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    ok(lintel(dir.path())
        .arg("migrate")
        .env("LINTEL_DATABASE_URL", &url));
    let again = ok(lintel(dir.path())
        .arg("migrate")
        .env("LINTEL_DATABASE_URL", &url));
    assert_eq!(again.trim(), "Applied 0 migrations.");
    assert!(
        !dir.path().join("lintel-data").exists(),
        "no SQLite directory for PostgreSQL"
    );
}

#[test]
fn admin_commands_create_orgs_plans_and_keys_and_reject_bad_input() {
    let dir = TempDir::new().unwrap();
    let create = |plan: &str, email: &str| {
        lintel(dir.path())
            .args([
                "admin",
                "create-org",
                "--name",
                "Acme Lettings",
                "--plan",
                plan,
            ])
            .args([
                "--admin-email",
                email,
                "--admin-password",
                "correct-horse-battery",
            ])
            .output()
            .unwrap()
    };

    let out = create("pro", "maria@acme.example");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let org = stdout_line(&stdout, "Organisation ID:");
    let user = stdout_line(&stdout, "Admin user ID:");
    assert!(org.starts_with("org_") && org.len() == 30, "{org}");
    assert!(user.starts_with("usr_"), "{user}");
    assert!(stdout.contains("PRO plan"), "{stdout}");

    // A plan that does not exist: non-zero exit, and the allowed values are named.
    let out = create("gold", "other@acme.example");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("free, pro, business"), "{err}");

    // Domain validation, reported by flag.
    let out = lintel(dir.path())
        .args([
            "admin",
            "create-org",
            "--name",
            "X",
            "--admin-email",
            "not-an-email",
        ])
        .args(["--admin-password", "short"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--admin-email") && err.contains("--admin-password"),
        "{err}"
    );

    // The same admin e-mail twice.
    let out = create("free", "maria@acme.example");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    let out =
        ok(lintel(dir.path()).args(["admin", "set-plan", "--org", &org, "--plan", "business"]));
    assert!(out.contains("BUSINESS"), "{out}");
    let out = ok(lintel(dir.path()).args([
        "admin",
        "create-api-key",
        "--org",
        &org,
        "--role",
        "landlord",
        "--name",
        "Sync",
    ]));
    assert!(!stdout_line(&out, "API key:").is_empty(), "{out}");

    let missing = "org_01jd9x4m2k8q7v5t3r1n0p6w8y";
    let out = lintel(dir.path())
        .args(["admin", "set-plan", "--org", missing, "--plan", "pro"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no organisation"));

    let out = lintel(dir.path())
        .args([
            "admin",
            "create-api-key",
            "--org",
            "prop_x",
            "--role",
            "owner",
            "--name",
            "K",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("tenant, broker"));
}

#[test]
fn demo_is_created_once_and_its_printed_keys_work() {
    let dir = TempDir::new().unwrap();
    let first = ok(lintel(dir.path()).args(["demo", "--password", "chosen-demo-pass-7"]));
    assert!(first.contains("Created the demo organisation"), "{first}");
    assert!(first.contains("demo@harbourline.example") && first.contains("chosen-demo-pass-7"));
    let org = stdout_line(&first, "Organisation ID:");
    let key1 = stdout_line(&first, "API key:");

    // Without --password, each run draws a new one; the earlier key is revoked.
    let second = ok(lintel(dir.path()).arg("demo"));
    assert!(second.contains("already exists"), "{second}");
    assert!(second.contains("Revoked the demo API key"), "{second}");
    assert_eq!(stdout_line(&second, "Organisation ID:"), org);
    let key2 = stdout_line(&second, "API key:");
    assert_ne!(key1, key2, "every run issues a fresh key");
    let password = stdout_line(&second, "Password:");
    assert!(
        password.len() >= 16 && password != "chosen-demo-pass-7",
        "{password}"
    );
    let third = ok(lintel(dir.path()).arg("demo"));
    assert_ne!(
        stdout_line(&third, "Password:"),
        password,
        "a new random password each run"
    );
    let key3 = stdout_line(&third, "API key:");
    let password = stdout_line(&third, "Password:");

    let server = Server::start(lintel(dir.path()).args(["serve", "--bind", "127.0.0.1:0"]));
    for (key, live) in [(&key1, false), (&key2, false), (&key3, true)] {
        let (status, _) = get(server.addr, "/api/properties", Some(key));
        assert_eq!(status, if live { 200 } else { 401 }, "{key}");
    }
    let login = |email: &str, pw: &str| {
        let body = format!(r#"{{"email":"{email}","password":"{pw}"}}"#);
        post_json(server.addr, "/api/auth/login", &body).0
    };
    assert_eq!(login("demo@harbourline.example", &password), 200);
    assert_eq!(login("jordan.lee@harbourline.example", &password), 200);
    assert_eq!(login("demo@harbourline.example", "chosen-demo-pass-7"), 401);
    let (status, body) = get(server.addr, "/api/properties?pageSize=100", Some(&key3));
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let data = &v["data"];
    let items = data["items"]
        .as_array()
        .or(v["data"].as_array())
        .expect("a list");
    assert_eq!(items.len(), 5, "no duplicated properties: {body}");
    let units: i64 = items
        .iter()
        .map(|p| p["unitsCount"].as_i64().unwrap())
        .sum();
    assert!((40..=60).contains(&units), "{units} units");
    let countries: std::collections::BTreeSet<_> = items
        .iter()
        .map(|p| p["address"]["country"].as_str().unwrap())
        .collect();
    assert!(countries.len() >= 2, "{countries:?}");
    // The tenancy: four tenants, leases in several statuses, a lease document, an open offer.
    let data = |path: &str| {
        let (status, body) = get(server.addr, path, Some(&key3));
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["data"].clone()
    };
    assert_eq!(data("/api/tenants")["total"], 4);
    let leases = data("/api/leases");
    let statuses: std::collections::BTreeSet<_> = leases["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        ["active", "draft", "ended", "pending_signature"]
    );
    assert_eq!(data("/api/lease-renewals?status=pending")["total"], 1);
    assert_eq!(data("/api/documents?entityType=lease")["total"], 1);
    // The money: payments by every method, a refund, a bounced cheque, a card payment pending
    // at Stripe; the books sound.
    assert!(first.contains("Money:"), "{first}");
    let payments = data("/api/payments?pageSize=100");
    let seen = |field: &str| -> std::collections::BTreeSet<String> {
        payments["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[field].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        seen("method").into_iter().collect::<Vec<_>>(),
        ["bank_transfer", "card", "cash", "cheque"]
    );
    let statuses = seen("status");
    for s in ["succeeded", "partially_refunded", "failed", "pending"] {
        assert!(statuses.contains(s), "{statuses:?}");
    }
    assert!(data("/api/charges?kind=rent&status=open")["total"].as_i64() >= Some(1));
    assert_eq!(data("/api/ledger/integrity")["sound"], true);
    let (status, _) = get(server.addr, "/api/properties", None);
    assert_eq!(status, 401);
    server.stop_gracefully();
}

#[test]
fn env_overrides_toml_and_unknown_keys_fail() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("lintel.toml"), "bind = \"256.0.0.1:80\"\n").unwrap();

    // The file is read: its (unusable) address is the one tried.
    let out = lintel(dir.path()).arg("serve").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("256.0.0.1:80"));

    // LINTEL_BIND wins over the file.
    let server = Server::start(
        lintel(dir.path())
            .arg("serve")
            .env("LINTEL_BIND", "127.0.0.1:0"),
    );
    let (status, _) = get(server.addr, "/api/health", None);
    assert_eq!(status, 200);
    server.stop_gracefully();

    std::fs::write(
        dir.path().join("custom.toml"),
        "bind = \"127.0.0.1:0\"\ncolour = \"blue\"\n",
    )
    .unwrap();
    let out = lintel(dir.path())
        .args(["--config", "custom.toml", "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("colour") && err.contains("custom.toml"),
        "{err}"
    );
}

#[test]
fn openapi_prints_the_document_without_config_or_database() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("lintel.toml"), "not valid toml [").unwrap();
    let out = ok(lintel(dir.path()).arg("openapi"));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(!dir.path().join("lintel-data").exists());
}

#[test]
fn metrics_are_served_on_their_own_address_when_configured() {
    let dir = TempDir::new().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let server = Server::start(
        lintel(dir.path())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("LINTEL_METRICS_BIND", metrics.to_string()),
    );
    let (status, _) = get(server.addr, "/api/health", None);
    assert_eq!(status, 200);
    let (status, body) = get(metrics, "/metrics", None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("lintel_http_requests_total"), "{body}");
    let (status, _) = get(server.addr, "/metrics", None);
    assert_eq!(status, 404, "not on the API port");
    server.stop_gracefully();
}
