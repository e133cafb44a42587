//! Paying a lease by card through Stripe Checkout: a pending card payment is written first (so
//! that every session Stripe could collect money through has its payment here), then Stripe is
//! asked for a payment-mode Checkout Session naming that payment in its metadata and in its
//! PaymentIntent's; the webhook moves the payment when Stripe reports on it.

use lintel_domain::ledger::{NewCardCheckout, PaymentCheckout};
use lintel_domain::{Actor, OrgId, TenantId};
use lintel_store::Store;

use crate::stripe::{Stripe, StripeError};
use crate::{AppError, AppResult};

/// Stripe, and where it sends the payer back: `{return_base}/payments/{id}?checkout=…`.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub stripe: Stripe,
    pub return_base: String,
}

impl Checkout {
    fn url(&self, payment: &str, outcome: &str) -> String {
        let base = self.return_base.trim_end_matches('/');
        format!("{base}/payments/{payment}?checkout={outcome}")
    }
}

/// Starts a card payment of `new.lease` (by `payer` when a tenant pays their own lease):
/// answers the pending payment and the Checkout Session's URL. `idempotency_key` is passed on,
/// so a retried request gets the same session from Stripe. When Stripe cannot be used, the
/// payment is marked failed with Stripe's reason and the answer is [`AppError::Processor`].
pub async fn card_checkout(
    store: &Store,
    org: OrgId,
    actor: &Actor,
    new: &NewCardCheckout,
    payer: Option<TenantId>,
    via: &Checkout,
    idempotency_key: Option<&str>,
) -> AppResult<PaymentCheckout> {
    let scope = store.org(org);
    let payments = scope.payments();
    let pending = payments.start_card(actor, new, payer).await?;
    let property = scope.properties().get(pending.property_id).await?;
    let unit = scope.units().get(pending.unit_id).await?;
    let tenant = scope.tenants().get(pending.tenant_id).await?;
    let id = pending.id.to_string();
    let (org_id, lease_id) = (org.to_string(), pending.lease_id.to_string());
    let mut form: Vec<(&str, String)> = vec![
        ("mode", "payment".into()),
        ("payment_method_types[0]", "card".into()),
        ("line_items[0][quantity]", "1".into()),
        (
            "line_items[0][price_data][currency]",
            pending.amount.currency.to_ascii_lowercase(),
        ),
        (
            "line_items[0][price_data][unit_amount]",
            pending.amount.amount_minor.to_string(),
        ),
        (
            "line_items[0][price_data][product_data][name]",
            format!("Payment towards {}, {}", property.name, unit.name),
        ),
        ("client_reference_id", id.clone()),
        ("metadata[paymentId]", id.clone()),
        ("metadata[organisationId]", org_id.clone()),
        ("metadata[leaseId]", lease_id.clone()),
        ("payment_intent_data[metadata][paymentId]", id.clone()),
        ("payment_intent_data[metadata][organisationId]", org_id),
        ("payment_intent_data[metadata][leaseId]", lease_id),
        ("success_url", via.url(&id, "success")),
        ("cancel_url", via.url(&id, "cancelled")),
    ];
    if let Some(email) = tenant.email {
        form.push(("customer_email", email));
    }
    let form: Vec<(String, String)> = form.into_iter().map(|(k, v)| (k.into(), v)).collect();
    match via.stripe.checkout_session(&form, idempotency_key).await {
        Ok(session) => {
            let payment = payments.checkout_opened(pending.id, &session.id).await?;
            Ok(PaymentCheckout {
                payment,
                session_id: session.id,
                url: session.url,
            })
        }
        Err(e) => {
            let reason = match &e {
                StripeError::Unreachable(_) => "Stripe could not be reached".to_string(),
                StripeError::Refused { message, .. } => format!("Stripe refused: {message}"),
            };
            payments.checkout_failed(actor, pending.id, &reason).await?;
            Err(AppError::Processor(e.to_string()))
        }
    }
}
