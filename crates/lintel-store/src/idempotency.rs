//! Idempotency-Key: a retried request answers what the first did, with no second effect.
//!
//! A request with a key first [`IdempotencyRepo::claim`]s it: a row `in_flight` with a fresh
//! token, committed on its own. The request then runs inside [`scope`], and the first write
//! transaction it commits marks the row `committed` in that same transaction
//! ([`mark_committed`], called by `Tx::commit`), so the change and its key commit together or
//! not at all. Once the answer is known, [`IdempotencyRepo::finish`] keeps it (`done`) when a
//! change was committed, or deletes the claim when none was (a refused or invalid request may
//! be retried with the same key, as Stripe does).
//!
//! A retry finds the row: a different request under the key is refused, one still in flight
//! is refused until its claim lapses, a finished one is answered again. A claim whose request
//! died before committing anything lapses after [`LOCK_MS`] and may be taken over; one whose
//! change committed but whose answer was lost (the process died in between) is reported as
//! such, never run twice. Keys are kept [`KEEP_MS`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use lintel_domain::{OrgId, Timestamp};
use sea_query::{Expr, Query};

use crate::db::{Db, Tx};
use crate::error::{Result, StoreError};
use crate::scope;

crate::iden::table! {
    pub enum IdempotencyKeys = "idempotency_keys" {
        OrgId = "org_id",
        Credential = "credential",
        IdemKey = "idem_key",
        Fingerprint = "fingerprint",
        State = "state",
        Token = "token",
        StatusCode = "status_code",
        Response = "response",
        LockedAt = "locked_at",
        CreatedAt = "created_at",
    }
}

impl scope::OrgTable for IdempotencyKeys {
    const TABLE: Self = IdempotencyKeys::Table;
    const ORG: Self = IdempotencyKeys::OrgId;
    const ID: Self = IdempotencyKeys::IdemKey;
}

use IdempotencyKeys as K;

/// How long a key is kept: a day.
pub const KEEP_MS: i64 = 24 * 60 * 60 * 1000;
/// How long a claim whose request committed nothing holds the key: a minute.
pub const LOCK_MS: i64 = 60 * 1000;

const IN_FLIGHT: &str = "in_flight";
const COMMITTED: &str = "committed";
const DONE: &str = "done";

/// A key held by the request running now.
#[derive(Debug, Clone)]
pub struct Claim {
    org: OrgId,
    credential: String,
    key: String,
    token: String,
    committed: Arc<AtomicBool>,
}

impl Claim {
    /// Whether the request's change has committed.
    pub fn committed(&self) -> bool {
        self.committed.load(Ordering::Acquire)
    }
}

/// What a claim found.
#[derive(Debug)]
pub enum Claimed {
    /// The key is this request's now.
    New(Claim),
    /// The first request with the key finished: its status and body.
    Replay { status: u16, body: String },
    /// The first request with the key is still running.
    InFlight,
    /// The key was used for a different request.
    Reused,
    /// The first request's change committed but its answer was lost.
    Unrecorded,
}

tokio::task_local! {
    static ACTIVE: Claim;
}

/// Runs `f` holding `claim`: its first committed write transaction marks the key.
pub async fn scope<F: std::future::Future>(claim: Claim, f: F) -> F::Output {
    ACTIVE.scope(claim, f).await
}

/// Marks the running request's key `committed` inside `tx`, just before it commits; answers the
/// claim to flag once the commit succeeds. Nothing when no key is held or it is marked already.
pub(crate) async fn mark_committed(tx: &mut Tx) -> Result<Option<Claim>> {
    let Ok(claim) = ACTIVE.try_with(Claim::clone) else {
        return Ok(None);
    };
    if claim.committed() {
        return Ok(None);
    }
    // Sent with the transaction's deferred writes (its event and audit entry): it touches only
    // the key's row, which none of them reads or writes.
    let n = tx
        .exec_beside_deferred(
            scope::update::<K>(claim.org)
                .value(K::State, COMMITTED)
                .and_where(Expr::col(K::Credential).eq(claim.credential.as_str()))
                .and_where(Expr::col(K::IdemKey).eq(claim.key.as_str()))
                .and_where(Expr::col(K::Token).eq(claim.token.as_str()))
                .and_where(Expr::col(K::State).eq(IN_FLIGHT))
                .to_owned(),
        )
        .await?;
    if n != 1 {
        return Err(StoreError::Refused(
            "This request's Idempotency-Key was taken over by a retry; nothing was changed.".into(),
        ));
    }
    Ok(Some(claim))
}

/// Whether the running request holds an Idempotency-Key whose change has committed: its answer
/// is then kept by [`IdempotencyRepo::finish`], a durable commit made before the answer is
/// sent.
pub(crate) fn answer_kept_later() -> bool {
    ACTIVE.try_with(Claim::committed).unwrap_or(false)
}

/// Flags `claim` as committed (after its transaction's commit succeeded).
pub(crate) fn committed(claim: Option<Claim>) {
    if let Some(c) = claim {
        c.committed.store(true, Ordering::Release);
    }
}

#[derive(serde::Deserialize)]
struct KeyRow {
    fingerprint: String,
    state: String,
    token: String,
    status_code: Option<i64>,
    response: Option<String>,
    locked_at: i64,
    created_at: i64,
}

