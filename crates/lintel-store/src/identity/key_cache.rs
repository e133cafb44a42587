//! A short-lived in-process cache of API-key lookups.
//!
//! Every API request starts by finding its key; with the cache, a busy key costs one database
//! round trip per [`KEY_CACHE_TTL`] instead of one per request. Changes made through this
//! process's [`crate::Store`] (revoking a key, changing a plan, recording a key's use) drop the
//! affected entries at once; a change made by another process (a second server on the same
//! PostgreSQL, `lintel admin`) takes effect within the TTL. Unknown keys are never cached, so
//! random tokens cannot fill it.

use std::sync::Arc;
use std::time::Duration;

use mini_moka::sync::Cache;

use super::credentials::KeyPrincipal;

/// How long a looked-up key is trusted before it is read again.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(1);
const CAPACITY: u64 = 10_000;

/// Secret hash → the key's principal.
#[derive(Clone)]
pub(crate) struct KeyCache {
    entries: Cache<String, Arc<KeyPrincipal>>,
}

impl KeyCache {
    pub(crate) fn new() -> KeyCache {
        KeyCache {
            entries: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(KEY_CACHE_TTL)
                .build(),
        }
    }

    pub(crate) fn get(&self, secret_hash: &str) -> Option<Arc<KeyPrincipal>> {
        self.entries.get(&secret_hash.to_owned())
    }

    pub(crate) fn put(&self, secret_hash: &str, key: Arc<KeyPrincipal>) {
        self.entries.insert(secret_hash.to_owned(), key);
    }

    pub(crate) fn forget(&self, secret_hash: &str) {
        self.entries.invalidate(&secret_hash.to_owned());
    }

    /// Drops every entry: after a change whose keys are not known by hash (a revocation, a
    /// plan change).
    pub(crate) fn clear(&self) {
        self.entries.invalidate_all();
    }
}
