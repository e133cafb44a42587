//! The floor's database access: rusqlite on SQLite (the statement runs inline on the async worker,
//! no thread hand-off), tokio-postgres behind a deadpool pool on PostgreSQL; prepared statements
//! cached per connection on both.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Context;
use deadpool_postgres::{ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use super::row::{columns, PropertyRow};
use super::units::{self, UnitRow};

pub enum Backend {
    Sqlite {
        conns: Vec<Mutex<rusqlite::Connection>>,
        next: AtomicUsize,
        sql: String,
        units: String,
    },
    Postgres {
        pool: Pool,
        sql: String,
        units: String,
    },
}

/// Lintel's two other statements per API-key request, for the ablation runs (`--with-lookup`,
/// `--with-touch`): the key lookup joined with the organisation's plan, and the "last used"
/// UPDATE that matches no row while the key was used in the last minute.
const LOOKUP: &str = "SELECT k.id, k.org_id, k.role, o.plan, k.revoked_at FROM api_keys k \
    LEFT JOIN organisations o ON o.id = k.org_id WHERE k.secret_hash = $1";
const TOUCH: &str = "UPDATE api_keys SET last_used_at = $1 WHERE secret_hash = $2 \
    AND (last_used_at IS NULL OR last_used_at < $3)";

/// Which of Lintel's extra statements the floor also runs.
#[derive(Clone, Copy, Default)]
pub struct Extras {
    pub lookup: bool,
    pub touch: bool,
}

/// The file of a `sqlite://path?opts` (or `sqlite:path`) URL.
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split('?').next().unwrap_or(rest))
}

/// A deadpool pool of `size` tokio-postgres clients.
fn pg_pool(url: &str, size: usize) -> anyhow::Result<Pool> {
    let mut cfg = deadpool_postgres::Config::new();
    cfg.url = Some(url.to_string());
    cfg.manager = Some(ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    });
    cfg.pool = Some(deadpool_postgres::PoolConfig::new(size));
    cfg.create_pool(Some(Runtime::Tokio1), NoTls)
        .context("creating the PostgreSQL pool")
}

