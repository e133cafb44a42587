//! Every write emits its domain events here, in its own transaction: each event is stored in the
//! outbox (for consumers that work after the commit: notifications, webhooks, email) and shown
//! in the audit log, its first consumer, written from the same event in the same transaction.
//! One call, [`emit`], so no write can record one without the other.

use lintel_domain::{Actor, EventId, EventKind, OrgId, Timestamp};
use sea_query::{Expr, InsertStatement, Order, Query, Value};
use serde::Serialize;

use crate::audit;
use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::prepared::{insert_row, Prepared};

crate::iden::table! {
    /// The outbox's table and columns.
    pub enum Outbox = "outbox" {
        Id = "id",
        OrgId = "org_id",
        Kind = "kind",
        EntityType = "entity_type",
        EntityId = "entity_id",
        ActorType = "actor_type",
        ActorId = "actor_id",
        RequestId = "request_id",
        CorrelationId = "correlation_id",
        BeforeJson = "before_json",
        AfterJson = "after_json",
        CreatedAt = "created_at",
        PublishedAt = "published_at",
    }
}

crate::scope::org_tables!(Outbox);

/// A change a write made, as its event carries it: the record before and after.
pub struct Change<'a, B: Serialize, A: Serialize> {
    pub kind: EventKind,
    pub entity_id: &'a str,
    pub before: Option<&'a B>,
    pub after: Option<&'a A>,
}

/// An event ready to be stored: its payloads serialised once for both the outbox and the log.
pub(crate) struct Emitted {
    pub id: EventId,
    pub kind: EventKind,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

fn to_json<T: Serialize>(v: Option<&T>) -> Result<Option<String>> {
    v.map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))
}

/// Emits one event inside `tx`.
pub async fn emit<B: Serialize, A: Serialize>(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    change: Change<'_, B, A>,
) -> Result<()> {
    emit_many(tx, org, actor, std::slice::from_ref(&change)).await
}

/// The columns an event is written with, in the order of [`outbox_values`].
const OUTBOX_COLUMNS: [Outbox; 12] = [
    Outbox::Id,
    Outbox::OrgId,
    Outbox::Kind,
    Outbox::EntityType,
    Outbox::EntityId,
    Outbox::ActorType,
    Outbox::ActorId,
    Outbox::RequestId,
    Outbox::CorrelationId,
    Outbox::BeforeJson,
    Outbox::AfterJson,
    Outbox::CreatedAt,
];

/// The single event of most writes, rendered once.
static OUTBOX_ROW: Prepared<InsertStatement, 12> =
    Prepared::new(|| insert_row(Outbox::Table, OUTBOX_COLUMNS));

fn outbox_values(e: &Emitted, org: OrgId, actor: &Actor, now: i64) -> [Value; 12] {
    [
        e.id.to_string().into(),
        org.to_string().into(),
        e.kind.as_str().into(),
        e.kind.entity().as_str().into(),
        e.entity_id.clone().into(),
        actor.kind.as_str().into(),
        actor.id.clone().into(),
        actor.request_id.clone().into(),
        actor.correlation_id.clone().into(),
        e.before.clone().into(),
        e.after.clone().into(),
        now.into(),
    ]
}

/// Rows per multi-row `INSERT` (12 outbox columns).
const CHUNK: usize = 100;

/// Emits several events inside `tx` (bulk writes), in multi-row statements.
pub async fn emit_many<B: Serialize, A: Serialize>(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    changes: &[Change<'_, B, A>],
) -> Result<()> {
    let now = Timestamp::now().0;
    let events = changes
        .iter()
        .map(|c| {
            Ok(Emitted {
                id: EventId::new(),
                kind: c.kind,
                entity_id: c.entity_id.to_string(),
                before: to_json(c.before)?,
                after: to_json(c.after)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    for chunk in events.chunks(CHUNK) {
        let values = |e: &Emitted| outbox_values(e, org, actor, now);
        if let [one] = chunk {
            tx.defer(OUTBOX_ROW.with(values(one))).await?;
            continue;
        }
        let mut stmt = Query::insert();
        stmt.into_table(Outbox::Table).columns(OUTBOX_COLUMNS);
        for e in chunk {
            stmt.values_panic(values(e).map(Into::into));
        }
        tx.defer(stmt).await?;
    }
    audit::project(tx, org, actor, &events, now).await
}

/// An event as consumers read it from the outbox.
#[derive(Debug, Clone)]
pub struct OutboxEvent {
    pub id: EventId,
    pub org: OrgId,
    pub kind: EventKind,
    pub entity_id: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub created_at: Timestamp,
}

#[derive(serde::Deserialize)]
struct OutboxRow {
    id: String,
    org_id: String,
    kind: String,
    entity_id: String,
    actor_type: String,
    actor_id: Option<String>,
    before_json: Option<String>,
    after_json: Option<String>,
    created_at: i64,
}

impl OutboxRow {
    fn into_event(self) -> Result<OutboxEvent> {
        let json = |s: Option<String>| -> Result<Option<serde_json::Value>> {
            s.map(|s| serde_json::from_str(&s))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("outbox payload: {e}")))
        };
        Ok(OutboxEvent {
            id: parse_col("outbox.id", &self.id)?,
            org: parse_col("outbox.org_id", &self.org_id)?,
            kind: parse_col("outbox.kind", &self.kind)?,
            entity_id: self.entity_id,
            actor_type: self.actor_type,
            actor_id: self.actor_id,
            before: json(self.before_json)?,
            after: json(self.after_json)?,
            created_at: Timestamp(self.created_at),
        })
    }
}

/// The outbox as its consumers see it: what is not published yet, oldest first.
pub struct OutboxReader<'a> {
    pub(crate) db: &'a Db,
}

impl OutboxReader<'_> {
    /// Up to `limit` events not yet published, oldest first.
    pub async fn pending(&self, limit: u64) -> Result<Vec<OutboxEvent>> {
        // across organisations: a consumer delivers every organisation's events in order.
        let q = Query::select()
            .columns([
                Outbox::Id,
                Outbox::OrgId,
                Outbox::Kind,
                Outbox::EntityId,
                Outbox::ActorType,
                Outbox::ActorId,
                Outbox::BeforeJson,
                Outbox::AfterJson,
                Outbox::CreatedAt,
            ])
            .from(Outbox::Table)
            .and_where(Expr::col(Outbox::PublishedAt).is_null())
            .order_by(Outbox::Id, Order::Asc)
            .limit(limit)
            .to_owned();
        let rows: Vec<OutboxRow> = self.db.all(&q).await?;
        rows.into_iter().map(OutboxRow::into_event).collect()
    }

    /// Marks events as delivered; already published ones stay as they were.
    pub async fn mark_published(&self, ids: &[EventId]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        // across organisations: a consumer acknowledges what it delivered, by event ID.
        let q = Query::update()
            .table(Outbox::Table)
            .value(Outbox::PublishedAt, Timestamp::now().0)
            .and_where(Expr::col(Outbox::Id).is_in(ids.iter().map(|i| i.to_string())))
            .and_where(Expr::col(Outbox::PublishedAt).is_null())
            .to_owned();
        self.db.exec(&q).await
    }
}
