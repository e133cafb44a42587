//! People's accounts across organisations: which organisations they belong to, where a sign-in
//! lands, switching a session between organisations, and their password.

use lintel_domain::identity::{Organisation, User};
use lintel_domain::EventKind;
use lintel_domain::{Actor, OrgId, Role, SessionId, Timestamp, UserId};
use sea_query::{Expr, Order, Query, SelectStatement};

use super::members::get_member;
use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::identity::schema::{Memberships as M, Organisations as O, Sessions as S, Users as Us};

/// A person's account. The password hash never leaves the store except to be verified.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    /// The organisation the person last worked in.
    pub last_org: Option<OrgId>,
}

#[derive(serde::Deserialize)]
pub(crate) struct AccountRow {
    id: String,
    email: String,
    name: String,
    password_hash: String,
    last_org_id: Option<String>,
}

impl AccountRow {
    pub(crate) fn into_account(self) -> Result<Account> {
        Ok(Account {
            id: parse_col("users.id", &self.id)?,
            email: self.email,
            name: self.name,
            password_hash: self.password_hash,
            last_org: self.last_org_id.and_then(|o| o.parse().ok()),
        })
    }
}

/// The column accounts are found by at sign-in.
pub(crate) const EMAIL: Us = Us::Email;

pub(crate) fn select_accounts() -> SelectStatement {
    Query::select()
        .columns([Us::Id, Us::Email, Us::Name, Us::PasswordHash, Us::LastOrgId])
        .from(Us::Table)
        .to_owned()
}

/// One organisation a person belongs to.
#[derive(Debug, Clone)]
pub struct MembershipRecord {
    pub organisation: Organisation,
    pub role: Role,
    pub joined_at: Timestamp,
}

#[derive(serde::Deserialize)]
struct MembershipRow {
    id: String,
    name: String,
    plan: String,
    timezone: String,
    base_currency: String,
    created_at: i64,
    role: String,
    joined_at: i64,
}

/// Accounts, across the organisations they belong to.
pub struct Accounts<'a> {
    pub(crate) db: &'a Db,
}

impl Accounts<'_> {
    pub async fn get(&self, id: UserId) -> Result<Account> {
        let q = select_accounts()
            .and_where(Expr::col(Us::Id).eq(id.to_string()))
            .to_owned();
        self.db.one::<AccountRow>(&q).await?.into_account()
    }

    /// Every organisation `user` belongs to, in the order they joined.
    pub async fn memberships(&self, user: UserId) -> Result<Vec<MembershipRecord>> {
        let rows: Vec<MembershipRow> = self
            .db
            .all(
                // across organisations: a person's memberships in every organisation.
                &Query::select()
                    .columns([
                        (O::Table, O::Id),
                        (O::Table, O::Name),
                        (O::Table, O::Plan),
                        (O::Table, O::Timezone),
                        (O::Table, O::BaseCurrency),
                        (O::Table, O::CreatedAt),
                    ])
                    .column((M::Table, M::Role))
                    .expr_as(
                        Expr::col((M::Table, M::CreatedAt)),
                        sea_query::Alias::new("joined_at"),
                    )
                    .from(M::Table)
                    .inner_join(
                        O::Table,
                        Expr::col((O::Table, O::Id)).equals((M::Table, M::OrgId)),
                    )
                    .and_where(Expr::col((M::Table, M::UserId)).eq(user.to_string()))
                    .order_by((M::Table, M::CreatedAt), Order::Asc)
                    .order_by((M::Table, M::OrgId), Order::Asc)
                    .to_owned(),
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(MembershipRecord {
                    organisation: Organisation {
                        id: parse_col("organisations.id", &r.id)?,
                        name: r.name,
                        plan: parse_col("organisations.plan", &r.plan)?,
                        timezone: r.timezone,
                        base_currency: r.base_currency,
                        created_at: Timestamp(r.created_at),
                    },
                    role: parse_col("memberships.role", &r.role)?,
                    joined_at: Timestamp(r.joined_at),
                })
            })
            .collect()
    }

    /// Where a sign-in of `account` lands: `wanted` if they belong to it (else NotFound), the
    /// organisation they last worked in, or the first they joined. `None` if they belong to none.
    pub async fn landing_org(
        &self,
        account: &Account,
        wanted: Option<OrgId>,
    ) -> Result<Option<OrgId>> {
        let orgs = self.memberships(account.id).await?;
        let member_of = |id: OrgId| orgs.iter().any(|m| m.organisation.id == id);
        if let Some(w) = wanted {
            return if member_of(w) {
                Ok(Some(w))
            } else {
                Err(StoreError::NotFound)
            };
        }
        Ok(account
            .last_org
            .filter(|o| member_of(*o))
            .or_else(|| orgs.first().map(|m| m.organisation.id)))
    }

    /// Moves a session to another organisation of its user; NotFound unless they belong to it.
    pub async fn switch_session(
        &self,
        session: SessionId,
        user: UserId,
        org: OrgId,
    ) -> Result<User> {
        self.db
            .write(move |mut tx| async move {
                let member = get_member(&mut tx, org, user).await?;
                tx.exec(
                    // across organisations: a person's session moves from one of their organisations to another.
                    &Query::update()
                        .table(S::Table)
                        .value(S::OrgId, org.to_string())
                        .and_where(Expr::col(S::Id).eq(session.to_string()))
                        .and_where(Expr::col(S::UserId).eq(user.to_string()))
                        .to_owned(),
                )
                .await?;
                set_last_org(&mut tx, user, org).await?;
                tx.commit().await?;
                Ok(member)
            })
            .await
    }

    /// Replaces the password hash and ends every session of the account except `keep`; returns
    /// how many ended. Recorded as `user.password` in `org`'s audit log (without any hash).
    pub async fn set_password(
        &self,
        actor: &Actor,
        org: OrgId,
        user: UserId,
        password_hash: String,
        keep: Option<SessionId>,
    ) -> Result<u64> {
        let password_hash = &password_hash;
        self.db
            .write(move |mut tx| async move {
                let n = tx
                    .exec(
                        &Query::update()
                            .table(Us::Table)
                            .values([
                                (Us::PasswordHash, password_hash.clone().into()),
                                (Us::UpdatedAt, Timestamp::now().0.into()),
                            ])
                            .and_where(Expr::col(Us::Id).eq(user.to_string()))
                            .to_owned(),
                    )
                    .await?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                // across organisations: a new password ends the person's sessions in every organisation.
                let mut end = Query::delete();
                end.from_table(S::Table)
                    .and_where(Expr::col(S::UserId).eq(user.to_string()));
                if let Some(k) = keep {
                    end.and_where(Expr::col(S::Id).ne(k.to_string()));
                }
                let ended = tx.exec(&end).await?;
                let change = Change::<(), ()> {
                    kind: EventKind::PasswordChanged,
                    entity_id: &user.to_string(),
                    before: None,
                    after: None,
                };
                events::emit(&mut tx, org, actor, change).await?;
                tx.commit().await?;
                Ok(ended)
            })
            .await
    }
}

/// Remembers the organisation a person last worked in.
pub(crate) async fn set_last_org(tx: &mut Tx, user: UserId, org: OrgId) -> Result<()> {
    tx.exec(
        &Query::update()
            .table(Us::Table)
            .value(Us::LastOrgId, org.to_string())
            .and_where(Expr::col(Us::Id).eq(user.to_string()))
            .to_owned(),
    )
    .await?;
    Ok(())
}
