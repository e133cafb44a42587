use std::sync::Arc;

use lintel_domain::{ApiKeyId, OrgId, SessionId, Timestamp, UserId};
use sea_query::{Alias, Expr, Query, SelectStatement};

use super::accounts::{Account, AccountRow};
use super::KeyCache;
use crate::db::Db;
use crate::error::{parse_col, Result};
use crate::identity::schema::{ApiKeys as K, Memberships as M, Organisations as O, Sessions as S};
use crate::prepared::{slot, Prepared};

/// How often a credential's last-use time is written, at most.
pub const TOUCH_EVERY_MS: i64 = 60_000;

/// Who a session cookie belongs to. `plan` is the raw stored plan: the caller decides what an
/// unreadable plan means (fail-secure).
pub struct SessionPrincipal {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub role: String,
    pub plan: Option<String>,
    pub csrf_hash: String,
    pub expires_at: Timestamp,
    pub last_seen_at: Timestamp,
}

/// Who an API key belongs to.
#[derive(Debug, Clone)]
pub struct KeyPrincipal {
    pub key_id: ApiKeyId,
    pub org_id: OrgId,
    /// The role the key was given.
    pub role: String,
    /// `None` for a key without an owner; `Some(None)` when its owner is no longer a member;
    /// otherwise the owner's current role (the key never acts above it).
    pub owner_role: Option<Option<String>>,
    pub plan: Option<String>,
    pub revoked: bool,
    pub last_used_at: Option<Timestamp>,
}

#[derive(serde::Deserialize)]
struct SessionAuthRow {
    id: String,
    user_id: String,
    org_id: String,
    role: String,
    plan: Option<String>,
    csrf_hash: String,
    expires_at: i64,
    last_seen_at: i64,
}

#[derive(serde::Deserialize)]
struct KeyAuthRow {
    id: String,
    org_id: String,
    role: String,
    owner_user_id: Option<String>,
    owner_role: Option<String>,
    plan: Option<String>,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

/// The session whose token hashes to slot 0, with its user's role in the session's current
/// organisation and that organisation's plan. A session whose user is no longer a member of its
/// organisation finds nothing.
static SESSION: Prepared<SelectStatement, 1> = Prepared::new(|| {
    Query::select()
        // across organisations: a session is found by its token, before its organisation is known.
        .columns([
            (S::Table, S::Id),
            (S::Table, S::UserId),
            (S::Table, S::OrgId),
        ])
        .column((M::Table, M::Role))
        .column((O::Table, O::Plan))
        .columns([
            (S::Table, S::CsrfHash),
            (S::Table, S::ExpiresAt),
            (S::Table, S::LastSeenAt),
        ])
        .from(S::Table)
        .inner_join(
            M::Table,
            Expr::col((M::Table, M::OrgId))
                .equals((S::Table, S::OrgId))
                .and(Expr::col((M::Table, M::UserId)).equals((S::Table, S::UserId))),
        )
        .left_join(
            O::Table,
            Expr::col((O::Table, O::Id)).equals((S::Table, S::OrgId)),
        )
        .and_where(Expr::col((S::Table, S::TokenHash)).eq(slot(0)))
        .to_owned()
});

/// The API key whose secret hashes to slot 0, with its owner's current role (if it has an
/// owner) and its organisation's plan.
static API_KEY: Prepared<SelectStatement, 1> = Prepared::new(|| {
    // across organisations: an API key is found by its secret, before its organisation is known.
    Query::select()
        .columns([
            (K::Table, K::Id),
            (K::Table, K::OrgId),
            (K::Table, K::Role),
            (K::Table, K::OwnerUserId),
        ])
        .expr_as(Expr::col((M::Table, M::Role)), Alias::new("owner_role"))
        .column((O::Table, O::Plan))
        .columns([(K::Table, K::RevokedAt), (K::Table, K::LastUsedAt)])
        .from(K::Table)
        .left_join(
            M::Table,
            Expr::col((M::Table, M::OrgId))
                .equals((K::Table, K::OrgId))
                .and(Expr::col((M::Table, M::UserId)).equals((K::Table, K::OwnerUserId))),
        )
        .left_join(
            O::Table,
            Expr::col((O::Table, O::Id)).equals((K::Table, K::OrgId)),
        )
        .and_where(Expr::col((K::Table, K::SecretHash)).eq(slot(0)))
        .to_owned()
});

/// Looks credentials up across organisations: the only queries not scoped by an organisation,
/// because the credential is what tells which organisation the caller belongs to.
pub struct Credentials<'a> {
    pub(crate) db: &'a Db,
    pub(crate) keys: &'a KeyCache,
}

