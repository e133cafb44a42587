//! Documents (F2.7): files attached to a property, building or unit — upload, list, retrieve
//! with an expiring download link, delete — and the signed download itself.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lintel_app::documents::{self as uc, DownloadLink, LinkError, Storage};
use lintel_domain::documents::{
    Document, DocumentCategory, DocumentEntityType, DocumentTarget, DocumentWithLink,
};
use lintel_domain::pagination::DOCUMENTS_PAGE;
use lintel_domain::{DocumentId, DocumentKind, Limit, Page, Role, TenantId};
use lintel_store::documents::DocumentFilter;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{Auth, ManagerUp, Principal};
use crate::contract::{endpoints, public};
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, PathId, QueryCheck};
use crate::multipart::Upload;
use crate::query::list_query;
use crate::responses::{ReadErrors, UploadErrors, WriteErrors};
use crate::AppState;

const ENTITY: Entity = Entity::Record("Document");

pub(crate) fn storage(state: &AppState) -> Storage<'_> {
    Storage {
        blobs: &state.blobs,
        links: &state.links,
        link_ttl: Duration::from_secs(state.config.documents.signed_url_ttl_secs),
    }
}

/// The form of `POST /api/documents`, sent as `multipart/form-data`; no other part is taken.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DocumentUpload {
    /// The file: PDF, PNG, JPEG, WebP, HEIC, plain text, CSV or DOCX, told from its bytes (the
    /// part's own `Content-Type` is ignored); at most `storage.max_upload_bytes` (25 MiB by
    /// default). Its `filename` is kept as the document's name unless `name` is sent.
    #[schema(value_type = String, format = Binary, min_length = 1)]
    file: Vec<u8>,
    entity_type: DocumentEntityType,
    /// The ID of the record to attach the document to, of the kind `entityType` names; it must
    /// be in your organisation (404 otherwise).
    #[schema(example = "prop_01JD8X6Z0Q4W5E6R7T8Y9U0I1O")]
    entity_id: String,
    category: DocumentCategory,
    /// The name to show; defaults to the file's name. No path separators or control
    /// characters.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069/\\]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff/\\][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069/\\]*$",
        example = "Signed lease.pdf"
    )]
    name: Option<String>,
}

/// Uploads a document and attaches it to a record of the organisation (201). The type is told
/// from the bytes: anything but PDF, PNG, JPEG, WebP, HEIC, plain text, CSV or DOCX is a 415;
/// a file over the upload limit is a 413; the organisation's stored bytes count against the
/// plan's quota (FREE 100 MiB, PRO 10 GiB, BUSINESS 100 GiB: 403 PLAN_LIMIT_EXCEEDED).
/// Requires property_manager or higher.
#[utoipa::path(post, path = "/api/documents", tag = "Documents",
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = Envelope<Document>), UploadErrors))]
async fn upload(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    upload: Upload,
) -> ApiResult<Created<Document>> {
    let meta = upload.fields.validate().map_err(ApiError::Validation)?;
    let quota = auth.cap(Limit::DocumentBytes);
    let actor = auth.actor();
    let store = &state.store;
    let done = uc::upload(
        store,
        storage(&state),
        auth.org,
        &actor,
        meta,
        upload.bytes,
        quota,
    );
    Ok(Created(
        done.await.map_err(auth.app_failed(ENTITY, &state))?,
    ))
}

list_query! {
    /// Query parameters of `GET /api/documents`.
    pub struct ListQuery {
        size: "Page size, 1–100 (default 20).",
        /// Only documents attached to this kind of record.
        #[param(value_type = Option<DocumentEntityType>)]
        entity_type: Option<String>,
        /// Only documents attached to this record (an ID of the kind `entityType` names, when
        /// given).
        #[param(value_type = Option<String>, pattern = r"^(prop|bldg|unit|ten|lease)_[0-7][0-9a-hjkmnp-tv-z]{25}$")]
        entity_id: Option<String>,
        /// Only documents filed under this category.
        #[param(value_type = Option<DocumentCategory>)]
        category: Option<String>,
    }
}

/// Which documents the caller may read: a tenant only their own (filed with them or with a
/// lease they are on), a broker all but ID documents, property managers and up all.
enum Reader {
    All,
    NoIdDocuments,
    Tenant(Option<TenantId>),
}

