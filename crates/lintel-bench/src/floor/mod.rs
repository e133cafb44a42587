//! `lintel-bench floor`: the least work that answers scenario 2's request.
//!
//! `GET /api/properties/{id}` with `Authorization: Bearer <token>`: the token is compared in
//! constant time with the one known token (no hashing, no key lookup, no plan, no rate limit, no
//! request ID, no metrics, no log line), then one indexed single-row SELECT reads the property
//! and its two unit counts (from Lintel's `unit_counts` counter rows when the schema has them)
//! from the tables Lintel wrote, and the row goes out in Lintel's envelope with the same fields.
//! Same pool size as Lintel's. `--with-lookup` / `--with-touch` add Lintel's other statements
//! one by one, to measure what each costs.

mod backend;
mod row;

use std::sync::Arc;

use anyhow::Context;
use axum::extract::{Path, State};
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
    /// The organisation whose properties are served.
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

async fn property(
    State(f): State<Arc<Floor>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers, &f.token) {
        return json(
            StatusCode::UNAUTHORIZED,
            r#"{"success":false,"code":"UNAUTHORIZED","error":"Authentication required."}"#.into(),
        );
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
        Err(e) => {
            eprintln!("floor: query failed: {e:#}");
            json(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"success":false,"code":"INTERNAL_ERROR","error":"Internal error."}"#.into(),
            )
        }
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
