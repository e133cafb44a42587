//! In-app notifications (F7.2): each person's own, in their current organisation — list (25 a
//! page, fixed), mark one or all read, delete. They belong to people, so only a signed-in
//! person reaches them: API keys act as themselves and are answered 403 NOT_APPLICABLE.

use axum::extract::State;
use axum::http::StatusCode;
use lintel_domain::comms::Notification;
use lintel_domain::pagination::NOTIFICATIONS_PAGE;
use lintel_domain::{NotificationId, NotificationKind, Page};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::SessionAuth;
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Envelope, Success};
use crate::error::ApiResult;
use crate::extract::{ApiQuery, PathId, QueryCheck};
use crate::responses::{ReadErrors, WriteErrors};
use crate::AppState;

const ENTITY: Entity = Entity::Record("Notification");

/// Query parameters of `GET /api/notifications`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page number, from 1. Pages hold 25 notifications; the size cannot be set (`pageSize` is
    /// a 422).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000000)]
    page: Option<String>,
    /// Not documented: the page size is fixed at 25, and any `pageSize` is a 422.
    #[param(ignore)]
    page_size: Option<String>,
    /// The `nextCursor` of the previous page, instead of `page`.
    #[param(value_type = Option<String>, max_length = 512)]
    cursor: Option<String>,
    /// `true`: only notifications not read yet.
    #[param(value_type = Option<bool>)]
    unread: Option<String>,
}

/// The caller's notifications in their current organisation, newest first, 25 a page.
/// Requires tenant or higher.
#[utoipa::path(get, path = "/api/notifications", tag = "Notifications",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<Notification>>), ReadErrors))]
async fn list(
    auth: SessionAuth,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<Notification>>> {
    let mut check = QueryCheck::new();
    let unread = match q.unread.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            check.fail("unread", "must be true or false");
            false
        }
    };
    let page = check.list(
        NOTIFICATIONS_PAGE,
        q.page.as_deref(),
        q.page_size.as_deref(),
        q.cursor.as_deref(),
    );
    let page = check.finish(page)?;
    let found = state
        .store
        .org(auth.org)
        .notifications(auth.user)
        .list(unread, page)
        .await;
    Ok(Success(found.map_err(auth.failed(ENTITY, &state))?))
}

/// Marks one of the caller's notifications read (reading it again keeps the first time).
/// Requires tenant or higher.
#[utoipa::path(post, path = "/api/notifications/{id}/read", tag = "Notifications",
    params(("id" = NotificationId, Path, description = "Notification ID")),
    responses((status = 200, body = Envelope<Notification>), WriteErrors))]
async fn read(
    auth: SessionAuth,
    State(state): State<AppState>,
    PathId(id): PathId<NotificationKind>,
) -> ApiResult<Success<Notification>> {
    let n = state
        .store
        .org(auth.org)
        .notifications(auth.user)
        .read(id)
        .await;
    Ok(Success(n.map_err(auth.failed(ENTITY, &state))?))
}

/// How many notifications were marked read.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadAll {
    pub updated: u64,
}

/// Marks every unread notification of the caller read. Requires tenant or higher.
#[utoipa::path(post, path = "/api/notifications/read-all", tag = "Notifications",
    responses((status = 200, body = Envelope<ReadAll>), WriteErrors))]
async fn read_all(auth: SessionAuth, State(state): State<AppState>) -> ApiResult<Success<ReadAll>> {
    let n = state
        .store
        .org(auth.org)
        .notifications(auth.user)
        .read_all()
        .await;
    Ok(Success(ReadAll {
        updated: n.map_err(auth.failed(ENTITY, &state))?,
    }))
}

/// Deletes one of the caller's notifications (204). Requires tenant or higher.
#[utoipa::path(delete, path = "/api/notifications/{id}", tag = "Notifications",
    params(("id" = NotificationId, Path, description = "Notification ID")),
    responses((status = 204, description = "Notification deleted"), WriteErrors))]
async fn delete(
    auth: SessionAuth,
    State(state): State<AppState>,
    PathId(id): PathId<NotificationKind>,
) -> ApiResult<StatusCode> {
    let done = state
        .store
        .org(auth.org)
        .notifications(auth.user)
        .delete(id)
        .await;
    done.map_err(auth.failed(ENTITY, &state))?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list))
        .routes(endpoints!(read))
        .routes(endpoints!(read_all))
        .routes(endpoints!(delete))
}
