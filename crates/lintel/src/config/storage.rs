//! `[storage]`: where document bytes are kept and how download links behave (decision 0013).

use std::path::{Path, PathBuf};

use anyhow::bail;
use serde::Deserialize;

use super::Secret;

/// Which storage backend holds document bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// A directory on this machine (`local_dir`).
    #[default]
    Local,
    /// A bucket of an S3-compatible service (`[storage.s3]`).
    S3,
}

/// `[storage.s3]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Storage {
    /// The service's address; unset for AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: Option<String>,
    pub access_key_id: Option<Secret>,
    pub secret_access_key: Option<Secret>,
}

impl Default for S3Storage {
    fn default() -> Self {
        S3Storage {
            endpoint: None,
            region: "us-east-1".into(),
            bucket: None,
            access_key_id: None,
            secret_access_key: None,
        }
    }
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Storage {
    pub backend: StorageBackend,
    /// Where the local backend keeps files; `documents` inside `data_dir` when unset.
    pub local_dir: Option<PathBuf>,
    pub s3: S3Storage,
    /// How long a download link works, in seconds.
    pub signed_url_ttl_secs: u64,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
}

/// S3's presigned URLs can last at most seven days.
const MAX_TTL_SECS: u64 = 7 * 24 * 3600;

impl Default for Storage {
    fn default() -> Self {
        Storage {
            backend: StorageBackend::Local,
            local_dir: None,
            s3: S3Storage::default(),
            signed_url_ttl_secs: 15 * 60,
            max_upload_bytes: 25 * 1024 * 1024,
        }
    }
}

impl Storage {
    pub(super) fn check(&self) -> anyhow::Result<()> {
        if !(1..=MAX_TTL_SECS).contains(&self.signed_url_ttl_secs) {
            bail!("configuration key `storage.signed_url_ttl_secs` must be between 1 and {MAX_TTL_SECS} (seven days)");
        }
        if self.max_upload_bytes == 0 {
            bail!("configuration key `storage.max_upload_bytes` must be at least 1 byte");
        }
        if self.backend == StorageBackend::S3 {
            let s3 = &self.s3;
            let missing = |v: Option<&str>| v.is_none_or(|v| v.trim().is_empty());
            for (key, value) in [
                ("bucket", s3.bucket.as_deref()),
                (
                    "access_key_id",
                    s3.access_key_id.as_ref().map(Secret::expose),
                ),
                (
                    "secret_access_key",
                    s3.secret_access_key.as_ref().map(Secret::expose),
                ),
            ] {
                if missing(value) {
                    bail!("configuration key `storage.s3.{key}` is required when `storage.backend` is \"s3\"");
                }
            }
            if s3.region.trim().is_empty() {
                bail!("configuration key `storage.s3.region` must not be empty");
            }
            if let Some(e) = &s3.endpoint {
                if !(e.starts_with("http://") || e.starts_with("https://")) {
                    bail!("configuration key `storage.s3.endpoint` must be an http(s) address, e.g. http://127.0.0.1:9000");
                }
            }
        }
        Ok(())
    }

    /// The backend to open, with the local directory resolved against `data_dir`.
    pub fn backend(&self, data_dir: &Path) -> lintel_blobs::Backend {
        match self.backend {
            StorageBackend::Local => lintel_blobs::Backend::Local {
                dir: (self.local_dir.clone()).unwrap_or_else(|| data_dir.join("documents")),
            },
            StorageBackend::S3 => {
                let s3 = &self.s3;
                let secret = |s: &Option<Secret>| s.as_ref().map_or("", Secret::expose).to_string();
                lintel_blobs::Backend::S3(lintel_blobs::S3Settings {
                    endpoint: s3.endpoint.clone(),
                    region: s3.region.clone(),
                    bucket: s3.bucket.clone().unwrap_or_default(),
                    access_key_id: secret(&s3.access_key_id),
                    secret_access_key: secret(&s3.secret_access_key),
                })
            }
        }
    }
}
