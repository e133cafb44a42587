//! The audit trail: who did what, before and after — written from each write's events in its
//! transaction ([`crate::events`]), and listed per organisation.

use lintel_domain::{Actor, AuditEntry, AuditId, KeyPart, ListRequest, OrgId, Page, Timestamp};
use sea_query::{Expr, InsertStatement, Query, Value};

use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::events::Emitted;
use crate::list;
use crate::prepared::{insert_row, Prepared};
use crate::scope::{self, OrgRef};

crate::iden::table! {
    /// The audit log's table and columns.
    pub enum AuditLog = "audit_log" {
        Id = "id",
        OrgId = "org_id",
        ActorType = "actor_type",
        ActorId = "actor_id",
        Action = "action",
        EntityType = "entity_type",
        EntityId = "entity_id",
        BeforeJson = "before_json",
        AfterJson = "after_json",
        RequestId = "request_id",
        CorrelationId = "correlation_id",
        CreatedAt = "created_at",
    }
}

crate::scope::org_tables!(AuditLog);

/// Rows per multi-row audit `INSERT` (12 columns).
const CHUNK: usize = 100;

/// Writes the audit entries of `events` inside their transaction: the log shows every event, by
/// whom and from which request, with the record before and after.
pub(crate) async fn project(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    events: &[Emitted],
    at: i64,
) -> Result<()> {
    for chunk in events.chunks(CHUNK) {
        let values = |e: &Emitted| audit_values(e, org, actor, at);
        if let [one] = chunk {
            tx.defer(AUDIT_ROW.with(values(one))).await?;
            continue;
        }
        let mut stmt = Query::insert();
        stmt.into_table(AuditLog::Table).columns(AUDIT_COLUMNS);
        for e in chunk {
            stmt.values_panic(values(e).map(Into::into));
        }
        tx.defer(stmt).await?;
    }
    Ok(())
}

/// The columns an entry is written with, in the order of [`audit_values`].
const AUDIT_COLUMNS: [AuditLog; 12] = [
    AuditLog::Id,
    AuditLog::OrgId,
    AuditLog::ActorType,
    AuditLog::ActorId,
    AuditLog::Action,
    AuditLog::EntityType,
    AuditLog::EntityId,
    AuditLog::BeforeJson,
    AuditLog::AfterJson,
    AuditLog::RequestId,
    AuditLog::CorrelationId,
    AuditLog::CreatedAt,
];

/// The single entry of most writes, rendered once.
static AUDIT_ROW: Prepared<InsertStatement, 12> =
    Prepared::new(|| insert_row(AuditLog::Table, AUDIT_COLUMNS));

fn audit_values(e: &Emitted, org: OrgId, actor: &Actor, at: i64) -> [Value; 12] {
    [
        AuditId::new().to_string().into(),
        org.to_string().into(),
        actor.kind.as_str().into(),
        actor.id.clone().into(),
        e.kind.as_str().into(),
        e.kind.entity().as_str().into(),
        e.entity_id.clone().into(),
        e.before.clone().into(),
        e.after.clone().into(),
        actor.request_id.clone().into(),
        actor.correlation_id.clone().into(),
        at.into(),
    ]
}

#[derive(serde::Deserialize)]
struct AuditRow {
    id: String,
    actor_type: String,
    actor_id: Option<String>,
    action: String,
    entity_type: String,
    entity_id: String,
    before_json: Option<String>,
    after_json: Option<String>,
    request_id: Option<String>,
    correlation_id: Option<String>,
    created_at: i64,
}

impl AuditRow {
    fn into_entry(self) -> Result<AuditEntry> {
        let json = |s: Option<String>| -> Result<Option<serde_json::Value>> {
            s.map(|s| serde_json::from_str(&s))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("audit json: {e}")))
        };
        Ok(AuditEntry {
            id: parse_col("audit_log.id", &self.id)?,
            actor_type: parse_col("audit_log.actor_type", &self.actor_type)?,
            actor_id: self.actor_id,
            action: self.action,
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            before: json(self.before_json)?,
            after: json(self.after_json)?,
            request_id: self.request_id,
            correlation_id: self.correlation_id,
            created_at: Timestamp(self.created_at),
        })
    }
}

/// Filters for the audit list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
}

/// An organisation's audit trail, newest first.
pub struct AuditTrail<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

/// `GET /api/audit-log`: filter 0 is the entity type, 1 the entity's ID.
static LIST: list::List = list::List::new(
    // The columns an entry is written with (the organisation's too, which the row ignores).
    || {
        scope::select::<AuditLog>(OrgRef::Slot)
            .columns(AUDIT_COLUMNS)
            .to_owned()
    },
    || scope::count::<AuditLog>(OrgRef::Slot),
    |q, on| {
        if on.has(0) {
            q.and_where(Expr::col(AuditLog::EntityType).eq(list::On::slot(0)));
        }
        if on.has(1) {
            q.and_where(Expr::col(AuditLog::EntityId).eq(list::On::slot(1)));
        }
    },
);

impl AuditTrail<'_> {
    pub async fn list(
        &self,
        f: &AuditFilter,
        req: impl Into<ListRequest>,
    ) -> Result<Page<AuditEntry>> {
        let mut filters = list::Filters::new(self.org);
        if let Some(t) = &f.entity_type {
            filters.set(0, t.as_str());
        }
        if let Some(id) = &f.entity_id {
            filters.set(1, id.as_str());
        }
        let order = list::Order::by_key("-id", AuditLog::Table, AuditLog::Id, true);
        let key = |r: &AuditRow| vec![KeyPart::Text(r.id.clone())];
        let req = req.into();
        list::counted(
            self.db,
            LIST.with(filters),
            &order,
            &req,
            key,
            AuditRow::into_entry,
        )
        .await
    }
}

impl<'a> crate::OrgScope<'a> {
    pub fn audit(&self) -> AuditTrail<'a> {
        AuditTrail {
            db: self.db,
            org: self.org,
        }
    }
}
