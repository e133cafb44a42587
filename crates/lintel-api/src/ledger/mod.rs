//! The ledger's HTTP surface (F4): the chart of accounts, the journal, balances and the trial
//! balance. Charges and payments post to it.

mod accounts;
mod billing;
mod card;
mod charges;
mod invoices;
mod journal;
mod payments;
mod receipts;
mod stripe;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The context's API routes, each with its OpenAPI entry.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::routes())
        .merge(journal::routes())
        .merge(charges::routes())
        .merge(payments::routes())
        .merge(card::routes())
        .merge(receipts::routes())
        .merge(invoices::routes())
        .merge(stripe::routes())
        .merge(billing::routes())
}
