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
/// How many of a tenant's latest payments their detail shows (the rest through
/// `GET /api/payments?tenantId=`).
pub const TENANT_PAYMENTS: u64 = 50;

pub async fn tenant_detail(store: &Store, org: OrgId, id: TenantId) -> AppResult<TenantDetail> {
    let scope = store.org(org);
    let tenant = scope.tenants().get(id).await?;
    let leases = scope.leases().of_tenant(id).await?;
    let payments = scope.payments().of_tenant(id, TENANT_PAYMENTS).await?;
    let balances = scope.payments().balance_of_tenant(id).await?;
    let currency = leases.first().map(|l| l.rent.currency.clone());
    let balance = balances
        .iter()
        .find(|b| Some(&b.currency) == currency.as_ref())
        .or(balances.first())
        .cloned();
    Ok(TenantDetail {
        tenant,
        leases,
        payments,
        balance,
        balances,
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
