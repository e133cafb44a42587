//! The members of an organisation: people (accounts in `users`) with a role there
//! (`memberships`). One account can be a member of several organisations.

use lintel_domain::identity::User;
use lintel_domain::{Actor, Cap, KeyPart, ListRequest, OrgId, Page, Role, Timestamp, UserId};
use lintel_domain::{EventKind, Limit};
use sea_query::{Alias, Expr, Query, SelectStatement};

use super::KeyCache;
use crate::db::{Count, Db, Tx};
use crate::error::{parse_col, Conflict, Result, StoreError};
use crate::events::{self, Change};
use crate::identity::schema::{Memberships as M, Sessions, Users as Us};
use crate::list;
use crate::locks;
use crate::scope::{self, OrgRef};

/// A new account to be stored: the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUserRecord {
    pub email: String,
    pub name: String,
    pub password_hash: String,
}

#[derive(serde::Deserialize)]
pub(crate) struct MemberRow {
    id: String,
    org_id: String,
    email: String,
    name: String,
    role: String,
    created_at: i64,
    updated_at: i64,
}

impl MemberRow {
    pub(crate) fn into_user(self) -> Result<User> {
        Ok(User {
            id: parse_col("users.id", &self.id)?,
            organisation_id: parse_col("memberships.org_id", &self.org_id)?,
            email: self.email,
            name: self.name,
            role: parse_col("memberships.role", &self.role)?,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

/// The members of `org`: each account joined with its membership there.
pub(crate) fn select_members(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<M>(org)
        .column((Us::Table, Us::Id))
        .column((M::Table, M::OrgId))
        .columns([(Us::Table, Us::Email), (Us::Table, Us::Name)])
        .columns([
            (M::Table, M::Role),
            (M::Table, M::CreatedAt),
            (M::Table, M::UpdatedAt),
        ])
        .inner_join(
            Us::Table,
            Expr::col((Us::Table, Us::Id)).equals((M::Table, M::UserId)),
        )
        .to_owned()
}

fn member_by_id(org: OrgId, id: UserId) -> SelectStatement {
    select_members(org)
        .and_where(Expr::col((M::Table, M::UserId)).eq(id.to_string()))
        .to_owned()
}

pub(crate) async fn get_member(tx: &mut Tx, org: OrgId, id: UserId) -> Result<User> {
    tx.one::<MemberRow>(&member_by_id(org, id))
        .await?
        .into_user()
}

/// Stores a new account; a taken email is `Conflict::Email`.
pub(crate) async fn insert_user(tx: &mut Tx, id: UserId, new: &NewUserRecord) -> Result<()> {
    let now = Timestamp::now().0;
    tx.exec(
        &Query::insert()
            .into_table(Us::Table)
            .columns([
                Us::Id,
                Us::Email,
                Us::Name,
                Us::PasswordHash,
                Us::CreatedAt,
                Us::UpdatedAt,
            ])
            .values_panic([
                id.to_string().into(),
                new.email.clone().into(),
                new.name.clone().into(),
                new.password_hash.clone().into(),
                now.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => StoreError::Conflict(Conflict::Email),
        other => other,
    })?;
    Ok(())
}

/// Makes `user` a member of `org` with `role`; an existing membership is `Conflict::Member`.
/// Records `member.create`.
pub(crate) async fn insert_membership(
    tx: &mut Tx,
    actor: &Actor,
    org: OrgId,
    user: UserId,
    role: Role,
) -> Result<User> {
    let now = Timestamp::now().0;
    tx.exec(
        &Query::insert()
            .into_table(M::Table)
            .columns([M::OrgId, M::UserId, M::Role, M::CreatedAt, M::UpdatedAt])
            .values_panic([
                org.to_string().into(),
                user.to_string().into(),
                role.as_str().into(),
                now.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => StoreError::Conflict(Conflict::Member),
        other => other,
    })?;
    let member = get_member(tx, org, user).await?;
    let change = Change::<(), _> {
        kind: EventKind::MemberAdded,
        entity_id: &user.to_string(),
        before: None,
        after: Some(&member),
    };
    events::emit(tx, org, actor, change).await?;
    Ok(member)
}

/// Counts `org`'s members.
pub(crate) async fn member_count(tx: &mut Tx, org: OrgId) -> Result<u64> {
    let c: Count = tx
        .one(
            &scope::select::<M>(org)
                .expr_as(Expr::col(M::UserId).count(), Alias::new("n"))
                // The accounts of tenant profiles (invited from the profile) are not seats.
                .and_where(
                    Expr::col((M::Table, M::UserId)).not_in_subquery(
                        scope::select::<crate::leasing::schema::Tenants>(org)
                            .column(crate::leasing::schema::Tenants::UserId)
                            .and_where(
                                Expr::col(crate::leasing::schema::Tenants::UserId).is_not_null(),
                            )
                            .to_owned(),
                    ),
                )
                .to_owned(),
        )
        .await?;
    Ok(c.n.max(0) as u64)
}

/// The members of one organisation.
pub struct MemberRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) keys: &'a KeyCache,
    pub(crate) org: OrgId,
}

impl MemberRepo<'_> {
    pub async fn get(&self, id: UserId) -> Result<User> {
        self.db
            .one::<MemberRow>(&member_by_id(self.org, id))
            .await?
            .into_user()
    }

    /// The members, oldest account first.
    pub async fn list(&self, req: impl Into<ListRequest>) -> Result<Page<User>> {
        static LIST: list::List = list::List::new(
            || select_members(OrgRef::Slot),
            || scope::count::<M>(OrgRef::Slot),
            list::no_filters,
        );
        let order = list::Order::by_key("id", M::Table, M::UserId, false);
        let key = |r: &MemberRow| vec![KeyPart::Text(r.id.clone())];
        list::counted(
            self.db,
            LIST.with(list::Filters::new(self.org)),
            &order,
            &req.into(),
            key,
            MemberRow::into_user,
        )
        .await
    }

    /// Creates an account and makes it a member; `limit` is the plan's cap on members. An
    /// email that already has an account is `Conflict::Email` (such a person is invited).
    pub async fn add(
        &self,
        actor: &Actor,
        new: NewUserRecord,
        role: Role,
        cap: Cap,
    ) -> Result<User> {
        let new = &new;
        self.db
            .write(move |mut tx| async move {
                self.check_cap(&mut tx, cap).await?;
                let id = UserId::new();
                insert_user(&mut tx, id, new).await?;
                let user = insert_membership(&mut tx, actor, self.org, id, role).await?;
                tx.commit().await?;
                Ok(user)
            })
            .await
    }

    /// Makes an existing account a member (the command line's demo set-up); `Conflict::Member`
    /// when it already is one.
    pub async fn join(&self, actor: &Actor, user: UserId, role: Role, cap: Cap) -> Result<User> {
        self.db
            .write(move |mut tx| async move {
                self.check_cap(&mut tx, cap).await?;
                let user = insert_membership(&mut tx, actor, self.org, user, role).await?;
                tx.commit().await?;
                Ok(user)
            })
            .await
    }

    async fn check_cap(&self, tx: &mut Tx, cap: Cap) -> Result<()> {
        if cap.is_limited() {
            locks::org(tx, self.org).await?;
            if let Some(max) = cap.exceeded_by(member_count(tx, self.org).await?, 1) {
                return Err(StoreError::LimitReached {
                    limit: Limit::Members,
                    max,
                });
            }
        }
        Ok(())
    }

    /// Changes a member's role. Refuses to leave the organisation without an admin. The keys
    /// the member owns are capped at the new role from their next request.
    pub async fn set_role(&self, actor: &Actor, id: UserId, role: Role) -> Result<User> {
        self.db
            .write(move |mut tx| async move {
                locks::org(&mut tx, self.org).await?;
                let before = get_member(&mut tx, self.org, id).await?;
                if before.role == Role::Admin && role != Role::Admin {
                    self.ensure_other_admin(&mut tx, id).await?;
                }
                tx.exec(
                    &scope::update::<M>(self.org)
                        .values([
                            (M::Role, role.as_str().into()),
                            (M::UpdatedAt, Timestamp::now().0.into()),
                        ])
                        .and_where(Expr::col(M::UserId).eq(id.to_string()))
                        .to_owned(),
                )
                .await?;
                let after = get_member(&mut tx, self.org, id).await?;
                let change = Change {
                    kind: EventKind::MemberRoleChanged,
                    entity_id: &id.to_string(),
                    before: Some(&before),
                    after: Some(&after),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await?;
                self.keys.clear();
                Ok(after)
            })
            .await
    }

    /// Removes a member: ends their sessions in this organisation, revokes the API keys they
    /// own here (each revocation audited) and ends the membership. An account left with no
    /// organisation is deleted. The last admin cannot be removed.
    pub async fn remove(&self, actor: &Actor, id: UserId) -> Result<()> {
        self.db
            .write(move |mut tx| async move {
                locks::org(&mut tx, self.org).await?;
                let before = get_member(&mut tx, self.org, id).await?;
                if before.role == Role::Admin {
                    self.ensure_other_admin(&mut tx, id).await?;
                }
                tx.exec(
                    &scope::delete::<Sessions>(self.org)
                        .and_where(Expr::col(Sessions::UserId).eq(id.to_string()))
                        .to_owned(),
                )
                .await?;
                super::api_keys::revoke_owned_by(&mut tx, actor, self.org, id).await?;
                tx.exec(
                    &scope::delete::<M>(self.org)
                        .and_where(Expr::col(M::UserId).eq(id.to_string()))
                        .to_owned(),
                )
                .await?;
                let change = Change::<_, ()> {
                    kind: EventKind::MemberRemoved,
                    entity_id: &id.to_string(),
                    before: Some(&before),
                    after: None,
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                delete_if_orphaned(&mut tx, id).await?;
                tx.commit().await?;
                self.keys.clear();
                Ok(())
            })
            .await
    }

    /// The caller holds the organisation's lock, so concurrent role changes are counted.
    async fn ensure_other_admin(&self, tx: &mut Tx, except: UserId) -> Result<()> {
        let c: Count = tx
            .one(
                &scope::select::<M>(self.org)
                    .expr_as(Expr::col(M::UserId).count(), Alias::new("n"))
                    .and_where(Expr::col(M::Role).eq(Role::Admin.as_str()))
                    .and_where(Expr::col(M::UserId).ne(except.to_string()))
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

/// Deletes an account that belongs to no organisation any more (its sessions go with it).
async fn delete_if_orphaned(tx: &mut Tx, id: UserId) -> Result<()> {
    let left: Count = tx
        .one(
            // across organisations: a person's memberships in every organisation.
            &Query::select()
                .expr_as(Expr::col(M::OrgId).count(), Alias::new("n"))
                .from(M::Table)
                .and_where(Expr::col(M::UserId).eq(id.to_string()))
                .to_owned(),
        )
        .await?;
    if left.n == 0 {
        tx.exec(
            // across organisations: the sessions of an account that is being deleted.
            &Query::delete()
                .from_table(Sessions::Table)
                .and_where(Expr::col(Sessions::UserId).eq(id.to_string()))
                .to_owned(),
        )
        .await?;
        tx.exec(
            &Query::delete()
                .from_table(Us::Table)
                .and_where(Expr::col(Us::Id).eq(id.to_string()))
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

impl<'a> crate::OrgScope<'a> {
    pub fn members(&self) -> MemberRepo<'a> {
        MemberRepo {
            db: self.db,
            keys: self.keys,
            org: self.org,
        }
    }
}
