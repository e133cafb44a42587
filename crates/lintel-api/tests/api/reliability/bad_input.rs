//! Bad-input battery (OWASP API4 resource consumption, API8 misconfiguration/injection) over
//! every operation of the committed `openapi.json`, on both backends. Cases are generated from
//! the document (see `reliability/cases.rs`, `reliability/body_cases.rs` and
//! `reliability/multipart_cases.rs`): bad path segments, query values and credentials,
//! malformed bodies, a bad value in every body field, and bad uploads. Every answer must be a
//! 4xx in the error envelope with a useful message (or, for odd but valid input such as SQL in
//! a name, a success that stores it verbatim) — never a 5xx — and a rejected request must leave
//! every table and the stored files exactly as they were. No answer names a Rust type
//! (`struct UnitInput`, `i64`): messages say what JSON was expected.

use super::cases::{generate, Case, Ctx, Expect};
use super::coverage::untested_bodies;
use super::fixtures::{Fixtures, OtherOrg};
use super::multipart_cases::UPLOAD_LIMIT;
use super::probe::Probe;
use super::spec::Spec;
use super::{envelope_problem, rust_type_named, short};
use crate::support::*;
use axum::http::Method;
use lintel_api::ApiConfig;
use serde_json::Value;

/// The battery must stay at least this large.
const MIN_CASES: usize = 200;

/// No rate limits, and a small upload limit so the oversized file is cheap to send.
fn config() -> ApiConfig {
    let mut config = unlimited_config();
    config.documents.max_upload_bytes = UPLOAD_LIMIT;
    config
}

fn rejected(r: &Resp, statuses: &[u16], also: &[u16]) -> Option<String> {
    let status = r.status.as_u16();
    if !statuses.contains(&status) && !also.contains(&status) {
        let want = format!("{statuses:?}");
        return Some(format!("want {want}, got {} {}", r.status, short(&r.text)));
    }
    envelope_problem(r)
}

/// Whether a success answer matched nothing (an empty list, or no items on the page).
fn matched_nothing(body: &Value) -> bool {
    let data = &body["data"];
    let items = data.get("items").unwrap_or(data);
    items.as_array().is_some_and(Vec::is_empty)
}

/// What is wrong with the answer to `c`, if anything; `wrote` says whether the tables changed.
fn judge(c: &Case, r: &Resp, wrote: bool) -> Option<String> {
    let status = r.status.as_u16();
    if r.status.is_server_error() {
        return Some(format!("server error {status}: {}", short(&r.text)));
    }
    let success = r.status.is_success();
    let problem = match &c.expect {
        Expect::Status(s) => rejected(r, &[*s], &[]),
        Expect::Field(f) => rejected(r, &[422], &[]).or_else(|| {
            let fields = r.fields();
            (!fields.contains(f)).then(|| format!("422 on {fields:?}, not on {f}"))
        }),
        Expect::Stored(_) if r.status.as_u16() != 201 => {
            Some(format!("want 201, got {} {}", r.status, short(&r.text)))
        }
        Expect::Stored(name) => (r.data()["name"] != name.as_str())
            .then(|| format!("stored as {}, not {name:?}", r.data()["name"])),
        Expect::Invalid => rejected(r, &[400, 422], &c.also_rejects),
        Expect::MayAccept { echo } if success => {
            let echoed = |e: &String| r.text.contains(&Value::from(e.as_str()).to_string());
            match echo.as_ref().filter(|e| !e.is_empty()) {
                Some(e) if !echoed(e) => Some(format!("accepted but not stored verbatim: {e:?}")),
                _ => (r.body["success"] != true).then(|| format!("no envelope: {}", r.text)),
            }
        }
        Expect::MayAccept { .. } => rejected(r, &[400, 409, 422], &c.also_rejects),
        Expect::NoMatch if success && !matched_nothing(&r.body) => {
            Some(format!("odd filter matched records: {}", short(&r.text)))
        }
        Expect::NoMatch if success => None,
        Expect::NoMatch if c.redirects && (300..400).contains(&status) => None,
        Expect::NoMatch => rejected(r, &[400, 404, 422], &c.also_rejects),
        Expect::Documented { field } => {
            let named = r.fields().contains(field)
                || (status == 400 && r.body["error"].as_str().unwrap_or("").contains(field));
            // A currency the schema lists, but not the one of the record the body names (a
            // charge's amount in its lease's currency, a refund in its payment's): a rule across
            // records, not a refusal of the documented value.
            let other_record = r.body["details"].as_array().into_iter().flatten().all(|d| {
                d["message"].as_str().is_some_and(|m| {
                    m.starts_with("must be the lease's currency")
                        || m.starts_with("must be the payment's currency")
                })
            });
            (named && !other_record)
                .then(|| format!("a documented value is refused: {}", short(&r.text)))
        }
    };
    let problem = problem.or_else(|| {
        let rust = rust_type_named(&r.body);
        rust.map(|w| format!("the answer names a Rust type, not JSON: {w}"))
    });
    problem.or_else(|| match (c.method == Method::GET, success, wrote) {
        (false, false, true) => Some("rejected, yet the tables changed".into()),
        // Every accepted write leaves at least its audit entry: proves the probe sees writes.
        (false, true, false) => Some("accepted, yet the tables show no write".into()),
        _ => None,
    })
}

