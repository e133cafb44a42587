use lintel_domain::access::ApiKey;
use lintel_domain::{Actor, ApiKeyId, OrgId, Page, PageRequest, Role, Timestamp};
use sea_query::{Alias, Expr, Order, Query, SelectStatement};

use super::KeyCache;
use crate::audit::{self, Change};
use crate::db::{Count, Db};
use crate::error::{parse_col, Result};
use crate::locks;
use crate::schema::ApiKeys as K;

/// A key to be stored: the secret is already hashed.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub secret_hash: String,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    name: String,
    role: String,
    prefix: String,
    created_by: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl KeyRow {
    fn into_key(self) -> Result<ApiKey> {
        Ok(ApiKey {
            id: parse_col("api_keys.id", &self.id)?,
            name: self.name,
            role: parse_col("api_keys.role", &self.role)?,
            prefix: self.prefix,
            created_by: self.created_by,
            created_at: Timestamp(self.created_at),
            last_used_at: self.last_used_at.map(Timestamp),
            revoked_at: self.revoked_at.map(Timestamp),
        })
    }
}

fn select(org: OrgId) -> SelectStatement {
    Query::select()
        .columns([
            K::Id,
            K::Name,
            K::Role,
            K::Prefix,
            K::CreatedBy,
            K::CreatedAt,
            K::LastUsedAt,
            K::RevokedAt,
        ])
        .from(K::Table)
        .and_where(Expr::col(K::OrgId).eq(org.to_string()))
        .to_owned()
}

/// One organisation's API keys.
pub struct ApiKeyRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) keys: &'a KeyCache,
    pub(crate) org: OrgId,
}

impl ApiKeyRepo<'_> {
    pub async fn create(&self, actor: &Actor, new: NewApiKey) -> Result<ApiKey> {
        let mut tx = self.db.begin().await?;
        tx.exec(
            &Query::insert()
                .into_table(K::Table)
                .columns([
                    K::Id,
                    K::OrgId,
                    K::Name,
                    K::Role,
                    K::Prefix,
                    K::SecretHash,
                    K::CreatedBy,
                    K::CreatedAt,
                ])
                .values_panic([
                    new.id.to_string().into(),
                    self.org.to_string().into(),
                    new.name.into(),
                    new.role.as_str().into(),
                    new.prefix.into(),
                    new.secret_hash.into(),
                    actor.id.clone().into(),
                    Timestamp::now().0.into(),
                ])
                .to_owned(),
        )
        .await?;
        let key = tx
            .one::<KeyRow>(
                &select(self.org)
                    .and_where(Expr::col(K::Id).eq(new.id.to_string()))
                    .to_owned(),
            )
            .await?
            .into_key()?;
        let change = Change::<(), _> {
            action: "api_key.create",
            entity_type: "api_key",
            entity_id: &key.id.to_string(),
            before: None,
            after: Some(&key),
        };
        audit::record(&mut tx, self.org, actor, change).await?;
        tx.commit().await?;
        Ok(key)
    }

    pub async fn list(&self, page: PageRequest) -> Result<Page<ApiKey>> {
        let total: Count = self
            .db
            .one(
                &Query::select()
                    .expr_as(Expr::col(K::Id).count(), Alias::new("n"))
                    .from(K::Table)
                    .and_where(Expr::col(K::OrgId).eq(self.org.to_string()))
                    .to_owned(),
            )
            .await?;
        let rows: Vec<KeyRow> = self
            .db
            .all(
                &select(self.org)
                    .order_by(K::Id, Order::Desc)
                    .limit(page.limit())
                    .offset(page.offset())
                    .to_owned(),
            )
            .await?;
        let items = rows
            .into_iter()
            .map(KeyRow::into_key)
            .collect::<Result<_>>()?;
        Ok(Page::new(items, page, total.n as u64))
    }

    /// Revokes a key; revoking twice keeps the first revocation time.
    pub async fn revoke(&self, actor: &Actor, id: ApiKeyId) -> Result<ApiKey> {
        let mut tx = self.db.begin().await?;
        locks::api_key(&mut tx, self.org, id).await?;
        let by_id = select(self.org)
            .and_where(Expr::col(K::Id).eq(id.to_string()))
            .to_owned();
        let before = tx.one::<KeyRow>(&by_id).await?.into_key()?;
        if before.revoked_at.is_some() {
            tx.commit().await?;
            return Ok(before);
        }
        tx.exec(
            &Query::update()
                .table(K::Table)
                .value(K::RevokedAt, Timestamp::now().0)
                .and_where(Expr::col(K::OrgId).eq(self.org.to_string()))
                .and_where(Expr::col(K::Id).eq(id.to_string()))
                .to_owned(),
        )
        .await?;
        let after = tx.one::<KeyRow>(&by_id).await?.into_key()?;
        let change = Change {
            action: "api_key.revoke",
            entity_type: "api_key",
            entity_id: &id.to_string(),
            before: Some(&before),
            after: Some(&after),
        };
        audit::record(&mut tx, self.org, actor, change).await?;
        tx.commit().await?;
        self.keys.clear();
        Ok(after)
    }
}
