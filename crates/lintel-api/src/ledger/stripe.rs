//! Stripe's webhook (F4.3): signed events, each processed once. Subscription events set the
//! organisation's plan; Checkout, PaymentIntent and Charge events move the card payments made
//! through `POST /api/payments/checkout`.

use axum::extract::State;
use axum::http::HeaderMap;
use lintel_app::stripe::{verify, SignatureError};
use lintel_domain::ledger::CardReport;
use lintel_domain::{OrgId, PaymentId, Plan};
use lintel_store::{Processed, StripeEffect};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;

use crate::config::StripeConfig;
use crate::contract::public;
use crate::envelope::{Envelope, Success};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{json_body, media_type_error, RawBody};
use crate::AppState;

/// An event as Stripe sends it (the fields Lintel reads).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StripeEvent {
    /// `evt_…`: what makes a redelivery recognisable.
    #[schema(example = "evt_1PqXyZ2eZvKYlo2C")]
    pub id: String,
    #[serde(rename = "type")]
    #[schema(example = "customer.subscription.updated")]
    pub kind: String,
    /// `{"object": {…}}`: the object the event is about.
    #[schema(value_type = Object)]
    pub data: Value,
    /// When Stripe created the event (Unix seconds): an older subscription event arriving
    /// after a newer one changes nothing.
    #[serde(default)]
    #[schema(example = 1764460800)]
    pub created: i64,
}

/// What the webhook did with an event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StripeReceipt {
    pub received: bool,
    /// The event was processed before: nothing changed this time.
    pub duplicate: bool,
    /// Older than the subscription state already applied: recorded, nothing changed.
    pub stale: bool,
}

/// The plan a subscription object stands for: its price's plan while it is live, FREE once
/// it has ended.
fn subscription_plan(kind: &str, object: &Value, config: &StripeConfig) -> Option<Plan> {
    let ended = matches!(
        object["status"].as_str(),
        Some("canceled" | "unpaid" | "incomplete_expired")
    );
    if kind == "customer.subscription.deleted" || ended {
        return Some(Plan::Free);
    }
    let price = object["items"]["data"][0]["price"]["id"].as_str()?;
    config.plan_of_price(price)
}

/// What `event` does to Lintel.
fn effect_of(event: &StripeEvent, config: &StripeConfig) -> StripeEffect {
    let object = &event.data["object"];
    match event.kind.as_str() {
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => {
            let org = object["metadata"]["organisationId"]
                .as_str()
                .and_then(|o| o.parse::<OrgId>().ok());
            match (org, subscription_plan(&event.kind, object, config)) {
                (Some(org), Some(plan)) => StripeEffect::Plan {
                    org,
                    plan,
                    created: event.created,
                },
                _ => StripeEffect::Nothing,
            }
        }
        kind => card_effect(kind, object),
    }
}

/// What a Checkout, PaymentIntent or Charge event reports about a card payment made through
/// `POST /api/payments/checkout` (found by `metadata.paymentId`, or by the PaymentIntent).
fn card_effect(kind: &str, object: &Value) -> StripeEffect {
    // An ID, or the object it names when expanded.
    let id_of = |v: &Value| v.as_str().or_else(|| v["id"].as_str()).map(str::to_string);
    let (intent, report) = match kind {
        "checkout.session.completed" if object["payment_status"] == "paid" => {
            (id_of(&object["payment_intent"]), CardReport::Paid)
        }
        "checkout.session.async_payment_succeeded" => {
            (id_of(&object["payment_intent"]), CardReport::Paid)
        }
        "checkout.session.async_payment_failed" => (
            id_of(&object["payment_intent"]),
            CardReport::Failed("The payment did not go through.".into()),
        ),
        "checkout.session.expired" => (
            None,
            CardReport::Failed("The checkout session expired before payment.".into()),
        ),
        "payment_intent.succeeded" => (id_of(&object["id"]), CardReport::Paid),
        "payment_intent.payment_failed" => {
            let error = &object["last_payment_error"];
            let reason = error["message"]
                .as_str()
                .or_else(|| error["code"].as_str())
                .unwrap_or("The card payment failed.");
            (id_of(&object["id"]), CardReport::Failed(reason.to_string()))
        }
        "charge.refunded" => match object["amount_refunded"].as_i64() {
            Some(total) => (
                id_of(&object["payment_intent"]),
                CardReport::Refunded(total),
            ),
            None => return StripeEffect::Nothing,
        },
        _ => return StripeEffect::Nothing,
    };
    let payment = object["metadata"]["paymentId"]
        .as_str()
        .and_then(|p| p.parse::<PaymentId>().ok());
    if payment.is_none() && intent.is_none() {
        return StripeEffect::Nothing;
    }
    StripeEffect::Card {
        payment,
        intent,
        report,
    }
}

