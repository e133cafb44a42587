//! The documents context's tables: `documents` (what is known about each stored file) and
//! `document_usage` (bytes stored per organisation, for the plan's quota). The bytes themselves
//! are written and removed by the caller (`lintel-app`, through `lintel-blobs`): a row is
//! inserted only after its bytes are stored, and removed in a transaction that commits only
//! after they are gone (decision 0013).

use std::future::Future;

use lintel_domain::documents::{
    Document, DocumentCategory, DocumentEntityType, DocumentTarget, NewDocument,
};
use lintel_domain::{
    Actor, Cap, DocumentId, EventKind, KeyPart, Limit, ListRequest, OrgId, Page, Timestamp,
};
use sea_query::{Alias, Expr, InsertStatement, OnConflict, Query, SelectStatement};

use crate::db::{Count, Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::leasing::schema::{LeaseTenants, Leases, Tenants};
use crate::list;
use crate::portfolio::schema::{Buildings, Properties, Units};
use crate::prepared::{insert_row, key, slot, Prepared};
use crate::scope::{self, OrgRef, OrgTable};

crate::iden::table! {
    pub enum Documents = "documents" {
        Id = "id",
        OrgId = "org_id",
        EntityType = "entity_type",
        EntityId = "entity_id",
        Category = "category",
        Name = "name",
        ContentType = "content_type",
        SizeBytes = "size_bytes",
        Sha256 = "sha256",
        CreatedBy = "created_by",
        CreatedAt = "created_at",
    }
}

crate::iden::table! {
    pub enum DocumentUsage = "document_usage" {
        OrgId = "org_id",
        Bytes = "bytes",
    }
}

crate::scope::org_tables!(Documents);

/// An organisation's usage row is keyed by the organisation alone.
impl OrgTable for DocumentUsage {
    const TABLE: Self = DocumentUsage::Table;
    const ORG: Self = DocumentUsage::OrgId;
    const ID: Self = DocumentUsage::OrgId;
}

use Documents as D;

const COLUMNS: [D; 11] = [
    D::Id,
    D::OrgId,
    D::EntityType,
    D::EntityId,
    D::Category,
    D::Name,
    D::ContentType,
    D::SizeBytes,
    D::Sha256,
    D::CreatedBy,
    D::CreatedAt,
];

#[derive(serde::Deserialize)]
struct DocumentRow {
    id: String,
    org_id: String,
    entity_type: String,
    entity_id: String,
    category: String,
    name: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    created_by: Option<String>,
    created_at: i64,
}

impl DocumentRow {
    fn into_document(self) -> Result<Document> {
        Ok(Document {
            id: parse_col("documents.id", &self.id)?,
            organisation_id: parse_col("documents.org_id", &self.org_id)?,
            entity_type: parse_col("documents.entity_type", &self.entity_type)?,
            entity_id: self.entity_id,
            category: parse_col("documents.category", &self.category)?,
            name: self.name,
            content_type: self.content_type,
            size_bytes: self.size_bytes,
            sha256: self.sha256,
            created_at: Timestamp(self.created_at),
            created_by: self.created_by,
        })
    }
}

fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<D>(org)
        .columns(COLUMNS.map(|c| (D::Table, c)))
        .to_owned()
}

/// One document by ID: `[organisation, id]`.
static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((D::Table, D::Id)).eq(slot(1)));
    q
});

static INSERT: Prepared<InsertStatement, 11> = Prepared::new(|| insert_row(D::Table, COLUMNS));

/// `GET /api/documents`: filter 0 the entity type, 1 the entity ID, 2 the category, 3 a tenant
/// whose own documents only are listed (filed with them or their leases), 4 (a flag) no ID
/// documents.
static LIST: list::List = list::List::new(
    || select(OrgRef::Slot),
    || scope::count::<D>(OrgRef::Slot),
    |q, on| {
        let cols = [D::EntityType, D::EntityId, D::Category];
        for (i, col) in cols.into_iter().enumerate() {
            if on.has(i) {
                q.and_where(Expr::col((D::Table, col)).eq(list::On::slot(i)));
            }
        }
        if on.has(3) {
            let leases = scope::select::<LeaseTenants>(OrgRef::Slot)
                .column(LeaseTenants::LeaseId)
                .and_where(Expr::col(LeaseTenants::TenantId).eq(list::On::slot(3)))
                .to_owned();
            let own = sea_query::Cond::any()
                .add(
                    Expr::col((D::Table, D::EntityType))
                        .eq("tenant")
                        .and(Expr::col((D::Table, D::EntityId)).eq(list::On::slot(3))),
                )
                .add(
                    Expr::col((D::Table, D::EntityType))
                        .eq("lease")
                        .and(Expr::col((D::Table, D::EntityId)).in_subquery(leases)),
                );
            q.cond_where(own);
        }
        if on.has(4) {
            let id = DocumentCategory::IdVerification.as_str();
            q.and_where(Expr::col((D::Table, D::Category)).ne(id));
        }
    },
);

