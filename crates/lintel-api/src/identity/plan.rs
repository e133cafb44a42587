//! The organisation's plan, as Settings → Billing shows it.

use axum::extract::State;
use lintel_domain::BillingOverview;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{AdminOnly, Auth};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Envelope, Success};
use crate::error::ApiResult;
use crate::responses::ReadErrors;
use crate::AppState;

/// The organisation's plan, the features it includes, and for each limit the plan's cap
/// (`null`: unlimited) and how much is used: active properties, units, members, leases in
/// force, bytes of stored documents. Admin only.
#[utoipa::path(get, path = "/api/billing", tag = "Organisations",
    responses((status = 200, body = Envelope<BillingOverview>), ReadErrors))]
async fn overview(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
) -> ApiResult<Success<BillingOverview>> {
    let o = state.store.org(auth.org).billing_overview(auth.plan).await;
    Ok(Success(
        o.map_err(auth.failed(Entity::Organisation, &state))?,
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(endpoints!(overview))
}
