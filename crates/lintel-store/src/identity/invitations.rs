//! Member invitations: created and revoked by an organisation's admins, found and accepted by
//! token (the link's only secret, stored as a SHA-256 digest).

use lintel_domain::identity::{Invitation, User, INVITATION_TTL_MS};
use lintel_domain::EventKind;
use lintel_domain::{
    Actor, Cap, InvitationId, KeyPart, Limit, ListRequest, OrgId, Page, Plan, Role, Timestamp,
    UserId,
};
use sea_query::{Alias, Cond, Expr, Query, SelectStatement};

use super::members::{get_member, insert_membership, insert_user, member_count, NewUserRecord};
use crate::db::{Count, Db, Tx};
use crate::error::{parse_col, Conflict, Result, StoreError};
use crate::events::{self, Change};
use crate::identity::schema::{
    Invitations as I, Memberships as M, Organisations as O, Users as Us,
};
use crate::list;
use crate::locks;
use crate::scope::{self, OrgRef};

/// An invitation to be stored: the token is already hashed.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub email: String,
    pub role: Role,
    pub token_hash: String,
    /// A tenant's invitation: the profile to link the account to (the role is `tenant`).
    pub tenant: Option<lintel_domain::TenantId>,
}

#[derive(serde::Deserialize)]
struct InvitationRow {
    id: String,
    org_id: String,
    email: String,
    role: String,
    invited_by: Option<String>,
    created_at: i64,
    expires_at: i64,
    accepted_at: Option<i64>,
    revoked_at: Option<i64>,
    tenant_id: Option<String>,
}

impl InvitationRow {
    fn into_invitation(self) -> Result<Invitation> {
        let (accepted, revoked) = (
            self.accepted_at.map(Timestamp),
            self.revoked_at.map(Timestamp),
        );
        let expires = Timestamp(self.expires_at);
        Ok(Invitation {
            id: parse_col("invitations.id", &self.id)?,
            organisation_id: parse_col("invitations.org_id", &self.org_id)?,
            email: self.email,
            role: parse_col("invitations.role", &self.role)?,
            status: Invitation::status_at(accepted, revoked, expires, Timestamp::now()),
            invited_by: self.invited_by,
            created_at: Timestamp(self.created_at),
            expires_at: expires,
            accepted_at: accepted,
            revoked_at: revoked,
            tenant_id: self
                .tenant_id
                .as_deref()
                .map(|t| parse_col("invitations.tenant_id", t))
                .transpose()?,
        })
    }
}

const COLUMNS: [I; 10] = [
    I::Id,
    I::OrgId,
    I::Email,
    I::Role,
    I::InvitedBy,
    I::CreatedAt,
    I::ExpiresAt,
    I::AcceptedAt,
    I::RevokedAt,
    I::TenantId,
];

/// The invitation whose token hashes to `token_hash`, in whichever organisation it is.
fn by_token(token_hash: &str) -> SelectStatement {
    // across organisations: an invitation is found by its token, before its organisation is known.
    Query::select()
        .columns(COLUMNS)
        .from(I::Table)
        .and_where(Expr::col(I::TokenHash).eq(token_hash))
        .to_owned()
}

fn in_org(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<I>(org).columns(COLUMNS).to_owned()
}

/// Neither accepted, revoked nor expired at `now`.
fn pending(now: i64) -> Cond {
    Cond::all()
        .add(Expr::col(I::AcceptedAt).is_null())
        .add(Expr::col(I::RevokedAt).is_null())
        .add(Expr::col(I::ExpiresAt).gt(now))
}

async fn revoke_in(tx: &mut Tx, actor: &Actor, before: Invitation) -> Result<Invitation> {
    let now = Timestamp::now();
    tx.exec(
        &scope::update::<I>(before.organisation_id)
            .value(I::RevokedAt, now.0)
            .and_where(Expr::col(I::Id).eq(before.id.to_string()))
            .to_owned(),
    )
    .await?;
    let mut after = before.clone();
    after.revoked_at = Some(now);
    after.status = lintel_domain::identity::InvitationStatus::Revoked;
    let change = Change {
        kind: EventKind::InvitationRevoked,
        entity_id: &before.id.to_string(),
        before: Some(&before),
        after: Some(&after),
    };
    events::emit(tx, before.organisation_id, actor, change).await?;
    Ok(after)
}

/// One organisation's invitations.
pub struct InvitationRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

