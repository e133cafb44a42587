//! Layering: defaults < `lintel.toml` < `LINTEL_*`. `figment::Jail` runs each test in its own
//! directory with its own environment, one at a time.

// `Jail` closures return figment's (large) error type; that is its API, not ours.
#![allow(clippy::result_large_err)]

use figment::Jail;

use super::*;

fn load(file: Option<&str>) -> Result<Config, String> {
    Config::load(file.map(Path::new)).map_err(|e| format!("{e:#}"))
}

#[test]
fn defaults_without_file_or_env() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        let c = load(None)?;
        assert_eq!(c, Config::default());
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.log_format, LogFormat::Human);
        assert_eq!(c.rate_limits, RateLimits::default());
        assert_eq!(c.server, ServerLimits::default());
        assert_eq!(c.server.header_read_timeout_secs, 10);
        assert_eq!(c.server.keep_alive_timeout_secs, 60);
        assert_eq!(c.server.body_read_timeout_secs, 30);
        assert_eq!(c.server.max_connections, 10_000);
        assert_eq!(c.db_kind(), DbKind::Sqlite);
        assert_eq!(
            c.database_url().expose(),
            "sqlite://./lintel-data/lintel.db?mode=rwc"
        );
        Ok(())
    });
}

#[test]
fn toml_overrides_defaults_and_env_overrides_toml() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.create_file(
            "lintel.toml",
            r#"
                bind = "0.0.0.0:9000"
                log_format = "json"
                cors_origins = ["https://app.example.com"]
                session_ttl_secs = 3600

                [rate_limits]
                general = 300
                login = 10
            "#,
        )?;
        let c = load(None)?;
        assert_eq!(c.bind, "0.0.0.0:9000");
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.cors_origins, ["https://app.example.com"]);
        assert_eq!(c.rate_limits.general, 300);
        assert_eq!(c.rate_limits.login, 10);
        assert_eq!(
            c.rate_limits.tenant,
            RateLimits::default().tenant,
            "unset keys keep defaults"
        );

        jail.set_env("LINTEL_BIND", "127.0.0.1:7001");
        jail.set_env("LINTEL_LOG_FORMAT", "human");
        jail.set_env("LINTEL_RATE_LIMITS__GENERAL", "50");
        jail.set_env("LINTEL_RATE_LIMITS__ENABLED", "false");
        jail.set_env(
            "LINTEL_CORS_ORIGINS",
            "https://a.example, https://b.example",
        );
        jail.set_env("LINTEL_SECURE_COOKIES", "true");
        let c = load(None)?;
        assert_eq!(c.bind, "127.0.0.1:7001");
        assert_eq!(c.log_format, LogFormat::Human);
        assert_eq!(c.rate_limits.general, 50);
        assert_eq!(
            c.rate_limits.login, 10,
            "toml value kept where env is silent"
        );
        assert!(!c.rate_limits.enabled);
        assert_eq!(c.cors_origins, ["https://a.example", "https://b.example"]);
        let api = c.api_config();
        assert!(api.secure_cookies);
        assert_eq!(api.session_ttl_secs, 3600);
        assert_eq!(api.rate_limits.general, 50);
        Ok(())
    });
}

#[test]
fn unknown_keys_in_the_file_are_errors_naming_the_key() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.create_file("lintel.toml", "bind = \"127.0.0.1:1\"\nlisten_port = 80\n")?;
        let err = load(None).unwrap_err();
        assert!(err.contains("listen_port"), "{err}");
        assert!(err.contains("lintel.toml"), "{err}");

        jail.create_file("nested.toml", "[rate_limits]\ngeneral = 1\nbogus = 2\n")?;
        let err = load(Some("nested.toml")).unwrap_err();
        assert!(err.contains("bogus"), "{err}");
        Ok(())
    });
}

#[test]
fn unrelated_lintel_variables_are_ignored() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("LINTEL_CONFIG", "elsewhere.toml");
        jail.set_env("LINTEL_TEST_POSTGRES_URL", "postgres://x@localhost/y");
        jail.set_env("LINTEL_ADMIN_PASSWORD", "not-config");
        assert_eq!(load(None)?, Config::default());
        Ok(())
    });
}

