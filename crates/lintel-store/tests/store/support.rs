//! A fresh, migrated database per test on either backend, and records to test with.

use lintel_domain::identity::User;
use lintel_domain::{OrgId, Plan};
use lintel_store::identity::NewUserRecord;
use lintel_store::{ConnectOptions, Store};

/// Runs `body` on a fresh SQLite store, then on a fresh PostgreSQL one (skipped with a notice
/// without `LINTEL_TEST_POSTGRES_URL`).
macro_rules! store_test {
    ($name:ident, |$store:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let fresh = $crate::support::Fresh::sqlite().await;
                let $store = &fresh.store;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(fresh) = $crate::support::Fresh::postgres().await else {
                    return;
                };
                let $store = &fresh.store;
                $body
            }
        }
    };
}
pub(crate) use store_test;

/// Like [`store_test`], with a [`lintel_store::Db`] of the test's own on the fresh database
/// (migrated) instead of the store.
macro_rules! db_test {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let fresh = $crate::support::Fresh::sqlite().await;
                let $db = &$crate::support::db(&fresh.url).await;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(fresh) = $crate::support::Fresh::postgres().await else {
                    return;
                };
                let $db = &$crate::support::db(&fresh.url).await;
                $body
            }
        }
    };
}
pub(crate) use db_test;

pub async fn db(url: &str) -> lintel_store::Db {
    let opts = ConnectOptions {
        max_connections: 4,
        ..Default::default()
    };
    lintel_store::Db::connect(url, &opts)
        .await
        .expect("connect")
}

pub struct Fresh {
    pub store: Store,
    /// The database's URL, for a second connection of the test's own.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl Fresh {
    pub async fn sqlite() -> Fresh {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/store.db", dir.path().display());
        let store = connect(&url).await;
        Fresh {
            store,
            url,
            _dir: Some(dir),
            drop_pg: None,
        }
    }

    pub async fn postgres() -> Option<Fresh> {
        let Ok(admin) = std::env::var("LINTEL_TEST_POSTGRES_URL") else {
            eprintln!("skipping PostgreSQL run: LINTEL_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("lintel_s_{}", ulid::Ulid::new().to_string().to_lowercase());
        {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::Executor::execute(&mut c, format!("CREATE DATABASE \"{name}\"").as_str())
                .await
                .unwrap();
        }
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let url = format!("{base}/{name}");
        let store = connect(&url).await;
        Some(Fresh {
            store,
            url,
            _dir: None,
            drop_pg: Some((admin, name)),
        })
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.drop_pg.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = sqlx::Executor::execute(&mut c, sql.as_str()).await;
                    }
                });
            })
            .join();
        }
    }
}

async fn connect(url: &str) -> Store {
    let opts = ConnectOptions {
        max_connections: 4,
        ..Default::default()
    };
    let store = Store::connect(url, &opts).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

/// A new organisation on `plan` and its admin (the password hash is a placeholder: the store
/// never checks it).
pub async fn org(store: &Store, plan: Plan, tag: &str) -> (OrgId, User) {
    let admin = NewUserRecord {
        email: format!(
            "{tag}-{}@example.com",
            ulid::Ulid::new().to_string().to_lowercase()
        ),
        name: format!("{tag} admin"),
        password_hash: "$argon2id$placeholder".into(),
    };
    let (org, user) = store
        .orgs()
        .create_with_admin(&format!("{tag} org"), plan, admin, None)
        .await
        .unwrap();
    (org.id, user)
}

/// Parses a JSON body into an input type (the same path as the API).
pub fn input<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap()
}