impl InvitationRepo<'_> {
    /// Invites `email` with `role`, valid for seven days. A pending invitation to the same email
    /// is revoked (the newest link is the one that works). Someone who is already a member is
    /// `Conflict::Member`; `limit` (the plan's member cap) counts members and pending
    /// invitations together.
    pub async fn create(&self, actor: &Actor, new: NewInvitation, cap: Cap) -> Result<Invitation> {
        let new = &new;
        self.db
            .write(move |mut tx| async move {
                locks::org(&mut tx, self.org).await?;
                let member: Count = tx
                    .one(
                        &scope::select::<M>(self.org)
                            .expr_as(Expr::col((M::Table, M::UserId)).count(), Alias::new("n"))
                            .inner_join(
                                Us::Table,
                                Expr::col((Us::Table, Us::Id)).equals((M::Table, M::UserId)),
                            )
                            .and_where(Expr::col((Us::Table, Us::Email)).eq(new.email.as_str()))
                            .to_owned(),
                    )
                    .await?;
                if member.n > 0 {
                    return Err(StoreError::Conflict(Conflict::Member));
                }
                let now = Timestamp::now().0;
                let earlier: Vec<InvitationRow> = tx
                    .all(
                        &in_org(self.org)
                            .and_where(Expr::col(I::Email).eq(new.email.as_str()))
                            .cond_where(pending(now))
                            .to_owned(),
                    )
                    .await?;
                for row in earlier {
                    revoke_in(&mut tx, actor, row.into_invitation()?).await?;
                }
                // Accounts of tenant profiles are not seats: they count against no member cap.
                if cap.is_limited() && new.tenant.is_none() {
                    let waiting: Count = tx
                        .one(
                            &scope::select::<I>(self.org)
                                .expr_as(Expr::col(I::Id).count(), Alias::new("n"))
                                .cond_where(pending(now))
                                .and_where(Expr::col(I::TenantId).is_null())
                                .to_owned(),
                        )
                        .await?;
                    let taken = member_count(&mut tx, self.org).await? + waiting.n.max(0) as u64;
                    if let Some(max) = cap.exceeded_by(taken, 1) {
                        return Err(StoreError::LimitReached {
                            limit: Limit::Members,
                            max,
                        });
                    }
                }
                let id = InvitationId::new();
                tx.exec(
                    &Query::insert()
                        .into_table(I::Table)
                        .columns([
                            I::Id,
                            I::OrgId,
                            I::Email,
                            I::Role,
                            I::TokenHash,
                            I::InvitedBy,
                            I::CreatedAt,
                            I::ExpiresAt,
                            I::TenantId,
                        ])
                        .values_panic([
                            id.to_string().into(),
                            self.org.to_string().into(),
                            new.email.clone().into(),
                            new.role.as_str().into(),
                            new.token_hash.clone().into(),
                            actor.id.clone().into(),
                            now.into(),
                            (now + INVITATION_TTL_MS).into(),
                            new.tenant.map(|t| t.to_string()).into(),
                        ])
                        .to_owned(),
                )
                .await?;
                let created = get_in(&mut tx, self.org, id).await?;
                let change = Change::<(), _> {
                    kind: EventKind::InvitationCreated,
                    entity_id: &id.to_string(),
                    before: None,
                    after: Some(&created),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await?;
                Ok(created)
            })
            .await
    }

    pub async fn get(&self, id: InvitationId) -> Result<Invitation> {
        let q = in_org(self.org)
            .and_where(Expr::col(I::Id).eq(id.to_string()))
            .to_owned();
        self.db.one::<InvitationRow>(&q).await?.into_invitation()
    }

    /// The organisation's invitations, newest first.
    pub async fn list(&self, req: impl Into<ListRequest>) -> Result<Page<Invitation>> {
        static LIST: list::List = list::List::new(
            || in_org(OrgRef::Slot),
            || scope::count::<I>(OrgRef::Slot),
            list::no_filters,
        );
        let order = list::Order::by_key("-id", I::Table, I::Id, true);
        let key = |r: &InvitationRow| vec![KeyPart::Text(r.id.clone())];
        let map = InvitationRow::into_invitation;
        let filters = list::Filters::new(self.org);
        list::counted(self.db, LIST.with(filters), &order, &req.into(), key, map).await
    }

    /// Withdraws an invitation so its link stops working. An accepted one is
    /// `Conflict::Accepted`; revoking twice keeps the first revocation.
    pub async fn revoke(&self, actor: &Actor, id: InvitationId) -> Result<Invitation> {
        self.db
            .write(move |mut tx| async move {
                let before = get_in(&mut tx, self.org, id).await?;
                if before.accepted_at.is_some() {
                    return Err(StoreError::Conflict(Conflict::Accepted));
                }
                if before.revoked_at.is_some() {
                    return Ok(before);
                }
                let after = revoke_in(&mut tx, actor, before).await?;
                tx.commit().await?;
                Ok(after)
            })
            .await
    }
}

async fn get_in(tx: &mut Tx, org: OrgId, id: InvitationId) -> Result<Invitation> {
    let q = in_org(org)
        .and_where(Expr::col(I::Id).eq(id.to_string()))
        .to_owned();
    tx.one::<InvitationRow>(&q).await?.into_invitation()
}

/// Who accepts an invitation.
#[derive(Debug, Clone)]
pub enum Joiner {
    /// Someone with an account, who proved it with their password.
    Existing(UserId),
    /// Someone new: their account is created with the invitation's email.
    New { name: String, password_hash: String },
}

/// Invitations found by their token, across organisations (the link is the credential).
pub struct Invites<'a> {
    pub(crate) db: &'a Db,
}

