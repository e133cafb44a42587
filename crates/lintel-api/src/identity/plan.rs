//! The organisation's plan, as Settings → Billing shows it.

use axum::extract::State;
use axum::response::Response;
use lintel_domain::{BillingCheckoutInput, BillingOverview, CheckoutLink, Plan};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{AdminOnly, Auth};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::idempotency::{IdemErrors, IdemJson, IdempotencyHeader};
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

/// Where a Checkout Session sends the admin back to: the billing settings, absolute when
/// `public_url` is set.
fn return_url(state: &AppState, outcome: &str) -> String {
    let c = &state.config;
    let base = c.public_url.as_deref().unwrap_or("").trim_end_matches('/');
    format!("{base}{}?checkout={outcome}", c.upgrade_url)
}

/// Starts an upgrade: a subscription-mode Stripe Checkout Session for the plan's price
/// (`stripe.prices.pro` / `stripe.prices.business`), carrying the organisation in
/// `subscription_data.metadata.organisationId` so that the subscription's webhook events move
/// this organisation to the plan. Answers the session's `url` to send the admin to. An
/// `Idempotency-Key` is passed on to Stripe, so a retry gets the same session. Without Stripe
/// configured (secret key and the plan's price) it is a 409; Stripe unreachable or refusing,
/// a 503. Admin only.
#[utoipa::path(post, path = "/api/billing/checkout", tag = "Organisations",
    params(IdempotencyHeader),
    request_body = BillingCheckoutInput,
    responses((status = 201, body = Envelope<CheckoutLink>), IdemErrors))]
async fn checkout(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    req: IdemJson<BillingCheckoutInput>,
) -> Response {
    let (p, s) = (auth.0.clone(), state.clone());
    let key = req.idem.key().map(|k| format!("{}:billing:{k}", p.org));
    let op = async move {
        let plan = req.body?.validate().map_err(ApiError::Validation)?;
        let c = &s.config.stripe;
        let price = match plan {
            Plan::Business => c.price_business.clone(),
            _ => c.price_pro.clone(),
        };
        let (Some(stripe), Some(price)) = (c.client(), price) else {
            return Err(ApiError::Conflict(
                "Online payments are not configured: set stripe.secret_key and stripe.prices."
                    .into(),
            ));
        };
        let org = p.org.to_string();
        let form: Vec<(String, String)> = [
            ("mode", "subscription".to_string()),
            ("line_items[0][price]", price),
            ("line_items[0][quantity]", "1".into()),
            ("client_reference_id", org.clone()),
            ("metadata[organisationId]", org.clone()),
            ("subscription_data[metadata][organisationId]", org),
            ("success_url", return_url(&s, "success")),
            ("cancel_url", return_url(&s, "cancelled")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let session = stripe
            .checkout_session(&form, key.as_deref())
            .await
            .map_err(|e| ApiError::from(lintel_app::AppError::Processor(e.to_string())))?;
        Ok::<_, ApiError>(Created(CheckoutLink {
            session_id: session.id,
            url: session.url,
        }))
    };
    req.idem.run(&auth, &state, op).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(overview))
        .routes(endpoints!(checkout))
}
