//! Password hashing and checking, off the async workers (Argon2 takes tens of milliseconds of
//! CPU on purpose).

use super::secrets;
use crate::{AppError, AppResult};

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(format!("background task failed: {e}")))
}

/// An Argon2id hash of a new password.
pub async fn hash(password: String) -> AppResult<String> {
    blocking(move || secrets::hash_password(&password))
        .await?
        .map_err(AppError::Internal)
}

/// Checks `password` against `hash`, or against a fixed dummy hash when there is no account, so
/// both cost one Argon2 verification; `checked` runs inside the verifying task (a verification
/// that never runs is never counted). True only for a real hash that matches.
pub async fn verify(
    password: String,
    hash: Option<String>,
    checked: impl FnOnce() + Send + 'static,
) -> AppResult<bool> {
    let known = hash.is_some();
    let ok = blocking(move || {
        checked();
        let hash = hash.as_deref().unwrap_or_else(|| secrets::dummy_hash());
        secrets::verify_password(&password, hash)
    })
    .await?;
    Ok(ok && known)
}

/// Makes the dummy hash now, so the first sign-in with an unknown email costs what others do.
pub async fn prepare() -> AppResult<()> {
    blocking(|| {
        secrets::dummy_hash();
    })
    .await
}
