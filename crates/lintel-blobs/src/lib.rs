//! Where document bytes live: a directory on local disk (the default) or a bucket of any
//! S3-compatible service, behind one interface ([`Blobs`]), through the `object_store` crate
//! (decision 0013). Objects are named only from typed IDs ([`BlobKey`]), never from anything a
//! client sent, so no upload can reach outside its organisation's prefix.
//!
//! Downloads go through links that expire: with S3 a presigned URL of the service itself
//! ([`Blobs::presigned_get`]); on local disk a link to Lintel signed with [`LinkSigner`].

mod link;
#[cfg(feature = "testing")]
pub mod testing;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use lintel_domain::{DocumentId, OrgId};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{ObjectStore, PutPayload};

pub use link::{LinkRefused, LinkSigner};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No object under that key.
    #[error("object not found")]
    NotFound,
    /// The storage could not be reached or refused the operation: worth retrying.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The storage settings cannot work (a missing bucket name, a directory that cannot be made).
    #[error("storage settings: {0}")]
    Settings(String),
}

impl From<object_store::Error> for BlobError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => BlobError::NotFound,
            other => BlobError::Unavailable(other.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, BlobError>;

/// An S3-compatible service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// The service's address (`http://127.0.0.1:9000`, `https://s3.eu-west-1.amazonaws.com`);
    /// `None` for AWS itself, found from the region.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// Which storage to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// Files under this directory (created if missing).
    Local {
        dir: PathBuf,
    },
    S3(S3Settings),
}

/// The name of one stored object: `documents/<organisation>/<document>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobKey(Path);

impl BlobKey {
    pub fn document(org: OrgId, doc: DocumentId) -> BlobKey {
        BlobKey(Path::from_iter([
            "documents".to_string(),
            org.to_string(),
            doc.to_string(),
        ]))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }
}

/// The configured storage.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// The same store, for presigning, when it is S3.
    s3: Option<Arc<AmazonS3>>,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blobs")
            .field("store", &self.store.to_string())
            .finish()
    }
}

impl Blobs {
    pub fn open(backend: &Backend) -> Result<Blobs> {
        match backend {
            Backend::Local { dir } => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| BlobError::Settings(format!("{}: {e}", dir.display())))?;
                let fs = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| BlobError::Settings(e.to_string()))?;
                Ok(Blobs {
                    store: Arc::new(fs),
                    s3: None,
                })
            }
            Backend::S3(s) => {
                if s.bucket.trim().is_empty() {
                    return Err(BlobError::Settings("storage.s3.bucket is required".into()));
                }
                let mut b = AmazonS3Builder::new()
                    .with_region(&s.region)
                    .with_bucket_name(&s.bucket)
                    .with_access_key_id(&s.access_key_id)
                    .with_secret_access_key(&s.secret_access_key);
                if let Some(endpoint) = &s.endpoint {
                    // Self-hosted services (MinIO, Ceph, Garage) answer on plain HTTP inside a
                    // private network and address buckets by path.
                    b = b
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                let s3 = Arc::new(b.build().map_err(|e| BlobError::Settings(e.to_string()))?);
                Ok(Blobs {
                    store: s3.clone(),
                    s3: Some(s3),
                })
            }
        }
    }

    /// `local` or `s3`.
    pub fn kind(&self) -> &'static str {
        if self.s3.is_some() {
            "s3"
        } else {
            "local"
        }
    }

    /// Stores `bytes` under `key`, whole or not at all (a local file is written aside and
    /// renamed into place; an S3 object appears only once its upload completes).
    pub async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<()> {
        self.store.put(&key.0, PutPayload::from(bytes)).await?;
        Ok(())
    }

    pub async fn get(&self, key: &BlobKey) -> Result<Bytes> {
        Ok(self.store.get(&key.0).await?.bytes().await?)
    }

    /// Removes the object; one that is already gone counts as removed.
    pub async fn delete(&self, key: &BlobKey) -> Result<()> {
        match self.store.delete(&key.0).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A URL of the service itself that downloads the object without credentials for `ttl`
    /// (S3); `None` on local disk, where Lintel serves the bytes through a [`LinkSigner`] link.
    pub async fn presigned_get(&self, key: &BlobKey, ttl: Duration) -> Result<Option<String>> {
        match &self.s3 {
            Some(s3) => {
                let url = s3.signed_url(http::Method::GET, &key.0, ttl).await?;
                Ok(Some(url.to_string()))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_objects_round_trip_under_their_organisation() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(&Backend::Local {
            dir: dir.path().join("documents-root"),
        })
        .unwrap();
        assert_eq!(blobs.kind(), "local");
        let (org, doc) = (OrgId::new(), DocumentId::new());
        let key = BlobKey::document(org, doc);
        assert_eq!(key.as_str(), format!("documents/{org}/{doc}"));
        blobs
            .put(&key, Bytes::from_static(b"%PDF-1.7 hello"))
            .await
            .unwrap();
        let on_disk = dir
            .path()
            .join("documents-root/documents")
            .join(org.to_string())
            .join(doc.to_string());
        assert_eq!(std::fs::read(&on_disk).unwrap(), b"%PDF-1.7 hello");
        assert_eq!(&blobs.get(&key).await.unwrap()[..], b"%PDF-1.7 hello");
        assert_eq!(
            blobs
                .presigned_get(&key, Duration::from_secs(60))
                .await
                .unwrap(),
            None
        );
        blobs.delete(&key).await.unwrap();
        assert!(!on_disk.exists());
        assert!(matches!(blobs.get(&key).await, Err(BlobError::NotFound)));
        // Deleting what is gone is not an error.
        blobs.delete(&key).await.unwrap();
    }

    #[test]
    fn s3_needs_a_bucket() {
        let e = Blobs::open(&Backend::S3(S3Settings {
            endpoint: Some("http://127.0.0.1:9".into()),
            region: "us-east-1".into(),
            bucket: " ".into(),
            access_key_id: "a".into(),
            secret_access_key: "b".into(),
        }))
        .unwrap_err();
        assert!(matches!(e, BlobError::Settings(m) if m.contains("storage.s3.bucket")));
    }
}
