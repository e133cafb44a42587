//! The ledger context's use cases of several steps: a payment's receipt and an invoice as PDFs,
//! a card payment through Stripe Checkout ([`card`]). See `docs/architecture.md`.

pub mod card;

use lintel_domain::ledger::receipt::{in_figures, in_words, RECEIPT_UNAVAILABLE};
use lintel_domain::ledger::{EntrySource, Payment, PaymentMethod};
use lintel_domain::money::Currency;
use lintel_domain::{InvoiceId, OrgId, PaymentId};
use lintel_store::{Store, StoreError};

use crate::pdf::Document;
use crate::AppResult;

fn method_label(m: PaymentMethod) -> &'static str {
    match m {
        PaymentMethod::Cash => "Cash",
        PaymentMethod::Cheque => "Cheque",
        PaymentMethod::BankTransfer => "Bank transfer",
        PaymentMethod::Card => "Card",
    }
}

/// The receipt of a payment that succeeded (refunds since then shown on it), as PDF bytes; a
/// payment pending, failed or returned has none (`Refused`, 409). The caller has checked the
/// reader may see the payment.
pub async fn receipt_pdf(store: &Store, org: OrgId, id: PaymentId) -> AppResult<Vec<u8>> {
    let scope = store.org(org);
    let mut p: Payment = scope.payments().get(id).await?;
    if !p.status.has_receipt() {
        return Err(StoreError::Refused(RECEIPT_UNAVAILABLE.into()).into());
    }
    if p.receipt_number.is_none() {
        // Recorded, but the process stopped before its receipt was numbered: number it now.
        scope.payments().number_receipts().await?;
        p = scope.payments().get(id).await?;
    }
    let currency = Currency::parse(&p.amount.currency)
        .ok_or_else(|| StoreError::Corrupt(format!("payments.currency: {}", p.amount.currency)))?;
    let money = |minor: i64| in_figures(minor, currency);
    let organisation = store.orgs().get(org).await?;
    let tenant = scope.tenants().get(p.tenant_id).await?;
    let property = scope.properties().get(p.property_id).await?;
    let unit = scope.units().get(p.unit_id).await?;
    let ledger = scope.charges().lease_ledger(p.lease_id).await?;
    let payment_id = p.id.to_string();
    let balance_after = ledger
        .lines
        .iter()
        .find(|l| l.source == EntrySource::Payment && l.source_id.as_deref() == Some(&payment_id))
        .map(|l| l.balance_minor);
    let number = p.receipt_number.clone().unwrap_or_default();

    let mut d = Document::new(&format!("Receipt {number}"));
    d.heading(&organisation.name)
        .para("Payment receipt")
        .rule()
        .field("Receipt number", &number)
        .field("Date received", &p.received_on.to_string())
        .field(
            "Received from",
            &format!("{} {}", tenant.first_name, tenant.last_name),
        )
        .field("Property", &property.name)
        .field("Unit", &unit.name)
        .field("Method", method_label(p.method));
    if let Some(c) = &p.cheque_number {
        d.field("Cheque number", c);
    }
    if let Some(r) = &p.reference {
        d.field("Reference", r);
    }
    d.field("Payment ID", &payment_id)
        .gap()
        .field("Amount", &money(p.amount.amount_minor))
        .field("In words", &in_words(p.amount.amount_minor, currency))
        .gap()
        .rule()
        .row(
            &[(0.0, "Paid towards"), (260.0, "Due"), (360.0, "Amount")],
            true,
        );
    for a in &p.allocations {
        let c = scope.charges().get(a.charge_id).await?;
        let what = c.description.clone().unwrap_or_else(|| c.kind.to_string());
        d.row(
            &[
                (0.0, &what),
                (260.0, &c.due_date.to_string()),
                (360.0, &money(a.amount_minor)),
            ],
            false,
        );
    }
    if p.credit_minor > 0 {
        d.row(
            &[(0.0, "Held as credit"), (360.0, &money(p.credit_minor))],
            false,
        );
    }
    if !p.refunds.is_empty() {
        d.gap()
            .row(&[(0.0, "Refunded"), (260.0, "On"), (360.0, "Amount")], true);
        for r in &p.refunds {
            let on = ledger
                .lines
                .iter()
                .find(|l| l.entry_id == r.entry_id)
                .map_or_else(
                    || r.created_at.to_rfc3339()[..10].to_string(),
                    |l| l.date.to_string(),
                );
            let why = r.reason.as_deref().unwrap_or("Refund");
            d.row(
                &[
                    (0.0, why),
                    (260.0, &on),
                    (360.0, &money(r.amount.amount_minor)),
                ],
                false,
            );
        }
        d.field("Total refunded", &money(p.refunded_minor));
    }
    d.rule();
    if let Some(b) = balance_after {
        d.field("Balance after payment", &money(b));
    }
    d.field("Balance now", &money(ledger.balance_minor))
        .gap()
        .para(&format!("Status: {}", p.status.as_str().replace('_', " ")));
    Ok(d.finish())
}

/// An invoice as a PDF: its number, dates and status, who it is for, each charge with what is
/// paid towards it, the total, paid and balance (a void invoice says so).
pub async fn invoice_pdf(store: &Store, org: OrgId, id: InvoiceId) -> AppResult<Vec<u8>> {
    let scope = store.org(org);
    let inv = scope.invoices().get(id).await?;
    let currency = Currency::parse(&inv.currency)
        .ok_or_else(|| StoreError::Corrupt(format!("invoices.currency: {}", inv.currency)))?;
    let money = |minor: i64| in_figures(minor, currency);
    let organisation = store.orgs().get(org).await?;
    let tenant = scope.tenants().get(inv.tenant_id).await?;
    let property = scope.properties().get(inv.property_id).await?;
    let unit = scope.units().get(inv.unit_id).await?;

    let mut d = Document::new(&format!("Invoice {}", inv.number));
    d.heading(&organisation.name)
        .para(&format!("Invoice {}", inv.number))
        .rule()
        .field("Invoice number", &inv.number)
        .field("Status", &inv.status.as_str().replace('_', " "))
        .field("Issue date", &inv.issue_date.to_string())
        .field("Due date", &inv.due_date.to_string())
        .field(
            "Bill to",
            &format!("{} {}", tenant.first_name, tenant.last_name),
        )
        .field("Property", &property.name)
        .field("Unit", &unit.name);
    if let Some(n) = &inv.notes {
        d.field("Notes", n);
    }
    d.gap().rule().row(
        &[
            (0.0, "Charge"),
            (230.0, "Due"),
            (310.0, "Amount"),
            (400.0, "Paid"),
        ],
        true,
    );
    for l in &inv.lines {
        let what = l.description.clone().unwrap_or_else(|| l.kind.to_string());
        d.row(
            &[
                (0.0, &what),
                (230.0, &l.due_date.to_string()),
                (310.0, &money(l.amount_minor)),
                (400.0, &money(l.paid_minor)),
            ],
            false,
        );
    }
    d.rule()
        .field("Total", &money(inv.total_minor))
        .field("Paid", &money(inv.paid_minor))
        .field("Balance due", &money(inv.balance_minor));
    Ok(d.finish())
}