/// Filters of `GET /api/documents`.
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub entity_type: Option<DocumentEntityType>,
    pub entity_id: Option<String>,
    pub category: Option<DocumentCategory>,
    /// Only the documents of this tenant: filed with them or with a lease they are on.
    pub tenant: Option<lintel_domain::TenantId>,
    /// Leave out ID documents (category `id_verification`).
    pub hide_id_documents: bool,
}

/// The documents of one organisation.
pub struct DocumentRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

#[derive(serde::Deserialize)]
struct Usage {
    bytes: i64,
}

/// Whether the record a document is to be attached to exists in the organisation.
async fn target_exists(tx: &mut Tx, org: OrgId, target: DocumentTarget) -> Result<bool> {
    fn one<T: OrgTable>(org: OrgId, id: String) -> SelectStatement {
        scope::select::<T>(org)
            .expr_as(Expr::col((T::TABLE, T::ID)).count(), Alias::new("n"))
            .and_where(Expr::col((T::TABLE, T::ID)).eq(id))
            .to_owned()
    }
    let id = target.entity_id();
    let q = match target {
        DocumentTarget::Property(_) => one::<Properties>(org, id),
        DocumentTarget::Building(_) => one::<Buildings>(org, id),
        DocumentTarget::Unit(_) => one::<Units>(org, id),
        DocumentTarget::Tenant(_) => one::<Tenants>(org, id),
        DocumentTarget::Lease(_) => one::<Leases>(org, id),
    };
    let found: Count = tx.one(&q).await?;
    Ok(found.n > 0)
}

/// Adds `delta` bytes to the organisation's usage (the counter row, last in the lock order) and
/// answers the new total.
async fn add_usage(tx: &mut Tx, org: OrgId, delta: i64) -> Result<i64> {
    tx.exec(
        &Query::insert()
            .into_table(DocumentUsage::Table)
            .columns([DocumentUsage::OrgId, DocumentUsage::Bytes])
            .values_panic([org.to_string().into(), delta.into()])
            .on_conflict(
                OnConflict::column(DocumentUsage::OrgId)
                    .value(
                        DocumentUsage::Bytes,
                        Expr::col((DocumentUsage::Table, DocumentUsage::Bytes)).add(delta),
                    )
                    .to_owned(),
            )
            .to_owned(),
    )
    .await?;
    let usage: Usage = tx
        .one(
            &scope::select::<DocumentUsage>(org)
                .column(DocumentUsage::Bytes)
                .to_owned(),
        )
        .await?;
    Ok(usage.bytes)
}