/// An invitation with its organisation's name, for the invitation page.
#[derive(Debug, Clone)]
pub struct FoundInvitation {
    pub invitation: Invitation,
    pub organisation_name: String,
}

#[derive(serde::Deserialize)]
struct OrgNameRow {
    name: String,
    plan: String,
}

fn org_query(org: OrgId) -> SelectStatement {
    Query::select()
        .columns([O::Name, O::Plan])
        .from(O::Table)
        .and_where(Expr::col(O::Id).eq(org.to_string()))
        .to_owned()
}

impl Invites<'_> {
    pub async fn by_token(&self, token_hash: &str) -> Result<Option<FoundInvitation>> {
        let q = by_token(token_hash);
        let Some(row) = self.db.opt::<InvitationRow>(&q).await? else {
            return Ok(None);
        };
        let invitation = row.into_invitation()?;
        let org: OrgNameRow = self.db.one(&org_query(invitation.organisation_id)).await?;
        Ok(Some(FoundInvitation {
            invitation,
            organisation_name: org.name,
        }))
    }

    /// Accepts the pending invitation `token_hash` names: the joiner becomes a member with its
    /// role (an existing member keeps the role they have) and the invitation is used up. Unknown
    /// token: NotFound; not pending any more: `Gone(status)`; the plan's member cap reached:
    /// LimitReached; a new account whose email was taken meanwhile: `Conflict::Email`.
    pub async fn accept(&self, token_hash: &str, joiner: Joiner) -> Result<User> {
        let joiner = &joiner;
        self.db
            .write(move |mut tx| async move {
                let q = by_token(token_hash);
                let found = tx.one::<InvitationRow>(&q).await?.into_invitation()?;
                let org = found.organisation_id;
                locks::org(&mut tx, org).await?;
                // Read again under the organisation's lock: a concurrent acceptance or revocation wins.
                let inv = tx.one::<InvitationRow>(&q).await?.into_invitation()?;
                if inv.status != lintel_domain::identity::InvitationStatus::Pending {
                    return Err(StoreError::Gone(inv.status.as_str().to_string()));
                }
                let (user, actor) = match joiner {
                    Joiner::Existing(id) => (*id, Actor::user(*id, None)),
                    Joiner::New {
                        name,
                        password_hash,
                    } => {
                        let id = UserId::new();
                        let rec = NewUserRecord {
                            email: inv.email.clone(),
                            name: name.clone(),
                            password_hash: password_hash.clone(),
                        };
                        insert_user(&mut tx, id, &rec).await?;
                        (id, Actor::user(id, None))
                    }
                };
                let member = match get_member(&mut tx, org, user).await {
                    Ok(existing) => existing,
                    Err(StoreError::NotFound) => {
                        let row: OrgNameRow = tx.one(&org_query(org)).await?;
                        let plan: Plan = parse_col("organisations.plan", &row.plan)?;
                        let cap = plan.cap(Limit::Members);
                        if cap.is_limited() && inv.tenant_id.is_none() {
                            let members = member_count(&mut tx, org).await?;
                            if let Some(max) = cap.exceeded_by(members, 1) {
                                return Err(StoreError::LimitReached {
                                    limit: Limit::Members,
                                    max,
                                });
                            }
                        }
                        insert_membership(&mut tx, &actor, org, user, inv.role).await?
                    }
                    Err(e) => return Err(e),
                };
                let now = Timestamp::now();
                tx.exec(
                    &scope::update_one::<I, _>(org, inv.id)
                        .values([
                            (I::AcceptedAt, now.0.into()),
                            (I::AcceptedBy, user.to_string().into()),
                        ])
                        .to_owned(),
                )
                .await?;
                if let Some(tenant) = inv.tenant_id {
                    crate::leasing::tenants::link_user(&mut tx, org, tenant, user).await?;
                }
                if let Some(inviter) = inv
                    .invited_by
                    .as_deref()
                    .and_then(|i| i.parse::<UserId>().ok())
                {
                    let note = lintel_domain::comms::NewNotification {
                        kind: lintel_domain::comms::NotificationType::InvitationAccepted,
                        title: format!("{} accepted your invitation", inv.email),
                        body: format!("{} joined as {}.", inv.email, inv.role),
                        entity_type: Some("invitation"),
                        entity_id: Some(inv.id.to_string()),
                    };
                    crate::comms::notify(&mut tx, org, &[inviter], &note).await?;
                }
                let mut after = inv.clone();
                after.accepted_at = Some(now);
                after.status = lintel_domain::identity::InvitationStatus::Accepted;
                let change = Change {
                    kind: EventKind::InvitationAccepted,
                    entity_id: &inv.id.to_string(),
                    before: Some(&inv),
                    after: Some(&after),
                };
                events::emit(&mut tx, org, &actor, change).await?;
                tx.commit().await?;
                Ok(member)
            })
            .await
    }
}

impl<'a> crate::OrgScope<'a> {
    pub fn invitations(&self) -> InvitationRepo<'a> {
        InvitationRepo {
            db: self.db,
            org: self.org,
        }
    }
}
