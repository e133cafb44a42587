//! A fresh database per test: a SQLite file in a temporary directory, or a PostgreSQL database
//! created for the test and dropped after it.

use lintel_api::{ApiConfig, AppState};
use lintel_store::{ConnectOptions, Store};

use super::{test_config, TestApp};

pub(super) enum Guard {
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

    async fn start(
        url: &str,
        mut config: ApiConfig,
        guard: Guard,
        backend: &'static str,
    ) -> TestApp {
        // Each app keeps its documents in a directory of its own, unless the test chose a
        // storage itself.
        let documents = tempfile::tempdir().unwrap();
        if config.documents.backend == test_config().documents.backend {
            config.documents.backend = lintel_blobs::Backend::Local {
                dir: documents.path().join("documents"),
            };
        }
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
            documents,
            _guard: guard,
        }
    }

    /// The URL of this test's own database, for tests that inspect the tables directly.
    pub fn database_url(&self) -> String {
        match &self._guard {
            Guard::Sqlite(dir) => format!("sqlite://{}/lintel.db", dir.path().display()),
            Guard::Postgres { admin_url, name } => with_database(admin_url, name),
        }
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
