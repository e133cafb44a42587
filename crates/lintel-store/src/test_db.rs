//! Databases of their own for the store's unit tests: a SQLite file in a temporary directory,
//! or a PostgreSQL database created next to `LINTEL_TEST_POSTGRES_URL`'s and dropped after.

/// A test database's URL, and what removes it when dropped.
pub(crate) struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        TestDb {
            url: format!("sqlite://{}/lintel.db", dir.path().display()),
            _dir: Some(dir),
            drop_pg: None,
        }
    }

    /// `None` (after a notice) without `LINTEL_TEST_POSTGRES_URL`.
    pub async fn postgres(prefix: &str) -> Option<TestDb> {
        use sqlx::{Connection, Executor};
        let Ok(admin) = std::env::var("LINTEL_TEST_POSTGRES_URL") else {
            eprintln!("skipping PostgreSQL run: LINTEL_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("{prefix}_{}", ulid::Ulid::new().to_string().to_lowercase());
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        c.execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .unwrap();
        // The same server, this database: replace the path of the URL.
        let (base, query) = admin.split_once('?').unwrap_or((&admin, ""));
        let host_end = base.find("://").map_or(0, |i| i + 3);
        let base = match base[host_end..].find('/') {
            Some(i) => &base[..host_end + i],
            None => base,
        };
        let url = match query {
            "" => format!("{base}/{name}"),
            q => format!("{base}/{name}?{q}"),
        };
        Some(TestDb {
            url,
            _dir: None,
            drop_pg: Some((admin, name)),
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.drop_pg.take() else {
            return;
        };
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                use sqlx::{Connection, Executor};
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = c.execute(sql.as_str()).await;
                }
            });
        })
        .join();
    }
}