impl Backend {
    pub async fn open(url: &str, size: usize) -> anyhow::Result<Backend> {
        if let Some(path) = sqlite_path(url) {
            let conns = (0..size.max(1))
                .map(|_| {
                    let c = rusqlite::Connection::open_with_flags(
                        path,
                        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )?;
                    c.busy_timeout(std::time::Duration::from_secs(10))?;
                    Ok(Mutex::new(c))
                })
                .collect::<rusqlite::Result<Vec<_>>>()
                .with_context(|| format!("opening {path}"))?;
            let counters: i64 = conns[0]
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'unit_counts'",
                [],
                |r| r.get(0),
            )?;
            let sql = format!(
                "SELECT {} FROM properties p WHERE p.org_id = ?1 AND p.id = ?2",
                columns(counters > 0)
            );
            return Ok(Backend::Sqlite {
                conns,
                next: AtomicUsize::new(0),
                sql,
                units: units::sql(counters > 0, false),
            });
        }
        let pool = pg_pool(url, size)?;
        // Fail now, not at the first request, when the database cannot be reached.
        let client = pool.get().await.context("connecting to PostgreSQL")?;
        let counters: bool = client
            .query_one("SELECT to_regclass('unit_counts') IS NOT NULL", &[])
            .await?
            .get(0);
        drop(client);
        let sql = format!(
            "SELECT {} FROM properties p WHERE p.org_id = $1 AND p.id = $2",
            columns(counters)
        );
        Ok(Backend::Postgres {
            pool,
            sql,
            units: units::sql(counters, true),
        })
    }

    /// Runs the statements `extras` names (no-op by default).
    pub async fn extras(&self, extras: Extras, hash: &str) -> anyhow::Result<()> {
        let now = chrono::Utc::now().timestamp_millis();
        let (then, lookup, touch) = (now - 60_000, extras.lookup, extras.touch);
        match self {
            Backend::Sqlite { conns, next, .. } => {
                let i = next.fetch_add(1, Ordering::Relaxed) % conns.len();
                let conn = conns[i].lock().unwrap_or_else(|p| p.into_inner());
                if lookup {
                    let mut st = conn.prepare_cached(&LOOKUP.replace('$', "?"))?;
                    let mut rows = st.query([hash])?;
                    while rows.next()?.is_some() {}
                }
                if touch {
                    let mut st = conn.prepare_cached(&TOUCH.replace('$', "?"))?;
                    st.execute(rusqlite::params![now, hash, then])?;
                }
            }
            Backend::Postgres { pool, .. } => {
                let client = pool.get().await?;
                if lookup {
                    let st = client.prepare_cached(LOOKUP).await?;
                    client.query_opt(&st, &[&hash]).await?;
                }
                if touch {
                    let st = client.prepare_cached(TOUCH).await?;
                    client.execute(&st, &[&now, &hash, &then]).await?;
                }
            }
        }
        Ok(())
    }

    pub async fn property(&self, org: &str, id: &str) -> anyhow::Result<Option<PropertyRow>> {
        match self {
            Backend::Sqlite {
                conns, next, sql, ..
            } => {
                let i = next.fetch_add(1, Ordering::Relaxed) % conns.len();
                let conn = conns[i].lock().unwrap_or_else(|p| p.into_inner());
                let mut stmt = conn.prepare_cached(sql)?;
                let mut rows = stmt.query([org, id])?;
                let Some(r) = rows.next()? else {
                    return Ok(None);
                };
                Ok(Some(PropertyRow {
                    id: r.get(0)?,
                    org_id: r.get(1)?,
                    building_id: r.get(2)?,
                    name: r.get(3)?,
                    kind: r.get(4)?,
                    status: r.get(5)?,
                    address_line1: r.get(6)?,
                    address_line2: r.get(7)?,
                    city: r.get(8)?,
                    region: r.get(9)?,
                    postal_code: r.get(10)?,
                    country: r.get(11)?,
                    description: r.get(12)?,
                    archived_at: r.get(13)?,
                    created_at: r.get(14)?,
                    updated_at: r.get(15)?,
                    units_count: r.get(16)?,
                    occupied_units: r.get(17)?,
                }))
            }
            Backend::Postgres { pool, sql, .. } => {
                let client = pool.get().await?;
                let stmt = client.prepare_cached(sql).await?;
                let Some(r) = client.query_opt(&stmt, &[&org, &id]).await? else {
                    return Ok(None);
                };
                Ok(Some(PropertyRow {
                    id: r.try_get(0)?,
                    org_id: r.try_get(1)?,
                    building_id: r.try_get(2)?,
                    name: r.try_get(3)?,
                    kind: r.try_get(4)?,
                    status: r.try_get(5)?,
                    address_line1: r.try_get(6)?,
                    address_line2: r.try_get(7)?,
                    city: r.try_get(8)?,
                    region: r.try_get(9)?,
                    postal_code: r.try_get(10)?,
                    country: r.try_get(11)?,
                    description: r.try_get(12)?,
                    archived_at: r.try_get(13)?,
                    created_at: r.try_get(14)?,
                    updated_at: r.try_get(15)?,
                    units_count: r.try_get(16)?,
                    occupied_units: r.try_get(17)?,
                }))
            }
        }
    }

    /// The first `size` units of the organisation, each with the organisation's unit count.
    pub async fn units(&self, org: &str, size: u32) -> anyhow::Result<Vec<UnitRow>> {
        let limit = i64::from(size);
        match self {
            Backend::Sqlite {
                conns, next, units, ..
            } => {
                let i = next.fetch_add(1, Ordering::Relaxed) % conns.len();
                let conn = conns[i].lock().unwrap_or_else(|p| p.into_inner());
                let mut stmt = conn.prepare_cached(units)?;
                let mut rows = stmt.query(rusqlite::params![org, limit])?;
                let mut out = Vec::with_capacity(size as usize);
                while let Some(r) = rows.next()? {
                    out.push(UnitRow {
                        id: r.get(0)?,
                        org_id: r.get(1)?,
                        property_id: r.get(2)?,
                        name: r.get(3)?,
                        suite: r.get(4)?,
                        unit_type: r.get(5)?,
                        bedrooms: r.get(6)?,
                        bathrooms: r.get(7)?,
                        area_sqft: r.get(8)?,
                        rent_minor: r.get(9)?,
                        rent_currency: r.get(10)?,
                        furnishing: r.get(11)?,
                        storage: r.get(12)?,
                        parking_stalls: r.get(13)?,
                        max_occupancy: r.get(14)?,
                        status: r.get(15)?,
                        description: r.get(16)?,
                        created_at: r.get(17)?,
                        updated_at: r.get(18)?,
                        total: r.get(19)?,
                    });
                }
                Ok(out)
            }
            Backend::Postgres { pool, units, .. } => {
                let client = pool.get().await?;
                let stmt = client.prepare_cached(units).await?;
                let rows = client.query(&stmt, &[&org, &limit]).await?;
                rows.iter()
                    .map(|r| {
                        Ok(UnitRow {
                            id: r.try_get(0)?,
                            org_id: r.try_get(1)?,
                            property_id: r.try_get(2)?,
                            name: r.try_get(3)?,
                            suite: r.try_get(4)?,
                            unit_type: r.try_get(5)?,
                            bedrooms: r.try_get(6)?,
                            bathrooms: r.try_get(7)?,
                            area_sqft: r.try_get(8)?,
                            rent_minor: r.try_get(9)?,
                            rent_currency: r.try_get(10)?,
                            furnishing: r.try_get(11)?,
                            storage: r.try_get(12)?,
                            parking_stalls: r.try_get(13)?,
                            max_occupancy: r.try_get(14)?,
                            status: r.try_get(15)?,
                            description: r.try_get(16)?,
                            created_at: r.try_get(17)?,
                            updated_at: r.try_get(18)?,
                            total: r.try_get(19)?,
                        })
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_path("sqlite://.bench/a.db"), Some(".bench/a.db"));
        assert_eq!(sqlite_path("sqlite:a.db?mode=rwc"), Some("a.db"));
        assert_eq!(sqlite_path("postgres://x/y"), None);
    }
}
