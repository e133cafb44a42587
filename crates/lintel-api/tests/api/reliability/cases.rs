//! Bad requests generated from the document (OWASP API4/API8): for every operation, bad path
//! segments, bad query values, malformed bodies and bad values in every body field
//! ([`super::body_cases`] for JSON, [`super::multipart_cases`] for uploads), plus made-up
//! credentials. Each case says what a correct answer is.

use axum::http::Method;
use serde_json::Value;

use super::bodies;
use super::fixtures::{Fixtures, OtherOrg};
use super::spec::{encode, fill_path, json_type, ref_name, Media, Operation, Param, Spec};
use crate::support::Client;

/// SQL that would do harm if it reached a statement unbound.
pub const SQL: [&str; 2] = ["' OR 1=1 --", "\"; DROP TABLE units; --"];
/// Path traversal, plain and pre-encoded.
pub const TRAVERSAL: [&str; 2] = ["../../etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"];
/// A well-formed ID of no known type.
pub const WRONG_PREFIX: &str = "nope_01jd9x4m2k8q7v5t3r1n0p6w8y";
/// Longer than any field allows, well under the body limit.
pub const OVERLONG: usize = 20_000;

/// What a correct answer to a case is.
#[derive(Debug, Clone)]
pub enum Expect {
    /// Exactly this status, in the error envelope; nothing written.
    Status(u16),
    /// 422 naming this field in its details; nothing written.
    Field(String),
    /// 201 with a record stored under this name.
    Stored(String),
    /// 400 or 422 in the error envelope; nothing written.
    Invalid,
    /// Valid but odd input (SQL in a name, `null` in an optional field): a 400/409/422 that
    /// writes nothing, or success that echoes `echo` exactly (stored as data, never run).
    MayAccept { echo: Option<String> },
    /// A read filtered by odd input: 400/404/422, success that matches nothing, or the
    /// operation's documented redirect.
    NoMatch,
    /// A value the document lists for `field` (an enum value): any answer but one that
    /// rejects that field.
    Documented { field: String },
}

/// One bad request.
#[derive(Debug, Clone)]
pub struct Case {
    pub op: String,
    /// The category, for the printed counts.
    pub kind: &'static str,
    pub what: String,
    pub method: Method,
    pub uri: String,
    pub client: Client,
    /// The body's `Content-Type` (none without a body).
    pub content_type: Option<String>,
    pub body: Option<Vec<u8>>,
    pub expect: Expect,
    pub redirects: bool,
    /// Further rejections that are right for this operation: a public operation that checks a
    /// credential answers what it documents for one that cannot succeed — 401 for a sign-in,
    /// 404 or 410 for an invitation token that names nothing or was used up.
    pub also_rejects: Vec<u16>,
}

/// What the generator needs to fill requests.
pub struct Ctx<'a> {
    pub spec: &'a Spec,
    pub fx: &'a Fixtures,
    pub b: &'a OtherOrg,
}

impl Ctx<'_> {
    /// Who sends the case: nobody for public operations, else A's admin (passes every role).
    pub fn client(&self, op: &Operation) -> Client {
        if op.public {
            Client::Anon
        } else {
            self.fx.org.admin.clone()
        }
    }

    /// The operation's path with A's fixtures.
    pub fn path(&self, op: &Operation) -> String {
        fill_path(&op.path, |name| self.fixture(op, name))
    }

    fn fixture(&self, op: &Operation, name: &str) -> String {
        self.fx.param_id(op, name).unwrap_or_default()
    }

    /// A fresh valid body for the operation, as bytes.
    pub fn valid_body(&self, op: &Operation) -> Option<Vec<u8>> {
        bodies::request(op, self.fx).map(|(_, body)| body)
    }

    pub fn case(&self, op: &Operation, kind: &'static str, what: String) -> Case {
        let query = bodies::query(op, self.fx);
        let (content_type, body) = bodies::request(op, self.fx).unzip();
        Case {
            op: op.label(),
            kind,
            what,
            method: op.method.clone(),
            uri: format!("{}{query}", self.path(op)),
            client: self.client(op),
            content_type,
            body,
            expect: Expect::Invalid,
            redirects: op.redirects,
            also_rejects: if op.public {
                [401, 404, 410]
                    .into_iter()
                    .filter(|s| op.statuses.contains(s))
                    .collect()
            } else {
                vec![]
            },
        }
    }
}

