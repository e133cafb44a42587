//! The committed `openapi.json` as a list of operations: method, path template, parameters,
//! request-body schema and media type, and the access extensions (`x-required-role`,
//! `x-required-plan`, `x-public`). The sweeps iterate over it, so a new route is swept as soon
//! as it is documented.

use axum::http::Method;
use lintel_domain::{Plan, Role};
use serde_json::Value;

/// One parameter of an operation.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    /// `path` or `query`.
    pub location: String,
    pub required: bool,
    pub schema: Value,
}

impl Param {
    pub fn is_path(&self) -> bool {
        self.location == "path"
    }
}

/// How a request body is sent: the media type the document lists it under (the first, if it
/// lists several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Media {
    Json,
    /// `multipart/form-data` (file uploads).
    Multipart,
    /// Any other: the sweeps cannot build it, and the coverage check says so.
    Other(String),
}

/// The request body of an operation.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// The schema name (`PropertyInput`).
    pub schema: String,
    pub media: Media,
}

/// One operation (method + path) of the document.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: Method,
    pub path: String,
    pub params: Vec<Param>,
    /// The request body, when the operation takes one.
    pub body: Option<RequestBody>,
    /// `x-required-role`; `Err` holds the raw value when it is not a known role.
    pub role: Option<Result<Role, String>>,
    /// `x-required-plan`.
    pub plan: Option<Result<Plan, String>>,
    /// `x-public: true`.
    pub public: bool,
    /// Whether `bearerAuth` (API keys) is among the operation's security schemes.
    pub bearer: bool,
    /// Whether the operation documents a redirect (302/303) as an answer.
    pub redirects: bool,
    /// Every status the operation documents.
    pub statuses: Vec<u16>,
}

impl Operation {
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
    pub fn path_params(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.is_path())
    }
    pub fn query_params(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.location == "query")
    }
    pub fn has_path_ids(&self) -> bool {
        self.path_params().next().is_some()
    }
    /// The minimum role, when the document names a valid one.
    pub fn min_role(&self) -> Option<Role> {
        self.role.clone().and_then(Result::ok)
    }
    pub fn is_read(&self) -> bool {
        self.method == Method::GET
    }
    /// Operations that take a fixture out of use (removal, revocation, archiving): run last.
    pub fn is_destructive(&self) -> bool {
        self.method == Method::DELETE || self.path.ends_with("/archive")
    }
    /// The request body's schema name when it is sent as `media`.
    pub fn body_as(&self, media: &Media) -> Option<&str> {
        let body = self.body.as_ref().filter(|b| b.media == *media)?;
        Some(&body.schema)
    }
}

/// The parsed document.
pub struct Spec {
    pub doc: Value,
    pub ops: Vec<Operation>,
}

/// The last segment of a `$ref`, looking through `oneOf: [null, {$ref}]` wrappers.
pub fn ref_name(schema: &Value) -> Option<&str> {
    if let Some(r) = schema["$ref"].as_str() {
        return r.rsplit('/').next();
    }
    schema["oneOf"]
        .as_array()?
        .iter()
        .find_map(|s| s["$ref"].as_str())
        .and_then(|r| r.rsplit('/').next())
}

/// The non-null JSON type of a schema (`string`, `integer`, `number`, `array`, `object`, …).
pub fn json_type(schema: &Value) -> Option<&str> {
    match &schema["type"] {
        Value::String(t) => Some(t.as_str()),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

impl Media {
    fn of(media_type: &str) -> Media {
        match media_type {
            "application/json" => Media::Json,
            "multipart/form-data" => Media::Multipart,
            other => Media::Other(other.to_string()),
        }
    }
}

fn method_of(name: &str) -> Option<Method> {
    match name {
        "get" => Some(Method::GET),
        "post" => Some(Method::POST),
        "put" => Some(Method::PUT),
        "patch" => Some(Method::PATCH),
        "delete" => Some(Method::DELETE),
        _ => None,
    }
}

fn parse_ext<T: std::str::FromStr>(op: &Value, key: &str) -> Option<Result<T, String>> {
    let v = op.get(key)?;
    let raw = v
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string());
    Some(raw.parse().map_err(|_| raw.clone()))
}

impl Spec {
    /// Reads the committed `openapi.json` at the repository root.
    pub fn load() -> Spec {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json");
        let text = std::fs::read_to_string(&path).expect("openapi.json at the repository root");
        let doc: Value = serde_json::from_str(&text).expect("openapi.json parses");
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (m, op) in item.as_object().expect("path item") {
                let Some(method) = method_of(m) else { continue };
                let params = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| Param {
                                name: p["name"].as_str().unwrap_or_default().to_string(),
                                location: p["in"].as_str().unwrap_or_default().to_string(),
                                required: p["required"].as_bool().unwrap_or(false),
                                schema: p["schema"].clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let body = op["requestBody"]["content"]
                    .as_object()
                    .and_then(|c| c.iter().next())
                    .map(|(media, content)| RequestBody {
                        schema: ref_name(&content["schema"])
                            .unwrap_or("<inline schema>")
                            .to_string(),
                        media: Media::of(media),
                    });
                let bearer = op["security"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|req| req.get("bearerAuth").is_some()));
                let statuses: Vec<u16> = op["responses"]
                    .as_object()
                    .map(|r| r.keys().filter_map(|k| k.parse().ok()).collect())
                    .unwrap_or_default();
                let redirects = statuses.iter().any(|s| (300..400).contains(s));
                ops.push(Operation {
                    method,
                    path: path.clone(),
                    params,
                    body,
                    role: parse_ext(op, "x-required-role"),
                    plan: parse_ext(op, "x-required-plan"),
                    public: op["x-public"] == Value::Bool(true),
                    bearer,
                    redirects,
                    statuses,
                });
            }
        }
        assert!(ops.len() > 10, "openapi.json lists too few operations");
        Spec { doc, ops }
    }

    /// A component schema by name.
    pub fn schema(&self, name: &str) -> &Value {
        &self.doc["components"]["schemas"][name]
    }

    /// Follows a `$ref` (or a nullable `oneOf` wrapper) to its component schema.
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match ref_name(schema) {
            Some(name) => self.schema(name),
            None => schema,
        }
    }

    /// The values of an enum schema (after resolving references), if it is one.
    pub fn enum_values(&self, schema: &Value) -> Option<Vec<String>> {
        let s = self.resolve(schema);
        let vals = s["enum"].as_array()?;
        Some(
            vals.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        )
    }
}

/// Fills the path template's `{name}` placeholders.
pub fn fill_path(template: &str, mut value: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        out.push_str(&value(&rest[start + 1..end]));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
