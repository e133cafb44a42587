//! Billing (F4): the run that posts rent and late fees for every lease in force.

use axum::extract::State;
use axum::response::Response;
use lintel_domain::ledger::{BillingRun, BillingRunInput};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{AdminOnly, Auth};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Envelope, Success};
use crate::error::ApiError;
use crate::idempotency::{IdemErrors, IdemJson, IdempotencyHeader};
use crate::AppState;

const ENTITY: Entity = Entity::Record("Lease");

/// Posts, for every lease in force, each rent period due on or before `through` that is not
/// posted yet (a prorated first period when the lease starts off its due day, a prorated last
/// one when it ends inside a period) and a late fee on each rent charge still unpaid after the
/// lease's grace days. Every charge is posted once per lease and period, however many runs
/// there are and at whatever time: running it again answers what it posted this time, usually
/// nothing. Admin only.
#[utoipa::path(post, path = "/api/billing/run", tag = "Charges",
    params(IdempotencyHeader),
    request_body = BillingRunInput,
    responses((status = 200, body = Envelope<BillingRun>), IdemErrors))]
async fn run(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    req: IdemJson<BillingRunInput>,
) -> Response {
    let (p, s) = (auth.0.clone(), state.clone());
    let op = async move {
        let org = s.store.org(p.org);
        let today = org.today().await.map_err(p.failed(ENTITY, &s))?;
        let through = req.body?.validate(today).map_err(ApiError::Validation)?;
        let run = org.run_billing(&p.actor(), through).await;
        Ok::<_, ApiError>(Success(run.map_err(p.failed(ENTITY, &s))?))
    };
    req.idem.run(&auth, &state, op).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(endpoints!(run))
}
