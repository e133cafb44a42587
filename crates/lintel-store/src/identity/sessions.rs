use lintel_domain::identity::access::SessionInfo;
use lintel_domain::{OrgId, SessionId, Timestamp, UserId};
use sea_query::{Expr, Order, Query};

use crate::db::Db;
use crate::error::{parse_col, Result, StoreError};
use crate::identity::schema::Sessions as S;

/// A session to be stored: only hashes of its secrets are kept.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: UserId,
    pub token_hash: String,
    pub csrf_hash: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub expires_at: Timestamp,
}

#[derive(serde::Deserialize)]
struct SessionRow {
    id: String,
    user_agent: Option<String>,
    ip: Option<String>,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
}

/// Browser sessions. A session belongs to a user and works in one of their organisations at a
/// time (its current organisation, the scope it is created in). Session changes are not audited
/// as entity writes: they are sign-ins, not data.
pub struct SessionRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

impl SessionRepo<'_> {
    /// Starts a session in this organisation, which becomes the one the user last worked in.
    pub async fn create(&self, new: NewSession) -> Result<SessionId> {
        let id = SessionId::new();
        let now = Timestamp::now().0;
        let user = new.user_id;
        let new = &new;
        self.db
            .write(move |mut tx| async move {
                tx.exec(
                    &Query::insert()
                        .into_table(S::Table)
                        .columns([
                            S::Id,
                            S::OrgId,
                            S::UserId,
                            S::TokenHash,
                            S::CsrfHash,
                            S::UserAgent,
                            S::Ip,
                            S::CreatedAt,
                            S::LastSeenAt,
                            S::ExpiresAt,
                        ])
                        .values_panic([
                            id.to_string().into(),
                            self.org.to_string().into(),
                            new.user_id.to_string().into(),
                            new.token_hash.clone().into(),
                            new.csrf_hash.clone().into(),
                            new.user_agent.clone().into(),
                            new.ip.clone().into(),
                            now.into(),
                            now.into(),
                            new.expires_at.0.into(),
                        ])
                        .to_owned(),
                )
                .await?;
                super::accounts::set_last_org(&mut tx, user, self.org).await?;
                tx.commit().await?;
                Ok(id)
            })
            .await
    }

    /// The user's unexpired sessions in any organisation, newest first; `current` marks the
    /// caller's own.
    pub async fn list_for(
        &self,
        user: UserId,
        current: Option<SessionId>,
    ) -> Result<Vec<SessionInfo>> {
        let rows: Vec<SessionRow> = self
            .db
            .all(
                // across organisations: a person's sessions, whichever organisation each works in.
                &Query::select()
                    .columns([
                        S::Id,
                        S::UserAgent,
                        S::Ip,
                        S::CreatedAt,
                        S::LastSeenAt,
                        S::ExpiresAt,
                    ])
                    .from(S::Table)
                    .and_where(Expr::col(S::UserId).eq(user.to_string()))
                    .and_where(Expr::col(S::ExpiresAt).gt(Timestamp::now().0))
                    .order_by(S::Id, Order::Desc)
                    .limit(100)
                    .to_owned(),
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let id: SessionId = parse_col("sessions.id", &r.id)?;
                Ok(SessionInfo {
                    id,
                    user_agent: r.user_agent,
                    ip: r.ip,
                    created_at: Timestamp(r.created_at),
                    last_seen_at: Timestamp(r.last_seen_at),
                    expires_at: Timestamp(r.expires_at),
                    current: Some(id) == current,
                })
            })
            .collect()
    }

    /// Ends one of the user's sessions (in any organisation); another user's is NotFound.
    pub async fn revoke(&self, user: UserId, id: SessionId) -> Result<()> {
        let n = self
            .db
            .exec(
                // across organisations: a person's sessions, whichever organisation each works in.
                &Query::delete()
                    .from_table(S::Table)
                    .and_where(Expr::col(S::UserId).eq(user.to_string()))
                    .and_where(Expr::col(S::Id).eq(id.to_string()))
                    .to_owned(),
            )
            .await?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }
}

impl<'a> crate::OrgScope<'a> {
    pub fn sessions(&self) -> SessionRepo<'a> {
        SessionRepo {
            db: self.db,
            org: self.org,
        }
    }
}