impl DocumentRepo<'_> {
    pub async fn get(&self, id: DocumentId) -> Result<Document> {
        let row: DocumentRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        row.into_document()
    }

    /// Documents, newest first.
    pub async fn list(
        &self,
        f: &DocumentFilter,
        req: impl Into<ListRequest>,
    ) -> Result<Page<Document>> {
        let mut filters = list::Filters::new(self.org);
        if let Some(t) = f.entity_type {
            filters.set(0, t.as_str());
        }
        if let Some(id) = &f.entity_id {
            filters.set(1, id.clone());
        }
        if let Some(c) = f.category {
            filters.set(2, c.as_str());
        }
        if let Some(t) = f.tenant {
            filters.set(3, t.to_string());
        }
        if f.hide_id_documents {
            filters.flag(4);
        }
        let order = list::Order::by_key("-id", D::Table, D::Id, true);
        let key = |r: &DocumentRow| vec![KeyPart::Text(r.id.clone())];
        let map = DocumentRow::into_document;
        list::counted(self.db, LIST.with(filters), &order, &req.into(), key, map).await
    }

    /// Bytes of documents the organisation stores.
    pub async fn usage(&self) -> Result<i64> {
        let usage: Option<Usage> = self
            .db
            .opt(
                &scope::select::<DocumentUsage>(self.org)
                    .column(DocumentUsage::Bytes)
                    .to_owned(),
            )
            .await?;
        Ok(usage.map_or(0, |u| u.bytes))
    }

    /// Records a document whose bytes are stored. The record it is attached to must exist in
    /// the organisation ([`StoreError::Missing`] otherwise); the organisation's stored bytes
    /// must stay within `quota` ([`StoreError::LimitReached`] otherwise).
    pub async fn create(&self, actor: &Actor, new: &NewDocument, quota: Cap) -> Result<Document> {
        self.db
            .write(move |mut tx| async move {
                if !target_exists(&mut tx, self.org, new.target).await? {
                    return Err(StoreError::Missing(new.target.entity_name()));
                }
                let created = Document {
                    id: new.id,
                    organisation_id: self.org,
                    entity_type: new.target.entity_type(),
                    entity_id: new.target.entity_id(),
                    category: new.category,
                    name: new.name.clone(),
                    content_type: new.content_type.to_string(),
                    size_bytes: new.size_bytes,
                    sha256: new.sha256.clone(),
                    created_at: Timestamp::now(),
                    created_by: actor.id.clone(),
                };
                let d = &created;
                tx.defer(INSERT.with([
                    d.id.to_string().into(),
                    self.org.to_string().into(),
                    d.entity_type.as_str().into(),
                    d.entity_id.clone().into(),
                    d.category.as_str().into(),
                    d.name.clone().into(),
                    d.content_type.clone().into(),
                    d.size_bytes.into(),
                    d.sha256.clone().into(),
                    d.created_by.clone().into(),
                    d.created_at.0.into(),
                ]))
                .await?;
                let change = Change::<(), _> {
                    kind: EventKind::DocumentCreated,
                    entity_id: &d.id.to_string(),
                    before: None,
                    after: Some(d),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                let total = add_usage(&mut tx, self.org, d.size_bytes).await?;
                let earlier = (total - d.size_bytes).max(0) as u64;
                if let Some(max) = quota.exceeded_by(earlier, d.size_bytes as u64) {
                    return Err(StoreError::LimitReached {
                        limit: Limit::DocumentBytes,
                        max,
                    });
                }
                tx.commit().await?;
                Ok(created)
            })
            .await
    }

    /// Removes a document's record. `remove_bytes` runs inside the transaction, after the row
    /// is deleted and before the commit: if it fails, nothing is committed and the record stays
    /// ([`StoreError::External`]). It may run more than once (a retried write), so removing
    /// bytes that are already gone must succeed.
    pub async fn delete<F, Fut>(
        &self,
        actor: &Actor,
        id: DocumentId,
        remove_bytes: F,
    ) -> Result<Document>
    where
        F: Fn(Document) -> Fut,
        Fut: Future<Output = std::result::Result<(), String>>,
    {
        let remove_bytes = &remove_bytes;
        self.db
            .write(move |mut tx| async move {
                let row: DocumentRow = tx.one(&BY_ID.with(key(self.org, id))).await?;
                let before = row.into_document()?;
                let n = tx
                    .exec(
                        &scope::delete::<D>(self.org)
                            .and_where(Expr::col(D::Id).eq(id.to_string()))
                            .to_owned(),
                    )
                    .await?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                let change = Change::<_, ()> {
                    kind: EventKind::DocumentDeleted,
                    entity_id: &before.id.to_string(),
                    before: Some(&before),
                    after: None,
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                add_usage(&mut tx, self.org, -before.size_bytes).await?;
                remove_bytes(before.clone())
                    .await
                    .map_err(StoreError::External)?;
                tx.commit().await?;
                Ok(before)
            })
            .await
    }
}

/// Documents found by ID alone, for the signed download link (the link is the credential).
pub struct LinkedDocuments<'a> {
    pub(crate) db: &'a Db,
}

impl LinkedDocuments<'_> {
    pub async fn get(&self, id: DocumentId) -> Result<Document> {
        let row: DocumentRow = self
            .db
            .one(
                // across organisations: a signed download link names the document alone; its
                // signature, checked before this read, is what grants access.
                &Query::select()
                    .columns(COLUMNS)
                    .from(D::Table)
                    .and_where(Expr::col(D::Id).eq(id.to_string()))
                    .to_owned(),
            )
            .await?;
        row.into_document()
    }
}

impl<'a> crate::OrgScope<'a> {
    pub fn documents(&self) -> DocumentRepo<'a> {
        DocumentRepo {
            db: self.db,
            org: self.org,
        }
    }
}
