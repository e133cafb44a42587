//! Tenants: the people who rent, with their contacts, references and ID check.

use lintel_domain::leasing::{
    IdDecision, IdVerification, IdVerificationStatus, NewTenant, Tenant, TenantPatch, TenantStatus,
};
use lintel_domain::{
    Actor, EventKind, KeyPart, ListRequest, OrgId, Page, TenantId, Timestamp, UserId,
};
use sea_query::{Expr, Query, SelectStatement, SimpleExpr};

use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::leasing::schema::{LeaseTenants as LT, Leases as L, Tenants as T};
use crate::list;
use crate::portfolio::properties::{like, like_pattern};
use crate::prepared::{key, slot, Prepared};
use crate::scope::{self, OrgRef};

mod row;

use row::{values, TenantRow, COLUMNS};

fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<T>(org)
        .columns(COLUMNS.map(|c| (T::Table, c)))
        .to_owned()
}

static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((T::Table, T::Id)).eq(slot(1)));
    q
});

/// The same, `FOR NO KEY UPDATE` (tier 2 of the lock order: the record written).
static BY_ID_LOCKED: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((T::Table, T::Id)).eq(slot(1)))
        .lock(sea_query::LockType::NoKeyUpdate);
    q
});

/// `(SELECT tenant_id FROM lease_tenants JOIN leases … WHERE leases.<col> = ?)`: the tenants
/// with a lease on a unit or property.
fn on_leases_of(col: L, value: SimpleExpr) -> SimpleExpr {
    let q = scope::select::<LT>(OrgRef::Slot)
        .column((LT::Table, LT::TenantId))
        .inner_join(
            L::Table,
            Expr::col((L::Table, L::Id)).equals((LT::Table, LT::LeaseId)),
        )
        .and_where(Expr::col((L::Table, col)).eq(value))
        .to_owned();
    Expr::col((T::Table, T::Id)).in_subquery(q)
}

/// `GET /api/tenants`: filter 0 the search pattern, 1 the status, 2 a property, 3 a unit.
static LIST: list::List = list::List::new(
    || select(OrgRef::Slot),
    || scope::count::<T>(OrgRef::Slot),
    |q, on| {
        if on.has(0) {
            q.and_where(Expr::col((T::Table, T::SearchText)).like(like(list::On::slot(0))));
        }
        if on.has(1) {
            q.and_where(Expr::col((T::Table, T::Status)).eq(list::On::slot(1)));
        }
        if on.has(2) {
            q.and_where(on_leases_of(L::PropertyId, list::On::slot(2).into()));
        }
        if on.has(3) {
            q.and_where(on_leases_of(L::UnitId, list::On::slot(3).into()));
        }
    },
);

/// Filters of `GET /api/tenants`.
#[derive(Debug, Clone, Default)]
pub struct TenantFilter {
    pub q: Option<String>,
    pub status: Option<TenantStatus>,
    pub property_id: Option<String>,
    pub unit_id: Option<String>,
}

#[derive(serde::Deserialize)]
struct UserOf {
    user_id: Option<String>,
}

/// The accounts of `tenants` that have one (to notify them).
pub(crate) async fn users_of(tx: &mut Tx, org: OrgId, tenants: &[TenantId]) -> Result<Vec<UserId>> {
    let rows: Vec<UserOf> = tx
        .all(
            &scope::select::<T>(org)
                .column(T::UserId)
                .and_where(Expr::col(T::Id).is_in(tenants.iter().map(TenantId::to_string)))
                .and_where(Expr::col(T::UserId).is_not_null())
                .to_owned(),
        )
        .await?;
    rows.into_iter()
        .filter_map(|r| r.user_id)
        .map(|u| parse_col("tenants.user_id", &u))
        .collect()
}

