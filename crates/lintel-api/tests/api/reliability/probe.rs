//! A direct look at the tables, on the test's own connection: row counts and change markers of
//! every table, so a rejected write can be shown to have changed nothing.

use sqlx::{Connection, Row};

use crate::support::TestApp;

/// What must not move when a write is rejected. Session and key "last used" times are left out:
/// authenticating touches them by design.
const FINGERPRINT: &str = "SELECT \
    (SELECT COUNT(*) FROM organisations) AS orgs, \
    (SELECT CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) FROM organisations) AS orgs_upd, \
    (SELECT COUNT(*) FROM users) AS users, \
    (SELECT CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) FROM users) AS users_upd, \
    (SELECT COUNT(*) FROM sessions) AS sessions, \
    (SELECT COUNT(*) FROM api_keys) AS keys, \
    (SELECT COUNT(revoked_at) FROM api_keys) AS keys_revoked, \
    (SELECT COUNT(*) FROM audit_log) AS audit, \
    (SELECT COUNT(*) FROM buildings) AS buildings, \
    (SELECT CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) FROM buildings) AS buildings_upd, \
    (SELECT COUNT(*) FROM properties) AS properties, \
    (SELECT COUNT(archived_at) FROM properties) AS archived, \
    (SELECT CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) FROM properties) AS properties_upd, \
    (SELECT COUNT(*) FROM units) AS units, \
    (SELECT CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) FROM units) AS units_upd";

const COLUMNS: [&str; 15] = [
    "orgs",
    "orgs_upd",
    "users",
    "users_upd",
    "sessions",
    "keys",
    "keys_revoked",
    "audit",
    "buildings",
    "buildings_upd",
    "properties",
    "archived",
    "properties_upd",
    "units",
    "units_upd",
];

/// Row counts and change sums of every table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(pub Vec<(&'static str, i64)>);

impl Fingerprint {
    /// The columns that differ, for a failure message.
    pub fn diff(&self, after: &Fingerprint) -> String {
        self.0
            .iter()
            .zip(&after.0)
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, b)| format!("{}: {} -> {}", a.0, a.1, b.1))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A connection of its own to the test's database.
pub enum Probe {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Probe {
    pub async fn open(app: &TestApp) -> Probe {
        let url = app.database_url();
        if url.starts_with("sqlite:") {
            Probe::Sqlite(sqlx::SqliteConnection::connect(&url).await.unwrap())
        } else {
            Probe::Postgres(sqlx::PgConnection::connect(&url).await.unwrap())
        }
    }

    pub async fn fingerprint(&mut self) -> Fingerprint {
        let values: Vec<i64> = match self {
            Probe::Sqlite(c) => {
                let row = sqlx::query(FINGERPRINT).fetch_one(c).await.unwrap();
                (0..COLUMNS.len()).map(|i| row.get::<i64, _>(i)).collect()
            }
            Probe::Postgres(c) => {
                let row = sqlx::query(FINGERPRINT).fetch_one(c).await.unwrap();
                (0..COLUMNS.len()).map(|i| row.get::<i64, _>(i)).collect()
            }
        };
        Fingerprint(COLUMNS.iter().copied().zip(values).collect())
    }
}
