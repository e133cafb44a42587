use lintel_domain::identity::access::ApiKey;
use lintel_domain::EventKind;
use lintel_domain::{
    Actor, ActorKind, ApiKeyId, KeyPart, ListRequest, OrgId, Page, Role, Timestamp, UserId,
};
use sea_query::{Expr, Query, SelectStatement};

use super::KeyCache;
use crate::db::{Db, Tx};
use crate::error::{parse_col, Result};
use crate::events::{self, Change};
use crate::identity::schema::ApiKeys as K;
use crate::list;
use crate::locks;
use crate::scope::{self, OrgRef};

/// A key to be stored: the secret is already hashed.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub secret_hash: String,
}

#[derive(serde::Deserialize)]
struct KeyRow {
    id: String,
    name: String,
    role: String,
    prefix: String,
    created_by: Option<String>,
    owner_user_id: Option<String>,
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
            owned_by: self
                .owner_user_id
                .map(|o| parse_col("api_keys.owner_user_id", &o))
                .transpose()?,
            created_at: Timestamp(self.created_at),
            last_used_at: self.last_used_at.map(Timestamp),
            revoked_at: self.revoked_at.map(Timestamp),
        })
    }
}

fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<K>(org)
        .columns([
            K::Id,
            K::Name,
            K::Role,
            K::Prefix,
            K::CreatedBy,
            K::OwnerUserId,
            K::CreatedAt,
            K::LastUsedAt,
            K::RevokedAt,
        ])
        .to_owned()
}

/// One organisation's API keys.
pub struct ApiKeyRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) keys: &'a KeyCache,
    pub(crate) org: OrgId,
}

impl ApiKeyRepo<'_> {
    /// Stores a key. It is owned by the user who creates it; a key created by another key is
    /// owned by that key's owner; one created by the system (command line) has no owner.
    pub async fn create(&self, actor: &Actor, new: NewApiKey) -> Result<ApiKey> {
        let new = &new;
        self.db
            .write(move |mut tx| async move {
                let owner = owner_for(&mut tx, self.org, actor).await?;
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
                            K::OwnerUserId,
                            K::CreatedAt,
                        ])
                        .values_panic([
                            new.id.to_string().into(),
                            self.org.to_string().into(),
                            new.name.clone().into(),
                            new.role.as_str().into(),
                            new.prefix.clone().into(),
                            new.secret_hash.clone().into(),
                            actor.id.clone().into(),
                            owner.map(|o| o.to_string()).into(),
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
                    kind: EventKind::ApiKeyCreated,
                    entity_id: &key.id.to_string(),
                    before: None,
                    after: Some(&key),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await?;
                Ok(key)
            })
            .await
    }

    /// The keys, newest first.
    pub async fn list(&self, req: impl Into<ListRequest>) -> Result<Page<ApiKey>> {
        static LIST: list::List = list::List::new(
            || select(OrgRef::Slot),
            || scope::count::<K>(OrgRef::Slot),
            list::no_filters,
        );
        let order = list::Order::by_key("-id", K::Table, K::Id, true);
        let key = |r: &KeyRow| vec![KeyPart::Text(r.id.clone())];
        list::counted(
            self.db,
            LIST.with(list::Filters::new(self.org)),
            &order,
            &req.into(),
            key,
            KeyRow::into_key,
        )
        .await
    }

    /// Revokes a key; revoking twice keeps the first revocation time.
    pub async fn revoke(&self, actor: &Actor, id: ApiKeyId) -> Result<ApiKey> {
        self.db
            .write(move |mut tx| async move {
                let after = revoke_in(&mut tx, actor, self.org, id).await?;
                tx.commit().await?;
                self.keys.clear();
                Ok(after)
            })
            .await
    }
}

/// The user a new key created by `actor` acts for.
async fn owner_for(tx: &mut Tx, org: OrgId, actor: &Actor) -> Result<Option<UserId>> {
    #[derive(serde::Deserialize)]
    struct Owner {
        owner_user_id: Option<String>,
    }
    let Some(id) = actor.id.as_deref() else {
        return Ok(None);
    };
    match actor.kind {
        ActorKind::User => Ok(Some(parse_col("actor", id)?)),
        ActorKind::ApiKey => {
            let row: Option<Owner> = tx
                .opt(
                    &scope::select::<K>(org)
                        .column(K::OwnerUserId)
                        .and_where(Expr::col(K::Id).eq(id))
                        .to_owned(),
                )
                .await?;
            row.and_then(|r| r.owner_user_id)
                .map(|o| parse_col("api_keys.owner_user_id", &o))
                .transpose()
        }
        ActorKind::System => Ok(None),
    }
}

/// Revokes one key inside `tx` (audited); a revoked key stays as it was.
async fn revoke_in(tx: &mut Tx, actor: &Actor, org: OrgId, id: ApiKeyId) -> Result<ApiKey> {
    locks::api_key(tx, org, id).await?;
    let by_id = select(org)
        .and_where(Expr::col(K::Id).eq(id.to_string()))
        .to_owned();
    let before = tx.one::<KeyRow>(&by_id).await?.into_key()?;
    if before.revoked_at.is_some() {
        return Ok(before);
    }
    tx.exec(
        &scope::update::<K>(org)
            .value(K::RevokedAt, Timestamp::now().0)
            .and_where(Expr::col(K::Id).eq(id.to_string()))
            .to_owned(),
    )
    .await?;
    let after = tx.one::<KeyRow>(&by_id).await?.into_key()?;
    let change = Change {
        kind: EventKind::ApiKeyRevoked,
        entity_id: &id.to_string(),
        before: Some(&before),
        after: Some(&after),
    };
    events::emit(tx, org, actor, change).await?;
    Ok(after)
}

/// Revokes every live key `user` owns in `org` (when they leave it); returns how many.
pub(crate) async fn revoke_owned_by(
    tx: &mut Tx,
    actor: &Actor,
    org: OrgId,
    user: UserId,
) -> Result<usize> {
    let rows: Vec<KeyRow> = tx
        .all(
            &select(org)
                .and_where(Expr::col(K::OwnerUserId).eq(user.to_string()))
                .and_where(Expr::col(K::RevokedAt).is_null())
                .to_owned(),
        )
        .await?;
    for row in &rows {
        let id = parse_col("api_keys.id", &row.id)?;
        revoke_in(tx, actor, org, id).await?;
    }
    Ok(rows.len())
}

impl<'a> crate::OrgScope<'a> {
    pub fn api_keys(&self) -> ApiKeyRepo<'a> {
        ApiKeyRepo {
            db: self.db,
            keys: self.keys,
            org: self.org,
        }
    }
}