/// Every case for every operation of the document.
pub fn generate(ctx: &Ctx<'_>) -> Vec<Case> {
    let mut out = Vec::new();
    for op in &ctx.spec.ops {
        for p in op.path_params() {
            path_cases(ctx, op, p, &mut out);
        }
        for p in op.query_params() {
            query_cases(ctx, op, p, &mut out);
        }
        match op.body.as_ref().map(|b| &b.media) {
            Some(Media::Json) => {
                super::body_cases::whole_body(ctx, op, &mut out);
                super::body_cases::fields(ctx, op, &mut out);
            }
            Some(Media::Multipart) => super::multipart_cases::form(ctx, op, &mut out),
            _ => {}
        }
    }
    credential_cases(ctx, &mut out);
    out
}

/// Bad values for one path parameter: all are "{Entity} not found." (or an unknown route).
fn path_cases(ctx: &Ctx<'_>, op: &Operation, p: &Param, out: &mut Vec<Case>) {
    let kind = ref_name(&p.schema).unwrap_or(&p.name);
    let real = ctx.fx.id_for(kind).unwrap_or_default();
    let segments: Vec<(String, String)> = vec![
        (format!("SQL {}", SQL[0]), encode(SQL[0])),
        (format!("SQL {}", SQL[1]), encode(SQL[1])),
        ("traversal ../../etc/passwd".into(), TRAVERSAL[0].into()),
        ("traversal %2e%2e%2f".into(), TRAVERSAL[1].into()),
        ("traversal, encoded".into(), encode(TRAVERSAL[0])),
        ("wrong prefix".into(), WRONG_PREFIX.into()),
        ("an ID of another type".into(), ctx.fx.other_kind_id(kind)),
        ("overlong".into(), format!("{real}{}", "a".repeat(10_000))),
        ("NUL byte".into(), format!("{real}%00")),
        ("invalid UTF-8".into(), "%FF%FE%FD".into()),
        ("negative number".into(), "-1".into()),
        ("2^63".into(), "9223372036854775808".into()),
        ("empty".into(), String::new()),
    ];
    for (what, seg) in segments {
        let mut c = ctx.case(op, "path parameter", format!("{}: {what}", p.name));
        let path = fill_path(&op.path, |name| {
            if name == p.name {
                seg.clone()
            } else {
                ctx.fixture(op, name)
            }
        });
        c.uri = path;
        c.expect = Expect::Status(404);
        out.push(c);
    }
}

fn int_in_range(raw: &str, schema: &Value) -> bool {
    let Ok(v) = raw.parse::<i64>() else {
        return false;
    };
    let min = schema["minimum"].as_i64().unwrap_or(i64::MIN);
    let max = schema["maximum"].as_i64().unwrap_or(i64::MAX);
    (min..=max).contains(&v)
}

/// A bad query case. The query of a public operation that documents 403 is its credential (a
/// download link's expiry and signature): a bad value there is a link that is not valid, and
/// 403 is the right refusal.
fn query_case(ctx: &Ctx<'_>, op: &Operation, what: String) -> Case {
    let mut c = ctx.case(op, "query parameter", what);
    if op.public && op.statuses.contains(&403) {
        c.also_rejects.push(403);
    }
    c
}

