//! The leasing context's use cases: a tenant with their leases, an ID document filed for a
//! tenant.

use bytes::Bytes;
use lintel_domain::documents::{Document, UploadMeta};
use lintel_domain::leasing::TenantDetail;
use lintel_domain::{Actor, Cap, OrgId, TenantId};
use lintel_store::Store;

use crate::documents::{self, Storage};
use crate::error::AppResult;

/// A tenant with every lease they are on (newest first) and their payment records.
pub async fn tenant_detail(store: &Store, org: OrgId, id: TenantId) -> AppResult<TenantDetail> {
    let scope = store.org(org);
    let tenant = scope.tenants().get(id).await?;
    let leases = scope.leases().of_tenant(id).await?;
    Ok(TenantDetail {
        tenant,
        leases,
        payments: Vec::new(),
    })
}

/// Stores an ID document for a tenant (category `id_verification`, attached to the tenant) and
/// sets their ID check to `pending`.
pub async fn submit_id_document(
    store: &Store,
    storage: Storage<'_>,
    org: OrgId,
    actor: &Actor,
    meta: UploadMeta,
    bytes: Bytes,
    quota: Cap,
) -> AppResult<Document> {
    let tenant = match meta.target {
        lintel_domain::documents::DocumentTarget::Tenant(t) => t,
        _ => {
            return Err(crate::AppError::Internal(
                "an ID document names its tenant".into(),
            ))
        }
    };
    let doc = documents::upload(store, storage, org, actor, meta, bytes, quota).await?;
    store.org(org).tenants().id_submitted(actor, tenant).await?;
    Ok(doc)
}
