//! Renewal offers on leases in force. Accepting one creates the successor lease (status
//! `pending_signature`, `renewal_of_lease_id` set) and moves the original to `renewed` through
//! the lease state machine, in one transaction; offers, answers and reminders notify the
//! lease's tenants (those with an account) in the same transaction.

use lintel_domain::comms::{NewNotification, NotificationType};
use lintel_domain::leasing::{LeaseStatus, NewRenewal, Renewal, RenewalStatus};
use lintel_domain::money::MoneyDto;
use lintel_domain::{
    Actor, Date, EventKind, KeyPart, LeaseId, ListRequest, OrgId, Page, RenewalId, TenantId,
    Timestamp,
};
use sea_query::{Expr, Query, SelectStatement};

use super::writes::{today, today_in};
use super::{get_in, tell_tenants};
use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::leasing::schema::{LeaseRenewals as R, LeaseTenants as LT};
use crate::list;
use crate::prepared::{key, slot, Prepared};
use crate::scope::{self, OrgRef};

mod answers;

#[derive(serde::Deserialize)]
struct RenewalRow {
    id: String,
    org_id: String,
    lease_id: String,
    status: String,
    rent_minor: i64,
    currency: String,
    start_date: String,
    end_date: Option<String>,
    offer_expires_on: String,
    message: Option<String>,
    response_comment: Option<String>,
    responded_by: Option<String>,
    responded_at: Option<i64>,
    successor_lease_id: Option<String>,
    last_reminder_at: Option<i64>,
    created_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const COLUMNS: [R; 18] = [
    R::Id,
    R::OrgId,
    R::LeaseId,
    R::Status,
    R::RentMinor,
    R::Currency,
    R::StartDate,
    R::EndDate,
    R::OfferExpiresOn,
    R::Message,
    R::ResponseComment,
    R::RespondedBy,
    R::RespondedAt,
    R::SuccessorLeaseId,
    R::LastReminderAt,
    R::CreatedBy,
    R::CreatedAt,
    R::UpdatedAt,
];

impl RenewalRow {
    /// The offer as of `today`: a pending offer past its last day is `expired`.
    fn into_renewal(self, today: Date) -> Result<Renewal> {
        let date = super::date_col;
        let offer_expires_on = date("lease_renewals.offer_expires_on", &self.offer_expires_on)?;
        let mut status: RenewalStatus = parse_col("lease_renewals.status", &self.status)?;
        if status == RenewalStatus::Pending && offer_expires_on < today {
            status = RenewalStatus::Expired;
        }
        Ok(Renewal {
            id: parse_col("lease_renewals.id", &self.id)?,
            organisation_id: parse_col("lease_renewals.org_id", &self.org_id)?,
            lease_id: parse_col("lease_renewals.lease_id", &self.lease_id)?,
            status,
            rent: MoneyDto {
                amount_minor: self.rent_minor,
                currency: self.currency,
            },
            start_date: date("lease_renewals.start_date", &self.start_date)?,
            end_date: self
                .end_date
                .as_deref()
                .map(|d| date("lease_renewals.end_date", d))
                .transpose()?,
            offer_expires_on,
            message: self.message,
            response_comment: self.response_comment,
            responded_by: self.responded_by,
            responded_at: self.responded_at.map(Timestamp),
            successor_lease_id: self
                .successor_lease_id
                .as_deref()
                .map(|l| parse_col("lease_renewals.successor_lease_id", l))
                .transpose()?,
            last_reminder_at: self.last_reminder_at.map(Timestamp),
            created_by: self.created_by,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<R>(org)
        .columns(COLUMNS.map(|c| (R::Table, c)))
        .to_owned()
}

static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((R::Table, R::Id)).eq(slot(1)));
    q
});

static BY_ID_LOCKED: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((R::Table, R::Id)).eq(slot(1)))
        .lock(sea_query::LockType::NoKeyUpdate);
    q
});