impl Credentials<'_> {
    /// The account signed in to with `email` (already trimmed and lower-cased), if any.
    pub async fn login(&self, email: &str) -> Result<Option<Account>> {
        let row: Option<AccountRow> = self
            .db
            .opt(
                &super::accounts::select_accounts()
                    .and_where(Expr::col(super::accounts::EMAIL).eq(email))
                    .to_owned(),
            )
            .await?;
        row.map(AccountRow::into_account).transpose()
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionPrincipal>> {
        let row: Option<SessionAuthRow> = self.db.opt(&SESSION.with([token_hash.into()])).await?;
        row.map(|r| {
            Ok(SessionPrincipal {
                session_id: parse_col("sessions.id", &r.id)?,
                user_id: parse_col("sessions.user_id", &r.user_id)?,
                org_id: parse_col("sessions.org_id", &r.org_id)?,
                role: r.role,
                plan: r.plan,
                csrf_hash: r.csrf_hash,
                expires_at: Timestamp(r.expires_at),
                last_seen_at: Timestamp(r.last_seen_at),
            })
        })
        .transpose()
    }

    /// Ends the session whose token hashes to `token_hash` (sign-out); unknown tokens are fine.
    pub async fn end_session(&self, token_hash: &str) -> Result<()> {
        self.db
            .exec(
                // across organisations: sign-out ends the session its token names.
                &Query::delete()
                    .from_table(S::Table)
                    .and_where(Expr::col(S::TokenHash).eq(token_hash))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// The key whose secret hashes to `secret_hash`, revoked or not; served from the
    /// [`KeyCache`] for up to [`super::KEY_CACHE_TTL`].
    pub async fn api_key(&self, secret_hash: &str) -> Result<Option<Arc<KeyPrincipal>>> {
        if let Some(hit) = self.keys.get(secret_hash) {
            return Ok(Some(hit));
        }
        let row: Option<KeyAuthRow> = self.db.opt(&API_KEY.with([secret_hash.into()])).await?;
        let Some(r) = row else { return Ok(None) };
        let key = Arc::new(KeyPrincipal {
            key_id: parse_col("api_keys.id", &r.id)?,
            org_id: parse_col("api_keys.org_id", &r.org_id)?,
            role: r.role,
            owner_role: r.owner_user_id.map(|_| r.owner_role),
            plan: r.plan,
            revoked: r.revoked_at.is_some(),
            last_used_at: r.last_used_at.map(Timestamp),
        });
        self.keys.put(secret_hash, key.clone());
        Ok(Some(key))
    }

    /// Whether a last-use time is old enough to be moved forward: uses are recorded at most
    /// once per [`TOUCH_EVERY_MS`], so a busy credential's reads stay free of writes.
    pub fn needs_touch(last: Option<Timestamp>) -> bool {
        last.is_none_or(|t| t.0 < Timestamp::now().0 - TOUCH_EVERY_MS)
    }

    /// Records that a key was used, at most once a minute per key (the cached lookup is
    /// dropped, so the next one sees the new time).
    pub async fn touch_api_key(&self, secret_hash: &str, id: ApiKeyId) -> Result<()> {
        let now = Timestamp::now().0;
        self.db
            .exec(
                // across organisations: the key was found by its secret; key IDs are unique across organisations.
                &Query::update()
                    .table(K::Table)
                    .value(K::LastUsedAt, now)
                    .and_where(Expr::col(K::Id).eq(id.to_string()))
                    .cond_where(
                        sea_query::Cond::any()
                            .add(Expr::col(K::LastUsedAt).is_null())
                            .add(Expr::col(K::LastUsedAt).lt(now - TOUCH_EVERY_MS)),
                    )
                    .to_owned(),
            )
            .await?;
        self.keys.forget(secret_hash);
        Ok(())
    }

    /// Moves a session's last-seen time forward, at most once a minute.
    pub async fn touch_session(&self, id: SessionId) -> Result<()> {
        let now = Timestamp::now().0;
        self.db
            .exec(
                // across organisations: the session was found by its token; session IDs are unique.
                &Query::update()
                    .table(S::Table)
                    .value(S::LastSeenAt, now)
                    .and_where(Expr::col(S::Id).eq(id.to_string()))
                    .and_where(Expr::col(S::LastSeenAt).lt(now - TOUCH_EVERY_MS))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
