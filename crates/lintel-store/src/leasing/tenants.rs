//! Tenants: the people who rent, with their contacts, references and ID check.

use lintel_domain::leasing::{
    Contact, IdDecision, IdVerification, IdVerificationStatus, NewTenant, Reference, Tenant,
    TenantPatch, TenantStatus,
};
use lintel_domain::portfolio::Address;
use lintel_domain::{
    Actor, Date, EventKind, KeyPart, ListRequest, OrgId, Page, TenantId, Timestamp, UserId,
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

#[derive(serde::Deserialize)]
struct TenantRow {
    id: String,
    org_id: String,
    first_name: String,
    last_name: String,
    email: Option<String>,
    phone: Option<String>,
    date_of_birth: Option<String>,
    address_line1: Option<String>,
    address_line2: Option<String>,
    city: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    emergency_contact_json: Option<String>,
    references_json: String,
    notes: Option<String>,
    sort_name: String,
    status: String,
    id_status: String,
    id_note: Option<String>,
    id_reviewed_by: Option<String>,
    id_reviewed_at: Option<i64>,
    user_id: Option<String>,
    created_at: i64,
    updated_at: i64,
}

fn json<T: serde::de::DeserializeOwned>(col: &str, raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("tenants.{col}: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("tenant json: {e}")))
}

impl TenantRow {
    fn into_tenant(self) -> Result<Tenant> {
        let address = Address::from_parts(
            self.address_line1,
            self.address_line2,
            self.city,
            self.region,
            self.postal_code,
            self.country,
        );
        let emergency_contact: Option<Contact> = self
            .emergency_contact_json
            .as_deref()
            .map(|j| json("emergency_contact_json", j))
            .transpose()?;
        let references: Vec<Reference> = json("references_json", &self.references_json)?;
        let date_of_birth = match self.date_of_birth.as_deref() {
            Some(d) => Some(
                Date::parse(d)
                    .ok_or_else(|| StoreError::Corrupt(format!("tenants.date_of_birth: {d:?}")))?,
            ),
            None => None,
        };
        Ok(Tenant {
            id: parse_col("tenants.id", &self.id)?,
            organisation_id: parse_col("tenants.org_id", &self.org_id)?,
            first_name: self.first_name,
            last_name: self.last_name,
            email: self.email,
            phone: self.phone,
            date_of_birth,
            address,
            emergency_contact,
            references,
            notes: self.notes,
            status: parse_col("tenants.status", &self.status)?,
            id_verification: IdVerification {
                status: parse_col("tenants.id_status", &self.id_status)?,
                note: self.id_note,
                reviewed_by: self.id_reviewed_by,
                reviewed_at: self.id_reviewed_at.map(Timestamp),
            },
            user_id: self
                .user_id
                .as_deref()
                .map(|u| parse_col("tenants.user_id", u))
                .transpose()?,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

const COLUMNS: [T; 25] = [
    T::Id,
    T::OrgId,
    T::FirstName,
    T::LastName,
    T::Email,
    T::Phone,
    T::DateOfBirth,
    T::AddressLine1,
    T::AddressLine2,
    T::City,
    T::Region,
    T::PostalCode,
    T::Country,
    T::EmergencyContactJson,
    T::ReferencesJson,
    T::Notes,
    T::SortName,
    T::Status,
    T::IdStatus,
    T::IdNote,
    T::IdReviewedBy,
    T::IdReviewedAt,
    T::UserId,
    T::CreatedAt,
    T::UpdatedAt,
];

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

/// What `q` searches: names, email and the phone's digits, lower-cased.
fn search_text(t: &Tenant) -> String {
    let digits: String = t
        .phone
        .iter()
        .flat_map(|p| p.chars())
        .filter(char::is_ascii_digit)
        .collect();
    format!(
        "{} {}\n{}\n{}\n{}",
        t.first_name,
        t.last_name,
        t.email.as_deref().unwrap_or(""),
        t.phone.as_deref().unwrap_or(""),
        digits
    )
    .to_lowercase()
}

fn sort_name(t: &Tenant) -> String {
    format!("{} {}", t.last_name, t.first_name).to_lowercase()
}

/// Every stored column of `t`, for an insert or a whole-row update.
fn values(t: &Tenant) -> Result<Vec<(T, SimpleExpr)>> {
    let [line1, line2, city, region, postal_code, country] = Address::parts(t.address.as_ref());
    let contact = t.emergency_contact.as_ref().map(to_json).transpose()?;
    let v = &t.id_verification;
    Ok(vec![
        (T::Id, t.id.to_string().into()),
        (T::OrgId, t.organisation_id.to_string().into()),
        (T::FirstName, t.first_name.clone().into()),
        (T::LastName, t.last_name.clone().into()),
        (T::Email, t.email.clone().into()),
        (T::Phone, t.phone.clone().into()),
        (
            T::DateOfBirth,
            t.date_of_birth.map(|d| d.to_string()).into(),
        ),
        (T::AddressLine1, line1.into()),
        (T::AddressLine2, line2.into()),
        (T::City, city.into()),
        (T::Region, region.into()),
        (T::PostalCode, postal_code.into()),
        (T::Country, country.into()),
        (T::EmergencyContactJson, contact.into()),
        (T::ReferencesJson, to_json(&t.references)?.into()),
        (T::Notes, t.notes.clone().into()),
        (T::SearchText, search_text(t).into()),
        (T::SortName, sort_name(t).into()),
        (T::Status, t.status.as_str().into()),
        (T::IdStatus, v.status.as_str().into()),
        (T::IdNote, v.note.clone().into()),
        (T::IdReviewedBy, v.reviewed_by.clone().into()),
        (T::IdReviewedAt, v.reviewed_at.map(|t| t.0).into()),
        (T::UserId, t.user_id.map(|u| u.to_string()).into()),
        (T::CreatedAt, t.created_at.0.into()),
        (T::UpdatedAt, t.updated_at.0.into()),
    ])
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
