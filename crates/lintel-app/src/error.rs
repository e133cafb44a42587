//! What a use case can fail with.

use lintel_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The data layer refused or failed (not found, conflict, plan limit, unavailable, …).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The document storage could not be reached or refused the operation: worth retrying.
    #[error("document storage unavailable: {0}")]
    Storage(String),
    /// The payment processor (Stripe) could not be reached or refused: worth retrying.
    #[error("payment processor unavailable: {0}")]
    Processor(String),
    /// An uploaded file of a kind Lintel does not store.
    #[error("unsupported file type")]
    UnsupportedFile,
    /// Work off the async workers (password hashing) could not finish.
    #[error("{0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;
