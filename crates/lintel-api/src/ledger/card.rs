//! Card payments through Stripe Checkout (F4.3): a tenant pays their own lease, or a manager
//! starts a payment for a tenant; Stripe's webhook confirms it.

use axum::extract::State;
use axum::response::Response;
use lintel_app::ledger::card::{card_checkout, Checkout};
use lintel_domain::ledger::{CardCheckoutInput, PaymentCheckout};
use lintel_domain::{Role, TenantId};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{AnyMember, Auth};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Created, Envelope};
use crate::error::ApiError;
use crate::idempotency::{IdemErrors, IdemJson, IdempotencyHeader};
use crate::AppState;

/// Starts a card payment for a lease through Stripe Checkout: a `pending` card payment (no
/// entry and no receipt yet) of `amount`, or of what the lease owes now when no amount is
/// given, and a payment-mode Checkout Session carrying the payment's ID in `metadata.paymentId`
/// and `payment_intent_data.metadata.paymentId`. Answers the payment and the session's `url`
/// to send the payer to. The payment succeeds, posting its entry and paying the lease's oldest
/// open charges first, when Stripe's webhook reports `checkout.session.completed` or
/// `payment_intent.succeeded`; it fails on `payment_intent.payment_failed` or an expired
/// session. Stripe not configured (`stripe.secret_key`): 409; Stripe unreachable or refusing:
/// 503, and the payment is marked failed. An `Idempotency-Key` is passed on to Stripe, so a
/// retry gets the same session. Requires tenant or higher: a tenant pays only a lease they are
/// on (another lease is not found); brokers have no access.
#[utoipa::path(post, path = "/api/payments/checkout", tag = "Payments",
    params(IdempotencyHeader),
    request_body = CardCheckoutInput,
    responses((status = 201, body = Envelope<PaymentCheckout>), IdemErrors))]
async fn checkout(
    auth: Auth<AnyMember>,
    State(state): State<AppState>,
    req: IdemJson<CardCheckoutInput>,
) -> Response {
    let (p, s) = (auth.0.clone(), state.clone());
    let key = req.idem.key().map(|k| format!("{}:payment:{k}", p.org));
    let op = async move {
        let payer: Option<TenantId> = match p.role {
            Role::Broker => return Err(ApiError::RoleTooLow(Role::PropertyManager)),
            Role::Tenant => {
                let own = crate::leasing::own_tenant(&p, &s).await?;
                Some(own.ok_or(ApiError::NotFound("Lease"))?)
            }
            _ => None,
        };
        let new = req.body?.validate().map_err(ApiError::Validation)?;
        let Some(stripe) = s.config.stripe.client() else {
            return Err(ApiError::Conflict(
                "Online payments are not configured: set stripe.secret_key.".into(),
            ));
        };
        let via = Checkout {
            stripe,
            return_base: s.config.public_url.clone().unwrap_or_default(),
        };
        let done = card_checkout(
            &s.store,
            p.org,
            &p.actor(),
            &new,
            payer,
            &via,
            key.as_deref(),
        )
        .await;
        let done = done.map_err(p.app_failed(Entity::Record("Payment"), &s))?;
        Ok::<_, ApiError>(Created(done))
    };
    req.idem.run(&auth, &state, op).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(endpoints!(checkout))
}
