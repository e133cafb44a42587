//! Bad request bodies: malformed documents, and a bad value in every field of the request
//! schema (walked through `$ref`s into nested objects and array items), each set into an
//! otherwise valid body.

use serde_json::{json, Value};

use super::cases::{Case, Ctx, Expect, OVERLONG, SQL, TRAVERSAL, WRONG_PREFIX};
use super::spec::{json_type, ref_name, Media, Operation};

/// Characters that cannot be built as a `serde_json::Value`: set as a marker string, then
/// swapped for the raw text in the serialised body.
const RAW: char = '\u{E000}';

/// A body-level step: an object key or the first array item.
#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    First,
}

/// What kind of value a field holds.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// `id`: the ID schema (`UnitId`) of a field that names a record.
    Str {
        id: Option<String>,
        secret: bool,
    },
    Int,
    Num,
    Enum(Vec<String>),
    Obj,
    Arr,
    Other,
}

fn label(ptr: &[Seg]) -> String {
    let mut s = String::new();
    for seg in ptr {
        match seg {
            Seg::Key(k) if s.is_empty() => s.push_str(k),
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::First => s.push_str("[0]"),
        }
    }
    s
}

/// Every field of `schema`, depth-first, with its kind.
fn walk(ctx: &Ctx<'_>, schema: &Value, ptr: Vec<Seg>, out: &mut Vec<(Vec<Seg>, Kind)>) {
    let s = ctx.spec.resolve(schema);
    let Some(props) = s["properties"].as_object() else {
        return;
    };
    for (key, sub) in props {
        let mut p = ptr.clone();
        p.push(Seg::Key(key.clone()));
        let resolved = ctx.spec.resolve(sub);
        let kind = if let Some(values) = ctx.spec.enum_values(sub) {
            Kind::Enum(values)
        } else {
            match json_type(resolved) {
                Some("string") => Kind::Str {
                    id: key
                        .ends_with("Id")
                        .then(|| ref_name(sub).unwrap_or_default().to_string()),
                    secret: key.to_ascii_lowercase().contains("password"),
                },
                Some("integer") => Kind::Int,
                Some("number") => Kind::Num,
                Some("object") => Kind::Obj,
                Some("array") => Kind::Arr,
                _ => Kind::Other,
            }
        };
        out.push((p.clone(), kind.clone()));
        if p.len() < 4 {
            match kind {
                Kind::Obj => walk(ctx, sub, p, out),
                Kind::Arr => {
                    let mut item = p;
                    item.push(Seg::First);
                    walk(ctx, &resolved["items"], item, out);
                }
                _ => {}
            }
        }
    }
}

/// Sets `value` at `ptr` in `body`, creating objects and a first array item on the way.
fn set(body: &mut Value, ptr: &[Seg], value: Value) {
    let Some((last, parents)) = ptr.split_last() else {
        *body = value;
        return;
    };
    let mut cur = body;
    for seg in parents {
        cur = match seg {
            Seg::Key(k) => {
                if !cur.is_object() {
                    *cur = json!({});
                }
                cur.as_object_mut()
                    .unwrap()
                    .entry(k.clone())
                    .or_insert(Value::Null)
            }
            Seg::First => {
                if cur.as_array().is_none_or(Vec::is_empty) {
                    *cur = json!([{}]);
                }
                &mut cur.as_array_mut().unwrap()[0]
            }
        };
    }
    match last {
        Seg::Key(k) => {
            if !cur.is_object() {
                *cur = json!({});
            }
            cur.as_object_mut().unwrap().insert(k.clone(), value);
        }
        Seg::First => *cur = json!([value]),
    }
}

/// A value that serialises as raw JSON text (`raw("1e999")`).
fn raw(text: &str) -> Value {
    Value::String(format!("{RAW}{text}{RAW}"))
}

fn serialise(body: &Value) -> Vec<u8> {
    let text = body.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let marker = format!("\"{RAW}");
    while let Some(start) = rest.find(&marker) {
        out.push_str(&rest[..start]);
        let inner = &rest[start + marker.len()..];
        let end = inner.find(&format!("{RAW}\"")).unwrap();
        out.push_str(&inner[..end]);
        rest = &inner[end + RAW.len_utf8() + 1..];
    }
    out.push_str(rest);
    out.into_bytes()
}

fn may_accept(v: &str, secret: bool) -> Expect {
    Expect::MayAccept {
        echo: (!secret).then(|| v.trim().to_string()),
    }
}