#[test]
fn explicit_file_must_exist() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        let err = load(Some("missing.toml")).unwrap_err();
        assert!(
            err.contains("missing.toml") && err.contains("does not exist"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn database_urls_pick_the_backend_and_stay_secret() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env(
            "LINTEL_DATABASE_URL",
            "postgres://lintel:hunter2@db.internal/lintel",
        );
        jail.set_env("LINTEL_REDIS_URL", "redis://:s3cret@cache.internal:6379");
        jail.set_env("LINTEL_MAX_CONNECTIONS", "40");
        let c = load(None)?;
        assert_eq!(c.db_kind(), DbKind::Postgres);
        assert_eq!(c.connect_options().max_connections, 40);
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert_eq!(
            c.api_config().redis_url.as_deref(),
            Some("redis://:s3cret@cache.internal:6379")
        );

        jail.set_env("LINTEL_DATABASE_URL", "mysql://root@localhost/lintel");
        let err = load(None).unwrap_err();
        assert!(
            err.contains("mysql:") && err.contains("database_url"),
            "{err}"
        );
        assert!(!err.contains("root@localhost"), "{err}");
        Ok(())
    });
}

#[test]
fn bad_values_are_reported_with_their_key() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("LINTEL_LOG_FORMAT", "xml");
        let err = load(None).unwrap_err();
        assert!(
            err.contains("log_format") || err.contains("LOG_FORMAT"),
            "{err}"
        );
        assert!(err.contains("human") && err.contains("json"), "{err}");

        jail.set_env("LINTEL_LOG_FORMAT", "json");
        jail.set_env("LINTEL_BODY_LIMIT", "0");
        let err = load(None).unwrap_err();
        assert!(err.contains("body_limit"), "{err}");
        Ok(())
    });
}

#[test]
fn the_example_file_lists_the_defaults() {
    let example = include_str!("../../../../lintel.example.toml");
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.create_file("lintel.example.toml", example)?;
        assert_eq!(load(Some("lintel.example.toml"))?, Config::default());
        for key in KEYS {
            assert!(
                example.contains(&format!("\n{key} ="))
                    || example.contains(&format!("# {key} ="))
                    || example.contains(&format!("[{key}]")),
                "{key} missing"
            );
        }
        Ok(())
    });
}

#[test]
fn server_limits_layer_like_the_rest_and_reach_the_api_config() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.create_file(
            "lintel.toml",
            r#"
                max_connections = 8

                [server]
                header_read_timeout_secs = 5
                max_connections = 500
            "#,
        )?;
        let c = load(None)?;
        assert_eq!(c.server.header_read_timeout_secs, 5);
        assert_eq!(c.server.max_connections, 500);
        assert_eq!(c.max_connections, 8, "the pool size is a separate key");
        assert_eq!(
            c.server.keep_alive_timeout_secs,
            ServerLimits::default().keep_alive_timeout_secs,
            "unset keys keep defaults"
        );

        jail.set_env("LINTEL_SERVER__KEEP_ALIVE_TIMEOUT_SECS", "90");
        jail.set_env("LINTEL_SERVER__BODY_READ_TIMEOUT_SECS", "7");
        jail.set_env("LINTEL_SERVER__MAX_CONNECTIONS", "20000");
        let c = load(None)?;
        assert_eq!(c.server.header_read_timeout_secs, 5, "toml kept");
        assert_eq!(c.server.keep_alive_timeout_secs, 90);
        assert_eq!(c.server.max_connections, 20_000);
        assert_eq!(c.max_connections, 8);
        let api = c.api_config();
        assert_eq!(api.server, c.server);
        assert_eq!(api.server.body_read_timeout(), Duration::from_secs(7));

        jail.create_file("typo.toml", "[server]\nheader_timeout_secs = 5\n")?;
        let err = load(Some("typo.toml")).unwrap_err();
        assert!(err.contains("header_timeout_secs"), "{err}");
        Ok(())
    });
}

