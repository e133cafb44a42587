//! Authorisation sweep (OWASP API1 broken object-level and API5 function-level authorisation)
//! over EVERY operation of the committed `openapi.json`, on both backends:
//!
//! - no credentials, a made-up API key or a made-up session cookie: 401;
//! - each role below the operation's `x-required-role`: 403 `Forbidden: requires {role} role or
//!   higher`, by session and by API key; below `x-required-plan`: 403 PLAN_UPGRADE_REQUIRED;
//! - organisation B's admin (session and key) on organisation A's IDs, in the path or in an
//!   otherwise valid body (a document attached to A's property, a lease of A's unit): 404 and
//!   none of A's IDs or names in the answer, and 404 for a read of their own record
//!   (`/api/me/tenant`); B's lists show none of A's data; afterwards A's records, credentials
//!   and audit trail are unchanged; records of one person (sessions, notifications) are
//!   strangers to A's other users too;
//! - and, as the control that gives those answers meaning, the exact required role succeeds.
//!
//! Path parameters are filled by their schema type (`PropertyId`, `UnitId`, …; a few operations
//! get a record of their own, see [`Fixtures::param_id`]) and bodies by their schema name, as
//! JSON or a multipart form by their media type; an operation the sweep cannot fill fails the
//! test by name.

use super::bodies;
use super::coverage::{stable, uncovered};
use super::fixtures::{Fixtures, OtherOrg};
use super::spec::{fill_path, ref_name, Operation, Spec};
use super::{envelope_problem, short};
use crate::support::*;
use axum::http::{Method, StatusCode};
use lintel_api::auth::secrets;
use lintel_domain::{Plan, Role};
use serde_json::Value;

/// The operations that need no credentials, listed on purpose: a route that becomes public must
/// be added here by hand, and any difference from the document's `x-public` fails the sweep.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/api/health"),
    ("GET", "/api/ready"),
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/auth/signout"),
    ("POST", "/api/auth/signout"),
    ("GET", "/api/auth/callback"),
    ("POST", "/api/auth/accept-invite"),
    ("GET", "/api/documents/{id}/download"),
    ("POST", "/api/webhooks/stripe"),
];

/// Path-parameter types whose records belong to one user, not the whole organisation: another
/// user of the same organisation is as much a stranger to them as organisation B.
const USER_OWNED: &[&str] = &["SessionId", "NotificationId"];

/// Whether the operation reads the caller's own record (`/api/me/…`, their tenant profile):
/// organisation B's admin has none in A, and must find nothing there (404).
fn own_record(op: &Operation) -> bool {
    op.is_read() && op.path.starts_with("/api/me/")
}

struct Sweep<'a> {
    app: &'a TestApp,
    spec: Spec,
    fx: Fixtures,
    b: OtherOrg,
    problems: Vec<String>,
    checks: Vec<(&'static str, usize)>,
}

impl Sweep<'_> {
    /// The operation's URI with A's fixtures in its path (and the query it needs).
    fn uri(&self, op: &Operation) -> String {
        let path = fill_path(&op.path, |name| {
            self.fx
                .param_id(op, name)
                .unwrap_or_else(|| format!("no-fixture-for-{name}"))
        });
        format!("{path}{}", bodies::query(op, &self.fx))
    }

    async fn send(&self, op: &Operation, client: &Client) -> Resp {
        let uri = self.uri(op);
        let (content_type, body) = bodies::request(op, &self.fx).unzip();
        let (method, ct) = (op.method.clone(), content_type.as_deref());
        // Stripe's webhook takes only events signed with the endpoint's secret.
        let signature = (op.path == "/api/webhooks/stripe").then(|| {
            let t = chrono::Utc::now().timestamp();
            stripe_signature(STRIPE_SECRETS[1], t, body.as_deref().unwrap_or_default())
        });
        let extra: Vec<(&str, &str)> = signature
            .iter()
            .map(|s| ("stripe-signature", s.as_str()))
            .collect();
        self.app
            .raw_with(method, &uri, client, ct, body, &extra)
            .await
    }

    /// Whether the operation's valid body names one of A's records (the record a document is
    /// attached to, the organisation to switch to): sent by B, it must find nothing.
    fn body_names_a(&self, op: &Operation) -> bool {
        let body = bodies::request(op, &self.fx).map(|(_, b)| b);
        body.is_some_and(|b| !self.fx.leaks(&String::from_utf8_lossy(&b)).is_empty())
    }

    fn count(&mut self, phase: &'static str) {
        match self.checks.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, n)) => *n += 1,
            None => self.checks.push((phase, 1)),
        }
    }

    /// Records a problem unless `r` is the error `status` with `code` (and `message`, if given).
    fn expect_error(
        &mut self,
        op: &Operation,
        who: &str,
        r: &Resp,
        status: StatusCode,
        code: &str,
        message: Option<&str>,
    ) {
        let label = op.label();
        if r.status != status || r.code() != code {
            let got = format!("{} {}", r.status.as_u16(), short(&r.text));
            let want = format!("{} {code}", status.as_u16());
            self.problems
                .push(format!("{label} as {who}: want {want}, got {got}"));
        } else if let Some(problem) = envelope_problem(r) {
            self.problems.push(format!("{label} as {who}: {problem}"));
        } else if let Some(m) = message.filter(|m| r.body["message"] != *m) {
            let got = &r.body["message"];
            let p = format!("{label} as {who}: message {got}, want {m:?}");
            self.problems.push(p);
        }
    }

    fn expect_no_leak(&mut self, op: &Operation, who: &str, r: &Resp) {
        let leaks = self.fx.leaks(&r.text);
        if !leaks.is_empty() {
            let label = op.label();
            let p = format!("{label} as {who} shows organisation A's data {leaks:?}");
            self.problems.push(p);
        }
        if r.status.is_server_error() {
            let p = format!("{} as {who}: {}", op.label(), short(&r.text));
            self.problems.push(p);
        }
    }
}

