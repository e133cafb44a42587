//! The leasing context's HTTP surface: tenants, leases and renewal offers.

mod leases;
mod renewals;
mod tenants;

use lintel_domain::TenantId;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::Principal;
use crate::entity::Entity;
use crate::error::ApiResult;
use crate::AppState;

/// The caller's own tenant profile in their current organisation, if they have one.
pub(crate) async fn own_tenant(auth: &Principal, state: &AppState) -> ApiResult<Option<TenantId>> {
    let Some(user) = auth.user else {
        return Ok(None);
    };
    let found = state.store.org(auth.org).tenants().of_user(user).await;
    let found = found.map_err(auth.failed(Entity::Record("Tenant"), state))?;
    Ok(found.map(|t| t.id))
}

/// The context's API routes, each with its OpenAPI entry.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(tenants::routes())
        .merge(leases::routes())
        .merge(renewals::routes())
}