/// Receives Stripe's events. The `Stripe-Signature` header is checked on the raw body before
/// anything parses it, exactly as Stripe specifies: HMAC-SHA256 of `{t}.{body}` under any of
/// the configured signing secrets (`stripe.webhook_secrets`, several during a rotation), `v1`
/// signatures, at most five minutes from now; a missing, stale or forged signature is a 400
/// and changes nothing. Each event is processed once, by its ID: a redelivery answers 200 with
/// `duplicate: true`. `customer.subscription.created|updated|deleted` set the plan of the
/// organisation in `metadata.organisationId` (price IDs mapped by `stripe.prices`; deleted or
/// ended: FREE); one created before the last applied to that organisation (Stripe does not
/// promise order) is recorded and changes nothing (`stale: true`). Card payments made through
/// `POST /api/payments/checkout`, found by `metadata.paymentId` (or their PaymentIntent):
/// `checkout.session.completed` (when paid), `checkout.session.async_payment_succeeded` and
/// `payment_intent.succeeded` confirm the payment (its entry posted, the lease's oldest open
/// charges paid, its receipt numbered); `payment_intent.payment_failed`,
/// `checkout.session.async_payment_failed` and `checkout.session.expired` fail a pending one;
/// `charge.refunded` records refunds up to its `amount_refunded`. A payment's state only moves
/// forward: a failure after a success changes nothing, a success after a failed attempt
/// (another card on the same page) confirms it, and a refund reported before the success
/// confirms it first. Other events are acknowledged.
#[utoipa::path(post, path = "/api/webhooks/stripe", tag = "Payments",
    params(("Stripe-Signature" = String, Header, description = "t=<unix time>,v1=<hex HMAC-SHA256>")),
    request_body = StripeEvent,
    responses(
        (status = 200, body = Envelope<StripeReceipt>, description = "Processed, or recognised as a redelivery"),
        (status = 400, body = ErrorBody, description = "VALIDATION_ERROR: a missing, stale or forged signature, or a body that is not an event"),
        (status = 408, body = ErrorBody, description = "REQUEST_TIMEOUT: the body was not received within the body-read timeout; the connection is closed"),
        (status = 413, body = ErrorBody, description = "PAYLOAD_TOO_LARGE: body over the configured limit"),
        (status = 415, body = ErrorBody, description = "UNSUPPORTED_MEDIA_TYPE: the body must be sent with Content-Type: application/json"),
        (status = 429, body = ErrorBody, description = "RATE_LIMITED: see Retry-After"),
        (status = 500, body = ErrorBody, description = "INTERNAL_ERROR: opaque, quotes the request ID"),
        (status = 503, body = ErrorBody, description = "SERVICE_UNAVAILABLE: the database is unreachable; Stripe retries"),
    ))]
async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Success<StripeReceipt>> {
    let config = &state.config.stripe;
    if let Some(e) = media_type_error(&headers) {
        return Err(e);
    }
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    if let Err(e) = verify(header, &body, &config.webhook_secrets, now) {
        if e == SignatureError::NoSecret {
            tracing::warn!("a Stripe webhook arrived but no stripe.webhook_secrets is configured");
        }
        return Err(ApiError::BadRequest(
            format!("Invalid Stripe signature: {e}."),
            vec![],
        ));
    }
    let event: StripeEvent = json_body(&headers, &body).map_err(|e| match e {
        ApiError::Validation(_) => {
            ApiError::BadRequest("The body is not a Stripe event.".into(), vec![])
        }
        e => e,
    })?;
    let effect = effect_of(&event, config);
    let done = state
        .store
        .orgs()
        .stripe_event(&event.id, &event.kind, &effect)
        .await
        .map_err(ApiError::from)?;
    Ok(Success(StripeReceipt {
        received: true,
        duplicate: done == Processed::Duplicate,
        stale: done == Processed::Stale,
    }))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(public!(webhook))
}
