//! What the authorisation sweep needs beyond its phases: the coverage check that fails on any
//! operation it cannot fill or classify, and the comparison of records before and after.

use serde_json::Value;

use super::bodies;
use super::fixtures::Fixtures;
use super::spec::{ref_name, Spec};

/// Fields that change merely because a record was read or a credential used.
const VOLATILE: &[&str] = &["lastUsedAt", "lastSeenAt"];

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
            if fx.id_for(kind).is_none() {
                out.push(format!(
                    "{label}: no fixture for path parameter {} ({kind})",
                    p.name
                ));
            }
        }
        if let Some(schema) = &op.body {
            if bodies::valid(schema, fx).is_none() {
                out.push(format!(
                    "{label}: no valid body for request schema {schema}"
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
