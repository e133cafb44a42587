//! What the sweeps need beyond their phases: the coverage checks that fail on any operation the
//! sweep cannot fill or classify, or whose body the battery does not test as it is sent, and the
//! comparison of records before and after.

use serde_json::Value;

use super::bodies;
use super::cases::Case;
use super::fixtures::Fixtures;
use super::multipart_cases;
use super::spec::{ref_name, Media, Spec};

/// Fields that change merely because a record was read or a credential used, and download
/// links, signed afresh on every read.
const VOLATILE: &[&str] = &[
    "lastUsedAt",
    "lastSeenAt",
    "downloadUrl",
    "downloadUrlExpiresAt",
];

/// Names every operation the sweep cannot fill or classify.
pub fn uncovered(spec: &Spec, fx: &Fixtures, public: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for op in &spec.ops {
        let label = op.label();
        let listed = public.contains(&(op.method.as_str(), op.path.as_str()));
        match (&op.role, op.public) {
            (None, false) => out.push(format!("{label}: no x-required-role and not x-public")),
            (Some(Err(raw)), _) => out.push(format!("{label}: unknown x-required-role {raw}")),
            (Some(_), true) => out.push(format!("{label}: both x-public and x-required-role")),
            _ => {}
        }
        if let Some(Err(raw)) = &op.plan {
            out.push(format!("{label}: unknown x-required-plan {raw}"));
        }
        if op.public != listed {
            let p = format!(
                "{label}: x-public is {} but PUBLIC lists it: {listed}",
                op.public
            );
            out.push(p);
        }
        for p in op.path_params() {
            let kind = ref_name(&p.schema).unwrap_or(&p.name);
            if fx.param_id(op, &p.name).is_none() {
                out.push(format!(
                    "{label}: no fixture for path parameter {} ({kind})",
                    p.name
                ));
            }
        }
        if let Some(body) = &op.body {
            let schema = &body.schema;
            let built = match &body.media {
                Media::Json => bodies::valid(schema, fx).is_some(),
                Media::Multipart => bodies::valid_form(schema, fx).is_some(),
                Media::Other(_) => false,
            };
            if !built {
                out.push(format!(
                    "{label}: no valid body for request schema {schema}, sent as {:?}",
                    body.media
                ));
            }
        }
        for q in bodies::missing_query(op, fx) {
            out.push(format!(
                "{label}: no value for required query parameter {q}"
            ));
        }
    }
    for (m, p) in public {
        if !spec
            .ops
            .iter()
            .any(|o| o.method.as_str() == *m && o.path == *p)
        {
            out.push(format!("{m} {p}: listed in PUBLIC but not in openapi.json"));
        }
    }
    out
}

/// The case kinds that test a body sent as `media`.
fn body_kinds(media: &Media) -> &'static [&'static str] {
    match media {
        Media::Json => &["malformed body", "body field"],
        Media::Multipart => &[multipart_cases::KIND],
        Media::Other(_) => &[],
    }
}

/// Names every operation whose request body the battery does not test as it is sent: JSON by
/// malformed documents and bad fields, a form by its multipart cases. Cases of the other media
/// type do not count, and are reported: they test a body the operation never takes.
pub fn untested_bodies(spec: &Spec, cases: &[Case]) -> Vec<String> {
    let every = [body_kinds(&Media::Json), body_kinds(&Media::Multipart)].concat();
    let mut out = Vec::new();
    for op in &spec.ops {
        let Some(body) = &op.body else { continue };
        let label = op.label();
        let ran: Vec<&str> = cases
            .iter()
            .filter(|c| c.op == label)
            .map(|c| c.kind)
            .collect();
        let wanted = body_kinds(&body.media);
        if let Media::Other(media) = &body.media {
            out.push(format!("{label}: a body sent as {media}"));
        }
        for kind in wanted.iter().filter(|k| !ran.contains(k)) {
            out.push(format!("{label}: no {kind} cases"));
        }
        for kind in every
            .iter()
            .filter(|k| !wanted.contains(k) && ran.contains(k))
        {
            out.push(format!(
                "{label}: {kind} cases, for a body sent as {:?}",
                body.media
            ));
        }
    }
    out
}

/// Removes the fields that change by use alone.
pub fn stable(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        for k in VOLATILE {
            m.remove(*k);
        }
        for x in m.values_mut() {
            *x = stable(x.take());
        }
    } else if let Value::Array(a) = &mut v {
        for x in a.iter_mut() {
            *x = stable(x.take());
        }
    }
    v
}