/// The Idempotency-Keys of one organisation.
pub struct IdempotencyRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

impl IdempotencyRepo<'_> {
    fn this(&self, credential: &str, key: &str) -> sea_query::SelectStatement {
        scope::select::<K>(self.org)
            .and_where(Expr::col(K::Credential).eq(credential))
            .and_where(Expr::col(K::IdemKey).eq(key))
            .to_owned()
    }

    /// Claims `key` of `credential` for a request whose method, path and body hash to
    /// `fingerprint`, or says why not.
    pub async fn claim(&self, credential: &str, key: &str, fingerprint: &str) -> Result<Claimed> {
        for _ in 0..3 {
            let token = format!("{:032x}", rand::random::<u128>());
            let now = Timestamp::now().0;
            let insert = Query::insert()
                .into_table(K::Table)
                .columns([
                    K::OrgId,
                    K::Credential,
                    K::IdemKey,
                    K::Fingerprint,
                    K::State,
                    K::Token,
                    K::LockedAt,
                    K::CreatedAt,
                ])
                .values_panic([
                    self.org.to_string().into(),
                    credential.into(),
                    key.into(),
                    fingerprint.into(),
                    IN_FLIGHT.into(),
                    token.clone().into(),
                    now.into(),
                    now.into(),
                ])
                .on_conflict(
                    sea_query::OnConflict::columns([K::OrgId, K::Credential, K::IdemKey])
                        .do_nothing()
                        .to_owned(),
                )
                .to_owned();
            let claim = Claim {
                org: self.org,
                credential: credential.to_string(),
                key: key.to_string(),
                token: token.clone(),
                committed: Arc::new(AtomicBool::new(false)),
            };
            if self.db.exec(&insert).await? == 1 {
                return Ok(Claimed::New(claim));
            }
            let found: Option<KeyRow> = self
                .db
                .opt(
                    &self
                        .this(credential, key)
                        .columns([
                            K::Fingerprint,
                            K::State,
                            K::Token,
                            K::StatusCode,
                            K::Response,
                            K::LockedAt,
                            K::CreatedAt,
                        ])
                        .to_owned(),
                )
                .await?;
            let Some(row) = found else { continue };
            if now - row.created_at > KEEP_MS {
                // Expired: forget it and claim afresh.
                self.db
                    .exec(
                        &scope::delete::<K>(self.org)
                            .and_where(Expr::col(K::Credential).eq(credential))
                            .and_where(Expr::col(K::IdemKey).eq(key))
                            .and_where(Expr::col(K::Token).eq(row.token.as_str()))
                            .to_owned(),
                    )
                    .await?;
                continue;
            }
            if row.fingerprint != fingerprint {
                return Ok(Claimed::Reused);
            }
            match row.state.as_str() {
                DONE => {
                    return Ok(Claimed::Replay {
                        status: row.status_code.unwrap_or(200) as u16,
                        body: row.response.unwrap_or_default(),
                    })
                }
                COMMITTED => return Ok(Claimed::Unrecorded),
                _ if now - row.locked_at <= LOCK_MS => return Ok(Claimed::InFlight),
                _ => {
                    // The first request died before changing anything: take the key over.
                    let n = self
                        .db
                        .exec(
                            &scope::update::<K>(self.org)
                                .values([(K::Token, token.into()), (K::LockedAt, now.into())])
                                .and_where(Expr::col(K::Credential).eq(credential))
                                .and_where(Expr::col(K::IdemKey).eq(key))
                                .and_where(Expr::col(K::Token).eq(row.token.as_str()))
                                .and_where(Expr::col(K::State).eq(IN_FLIGHT))
                                .to_owned(),
                        )
                        .await?;
                    if n == 1 {
                        return Ok(Claimed::New(claim));
                    }
                }
            }
        }
        Ok(Claimed::InFlight)
    }

    /// Ends `claim` with the request's answer: kept for replays when its change committed,
    /// else the claim is dropped so the request may be retried.
    pub async fn finish(&self, claim: &Claim, status: u16, body: &str) -> Result<()> {
        let mine = |q: &mut sea_query::UpdateStatement| {
            q.and_where(Expr::col(K::Credential).eq(claim.credential.as_str()))
                .and_where(Expr::col(K::IdemKey).eq(claim.key.as_str()))
                .and_where(Expr::col(K::Token).eq(claim.token.as_str()));
        };
        if claim.committed() {
            let mut q = scope::update::<K>(self.org);
            q.values([
                (K::State, DONE.into()),
                (K::StatusCode, i64::from(status).into()),
                (K::Response, body.into()),
            ]);
            mine(&mut q);
            self.db.exec(&q).await?;
        } else {
            self.db
                .exec(
                    &scope::delete::<K>(self.org)
                        .and_where(Expr::col(K::Credential).eq(claim.credential.as_str()))
                        .and_where(Expr::col(K::IdemKey).eq(claim.key.as_str()))
                        .and_where(Expr::col(K::Token).eq(claim.token.as_str()))
                        .and_where(Expr::col(K::State).eq(IN_FLIGHT))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

impl<'a> crate::OrgScope<'a> {
    pub fn idempotency(&self) -> IdempotencyRepo<'a> {
        IdempotencyRepo {
            db: self.db,
            org: self.org,
        }
    }
}
