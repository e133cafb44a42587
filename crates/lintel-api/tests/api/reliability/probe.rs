//! A direct look at the tables, on the test's own connection, and at the stored files: row
//! counts and change markers of every table and the number of files, so a rejected write can
//! be shown to have changed nothing.

use std::path::{Path, PathBuf};

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
    (SELECT CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) FROM units) AS units_upd, \
    (SELECT COUNT(*) FROM documents) AS documents, \
    (SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM document_usage) AS document_bytes, \
    (SELECT COUNT(*) FROM tenants) AS tenants, \
    (SELECT CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) FROM tenants) AS tenants_upd, \
    (SELECT COUNT(*) FROM leases) AS leases, \
    (SELECT CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) FROM leases) AS leases_upd, \
    (SELECT COUNT(*) FROM lease_tenants) AS lease_tenants, \
    (SELECT COUNT(*) FROM lease_documents) AS lease_documents, \
    (SELECT COUNT(*) FROM lease_status_history) AS lease_history, \
    (SELECT COUNT(*) FROM lease_renewals) AS renewals, \
    (SELECT CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) FROM lease_renewals) AS renewals_upd, \
    (SELECT COUNT(*) FROM invitations) AS invitations, \
    (SELECT COUNT(revoked_at) FROM invitations) AS invitations_revoked, \
    (SELECT COUNT(*) FROM notifications) AS notifications, \
    (SELECT COUNT(read_at) FROM notifications) AS notifications_read";

const COLUMNS: [&str; 30] = [
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
    "documents",
    "document_bytes",
    "tenants",
    "tenants_upd",
    "leases",
    "leases_upd",
    "lease_tenants",
    "lease_documents",
    "lease_history",
    "renewals",
    "renewals_upd",
    "invitations",
    "invitations_revoked",
    "notifications",
    "notifications_read",
];

/// Row counts and change sums of every table, and the number of stored files.
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
enum Db {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

/// The test's database, and the directory its documents are stored in.
pub struct Probe {
    db: Db,
    files: Option<PathBuf>,
}

/// The files under `dir`, at any depth (none when it does not exist yet).
fn files_under(dir: &Path) -> i64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => files_under(&e.path()),
            _ => 1,
        })
        .sum()
}

impl Probe {
    pub async fn open(app: &TestApp) -> Probe {
        let url = app.database_url();
        let db = if url.starts_with("sqlite:") {
            Db::Sqlite(sqlx::SqliteConnection::connect(&url).await.unwrap())
        } else {
            Db::Postgres(sqlx::PgConnection::connect(&url).await.unwrap())
        };
        let files = match &app.state.config.documents.backend {
            lintel_blobs::Backend::Local { dir } => Some(dir.clone()),
            lintel_blobs::Backend::S3(_) => None,
        };
        Probe { db, files }
    }

    pub async fn fingerprint(&mut self) -> Fingerprint {
        let mut values: Vec<i64> = match &mut self.db {
            Db::Sqlite(c) => {
                let row = sqlx::query(FINGERPRINT).fetch_one(c).await.unwrap();
                (0..COLUMNS.len()).map(|i| row.get::<i64, _>(i)).collect()
            }
            Db::Postgres(c) => {
                let row = sqlx::query(FINGERPRINT).fetch_one(c).await.unwrap();
                (0..COLUMNS.len()).map(|i| row.get::<i64, _>(i)).collect()
            }
        };
        values.push(self.files.as_deref().map_or(0, files_under));
        let names = COLUMNS.iter().copied().chain(["stored files"]);
        Fingerprint(names.zip(values).collect())
    }
}
