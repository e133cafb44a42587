//! What a use case can fail with.

use lintel_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The data layer refused or failed (not found, conflict, plan limit, unavailable, …).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Work off the async workers (password hashing) could not finish.
    #[error("{0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;