/// `GET /api/lease-renewals`: filter 0 the stored status, 1 the lease, 2 a tenant (offers on
/// their leases), 3 still open on (a day), 4 lapsed before (a day).
static LIST: list::List = list::List::new(
    || select(OrgRef::Slot),
    || scope::count::<R>(OrgRef::Slot),
    |q, on| {
        for (i, col) in [(0, R::Status), (1, R::LeaseId)] {
            if on.has(i) {
                q.and_where(Expr::col((R::Table, col)).eq(list::On::slot(i)));
            }
        }
        if on.has(2) {
            let leases = scope::select::<LT>(OrgRef::Slot)
                .column(LT::LeaseId)
                .and_where(Expr::col(LT::TenantId).eq(list::On::slot(2)))
                .to_owned();
            q.and_where(Expr::col((R::Table, R::LeaseId)).in_subquery(leases));
        }
        if on.has(3) {
            q.and_where(Expr::col((R::Table, R::OfferExpiresOn)).gte(list::On::slot(3)));
        }
        if on.has(4) {
            q.and_where(Expr::col((R::Table, R::OfferExpiresOn)).lt(list::On::slot(4)));
        }
    },
);

/// Filters of `GET /api/lease-renewals`.
#[derive(Debug, Clone, Default)]
pub struct RenewalFilter {
    pub status: Option<RenewalStatus>,
    pub lease_id: Option<LeaseId>,
    /// Only offers on leases this tenant is on.
    pub tenant: Option<TenantId>,
}

/// The renewal offers of one organisation.
pub struct RenewalRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

fn no_longer_open() -> StoreError {
    StoreError::Refused("Renewal offer is no longer open.".into())
}

/// Refuses an answer or a reminder unless the offer is open.
fn check_open(r: &Renewal) -> Result<()> {
    match r.status {
        RenewalStatus::Pending => Ok(()),
        RenewalStatus::Accepted | RenewalStatus::Declined => Err(StoreError::Refused(
            "Renewal offer already processed.".into(),
        )),
        RenewalStatus::Expired | RenewalStatus::Withdrawn => Err(no_longer_open()),
    }
}

async fn locked(tx: &mut Tx, org: OrgId, id: RenewalId) -> Result<Renewal> {
    let row: RenewalRow = tx.one(&BY_ID_LOCKED.with(key(org, id))).await?;
    let today = today(tx, org).await?;
    row.into_renewal(today)
}

