use lintel_domain::identity::User;
use lintel_domain::{Actor, OrgId, Page, PageRequest, Role, Timestamp, UserId};
use sea_query::{Alias, Expr, Order, Query, SelectStatement};

use crate::audit::{self, Change};
use crate::db::{Count, Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::locks;
use crate::schema::{Sessions, Users as Us};

/// A user to be stored: the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUserRecord {
    pub email: String,
    pub name: String,
    pub password_hash: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: String,
    org_id: String,
    email: String,
    name: String,
    role: String,
    created_at: i64,
    updated_at: i64,
}

impl UserRow {
    pub(crate) fn into_user(self) -> Result<User> {
        Ok(User {
            id: parse_col("users.id", &self.id)?,
            organisation_id: parse_col("users.org_id", &self.org_id)?,
            email: self.email,
            name: self.name,
            role: parse_col("users.role", &self.role)?,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

pub(crate) fn select_users(org: OrgId) -> SelectStatement {
    Query::select()
        .columns([
            Us::Id,
            Us::OrgId,
            Us::Email,
            Us::Name,
            Us::Role,
            Us::CreatedAt,
            Us::UpdatedAt,
        ])
        .from(Us::Table)
        .and_where(Expr::col(Us::OrgId).eq(org.to_string()))
        .to_owned()
}

pub(crate) async fn insert_user(
    tx: &mut Tx,
    org: OrgId,
    id: UserId,
    new: &NewUserRecord,
    role: Role,
) -> Result<User> {
    let now = Timestamp::now().0;
    tx.exec(
        &Query::insert()
            .into_table(Us::Table)
            .columns([
                Us::Id,
                Us::OrgId,
                Us::Email,
                Us::Name,
                Us::Role,
                Us::PasswordHash,
                Us::CreatedAt,
                Us::UpdatedAt,
            ])
            .values_panic([
                id.to_string().into(),
                org.to_string().into(),
                new.email.clone().into(),
                new.name.clone().into(),
                role.as_str().into(),
                new.password_hash.clone().into(),
                now.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => StoreError::Conflict("email".into()),
        other => other,
    })?;
    tx.one::<UserRow>(
        &select_users(org)
            .and_where(Expr::col(Us::Id).eq(id.to_string()))
            .to_owned(),
    )
    .await?
    .into_user()
}

/// The members (users) of one organisation.
pub struct MemberRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

impl MemberRepo<'_> {
    pub async fn get(&self, id: UserId) -> Result<User> {
        self.db
            .one::<UserRow>(
                &select_users(self.org)
                    .and_where(Expr::col(Us::Id).eq(id.to_string()))
                    .to_owned(),
            )
            .await?
            .into_user()
    }

    pub async fn list(&self, page: PageRequest) -> Result<Page<User>> {
        let total: Count = self
            .db
            .one(
                &Query::select()
                    .expr_as(Expr::col(Us::Id).count(), Alias::new("n"))
                    .from(Us::Table)
                    .and_where(Expr::col(Us::OrgId).eq(self.org.to_string()))
                    .to_owned(),
            )
            .await?;
        let rows: Vec<UserRow> = self
            .db
            .all(
                &select_users(self.org)
                    .order_by(Us::Id, Order::Asc)
                    .limit(page.limit())
                    .offset(page.offset())
                    .to_owned(),
            )
            .await?;
        let items = rows
            .into_iter()
            .map(UserRow::into_user)
            .collect::<Result<_>>()?;
        Ok(Page::new(items, page, total.n as u64))
    }

    /// Adds a member; `limit` is the plan's cap on members. A taken email is a Conflict.
    pub async fn add(
        &self,
        actor: &Actor,
        new: NewUserRecord,
        role: Role,
        limit: Option<u64>,
    ) -> Result<User> {
        let mut tx = self.db.begin().await?;
        if let Some(max) = limit {
            locks::org(&mut tx, self.org).await?;
            let c: Count = tx
                .one(
                    &Query::select()
                        .expr_as(Expr::col(Us::Id).count(), Alias::new("n"))
                        .from(Us::Table)
                        .and_where(Expr::col(Us::OrgId).eq(self.org.to_string()))
                        .to_owned(),
                )
                .await?;
            if c.n as u64 >= max {
                return Err(StoreError::LimitReached { limit: max });
            }
        }
        let user = insert_user(&mut tx, self.org, UserId::new(), &new, role).await?;
        let change = Change::<(), _> {
            action: "member.create",
            entity_type: "user",
            entity_id: &user.id.to_string(),
            before: None,
            after: Some(&user),
        };
        audit::record(&mut tx, self.org, actor, change).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Changes a member's role. Refuses to leave the organisation without an admin.
    pub async fn set_role(&self, actor: &Actor, id: UserId, role: Role) -> Result<User> {
        let mut tx = self.db.begin().await?;
        locks::org(&mut tx, self.org).await?;
        let by_id = select_users(self.org)
            .and_where(Expr::col(Us::Id).eq(id.to_string()))
            .to_owned();
        let before = tx.one::<UserRow>(&by_id).await?.into_user()?;
        if before.role == Role::Admin && role != Role::Admin {
            self.ensure_other_admin(&mut tx, id).await?;
        }
        tx.exec(
            &Query::update()
                .table(Us::Table)
                .values([
                    (Us::Role, role.as_str().into()),
                    (Us::UpdatedAt, Timestamp::now().0.into()),
                ])
                .and_where(Expr::col(Us::OrgId).eq(self.org.to_string()))
                .and_where(Expr::col(Us::Id).eq(id.to_string()))
                .to_owned(),
        )
        .await?;
        let after = tx.one::<UserRow>(&by_id).await?.into_user()?;
        let change = Change {
            action: "member.role",
            entity_type: "user",
            entity_id: &id.to_string(),
            before: Some(&before),
            after: Some(&after),
        };
        audit::record(&mut tx, self.org, actor, change).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes a member and ends their sessions. The last admin cannot be removed.
    pub async fn remove(&self, actor: &Actor, id: UserId) -> Result<()> {
        let mut tx = self.db.begin().await?;
        locks::org(&mut tx, self.org).await?;
        let before = tx
            .one::<UserRow>(
                &select_users(self.org)
                    .and_where(Expr::col(Us::Id).eq(id.to_string()))
                    .to_owned(),
            )
            .await?
            .into_user()?;
        if before.role == Role::Admin {
            self.ensure_other_admin(&mut tx, id).await?;
        }
        tx.exec(
            &Query::delete()
                .from_table(Sessions::Table)
                .and_where(Expr::col(Sessions::OrgId).eq(self.org.to_string()))
                .and_where(Expr::col(Sessions::UserId).eq(id.to_string()))
                .to_owned(),
        )
        .await?;
        tx.exec(
            &Query::delete()
                .from_table(Us::Table)
                .and_where(Expr::col(Us::OrgId).eq(self.org.to_string()))
                .and_where(Expr::col(Us::Id).eq(id.to_string()))
                .to_owned(),
        )
        .await?;
        let change = Change::<_, ()> {
            action: "member.remove",
            entity_type: "user",
            entity_id: &id.to_string(),
            before: Some(&before),
            after: None,
        };
        audit::record(&mut tx, self.org, actor, change).await?;
        tx.commit().await
    }

    /// The caller holds the organisation's lock, so concurrent role changes are counted.
    async fn ensure_other_admin(&self, tx: &mut Tx, except: UserId) -> Result<()> {
        let c: Count = tx
            .one(
                &Query::select()
                    .expr_as(Expr::col(Us::Id).count(), Alias::new("n"))
                    .from(Us::Table)
                    .and_where(Expr::col(Us::OrgId).eq(self.org.to_string()))
                    .and_where(Expr::col(Us::Role).eq(Role::Admin.as_str()))
                    .and_where(Expr::col(Us::Id).ne(except.to_string()))
                    .to_owned(),
            )
            .await?;
        if c.n == 0 {
            return Err(StoreError::Invalid(vec![lintel_domain::FieldError::new(
                "role",
                "the organisation must keep at least one admin",
            )]));
        }
        Ok(())
    }
}
