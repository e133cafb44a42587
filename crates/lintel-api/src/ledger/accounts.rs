//! The chart of accounts: list, retrieve, add, rename or recode, archive; and an account's
//! balance.

use axum::extract::State;
use lintel_domain::ledger::{Account, AccountBalance, AccountInput, AccountPatchInput};
use lintel_domain::pagination::ACCOUNTS_PAGE;
use lintel_domain::{AccountId, AccountKind, Date, Page};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{AdminOnly, Auth, ManagerUp};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::query::PageQuery;
use crate::responses::{BodyErrors, ReadErrors, WriteErrors};
use crate::AppState;

const ENTITY: Entity = Entity::Record("Account");

/// The organisation's chart of accounts, by code: the system accounts every organisation has
/// (operating bank, undeposited funds, receivables, deposits held, prepaid rent, rental and
/// late-fee income, other income, maintenance, payables, owner equity) and its custom ones.
/// Requires property_manager or higher.
#[utoipa::path(get, path = "/api/accounts", tag = "Ledger",
    params(PageQuery),
    responses((status = 200, body = Envelope<Page<Account>>), ReadErrors))]
async fn list(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Success<Page<Account>>> {
    let page = q.request(ACCOUNTS_PAGE)?;
    let found = state.store.org(auth.org).accounts().list(page).await;
    Ok(Success(found.map_err(auth.failed(ENTITY, &state))?))
}

/// Retrieves an account. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/accounts/{id}", tag = "Ledger",
    params(("id" = AccountId, Path, description = "Account ID")),
    responses((status = 200, body = Envelope<Account>), ReadErrors))]
async fn get(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<AccountKind>,
) -> ApiResult<Success<Account>> {
    let a = state.store.org(auth.org).accounts().get(id).await;
    Ok(Success(a.map_err(auth.failed(ENTITY, &state))?))
}

/// Adds a custom account with a code unique in the organisation (409 otherwise) and a type
/// (`asset`, `liability`, `equity`, `income` or `expense`) that never changes. Admin only.
#[utoipa::path(post, path = "/api/accounts", tag = "Ledger",
    request_body = AccountInput,
    responses((status = 201, body = Envelope<Account>), BodyErrors))]
async fn create(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<AccountInput>,
) -> ApiResult<Created<Account>> {
    let new = input.validate().map_err(ApiError::Validation)?;
    let a = state
        .store
        .org(auth.org)
        .accounts()
        .create(&auth.actor(), &new)
        .await;
    Ok(Created(a.map_err(auth.failed(ENTITY, &state))?))
}

/// Changes an account's name or code (its type is fixed at creation). Admin only.
#[utoipa::path(patch, path = "/api/accounts/{id}", tag = "Ledger",
    params(("id" = AccountId, Path, description = "Account ID")),
    request_body = AccountPatchInput,
    responses((status = 200, body = Envelope<Account>), BodyErrors))]
async fn update(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    PathId(id): PathId<AccountKind>,
    ApiJson(input): ApiJson<AccountPatchInput>,
) -> ApiResult<Success<Account>> {
    let patch = input.validate().map_err(ApiError::Validation)?;
    let a = state
        .store
        .org(auth.org)
        .accounts()
        .update(&auth.actor(), id, &patch)
        .await;
    Ok(Success(a.map_err(auth.failed(ENTITY, &state))?))
}

/// Archives a custom account: it keeps its lines and balance and takes no new ones. System
/// accounts cannot be archived (409). Admin only.
#[utoipa::path(post, path = "/api/accounts/{id}/archive", tag = "Ledger",
    params(("id" = AccountId, Path, description = "Account ID")),
    responses((status = 200, body = Envelope<Account>), WriteErrors))]
async fn archive(
    auth: Auth<AdminOnly>,
    State(state): State<AppState>,
    PathId(id): PathId<AccountKind>,
) -> ApiResult<Success<Account>> {
    let a = state
        .store
        .org(auth.org)
        .accounts()
        .archive(&auth.actor(), id)
        .await;
    Ok(Success(a.map_err(auth.failed(ENTITY, &state))?))
}

/// Query parameters of `GET /api/accounts/{id}/balance`.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct BalanceQuery {
    /// Count the entries dated on or before this day (`YYYY-MM-DD`); default today in the
    /// organisation's time zone.
    #[param(value_type = Option<String>, format = Date)]
    as_of: Option<String>,
}

/// The day of an `asOf` parameter.
pub(super) fn as_of(raw: Option<&str>) -> ApiResult<Option<Date>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    Date::parse(raw).map(Some).ok_or_else(|| {
        ApiError::Validation(vec![lintel_domain::FieldError::new(
            "asOf",
            "must be a date as YYYY-MM-DD",
        )])
    })
}

/// An account's balance in each currency it holds, from the journal's lines dated on or before
/// `asOf`, on the account's normal side. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/accounts/{id}/balance", tag = "Ledger",
    params(("id" = AccountId, Path, description = "Account ID"), BalanceQuery),
    responses((status = 200, body = Envelope<AccountBalance>), ReadErrors))]
async fn balance(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<AccountKind>,
    ApiQuery(q): ApiQuery<BalanceQuery>,
) -> ApiResult<Success<AccountBalance>> {
    let day = as_of(q.as_of.as_deref())?;
    let scope = state.store.org(auth.org);
    let b = scope.journal().balance(&scope.accounts(), id, day).await;
    Ok(Success(b.map_err(auth.failed(ENTITY, &state))?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list, create))
        .routes(endpoints!(get, update))
        .routes(endpoints!(archive))
        .routes(endpoints!(balance))
}
