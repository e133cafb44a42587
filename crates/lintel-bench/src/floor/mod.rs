//! `lintel-bench floor`: the least work that answers the requests of scenarios 2 and 3.
//!
//! `GET /api/properties/{id}` with `Authorization: Bearer <token>`: the token is compared in
//! constant time with the one known token (no hashing, no key lookup, no plan, no rate limit, no
//! request ID, no metrics, no log line), then one indexed single-row SELECT reads the property
//! and its two unit counts (from Lintel's `unit_counts` counter rows when the schema has them)
//! from the tables Lintel wrote, and the row goes out in Lintel's envelope with the same fields.
//! `GET /api/units?page=1&pageSize=20`: the same check, then one SELECT reads the page's units
//! and the organisation's unit count (see `units.rs`), and the page goes out as Lintel shows it.
//! Same pool size as Lintel's. `--with-lookup` / `--with-touch` add Lintel's other statements
//! one by one, to measure what each costs.

mod backend;
mod row;
mod units;

use std::sync::Arc;

use anyhow::Context;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use clap::Args;
use subtle::ConstantTimeEq;

pub use backend::sqlite_path;
use backend::{Backend, Extras};

#[derive(Args)]
pub struct FloorArgs {
    /// The database Lintel's seed wrote: `sqlite://path/file.db` or `postgres://…`.
    #[arg(long)]
    db: String,
    /// The one bearer token accepted.
    #[arg(long, env = "FLOOR_TOKEN")]
    token: String,
    /// The organisation whose properties and units are served.
    #[arg(long)]
    org: String,
    #[arg(long, default_value = "127.0.0.1:18090")]
    bind: String,
    /// Connections in the pool (Lintel's default is 16).
    #[arg(long, default_value_t = 16)]
    pool: usize,
    /// Ablation: also run Lintel's API-key lookup (SHA-256 of the token, then the SELECT).
    #[arg(long)]
    with_lookup: bool,
    /// Ablation: also run Lintel's "last used" UPDATE of the key.
    #[arg(long)]
    with_touch: bool,
}

struct Floor {
    token: Vec<u8>,
    hash: String,
    org: String,
    db: Backend,
    extras: Extras,
}

pub fn run(a: FloorArgs) -> anyhow::Result<()> {
    crate::runtime()?.block_on(async move {
        let db = Backend::open(&a.db, a.pool).await?;
        let state = Arc::new(Floor {
            hash: lintel_app::identity::secrets::lookup_hash(&a.token),
            token: a.token.into_bytes(),
            org: a.org,
            db,
            extras: Extras {
                lookup: a.with_lookup,
                touch: a.with_touch,
            },
        });
        let app = Router::new()
            .route(
                "/api/health",
                get(|| async {
                    json(
                        StatusCode::OK,
                        r#"{"success":true,"data":{"status":"ok"}}"#.into(),
                    )
                }),
            )
            .route("/api/properties/{id}", get(property))
            .route("/api/units", get(units_page))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(&a.bind)
            .await
            .with_context(|| format!("cannot listen on {}", a.bind))?;
        eprintln!("floor listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}

fn json(status: StatusCode, body: String) -> Response {
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

fn authorised(headers: &HeaderMap, token: &[u8]) -> bool {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return false;
    };
    let v = v.as_bytes();
    let Some(given) = v.strip_prefix(b"Bearer ") else {
        return false;
    };
    given.len() == token.len() && bool::from(given.ct_eq(token))
}

fn unauthorised() -> Response {
    json(
        StatusCode::UNAUTHORIZED,
        r#"{"success":false,"code":"UNAUTHORIZED","error":"Authentication required."}"#.into(),
    )
}

fn failed(e: anyhow::Error) -> Response {
    eprintln!("floor: query failed: {e:#}");
    json(
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"success":false,"code":"INTERNAL_ERROR","error":"Internal error."}"#.into(),
    )
}

async fn property(
    State(f): State<Arc<Floor>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers, &f.token) {
        return unauthorised();
    }
    let row = match f.db.extras(f.extras, &f.hash).await {
        Ok(()) => f.db.property(&f.org, &id).await,
        Err(e) => Err(e),
    };
    match row {
        Ok(Some(row)) => json(StatusCode::OK, row.envelope()),
        Ok(None) => json(
            StatusCode::NOT_FOUND,
            r#"{"success":false,"code":"NOT_FOUND","error":"Property not found."}"#.into(),
        ),
        Err(e) => failed(e),
    }
}

async fn units_page(
    State(f): State<Arc<Floor>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers, &f.token) {
        return unauthorised();
    }
    let Some(size) = units::page_size(query.as_deref()) else {
        return json(
            StatusCode::BAD_REQUEST,
            r#"{"success":false,"code":"VALIDATION_ERROR","error":"The floor serves page 1 of the unfiltered list only (pageSize 1-100)."}"#.into(),
        );
    };
    let rows = match f.db.extras(f.extras, &f.hash).await {
        Ok(()) => f.db.units(&f.org, size).await,
        Err(e) => Err(e),
    };
    match rows {
        Ok(rows) => json(StatusCode::OK, units::envelope(&rows, size)),
        Err(e) => failed(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let mut h = HeaderMap::new();
        assert!(!authorised(&h, b"lk_secret"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer lk_secret"),
        );
        assert!(authorised(&h, b"lk_secret"));
        assert!(!authorised(&h, b"lk_secreT"));
        assert!(!authorised(&h, b"lk_secret2"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic lk_secret"),
        );
        assert!(!authorised(&h, b"lk_secret"));
    }
}