/// Bad values for one query parameter, by its documented type.
fn query_cases(ctx: &Ctx<'_>, op: &Operation, p: &Param, out: &mut Vec<Case>) {
    let spec = ctx.spec;
    let long = "x".repeat(10_000);
    let raw: Vec<&str> = match (json_type(&p.schema), ref_name(&p.schema)) {
        (Some("integer"), _) => vec![
            "0",
            "-1",
            "1000000000",
            "abc",
            "1e308",
            "9223372036854775808",
            "9223372036854775807",
            "NaN",
            "1.5",
            "%00",
            "%FF",
        ],
        _ => vec![
            SQL[0],
            SQL[1],
            TRAVERSAL[0],
            TRAVERSAL[1],
            &long,
            "a%00b",
            "%FF%FE",
            "castle",
        ],
    };
    let enum_like = spec.enum_values(&p.schema).is_some();
    let kind = ref_name(&p.schema).unwrap_or_default();
    let id_like = kind.ends_with("Id");
    for value in raw {
        let encoded = match value {
            v if v.contains('%') => v.to_string(),
            v => encode(v),
        };
        let what = format!("{}={}", p.name, value.chars().take(40).collect::<String>());
        let mut c = query_case(ctx, op, what);
        c.uri = format!("{}?{}={encoded}", ctx.path(op), p.name);
        let bad_int = json_type(&p.schema) == Some("integer") && !int_in_range(value, &p.schema);
        c.expect = if enum_like || id_like || bad_int {
            Expect::Invalid
        } else {
            Expect::NoMatch
        };
        out.push(c);
    }
    if !enum_like && !id_like && json_type(&p.schema) == Some("string") {
        // Organisation B's records, alone and next to A's own: never found from A.
        let (a, b) = (&ctx.fx.property, &ctx.b.property);
        for (what, v) in [
            ("B's ID", b.clone()),
            ("A's and B's IDs", format!("{a},{b}")),
        ] {
            let mut c = query_case(ctx, op, format!("{}: {what}", p.name));
            c.uri = format!("{}?{}={v}", ctx.path(op), p.name);
            c.expect = Expect::NoMatch;
            out.push(c);
        }
    }
    for value in spec.enum_values(&p.schema).unwrap_or_default() {
        let what = format!("{}={value} (documented)", p.name);
        let mut c = ctx.case(op, "documented value", what);
        c.uri = format!("{}?{}={}", ctx.path(op), p.name, encode(&value));
        c.expect = Expect::Documented {
            field: p.name.clone(),
        };
        out.push(c);
    }
    if id_like {
        let wrong = [
            ("wrong prefix", WRONG_PREFIX.to_string()),
            ("an ID of another type", ctx.fx.other_kind_id(kind)),
        ];
        for (what, v) in wrong {
            let mut c = query_case(ctx, op, format!("{}: {what}", p.name));
            c.uri = format!("{}?{}={v}", ctx.path(op), p.name);
            out.push(c);
        }
        let mut c = query_case(ctx, op, format!("{}: B's ID", p.name));
        c.uri = format!("{}?{}={}", ctx.path(op), p.name, ctx.b.property);
        c.expect = Expect::NoMatch;
        out.push(c);
    }
    if json_type(&p.schema) == Some("integer") {
        let mut c = query_case(ctx, op, format!("{} given twice", p.name));
        c.uri = format!("{}?{n}=1&{n}=2", ctx.path(op), n = p.name);
        c.expect = Expect::Status(400);
        out.push(c);
    }
}

/// Made-up API keys, cookies and CSRF tokens: 401 (or 403 for a bad CSRF token on a write).
fn credential_cases(ctx: &Ctx<'_>, out: &mut Vec<Case>) {
    let read = ctx.spec.ops.iter().find(|o| o.is_read() && !o.public);
    let write = ctx.spec.ops.iter().find(|o| !o.is_read() && !o.public);
    let (Some(read), Some(write)) = (read, write) else {
        return;
    };
    let values = [
        SQL[0].to_string(),
        SQL[1].to_string(),
        TRAVERSAL[0].to_string(),
        format!("lk_{}", "A".repeat(10_000)),
        "lk_%00".to_string(),
        String::new(),
    ];
    let cookie = match &ctx.fx.org.admin {
        Client::Session { cookie, .. } => cookie.clone(),
        _ => String::new(),
    };
    for v in values {
        for op in [read, write] {
            let short: String = v.chars().take(30).collect();
            let mut c = ctx.case(op, "credentials", format!("API key {short:?}"));
            c.client = Client::Key(v.clone());
            c.expect = Expect::Status(401);
            out.push(c);
            let mut c = ctx.case(op, "credentials", format!("session cookie {short:?}"));
            c.client = Client::Session {
                cookie: v.clone(),
                csrf: v.clone(),
            };
            c.expect = Expect::Status(401);
            out.push(c);
        }
        let short: String = v.chars().take(30).collect();
        let mut c = ctx.case(write, "credentials", format!("CSRF token {short:?}"));
        c.client = Client::Session {
            cookie: cookie.clone(),
            csrf: v.clone(),
        };
        c.expect = Expect::Status(403);
        out.push(c);
    }
}
