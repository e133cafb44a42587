//! The documents context's use cases: storing an upload (bytes, then the record), removing a
//! document (the record's transaction commits only once the bytes are gone), and the links that
//! download one without credentials. The order keeps storage and records in agreement: an upload
//! that fails leaves no record, a delete that fails leaves the record (decision 0013).

use std::time::Duration;

use bytes::Bytes;
use lintel_blobs::{BlobError, BlobKey, Blobs, LinkRefused, LinkSigner};
use lintel_domain::documents::{Document, FileKind, NewDocument, UploadMeta};
use lintel_domain::{Actor, Cap, DocumentId, Limit, OrgId, Timestamp};
use lintel_store::{Store, StoreError};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// The storage and link settings the document use cases work with.
#[derive(Clone, Copy)]
pub struct Storage<'a> {
    pub blobs: &'a Blobs,
    pub links: &'a LinkSigner,
    /// How long a download link works.
    pub link_ttl: Duration,
}

fn storage_failed(e: BlobError) -> AppError {
    AppError::Storage(e.to_string())
}

fn key(doc: &Document) -> BlobKey {
    BlobKey::document(doc.organisation_id, doc.id)
}

/// Stores an uploaded file and records it. The kind is told from the bytes (a kind Lintel does
/// not accept is [`AppError::UnsupportedFile`]); the quota is checked before the bytes are
/// written, and again, exactly, when the record is.
pub async fn upload(
    store: &Store,
    storage: Storage<'_>,
    org: OrgId,
    actor: &Actor,
    meta: UploadMeta,
    bytes: Bytes,
    quota: Cap,
) -> AppResult<Document> {
    let kind =
        FileKind::detect(&bytes, meta.file_name.as_deref()).ok_or(AppError::UnsupportedFile)?;
    let repo = store.org(org).documents();
    let size = bytes.len() as u64;
    let used = repo.usage().await?.max(0) as u64;
    if let Some(max) = quota.exceeded_by(used, size) {
        return Err(StoreError::LimitReached {
            limit: Limit::DocumentBytes,
            max,
        }
        .into());
    }
    let new = NewDocument {
        id: DocumentId::new(),
        target: meta.target,
        category: meta.category,
        name: meta.name,
        content_type: kind.content_type(),
        size_bytes: size as i64,
        sha256: hex::encode(Sha256::digest(&bytes)),
    };
    let key = BlobKey::document(org, new.id);
    storage
        .blobs
        .put(&key, bytes)
        .await
        .map_err(storage_failed)?;
    match repo.create(actor, &new, quota).await {
        Ok(doc) => Ok(doc),
        Err(e) => {
            // The record was not written: the bytes must not stay behind.
            if let Err(gone) = storage.blobs.delete(&key).await {
                tracing::warn!(document = %new.id, error = %gone, "stored bytes of a refused upload could not be removed");
            }
            Err(e.into())
        }
    }
}

/// Removes a document: its record and audit entry are committed only once its bytes are gone.
pub async fn delete(
    store: &Store,
    storage: Storage<'_>,
    org: OrgId,
    actor: &Actor,
    id: DocumentId,
) -> AppResult<Document> {
    let blobs = storage.blobs;
    let removed = store
        .org(org)
        .documents()
        .delete(actor, id, |doc| async move {
            blobs.delete(&key(&doc)).await.map_err(|e| e.to_string())
        })
        .await;
    removed.map_err(|e| match e {
        StoreError::External(detail) => AppError::Storage(detail),
        e => e.into(),
    })
}

/// A link that downloads a document without credentials until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadLink {
    /// The storage service's own presigned URL (S3).
    Presigned { url: String, expires_at: Timestamp },
    /// A link to Lintel, to be served by [`open_link`]: `expires_at` and its `signature`.
    Signed {
        expires_at: Timestamp,
        signature: String,
    },
}

/// What a signed link signs: the document it opens.
fn subject(id: DocumentId) -> String {
    format!("document:{id}")
}

/// A fresh download link for `doc`, valid for the configured time from now.
pub async fn download_link(storage: Storage<'_>, doc: &Document) -> AppResult<DownloadLink> {
    let ttl_ms = i64::try_from(storage.link_ttl.as_millis()).unwrap_or(i64::MAX);
    let expires_at = Timestamp(Timestamp::now().0.saturating_add(ttl_ms));
    let presigned = storage
        .blobs
        .presigned_get(&key(doc), storage.link_ttl)
        .await
        .map_err(storage_failed)?;
    Ok(match presigned {
        Some(url) => DownloadLink::Presigned { url, expires_at },
        None => DownloadLink::Signed {
            expires_at,
            signature: storage.links.sign(&subject(doc.id), expires_at.0),
        },
    })
}

/// Why a signed link opened nothing.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the link has expired")]
    Expired,
    /// Altered, forged, or signed under another key.
    #[error("the link is not valid")]
    Invalid,
    /// Genuine, but the document has been deleted.
    #[error("the document no longer exists")]
    Gone,
    #[error(transparent)]
    Failed(#[from] AppError),
}

/// The document a signed link opens, with its bytes. The signature is checked before anything
/// is read.
pub async fn open_link(
    store: &Store,
    storage: Storage<'_>,
    id: DocumentId,
    expires_at_ms: i64,
    signature: &str,
) -> Result<(Document, Bytes), LinkError> {
    let now = Timestamp::now().0;
    storage
        .links
        .verify(&subject(id), expires_at_ms, signature, now)
        .map_err(|r| match r {
            LinkRefused::Expired => LinkError::Expired,
            LinkRefused::Invalid => LinkError::Invalid,
        })?;
    let doc = match store.linked_documents().get(id).await {
        Ok(doc) => doc,
        Err(StoreError::NotFound) => return Err(LinkError::Gone),
        Err(e) => return Err(AppError::from(e).into()),
    };
    let bytes = match storage.blobs.get(&key(&doc)).await {
        Ok(bytes) => bytes,
        Err(BlobError::NotFound) => return Err(LinkError::Gone),
        Err(e) => return Err(storage_failed(e).into()),
    };
    Ok((doc, bytes))
}
