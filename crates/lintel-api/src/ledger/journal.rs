//! The journal: list and read entries, post a manual one, reverse one; the trial balance.

use axum::extract::State;
use lintel_domain::ledger::{
    EntrySource, IntegrityReport, JournalEntry, ManualEntryInput, TrialBalance,
};
use lintel_domain::pagination::JOURNAL_PAGE;
use lintel_domain::{
    AccountId, AccountKind, EntryKind, JournalEntryId, LeaseId, LeaseKind, Page, PropertyId,
    PropertyKind, TenantId, TenantKind,
};
use lintel_store::ledger::journal::EntryFilter;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{AdminOnly, Auth, ManagerUp};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, PathId, QueryCheck};
use crate::query::list_query;
use crate::responses::{BodyErrors, ReadErrors, WriteErrors};
use crate::AppState;

const ENTITY: Entity = Entity::Record("Journal entry");

list_query! {
    /// Query parameters of `GET /api/journal-entries`.
    pub struct ListQuery {
        size: "Page size, 1–100 (default 20).",
        /// Entries dated on or after this day (`YYYY-MM-DD`).
        #[param(value_type = Option<String>, format = Date)]
        from: Option<String>,
        /// Entries dated on or before this day (`YYYY-MM-DD`).
        #[param(value_type = Option<String>, format = Date)]
        to: Option<String>,
        /// Entries with a line on this account.
        #[param(value_type = Option<AccountId>)]
        account_id: Option<String>,
        #[param(value_type = Option<PropertyId>)]
        property_id: Option<String>,
        #[param(value_type = Option<LeaseId>)]
        lease_id: Option<String>,
        #[param(value_type = Option<TenantId>)]
        tenant_id: Option<String>,
        /// What posted them.
        #[param(value_type = Option<EntrySource>)]
        source: Option<String>,
    }
}

/// The journal, newest first: every entry with its lines (account, side, amount, and the
/// property, unit, lease and tenant they concern). Requires property_manager or higher.
#[utoipa::path(get, path = "/api/journal-entries", tag = "Ledger",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<JournalEntry>>), ReadErrors))]
async fn list(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<JournalEntry>>> {
    let mut check = QueryCheck::new();
    let filter = EntryFilter {
        from: check.date("from", q.from.as_deref()),
        to: check.date("to", q.to.as_deref()),
        account_id: check
            .id::<AccountKind>("accountId", q.account_id.as_deref())
            .map(|i| i.to_string()),
        property_id: check
            .id::<PropertyKind>("propertyId", q.property_id.as_deref())
            .map(|i| i.to_string()),
        lease_id: check
            .id::<LeaseKind>("leaseId", q.lease_id.as_deref())
            .map(|i| i.to_string()),
        tenant_id: check
            .id::<TenantKind>("tenantId", q.tenant_id.as_deref())
            .map(|i| i.to_string()),
        source: check.choice::<EntrySource>("source", q.source.as_deref()),
    };
    let page = q.paged(&mut check, JOURNAL_PAGE);
    let page = check.finish(page)?;
    let found = state
        .store
        .org(auth.org)
        .journal()
        .list(&filter, page)
        .await;
    Ok(Success(found.map_err(auth.failed(ENTITY, &state))?))
}

/// Retrieves an entry with its lines, and the entry that reverses it, if any. Requires
/// property_manager or higher.
#[utoipa::path(get, path = "/api/journal-entries/{id}", tag = "Ledger",
    params(("id" = JournalEntryId, Path, description = "Journal entry ID")),
    responses((status = 200, body = Envelope<JournalEntry>), ReadErrors))]
async fn get(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<EntryKind>,
) -> ApiResult<Success<JournalEntry>> {
    let e = state.store.org(auth.org).journal().get(id).await;
    Ok(Success(e.map_err(auth.failed(ENTITY, &state))?))
}

/// Posts a manual entry (an owner contribution, an expense): 2–100 lines, each a debit or a
/// credit of more than zero on an open account of the organisation, debits equal to credits in
/// every currency (422 otherwise). Entries are never changed or deleted; a correction is a
/// reversal. Admin only.
#[utoipa::path(post, path = "/api/journal-entries", tag = "Ledger",
    request_body = ManualEntryInput,
    responses((status = 201, body = Envelope<JournalEntry>), BodyErrors))]
async fn create(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ManualEntryInput>,
) -> ApiResult<Created<JournalEntry>> {
    let new = input.validate().map_err(ApiError::Validation)?;
    let journal = state.store.org(auth.org).journal();
    let memo = new.memo.as_deref();
    let e = journal
        .post_manual(&auth.actor(), new.entry_date, memo, &new.entry)
        .await;
    Ok(Created(e.map_err(auth.failed(ENTITY, &state))?))
}

/// Reverses an entry: posts its mirror (every line on the other side), dated today in the
/// organisation's time zone and linked both ways. An entry is reversed once (409 after), and a
/// reversal is not reversed. Admin only.
#[utoipa::path(post, path = "/api/journal-entries/{id}/reverse", tag = "Ledger",
    params(("id" = JournalEntryId, Path, description = "Journal entry ID")),
    responses((status = 201, body = Envelope<JournalEntry>), WriteErrors))]
async fn reverse(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    PathId(id): PathId<EntryKind>,
) -> ApiResult<Created<JournalEntry>> {
    let e = state
        .store
        .org(auth.org)
        .journal()
        .reverse(&auth.actor(), id)
        .await;
    Ok(Created(e.map_err(auth.failed(ENTITY, &state))?))
}

/// Query parameters of `GET /api/ledger/trial-balance`.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct TrialQuery {
    /// Count the entries dated on or before this day (`YYYY-MM-DD`); default today in the
    /// organisation's time zone.
    #[param(value_type = Option<String>, format = Date)]
    as_of: Option<String>,
}

/// The trial balance: every account with lines, its debits, credits and balance per currency,
/// and the totals, whose debits equal their credits (`balanced`). Requires property_manager or
/// higher.
#[utoipa::path(get, path = "/api/ledger/trial-balance", tag = "Ledger",
    params(TrialQuery),
    responses((status = 200, body = Envelope<TrialBalance>), ReadErrors))]
async fn trial_balance(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<TrialQuery>,
) -> ApiResult<Success<TrialBalance>> {
    let day = super::accounts::as_of(q.as_of.as_deref())?;
    let scope = state.store.org(auth.org);
    let chart = scope.accounts().all().await;
    let chart = chart.map_err(auth.failed(ENTITY, &state))?;
    let tb = scope.journal().trial_balance(&chart, day).await;
    Ok(Success(tb.map_err(auth.failed(ENTITY, &state))?))
}

/// Recomputes the journal from its rows and reports every discrepancy with its IDs (an empty
/// list, `sound: true`, when the books are consistent): entries that do not balance in a
/// currency or have fewer than two lines, lines dated otherwise than their entry, on another
/// organisation's account or without their entry, reversals that do not undo what they reverse.
/// Balances are computed from the lines on every read, so no stored figure can drift from them.
/// Admin only.
#[utoipa::path(get, path = "/api/ledger/integrity", tag = "Ledger",
    responses((status = 200, body = Envelope<IntegrityReport>), ReadErrors))]
async fn integrity(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
) -> ApiResult<Success<IntegrityReport>> {
    let report = state.store.org(auth.org).journal().integrity().await;
    Ok(Success(report.map_err(auth.failed(ENTITY, &state))?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list, create))
        .routes(endpoints!(get))
        .routes(endpoints!(reverse))
        .routes(endpoints!(trial_balance))
        .routes(endpoints!(integrity))
}