#[test]
fn server_limits_must_be_positive() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        for key in [
            "HEADER_READ_TIMEOUT_SECS",
            "KEEP_ALIVE_TIMEOUT_SECS",
            "BODY_READ_TIMEOUT_SECS",
            "MAX_CONNECTIONS",
        ] {
            jail.set_env(format!("LINTEL_SERVER__{key}"), "0");
            let err = load(None).unwrap_err();
            let name = format!("server.{}", key.to_ascii_lowercase());
            assert!(err.contains(&name) && err.contains("at least 1"), "{err}");
            jail.set_env(format!("LINTEL_SERVER__{key}"), "3");
        }
        jail.set_env("LINTEL_SERVER__HEADER_READ_TIMEOUT_SECS", "-1");
        let err = load(None).unwrap_err().to_ascii_lowercase();
        assert!(err.contains("header_read_timeout_secs"), "{err}");
        Ok(())
    });
}

#[test]
fn storage_defaults_to_local_disk_and_layers_like_the_rest() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        let c = load(None)?;
        assert_eq!(c.storage.signed_url_ttl_secs, 900);
        assert_eq!(c.storage.max_upload_bytes, 25 * 1024 * 1024);
        let docs = c.api_config().documents;
        assert_eq!(
            docs.backend,
            lintel_blobs::Backend::Local {
                dir: PathBuf::from("./lintel-data/documents")
            }
        );
        assert_eq!(
            docs.link_key_file,
            Some(PathBuf::from("./lintel-data/keys/download-links.key"))
        );

        jail.set_env("LINTEL_STORAGE__SIGNED_URL_TTL_SECS", "60");
        jail.set_env("LINTEL_STORAGE__MAX_UPLOAD_BYTES", "1000");
        jail.set_env("LINTEL_STORAGE__BACKEND", "s3");
        jail.set_env("LINTEL_STORAGE__S3__ENDPOINT", "http://127.0.0.1:9000");
        jail.set_env("LINTEL_STORAGE__S3__BUCKET", "docs");
        jail.set_env("LINTEL_STORAGE__S3__ACCESS_KEY_ID", "AKIDEXAMPLE");
        jail.set_env("LINTEL_STORAGE__S3__SECRET_ACCESS_KEY", "very-secret-value");
        let c = load(None)?;
        assert_eq!(c.storage.backend, storage::StorageBackend::S3);
        let docs = c.api_config().documents;
        assert_eq!(
            (docs.signed_url_ttl_secs, docs.max_upload_bytes),
            (60, 1000)
        );
        let lintel_blobs::Backend::S3(s3) = docs.backend else {
            panic!("s3 expected");
        };
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(
            (s3.region.as_str(), s3.bucket.as_str()),
            ("us-east-1", "docs")
        );
        assert_eq!(s3.secret_access_key, "very-secret-value");
        assert!(
            !format!("{c:?}").contains("very-secret-value"),
            "secrets are redacted"
        );
        Ok(())
    });
}

#[test]
fn bad_storage_settings_name_their_key() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        for (file, key) in [
            ("[storage]\nsigned_url_ttl_secs = 0\n", "storage.signed_url_ttl_secs"),
            ("[storage]\nsigned_url_ttl_secs = 604801\n", "storage.signed_url_ttl_secs"),
            ("[storage]\nmax_upload_bytes = 0\n", "storage.max_upload_bytes"),
            ("[storage]\nbackend = \"s3\"\n", "storage.s3.bucket"),
            (
                "[storage]\nbackend = \"s3\"\n[storage.s3]\nbucket = \"b\"\n",
                "storage.s3.access_key_id",
            ),
            (
                "[storage]\nbackend = \"s3\"\n[storage.s3]\nbucket = \"b\"\naccess_key_id = \"a\"\n",
                "storage.s3.secret_access_key",
            ),
            (
                "[storage]\nbackend = \"s3\"\n[storage.s3]\nbucket = \"b\"\naccess_key_id = \"a\"\nsecret_access_key = \"s\"\nendpoint = \"minio:9000\"\n",
                "storage.s3.endpoint",
            ),
            ("[storage]\nbackend = \"ftp\"\n", "backend"),
            ("[storage]\nbucket = \"b\"\n", "bucket"),
        ] {
            jail.create_file("bad.toml", file)?;
            let err = load(Some("bad.toml")).unwrap_err();
            assert!(err.contains(key), "{file}: {err}");
        }
        Ok(())
    });
}