/// Writes the changed columns of an offer and emits `kind`.
async fn save(
    tx: &mut Tx,
    actor: &Actor,
    kind: EventKind,
    before: &Renewal,
    after: &mut Renewal,
) -> Result<()> {
    after.updated_at = Timestamp::now();
    // A lapsed offer keeps `pending` stored: `expired` is read from its date.
    let stored = match after.status {
        RenewalStatus::Expired => RenewalStatus::Pending,
        s => s,
    };
    tx.exec(
        &scope::update_one::<R, _>(after.organisation_id, after.id)
            .values([
                (R::Status, stored.as_str().into()),
                (R::ResponseComment, after.response_comment.clone().into()),
                (R::RespondedBy, after.responded_by.clone().into()),
                (R::RespondedAt, after.responded_at.map(|t| t.0).into()),
                (
                    R::SuccessorLeaseId,
                    after.successor_lease_id.map(|l| l.to_string()).into(),
                ),
                (
                    R::LastReminderAt,
                    after.last_reminder_at.map(|t| t.0).into(),
                ),
                (R::UpdatedAt, after.updated_at.0.into()),
            ])
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

fn money(m: &MoneyDto) -> String {
    format!("{} {}", m.amount_minor, m.currency)
}

impl RenewalRepo<'_> {
    pub async fn get(&self, id: RenewalId) -> Result<Renewal> {
        let row: RenewalRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        row.into_renewal(today_in(self.db, self.org).await?)
    }

    /// Offers, newest first.
    pub async fn list(
        &self,
        f: &RenewalFilter,
        req: impl Into<ListRequest>,
    ) -> Result<Page<Renewal>> {
        let today = today_in(self.db, self.org).await?;
        let mut filters = list::Filters::new(self.org);
        if let Some(s) = f.status {
            let stored = if s == RenewalStatus::Expired {
                RenewalStatus::Pending
            } else {
                s
            };
            filters.set(0, stored.as_str());
            match s {
                RenewalStatus::Pending => filters.set(3, today.to_string()),
                RenewalStatus::Expired => filters.set(4, today.to_string()),
                _ => {}
            }
        }
        if let Some(l) = f.lease_id {
            filters.set(1, l.to_string());
        }
        if let Some(t) = f.tenant {
            filters.set(2, t.to_string());
        }
        let order = list::Order::by_key("-id", R::Table, R::Id, true);
        let key = |r: &RenewalRow| vec![KeyPart::Text(r.id.clone())];
        let map = move |r: RenewalRow| r.into_renewal(today);
        list::counted(self.db, LIST.with(filters), &order, &req.into(), key, map).await
    }

    /// Offers new terms on an `active` or `renewed` lease with an end date (one open offer per
    /// lease), and notifies its tenants.
    pub async fn create(&self, actor: &Actor, new: &NewRenewal) -> Result<Renewal> {
        self.db
            .write(move |mut tx| async move {
                let lease = match get_in(&mut tx, self.org, new.lease_id, true).await {
                    Err(StoreError::NotFound) => return Err(StoreError::Missing("Lease")),
                    other => other?,
                };
                let (LeaseStatus::Active | LeaseStatus::Renewed, Some(end)) =
                    (lease.status, lease.end_date)
                else {
                    return Err(StoreError::Refused(
                        "Only an active or renewed lease with an end date can be renewed.".into(),
                    ));
                };
                let day = today(&mut tx, self.org).await?;
                let open: Vec<RenewalRow> = tx
                    .all(
                        &select(self.org)
                            .and_where(Expr::col((R::Table, R::LeaseId)).eq(lease.id.to_string()))
                            .and_where(
                                Expr::col((R::Table, R::Status))
                                    .eq(RenewalStatus::Pending.as_str()),
                            )
                            .and_where(
                                Expr::col((R::Table, R::OfferExpiresOn)).gte(day.to_string()),
                            )
                            .to_owned(),
                    )
                    .await?;
                if !open.is_empty() {
                    return Err(StoreError::Refused(
                        "This lease already has an open renewal offer.".into(),
                    ));
                }
                let start = new
                    .check(end, &lease.rent.currency, day)
                    .map_err(StoreError::Invalid)?;
                let now = Timestamp::now();
                let r = Renewal {
                    id: RenewalId::new(),
                    organisation_id: self.org,
                    lease_id: lease.id,
                    status: RenewalStatus::Pending,
                    rent: new.rent.to_dto(),
                    start_date: start,
                    end_date: new.end_date,
                    offer_expires_on: new.offer_expires_on,
                    message: new.message.clone(),
                    response_comment: None,
                    responded_by: None,
                    responded_at: None,
                    successor_lease_id: None,
                    last_reminder_at: None,
                    created_by: actor.id.clone(),
                    created_at: now,
                    updated_at: now,
                };
                tx.defer(
                    Query::insert()
                        .into_table(R::Table)
                        .columns(COLUMNS)
                        .values_panic([
                            r.id.to_string().into(),
                            self.org.to_string().into(),
                            r.lease_id.to_string().into(),
                            r.status.as_str().into(),
                            r.rent.amount_minor.into(),
                            r.rent.currency.clone().into(),
                            r.start_date.to_string().into(),
                            r.end_date.map(|d| d.to_string()).into(),
                            r.offer_expires_on.to_string().into(),
                            r.message.clone().into(),
                            Option::<String>::None.into(),
                            Option::<String>::None.into(),
                            Option::<i64>::None.into(),
                            Option::<String>::None.into(),
                            Option::<i64>::None.into(),
                            r.created_by.clone().into(),
                            now.0.into(),
                            now.0.into(),
                        ])
                        .to_owned(),
                )
                .await?;
                let change = Change::<(), _> {
                    kind: EventKind::RenewalOffered,
                    entity_id: &r.id.to_string(),
                    before: None,
                    after: Some(&r),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                let note = NewNotification {
                    kind: NotificationType::RenewalOffered,
                    title: "Renewal offer for your lease".into(),
                    body: format!(
                        "New terms from {}: rent {}. Answer by {}.",
                        r.start_date,
                        money(&r.rent),
                        r.offer_expires_on
                    ),
                    entity_type: Some("lease_renewal"),
                    entity_id: Some(r.id.to_string()),
                };
                tell_tenants(&mut tx, &lease, note).await?;
                tx.commit().await?;
                Ok(r)
            })
            .await
    }
}

impl<'a> crate::OrgScope<'a> {
    pub fn renewals(&self) -> RenewalRepo<'a> {
        RenewalRepo {
            db: self.db,
            org: self.org,
        }
    }
}