backend_test_with!(bad_input_is_rejected_cleanly, config(), |app| {
    let spec = Spec::load();
    let fx = Fixtures::build(&app).await;
    let b = OtherOrg::build(&app).await;
    let cases = generate(&Ctx {
        spec: &spec,
        fx: &fx,
        b: &b,
    });
    let untested = untested_bodies(&spec, &cases);
    assert!(
        untested.is_empty(),
        "request bodies the battery does not test:\n  {}",
        untested.join("\n  ")
    );
    let mut probe = Probe::open(&app).await;
    let mut problems = Vec::new();
    let mut kinds: Vec<(&str, usize, usize)> = Vec::new();
    let mut accepted = 0;
    for c in &cases {
        let write = c.method != Method::GET;
        let before = if write {
            Some(probe.fingerprint().await)
        } else {
            None
        };
        let (method, ct) = (c.method.clone(), c.content_type.as_deref());
        let r = app
            .raw_as(method, &c.uri, &c.client, ct, c.body.clone())
            .await;
        let mut wrote = false;
        if let Some(before) = before {
            let after = probe.fingerprint().await;
            wrote = before != after;
            if wrote && !r.status.is_success() {
                let diff = before.diff(&after);
                problems.push(format!("{} [{}]: tables changed: {diff}", c.op, c.what));
            }
        }
        accepted += usize::from(r.status.is_success());
        let bad = judge(c, &r, wrote);
        match kinds.iter_mut().find(|k| k.0 == c.kind) {
            Some(k) => {
                k.1 += 1;
                k.2 += usize::from(bad.is_some());
            }
            None => kinds.push((c.kind, 1, usize::from(bad.is_some()))),
        }
        if let Some(p) = bad {
            problems.push(format!("{} [{}] {}: {p}", c.op, c.kind, c.what));
        }
    }
    // The fixtures' tables are all still there (no statement ran the SQL it was given).
    let units = app.get("/api/units", &fx.org.admin).await;
    assert!(units.status.is_success(), "{}", units.text);

    eprintln!(
        "[{}] {} bad-input cases over {} operations ({accepted} odd-but-valid accepted):",
        app.backend,
        cases.len(),
        spec.ops.len()
    );
    for (kind, n, failed) in &kinds {
        eprintln!("  {n:>5}  {kind} ({failed} failed)");
    }
    assert!(cases.len() >= MIN_CASES, "only {} cases", cases.len());
    assert!(
        problems.is_empty(),
        "{} of {} cases answered wrongly:\n  {}",
        problems.len(),
        cases.len(),
        problems.join("\n  ")
    );
});