async fn reader(auth: &Principal, state: &AppState) -> ApiResult<Reader> {
    Ok(match auth.role {
        Role::Tenant => Reader::Tenant(crate::leasing::own_tenant(auth, state).await?),
        Role::Broker => Reader::NoIdDocuments,
        _ => Reader::All,
    })
}

/// Whether `reader` may see `doc`.
async fn may_read(
    reader: &Reader,
    auth: &Principal,
    state: &AppState,
    doc: &Document,
) -> ApiResult<bool> {
    Ok(match reader {
        Reader::All => true,
        Reader::NoIdDocuments => doc.category != DocumentCategory::IdVerification,
        Reader::Tenant(None) => false,
        Reader::Tenant(Some(own)) => match doc.entity_type {
            DocumentEntityType::Tenant => doc.entity_id == own.to_string(),
            DocumentEntityType::Lease => {
                let Ok(lease) = doc.entity_id.parse() else {
                    return Ok(false);
                };
                let lease = state.store.org(auth.org).leases().get(lease).await;
                lease
                    .map_err(auth.failed(ENTITY, state))?
                    .tenant_ids
                    .contains(own)
            }
            _ => false,
        },
    })
}

/// Lists documents, newest first. Requires tenant or higher: property managers and up see every
/// document, brokers all but ID documents, a tenant only their own (filed with them or with a
/// lease they are on).
#[utoipa::path(get, path = "/api/documents", tag = "Documents",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<Document>>), ReadErrors))]
async fn list(
    auth: Auth,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<Document>>> {
    let who = reader(&auth, &state).await?;
    let mut check = QueryCheck::new();
    let entity_type = check.choice::<DocumentEntityType>("entityType", q.entity_type.as_deref());
    let entity_id = q.entity_id.as_deref().and_then(|raw| {
        let one = entity_type.map(|t| [t]);
        let kinds: &[DocumentEntityType] = one.as_ref().map_or(DocumentEntityType::ALL, |t| t);
        let found = kinds.iter().find_map(|t| DocumentTarget::parse(*t, raw));
        if found.is_none() {
            let kind = entity_type.map_or("record", |t| t.as_str());
            check.fail("entityId", format!("is not a {kind} ID"));
        }
        found.map(DocumentTarget::entity_id)
    });
    let category = check.choice::<DocumentCategory>("category", q.category.as_deref());
    let page = q.paged(&mut check, DOCUMENTS_PAGE);
    let page = check.finish(page)?;
    let mut filter = DocumentFilter {
        entity_type,
        entity_id,
        category,
        tenant: None,
        hide_id_documents: false,
    };
    match who {
        Reader::All => {}
        Reader::NoIdDocuments => filter.hide_id_documents = true,
        // Without a profile of their own, a tenant's filter matches nothing.
        Reader::Tenant(own) => {
            filter.tenant = Some(own.unwrap_or_else(|| TenantId::from_ulid(Default::default())))
        }
    }
    let docs = state
        .store
        .org(auth.org)
        .documents()
        .list(&filter, page)
        .await;
    Ok(Success(docs.map_err(auth.failed(ENTITY, &state))?))
}

/// The URL of a download link.
fn link_url(
    state: &AppState,
    id: DocumentId,
    link: DownloadLink,
) -> (String, lintel_domain::Timestamp) {
    match link {
        DownloadLink::Presigned { url, expires_at } => (url, expires_at),
        DownloadLink::Signed {
            expires_at,
            signature,
        } => {
            let base = state.config.public_url.as_deref().unwrap_or("");
            let url = format!(
                "{}/api/documents/{id}/download?expires={}&signature={signature}",
                base.trim_end_matches('/'),
                expires_at.0
            );
            (url, expires_at)
        }
    }
}

/// Retrieves a document's details with a `downloadUrl` that works without credentials until
/// `downloadUrlExpiresAt` (`storage.signed_url_ttl_secs`, 15 minutes by default). Requires
/// tenant or higher, and a document the caller may read (as in the list; 404 otherwise).
#[utoipa::path(get, path = "/api/documents/{id}", tag = "Documents",
    params(("id" = DocumentId, Path, description = "Document ID")),
    responses((status = 200, body = Envelope<DocumentWithLink>), ReadErrors))]
