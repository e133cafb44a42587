//! The store's one error type. Callers map it to HTTP in one place.

/// What can go wrong in the data layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist in this organisation (or at all).
    #[error("not found")]
    NotFound,
    /// The write conflicts with a record that exists: which kind of clash it is.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// The plan's cap on `limit` (at most `max`) is reached.
    #[error("plan limit of {max} {} reached", limit.as_str())]
    LimitReached {
        limit: lintel_domain::Limit,
        max: u64,
    },
    /// The input refers to something that is not there (reported on its field).
    #[error("invalid reference")]
    Invalid(Vec<lintel_domain::FieldError>),
    /// A record the input refers to (by ID) is not in the organisation: the name of its kind,
    /// as in "Property not found.".
    #[error("{0} not found")]
    Missing(&'static str),
    /// A record's status cannot move as asked (its lifecycle's rules): the refusal's stable
    /// code (`ALREADY_IN_STATUS`, `INVALID_STATUS_TRANSITION`) and its message.
    #[error("{message}")]
    Transition { code: &'static str, message: String },
    /// A lease cannot come into force while another lease of the same unit, in force, overlaps
    /// its dates: the other lease's ID.
    #[error("overlaps lease {0}")]
    LeaseOverlap(String),
    /// The write breaks a rule of the record's current state (terms of a signed lease, an offer
    /// already answered): the message for the client.
    #[error("refused: {0}")]
    Refused(String),
    /// Done too recently to be done again yet: the seconds to wait (a reminder sent less than a
    /// day ago).
    #[error("too soon: retry in {0} s")]
    TooSoon(u64),
    /// A step outside the database that the write depends on (storing or removing a document's
    /// bytes) failed, so the write was not committed.
    #[error("external step failed: {0}")]
    External(String),
    /// The record exists but can no longer be used (an invitation already accepted, revoked or
    /// expired); carries its state.
    #[error("gone: {0}")]
    Gone(String),
    /// The record is archived and read-only until restored.
    #[error("archived")]
    Archived,
    /// A stored value could not be turned back into a domain value.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database cannot be reached right now (pool exhausted, connection lost, server
    /// restarting, lock held too long): worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The transaction lost a lock conflict with another one (PostgreSQL `40P01`
    /// deadlock_detected or `40001` serialization_failure) and was rolled back. [`crate::Db::write`]
    /// runs it again a few times; this reaches a caller only when every attempt lost: worth
    /// retrying shortly.
    #[error("write contention: {0}")]
    Contention(String),
    /// A database URL that names no supported backend.
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    /// An error PostgreSQL (through sqlx) reported, with no meaning of its own here.
    #[error(transparent)]
    Database(sqlx::Error),
    /// An error SQLite (through rusqlite) reported, with no meaning of its own here.
    #[error(transparent)]
    Sqlite(rusqlite::Error),
}

/// The kinds of clash with an existing record, so that callers match on a type, not on text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// A unique index refused the row; carries the constraint (or the database's message).
    Unique(String),
    /// An account already has this email.
    Email,
    /// The person is already a member of the organisation.
    Member,
    /// The invitation has been accepted (it can no longer be revoked).
    Accepted,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                let constraint = db.constraint().unwrap_or_else(|| db.message());
                StoreError::Conflict(Conflict::Unique(constraint.to_string()))
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(db) if contention(db.code().as_deref()) => {
                StoreError::Contention(db.message().to_string())
            }
            sqlx::Error::Database(db) if transient(db.code().as_deref()) => {
                StoreError::Unavailable(db.message().to_string())
            }
            _ => StoreError::Database(e),
        }
    }
}

/// SQLite's errors, sorted the way PostgreSQL's are: a unique or primary-key violation is a
/// conflict (carrying SQLite's message, which names the table and columns: `UNIQUE constraint
/// failed: accounts.email`), busy and locked (once the busy timeout has run out) mean "try again
/// shortly", no row where one was expected is not found; anything else is an error of its own.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match &e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            rusqlite::Error::SqliteFailure(f, msg)
                if matches!(
                    f.extended_code,
                    ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
            {
                StoreError::Conflict(Conflict::Unique(
                    msg.clone().unwrap_or_else(|| f.to_string()),
                ))
            }
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

/// A SQLite row that does not fit its struct (a column of another type, a NULL where a value is
/// required, a missing column): the stored value cannot be read back.
impl From<crate::sqlite::DecodeError> for StoreError {
    fn from(e: crate::sqlite::DecodeError) -> Self {
        StoreError::Corrupt(e.0)
    }
}

/// Error codes that mean "try again shortly": PostgreSQL connection exceptions (class 08) and
/// operator interventions such as a shutdown in progress (57P01–57P03).
fn transient(code: Option<&str>) -> bool {
    code.is_some_and(|c| c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03"))
}

/// PostgreSQL's codes for a transaction rolled back because it lost to a concurrent one:
/// `40P01` deadlock_detected, `40001` serialization_failure. Running it again is safe: nothing
/// of it was committed.
fn contention(code: Option<&str>) -> bool {
    matches!(code, Some("40P01" | "40001"))
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl<S: lintel_domain::Lifecycle> From<lintel_domain::Refused<S>> for StoreError {
    fn from(r: lintel_domain::Refused<S>) -> Self {
        StoreError::Transition {
            code: r.code(),
            message: r.to_string(),
        }
    }
}

/// Turns a stored enum string back into its domain type.
pub(crate) fn parse_col<T: std::str::FromStr>(col: &str, raw: &str) -> Result<T> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("{col}: unexpected value {raw:?}")))
}