/// Links tenant `id` to the account `user` (on accepting the tenant's invitation). A profile
/// already linked to another account is `Refused`; a person with another tenant profile in the
/// organisation is a `Conflict`.
pub(crate) async fn link_user(tx: &mut Tx, org: OrgId, id: TenantId, user: UserId) -> Result<()> {
    let before = get_locked(tx, org, id).await?;
    match before.user_id {
        Some(u) if u == user => return Ok(()),
        Some(_) => {
            return Err(StoreError::Refused(
                "This tenant profile is already linked to another account.".into(),
            ))
        }
        None => {}
    }
    tx.exec(
        &scope::update_one::<T, _>(org, id)
            .values([
                (T::UserId, user.to_string().into()),
                (T::UpdatedAt, Timestamp::now().0.into()),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The tenants of one organisation.
pub struct TenantRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

/// The tenant `id` inside `tx`, locked for the rest of it.
pub(crate) async fn get_locked(tx: &mut Tx, org: OrgId, id: TenantId) -> Result<Tenant> {
    let q = BY_ID_LOCKED.with(key(org, id));
    let row: TenantRow = tx.one(&q).await?;
    row.into_tenant()
}

/// Writes every column of `after` over the stored tenant and emits `kind`.
async fn save(
    tx: &mut Tx,
    actor: &Actor,
    kind: EventKind,
    before: &Tenant,
    after: &mut Tenant,
) -> Result<()> {
    after.updated_at = Timestamp::now();
    let vals = values(after)?;
    tx.exec(
        &scope::update_one::<T, _>(after.organisation_id, after.id)
            .values(vals.into_iter().skip(2))
            .to_owned(),
    )
    .await?;
    let change = Change {
        kind,
        entity_id: &after.id.to_string(),
        before: Some(before),
        after: Some(&*after),
    };
    events::emit(tx, after.organisation_id, actor, change).await
}

impl TenantRepo<'_> {
    pub async fn get(&self, id: TenantId) -> Result<Tenant> {
        let row: TenantRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        row.into_tenant()
    }

    /// The tenant profile bound to `user` in this organisation, if any.
    pub async fn of_user(&self, user: UserId) -> Result<Option<Tenant>> {
        let q = select(self.org)
            .and_where(Expr::col((T::Table, T::UserId)).eq(user.to_string()))
            .to_owned();
        let row: Option<TenantRow> = self.db.opt(&q).await?;
        row.map(TenantRow::into_tenant).transpose()
    }

    /// Tenants by last name, then first name.
    pub async fn list(
        &self,
        f: &TenantFilter,
        req: impl Into<ListRequest>,
    ) -> Result<Page<Tenant>> {
        let mut filters = list::Filters::new(self.org);
        if let Some(text) = f.q.as_deref() {
            filters.set(0, like_pattern(text));
        }
        if let Some(s) = f.status {
            filters.set(1, s.as_str());
        }
        if let Some(p) = &f.property_id {
            filters.set(2, p.clone());
        }
        if let Some(u) = &f.unit_id {
            filters.set(3, u.clone());
        }
        let order = list::Order::by_column("name", T::Table, T::SortName, T::Id, false);
        let key = |r: &TenantRow| {
            vec![
                KeyPart::Text(r.sort_name.clone()),
                KeyPart::Text(r.id.clone()),
            ]
        };
        list::counted(
            self.db,
            LIST.with(filters),
            &order,
            &req.into(),
            key,
            TenantRow::into_tenant,
        )
        .await
    }

    pub async fn create(&self, actor: &Actor, new: NewTenant) -> Result<Tenant> {
        let new = &new;
        self.db
            .write(move |mut tx| async move {
                let now = Timestamp::now();
                let mut t = Tenant {
                    id: TenantId::new(),
                    organisation_id: self.org,
                    first_name: String::new(),
                    last_name: String::new(),
                    email: None,
                    phone: None,
                    date_of_birth: None,
                    address: None,
                    emergency_contact: None,
                    references: Vec::new(),
                    notes: None,
                    status: TenantStatus::Prospect,
                    id_verification: IdVerification {
                        status: IdVerificationStatus::NotStarted,
                        note: None,
                        reviewed_by: None,
                        reviewed_at: None,
                    },
                    user_id: None,
                    created_at: now,
                    updated_at: now,
                };
                new.clone().replace(&mut t);
                let (cols, vals): (Vec<T>, Vec<SimpleExpr>) = values(&t)?.into_iter().unzip();
                tx.defer(
                    Query::insert()
                        .into_table(T::Table)
                        .columns(cols)
                        .values_panic(vals)
                        .to_owned(),
                )
                .await?;
                let change = Change::<(), _> {
                    kind: EventKind::TenantCreated,
                    entity_id: &t.id.to_string(),
                    before: None,
                    after: Some(&t),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await?;
                Ok(t)
            })
            .await
    }

    /// Changes a tenant: `edit` is applied to the stored tenant, and the result saved with its
    /// event (`tenant.update`, or `kind`).
    async fn change(
        &self,
        actor: &Actor,
        id: TenantId,
        kind: EventKind,
        edit: impl Fn(&mut Tenant) -> Result<()>,
    ) -> Result<Tenant> {
        let edit = &edit;
        self.db
            .write(move |mut tx| async move {
                let before = get_locked(&mut tx, self.org, id).await?;
                let mut after = before.clone();
                edit(&mut after)?;
                save(&mut tx, actor, kind, &before, &mut after).await?;
                tx.commit().await?;
                Ok(after)
            })
            .await
    }

    /// Applies a patch.
    pub async fn update(&self, actor: &Actor, id: TenantId, patch: TenantPatch) -> Result<Tenant> {
        self.change(actor, id, EventKind::TenantUpdated, |t| {
            patch.clone().apply(t);
            Ok(())
        })
        .await
    }

    /// Replaces every field a client sets (`PUT`).
    pub async fn replace(&self, actor: &Actor, id: TenantId, new: NewTenant) -> Result<Tenant> {
        self.change(actor, id, EventKind::TenantUpdated, |t| {
            new.clone().replace(t);
            Ok(())
        })
        .await
    }

    /// An ID document was filed: the check waits for review (again).
    pub async fn id_submitted(&self, actor: &Actor, id: TenantId) -> Result<Tenant> {
        self.change(actor, id, EventKind::TenantIdSubmitted, |t| {
            t.id_verification = IdVerification {
                status: IdVerificationStatus::Pending,
                note: None,
                reviewed_by: None,
                reviewed_at: None,
            };
            Ok(())
        })
        .await
    }

    /// Links the tenant to an account (as accepting their invitation does): for the command
    /// line and the demo.
    pub async fn link_account(&self, actor: &Actor, id: TenantId, user: UserId) -> Result<Tenant> {
        self.db
            .write(move |mut tx| async move {
                let before = get_locked(&mut tx, self.org, id).await?;
                link_user(&mut tx, self.org, id, user).await?;
                let after = get_locked(&mut tx, self.org, id).await?;
                let change = Change {
                    kind: EventKind::TenantUpdated,
                    entity_id: &id.to_string(),
                    before: Some(&before),
                    after: Some(&after),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await?;
                Ok(after)
            })
            .await
    }

    /// Records the reviewer's decision on the ID check.
    pub async fn decide_id(&self, actor: &Actor, id: TenantId, d: IdDecision) -> Result<Tenant> {
        self.change(actor, id, EventKind::TenantIdReviewed, |t| {
            t.id_verification = IdVerification {
                status: d.status,
                note: d.note.clone(),
                reviewed_by: actor.id.clone(),
                reviewed_at: Some(Timestamp::now()),
            };
            Ok(())
        })
        .await
    }
}

impl<'a> crate::OrgScope<'a> {
    pub fn tenants(&self) -> TenantRepo<'a> {
        TenantRepo {
            db: self.db,
            org: self.org,
        }
    }
}
