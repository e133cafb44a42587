//! The comms context's tables: in-app notifications, per user within an organisation. Writers
//! call [`notify`] inside their own transaction, so a notification exists exactly when the
//! change that caused it was committed.

use lintel_domain::comms::{NewNotification, Notification};
use lintel_domain::{KeyPart, ListRequest, NotificationId, OrgId, Page, Timestamp, UserId};
use sea_query::{Expr, Query, SelectStatement};

use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::list;
use crate::scope::{self, OrgRef};

crate::iden::table! {
    pub enum Notifications = "notifications" {
        Id = "id",
        OrgId = "org_id",
        UserId = "user_id",
        Kind = "kind",
        Title = "title",
        Body = "body",
        EntityType = "entity_type",
        EntityId = "entity_id",
        ReadAt = "read_at",
        CreatedAt = "created_at",
    }
}

crate::scope::org_tables!(Notifications);

use Notifications as N;

const COLUMNS: [N; 10] = [
    N::Id,
    N::OrgId,
    N::UserId,
    N::Kind,
    N::Title,
    N::Body,
    N::EntityType,
    N::EntityId,
    N::ReadAt,
    N::CreatedAt,
];

#[derive(serde::Deserialize)]
struct NotificationRow {
    id: String,
    org_id: String,
    #[allow(dead_code)]
    user_id: String,
    kind: String,
    title: String,
    body: String,
    entity_type: Option<String>,
    entity_id: Option<String>,
    read_at: Option<i64>,
    created_at: i64,
}

impl NotificationRow {
    fn into_notification(self) -> Result<Notification> {
        Ok(Notification {
            id: parse_col("notifications.id", &self.id)?,
            organisation_id: parse_col("notifications.org_id", &self.org_id)?,
            kind: parse_col("notifications.kind", &self.kind)?,
            title: self.title,
            body: self.body,
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            read_at: self.read_at.map(Timestamp),
            created_at: Timestamp(self.created_at),
        })
    }
}

/// Writes `n` to each of `users` inside `tx`.
pub(crate) async fn notify(
    tx: &mut Tx,
    org: OrgId,
    users: &[UserId],
    n: &NewNotification,
) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let mut q = Query::insert()
        .into_table(N::Table)
        .columns(COLUMNS)
        .to_owned();
    let now = Timestamp::now().0;
    for user in users {
        q.values_panic([
            NotificationId::new().to_string().into(),
            org.to_string().into(),
            user.to_string().into(),
            n.kind.as_str().into(),
            n.title.clone().into(),
            n.body.clone().into(),
            n.entity_type.map(str::to_string).into(),
            n.entity_id.clone().into(),
            Option::<i64>::None.into(),
            now.into(),
        ]);
    }
    tx.defer(q).await
}

/// `GET /api/notifications`: slot 1 the user; filter 0 unread only.
static LIST: list::List = list::List::new(
    || {
        scope::select::<N>(OrgRef::Slot)
            .columns(COLUMNS.map(|c| (N::Table, c)))
            .and_where(Expr::col((N::Table, N::UserId)).eq(list::On::slot(1)))
            .to_owned()
    },
    || {
        scope::count::<N>(OrgRef::Slot)
            .and_where(Expr::col((N::Table, N::UserId)).eq(list::On::slot(1)))
            .to_owned()
    },
    |q, on| {
        if on.has(0) {
            q.and_where(Expr::col((N::Table, N::ReadAt)).is_null());
        }
    },
);

/// One user's notifications in one organisation.
pub struct NotificationRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
    pub(crate) user: UserId,
}

impl NotificationRepo<'_> {
    fn mine(&self) -> SelectStatement {
        scope::select::<N>(self.org)
            .columns(COLUMNS.map(|c| (N::Table, c)))
            .and_where(Expr::col((N::Table, N::UserId)).eq(self.user.to_string()))
            .to_owned()
    }

    /// Newest first; `unread` keeps those not read yet.
    pub async fn list(
        &self,
        unread: bool,
        req: impl Into<ListRequest>,
    ) -> Result<Page<Notification>> {
        let mut filters = list::Filters::new(self.org);
        filters.set(1, self.user.to_string());
        if unread {
            filters.flag(0);
        }
        let order = list::Order::by_key("-id", N::Table, N::Id, true);
        let key = |r: &NotificationRow| vec![KeyPart::Text(r.id.clone())];
        list::counted(
            self.db,
            LIST.with(filters),
            &order,
            &req.into(),
            key,
            NotificationRow::into_notification,
        )
        .await
    }

    /// Marks one notification read (reading it again keeps the first time).
    pub async fn read(&self, id: NotificationId) -> Result<Notification> {
        self.db
            .exec(
                &scope::update_one::<N, _>(self.org, id)
                    .value(N::ReadAt, Timestamp::now().0)
                    .and_where(Expr::col(N::UserId).eq(self.user.to_string()))
                    .and_where(Expr::col(N::ReadAt).is_null())
                    .to_owned(),
            )
            .await?;
        let row: NotificationRow = self
            .db
            .one(
                &self
                    .mine()
                    .and_where(Expr::col((N::Table, N::Id)).eq(id.to_string()))
                    .to_owned(),
            )
            .await?;
        row.into_notification()
    }

    /// Marks every unread notification read; answers how many were.
    pub async fn read_all(&self) -> Result<u64> {
        self.db
            .exec(
                &scope::update::<N>(self.org)
                    .value(N::ReadAt, Timestamp::now().0)
                    .and_where(Expr::col(N::UserId).eq(self.user.to_string()))
                    .and_where(Expr::col(N::ReadAt).is_null())
                    .to_owned(),
            )
            .await
    }

    pub async fn delete(&self, id: NotificationId) -> Result<()> {
        let n = self
            .db
            .exec(
                &scope::delete::<N>(self.org)
                    .and_where(Expr::col(N::Id).eq(id.to_string()))
                    .and_where(Expr::col(N::UserId).eq(self.user.to_string()))
                    .to_owned(),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

impl<'a> crate::OrgScope<'a> {
    /// `user`'s notifications in this organisation.
    pub fn notifications(&self, user: UserId) -> NotificationRepo<'a> {
        NotificationRepo {
            db: self.db,
            org: self.org,
            user,
        }
    }
}