async fn get(
    auth: Auth,
    State(state): State<AppState>,
    PathId(id): PathId<DocumentKind>,
) -> ApiResult<Success<DocumentWithLink>> {
    let who = reader(&auth, &state).await?;
    let doc = state.store.org(auth.org).documents().get(id).await;
    let doc = doc.map_err(auth.failed(ENTITY, &state))?;
    if !may_read(&who, &auth, &state, &doc).await? {
        return Err(ApiError::NotFound("Document"));
    }
    let link = uc::download_link(storage(&state), &doc).await?;
    let (download_url, download_url_expires_at) = link_url(&state, doc.id, link);
    Ok(Success(DocumentWithLink {
        document: doc,
        download_url,
        download_url_expires_at,
    }))
}

/// Deletes a document (204): its stored file first, then its record, with an audit entry. If
/// the file cannot be removed the record stays (503). Requires property_manager or higher.
#[utoipa::path(delete, path = "/api/documents/{id}", tag = "Documents",
    params(("id" = DocumentId, Path, description = "Document ID")),
    responses((status = 204, description = "Document deleted"), WriteErrors))]
async fn delete(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<DocumentKind>,
) -> ApiResult<StatusCode> {
    let actor = auth.actor();
    let done = uc::delete(&state.store, storage(&state), auth.org, &actor, id).await;
    done.map_err(auth.app_failed(ENTITY, &state))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query parameters of a signed download link.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// When the link stops working (Unix milliseconds), as signed.
    #[param(value_type = i64)]
    expires: Option<String>,
    /// The link's signature.
    #[param(value_type = String, max_length = 128)]
    signature: Option<String>,
}

/// Downloads a document through the `downloadUrl` of `GET /api/documents/{id}` (local storage;
/// with S3 that URL is the service's own). Needs no session or key: the link is the credential
/// until it expires. An expired, altered or forged link is a 403.
#[utoipa::path(get, path = "/api/documents/{id}/download", tag = "Documents",
    params(("id" = DocumentId, Path, description = "Document ID"), LinkQuery),
    responses(
        (status = 200, description = "The file, with its stored media type",
            content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "VALIDATION_ERROR: a malformed query (a parameter given twice)", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: the link has expired, or is not valid", body = ErrorBody),
        (status = 404, description = "NOT_FOUND: the document has been deleted", body = ErrorBody),
        (status = 422, description = "VALIDATION_ERROR: a query parameter the link does not have", body = ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE: storage or database unreachable; retry after Retry-After seconds", body = ErrorBody)))]
async fn download(
    State(state): State<AppState>,
    PathId(id): PathId<DocumentKind>,
    ApiQuery(q): ApiQuery<LinkQuery>,
) -> ApiResult<Response> {
    let invalid = || ApiError::Forbidden("This download link is not valid.".into());
    let expires = q.expires.as_deref().and_then(|e| e.parse::<i64>().ok());
    let (Some(expires), Some(signature)) = (expires, q.signature.as_deref()) else {
        return Err(invalid());
    };
    let opened = uc::open_link(&state.store, storage(&state), id, expires, signature).await;
    let (doc, bytes) = opened.map_err(|e| match e {
        LinkError::Expired => ApiError::Forbidden("This download link has expired.".into()),
        LinkError::Invalid => invalid(),
        LinkError::Gone => ApiError::NotFound("Document"),
        LinkError::Failed(e) => e.into(),
    })?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&doc.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&doc.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

/// `attachment` with the name twice: an ASCII fallback, and the exact name percent-encoded
/// (RFC 6266 / RFC 8187).
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' && c != '%' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list, upload))
        .routes(endpoints!(get, delete))
        .routes(public!(download))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_in_the_header() {
        assert_eq!(
            content_disposition("lease.pdf"),
            "attachment; filename=\"lease.pdf\"; filename*=UTF-8''lease.pdf"
        );
        assert_eq!(
            content_disposition("Bail signé \"v2\".pdf"),
            "attachment; filename=\"Bail sign_ _v2_.pdf\"; filename*=UTF-8''Bail%20sign%C3%A9%20%22v2%22.pdf"
        );
    }
}