/// The bad values for a field of `kind`.
fn values(ctx: &Ctx<'_>, kind: &Kind) -> Vec<(String, Value, Expect)> {
    let null = (
        "null".to_string(),
        Value::Null,
        Expect::MayAccept { echo: None },
    );
    let invalid = |what: &str, v: Value| (what.to_string(), v, Expect::Invalid);
    let mut out = vec![null];
    match kind {
        Kind::Str { id, secret } => {
            out.extend([
                invalid("a number", json!(12345)),
                invalid("a boolean", json!(true)),
                invalid("an object", json!({})),
                invalid("an array", json!(["x"])),
                invalid("overlong", json!("x".repeat(OVERLONG))),
                invalid("a NUL byte", json!("a\u{0}b")),
                invalid("a lone surrogate", raw("\"\\ud800\"")),
            ]);
            for v in SQL.iter().chain(&TRAVERSAL) {
                let expect = if id.is_some() {
                    Expect::Invalid
                } else {
                    may_accept(v, *secret)
                };
                out.push((format!("{v:?}"), json!(v), expect));
            }
            if let Some(of) = id {
                out.extend([
                    invalid("wrong prefix", json!(WRONG_PREFIX)),
                    invalid("an ID of another type", json!(ctx.fx.other_kind_id(of))),
                    invalid("organisation B's ID", json!(ctx.b.building)),
                ]);
            }
        }
        Kind::Int | Kind::Num => {
            out.extend([
                invalid("a numeric string", json!("12")),
                invalid("\"abc\"", json!("abc")),
                invalid("\"NaN\"", json!("NaN")),
                invalid("\"Infinity\"", json!("Infinity")),
                invalid("1e308", json!(1e308)),
                invalid("-1", json!(-1)),
                invalid("2^63", raw("9223372036854775808")),
                invalid("-2^63-1", raw("-9223372036854775809")),
                invalid("1e999", raw("1e999")),
                invalid("a boolean", json!(true)),
            ]);
            let frac = if *kind == Kind::Int { 1.5 } else { 0.3 };
            out.push(invalid("a fraction", json!(frac)));
        }
        Kind::Enum(allowed) => {
            // The first value in the other case (lower case for codes such as `CAD`).
            let first = allowed.first().map(String::as_str).unwrap_or_default();
            let recased = match first.to_uppercase() {
                upper if upper == first => first.to_lowercase(),
                upper => upper,
            };
            out.extend([
                invalid("an unknown value", json!("castle")),
                invalid("empty", json!("")),
                invalid("another case", json!(recased)),
                invalid("SQL", json!(SQL[0])),
                invalid("traversal", json!(TRAVERSAL[0])),
                invalid("a number", json!(7)),
                invalid("an object", json!({})),
            ]);
        }
        Kind::Obj => out.extend([
            invalid("a string", json!("x")),
            invalid("a number", json!(42)),
            invalid("an array", json!([])),
        ]),
        Kind::Arr => out.extend([
            invalid("a string", json!("x")),
            invalid("an object", json!({})),
            invalid("601 empty items", Value::Array(vec![json!({}); 601])),
        ]),
        Kind::Other => {}
    }
    out
}

/// A bad value in every field of the operation's request schema.
pub fn fields(ctx: &Ctx<'_>, op: &Operation, out: &mut Vec<Case>) {
    let Some(name) = op.body_as(&Media::Json) else {
        return;
    };
    let mut found = Vec::new();
    walk(ctx, ctx.spec.schema(name), Vec::new(), &mut found);
    for (ptr, kind) in found {
        if let Kind::Enum(documented) = &kind {
            for value in documented {
                let what = format!("{}: {value:?} (documented)", label(&ptr));
                let mut c = ctx.case(op, "documented value", what);
                let mut body: Value = serde_json::from_slice(c.body.as_deref().unwrap()).unwrap();
                set(&mut body, &ptr, json!(value));
                c.body = Some(serialise(&body));
                c.expect = Expect::Documented { field: label(&ptr) };
                out.push(c);
            }
        }
        for (what, value, expect) in values(ctx, &kind) {
            let mut c = ctx.case(op, "body field", format!("{}: {what}", label(&ptr)));
            let mut body: Value = serde_json::from_slice(c.body.as_deref().unwrap()).unwrap();
            set(&mut body, &ptr, value);
            c.body = Some(serialise(&body));
            c.expect = expect;
            out.push(c);
        }
    }
}

/// Malformed documents: not JSON, not an object, bad bytes, too deep, too big, unknown fields.
pub fn whole_body(ctx: &Ctx<'_>, op: &Operation, out: &mut Vec<Case>) {
    let valid = ctx.valid_body(op).unwrap();
    let with_unknown = {
        let mut v: Value = serde_json::from_slice(&valid).unwrap();
        v["isAdmin"] = json!(true);
        v.to_string().into_bytes()
    };
    let mut trailing = valid.clone();
    trailing.extend_from_slice(b"}");
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(1024 * 1024 + 1));
    let deep_arrays = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let unknown_field = if op.path == "/api/webhooks/stripe" {
        400
    } else {
        422
    };
    let deep_objects = format!("{}1{}", "{\"a\":".repeat(20_000), "}".repeat(20_000));
    let docs: Vec<(&str, Vec<u8>, Expect)> = vec![
        (
            "truncated JSON",
            b"{\"name\": ".to_vec(),
            Expect::Status(400),
        ),
        (
            "not JSON",
            b"name=x&role=admin".to_vec(),
            Expect::Status(400),
        ),
        ("empty body", Vec::new(), Expect::Status(400)),
        ("null", b"null".to_vec(), Expect::Status(400)),
        ("an array", b"[]".to_vec(), Expect::Status(400)),
        ("a string", b"\"x\"".to_vec(), Expect::Status(400)),
        ("a huge number", b"1e308".to_vec(), Expect::Status(400)),
        (
            "invalid UTF-8",
            b"{\"name\":\"\xff\xfe\"}".to_vec(),
            Expect::Status(400),
        ),
        (
            "a raw NUL byte",
            b"{\"name\":\"a\0b\"}".to_vec(),
            Expect::Status(400),
        ),
        (
            "100000 nested arrays",
            deep_arrays.into_bytes(),
            Expect::Status(400),
        ),
        (
            "20000 nested objects",
            deep_objects.into_bytes(),
            Expect::Status(400),
        ),
        ("over the body limit", big.into_bytes(), Expect::Status(413)),
        // Stripe's webhook checks the signature first: an unsigned body is a 400.
        (
            "an unknown field",
            with_unknown,
            Expect::Status(unknown_field),
        ),
        ("trailing garbage", trailing, Expect::Status(400)),
    ];
    for (what, body, expect) in docs {
        let mut c = ctx.case(op, "malformed body", what.to_string());
        c.body = Some(body);
        c.expect = expect;
        out.push(c);
    }
}