/// A's view of its own records and trail: what the cross-organisation phase must not change.
async fn snapshot(s: &Sweep<'_>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for op in s
        .spec
        .ops
        .iter()
        .filter(|o| o.is_read() && o.has_path_ids())
    {
        let r = s.app.get(&s.uri(op), &s.fx.org.admin).await;
        out.push((op.label(), stable(r.body)));
    }
    let audit = s.app.get("/api/audit-log", &s.fx.org.admin).await;
    out.push(("audit total".into(), audit.data()["total"].clone()));
    for (name, client) in [(
        "the untouched API key",
        Client::Key(s.fx.api_key_secret.clone()),
    )]
    .into_iter()
    .chain([("the untouched session", s.fx.session_client.clone())])
    {
        let r = s.app.get("/api/auth/session", &client).await;
        out.push((name.into(), Value::from(r.status.as_u16())));
    }
    out
}

async fn unauthenticated(s: &mut Sweep<'_>, op: &Operation) {
    let bogus = [
        ("no credentials", Client::Anon),
        (
            "a made-up API key",
            Client::Key(format!("lk_{}", "x".repeat(43))),
        ),
        (
            "a made-up session",
            Client::SessionNoCsrf {
                cookie: secrets::random_token(),
            },
        ),
    ];
    for (who, client) in bogus {
        let r = s.send(op, &client).await;
        s.expect_error(op, who, &r, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", None);
        s.count("401 without valid credentials");
    }
}

async fn below_role(s: &mut Sweep<'_>, op: &Operation, pro: &(Client, Client)) {
    let Some(min) = op.min_role() else { return };
    let message = format!("Forbidden: requires {min} role or higher");
    for role in Role::below(min) {
        let rc = s.fx.role(role);
        let mut clients = vec![(format!("{role} (session)"), rc.session.clone())];
        if op.bearer {
            clients.push((format!("{role} (API key)"), rc.key.clone()));
        }
        for (who, client) in clients {
            let r = s.send(op, &client).await;
            let m = Some(message.as_str());
            s.expect_error(op, &who, &r, StatusCode::FORBIDDEN, "FORBIDDEN", m);
            s.count("403 below the required role");
        }
    }
    if op.plan.is_some() {
        let r = s.send(op, &pro.0).await;
        let (status, code) = (StatusCode::FORBIDDEN, "PLAN_UPGRADE_REQUIRED");
        s.expect_error(op, "a PRO admin", &r, status, code, None);
        s.count("403 below the required plan");
    }
    if op.bearer {
        // API access itself is a BUSINESS feature: a key of a PRO organisation never works.
        let r = s.send(op, &pro.1).await;
        let (status, code) = (StatusCode::FORBIDDEN, "PLAN_UPGRADE_REQUIRED");
        s.expect_error(op, "a PRO organisation's key", &r, status, code, None);
        s.count("403 below the required plan");
    }
}

async fn cross_org(s: &mut Sweep<'_>, op: &Operation) {
    let names_a = s.body_names_a(op);
    if !op.has_path_ids() && !op.is_read() && !names_a {
        // A create that names none of A's records only writes into the caller's organisation.
        s.count("cross-organisation: creates (role/anon only)");
        return;
    }
    let mut clients = vec![
        (
            "organisation B's admin (session)",
            s.b.org.admin.clone(),
            true,
        ),
        (
            "organisation B's admin (API key)",
            s.b.key.clone(),
            op.bearer,
        ),
    ];
    let user_owned = op
        .path_params()
        .any(|p| ref_name(&p.schema).is_some_and(|r| USER_OWNED.contains(&r)));
    if user_owned {
        clients.push(("another user of A (admin)", s.fx.org.admin.clone(), true));
    }
    for (who, client, applicable) in clients {
        let r = s.send(op, &client).await;
        if !who.contains("of A") {
            s.expect_no_leak(op, who, &r);
        }
        if !applicable {
            let (status, code) = (StatusCode::FORBIDDEN, "NOT_APPLICABLE");
            s.expect_error(op, who, &r, status, code, None);
        } else if op.has_path_ids()
            || names_a
            || own_record(op)
            || op.query_params().any(|p| {
                // A's records named in the query: `ids`, or a required reference (a receipt's
                // `paymentId`).
                p.name == "ids" || (p.required && ref_name(&p.schema).is_some())
            })
        {
            s.expect_error(op, who, &r, StatusCode::NOT_FOUND, "NOT_FOUND", None);
        } else if !r.status.is_success() {
            let p = format!("{} as {who}: {}", op.label(), short(&r.text));
            s.problems.push(p);
        }
        s.count("cross-organisation: 404 / no data");
    }
}

/// The control: the exact required role (or nobody, for public operations) succeeds, and A's own
/// reads show A's data (so the no-leak checks above could have failed).
async fn allowed(s: &mut Sweep<'_>, op: &Operation) {
    let (who, client) = match op.min_role() {
        Some(role) => (format!("{role}"), s.fx.role(role).session.clone()),
        None => ("anyone".to_string(), Client::Anon),
    };
    let r = s.send(op, &client).await;
    if !(r.status.is_success() || r.status.is_redirection()) {
        let p = format!(
            "{} as {who}: want success, got {}",
            op.label(),
            short(&r.text)
        );
        s.problems.push(p);
    } else if op.is_read() && !op.public && s.fx.leaks(&r.text).is_empty() {
        let p = format!("{} as {who} shows none of A's records", op.label());
        s.problems.push(p);
    }
    s.count("allowed at the required role");
}

fn order(op: &Operation) -> u8 {
    if op.path == "/api/auth/password" {
        // Ends the tenant's other sessions, one of which session operations target: last.
        return 4;
    }
    match (
        op.is_read(),
        op.is_destructive(),
        op.method == Method::DELETE,
    ) {
        (true, _, _) => 0,
        (_, false, _) => 1,
        (_, true, false) => 2,
        _ => 3,
    }
}

backend_test_with!(
    every_operation_is_authorised_and_scoped,
    // Upgrades call Stripe: a stand-in answers them.
    crate::support::stripe::stand_in(unlimited_config()).await,
    |app| {
        let spec = Spec::load();
        let fx = Fixtures::build(&app).await;
        let b = OtherOrg::build(&app).await;
        let pro = app.org(Plan::Pro).await;
        let pro_key = app.key(&pro, Role::Admin).await;
        let pro = (pro.admin, pro_key);

        let missing = uncovered(&spec, &fx, PUBLIC);
        assert!(
            missing.is_empty(),
            "operations the sweep does not cover:\n  {}",
            missing.join("\n  ")
        );
        let mut s = Sweep {
            app: &app,
            spec,
            fx,
            b,
            problems: Vec::new(),
            checks: Vec::new(),
        };
        let mut ops = s.spec.ops.clone();
        ops.sort_by_key(order);
        for op in ops.iter().filter(|o| !o.public) {
            unauthenticated(&mut s, op).await;
            below_role(&mut s, op, &pro).await;
        }
        let before = snapshot(&s).await;
        for op in ops.iter().filter(|o| !o.public) {
            cross_org(&mut s, op).await;
        }
        let after = snapshot(&s).await;
        for ((what, a), (_, b)) in before.iter().zip(&after) {
            if a != b {
                let p = format!("cross-organisation attempts changed {what}: {a} -> {b}");
                s.problems.push(p);
            }
        }
        for op in &ops {
            allowed(&mut s, op).await;
        }

        let public: Vec<String> = ops
            .iter()
            .filter(|o| o.public)
            .map(Operation::label)
            .collect();
        eprintln!(
            "[{}] swept {} operations ({} public, exempt from auth checks: {}):",
            app.backend,
            ops.len(),
            public.len(),
            public.join(", ")
        );
        for (phase, n) in &s.checks {
            eprintln!("  {n:>4}  {phase}");
        }
        assert!(
            s.problems.is_empty(),
            "{} authorisation problems:\n  {}",
            s.problems.len(),
            s.problems.join("\n  ")
        );
    }
);

/// The document the sweeps read is whole: every `$ref` names a schema it defines.
#[test]
fn every_reference_in_the_document_resolves() {
    let spec = Spec::load();
    let text = spec.doc.to_string();
    let prefix = "\"#/components/schemas/";
    let dangling: std::collections::BTreeSet<&str> = text
        .match_indices(prefix)
        .map(|(i, _)| {
            let rest = &text[i + prefix.len()..];
            &rest[..rest.find('"').unwrap_or(rest.len())]
        })
        .filter(|name| spec.schema(name).is_null())
        .collect();
    assert!(
        dangling.is_empty(),
        "dangling schema references: {dangling:?}"
    );
}
