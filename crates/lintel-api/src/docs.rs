//! The OpenAPI document (`GET /api/docs`) and Swagger UI (`GET /api/docs/ui`), both served from
//! the binary: the UI's files are vendored into it by utoipa-swagger-ui, so it works offline.

use std::sync::{Arc, OnceLock};

use axum::extract::Path;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, InfoBuilder, LicenseBuilder, ObjectBuilder, OpenApi,
    OpenApiVersion, Ref, ResponseBuilder, Server, Type,
};
use utoipa_swagger_ui::Config;

use crate::error::{ApiError, ErrorBody};
use crate::AppState;

/// Where the UI lives; its asset URLs are made absolute under this prefix.
const UI_PATH: &str = "/api/docs/ui";

/// The page's policy: scripts from this origin only (no inline or eval scripts: the vendored page
/// loads `swagger-initializer.js` as a file), styles from this origin plus inline ones (React sets
/// `style` attributes), `data:` images (icons in the CSS) and `blob:` ones (image responses),
/// fetches to this origin (the document and "Try it out"), and no framing.
const UI_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

const DESCRIPTION: &str = "\
Lintel's REST API for property management: properties, units, tenants, leases, payments, \
maintenance and more.

**Envelope.** Every answer is JSON. Success: `{\"success\": true, \"data\": …}`. Failure: \
`{\"success\": false, \"code\": \"NOT_FOUND\", \"error\": \"Property not found.\"}`, where `code` \
is a stable machine code (`VALIDATION_ERROR`, `UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`, \
`RATE_LIMITED`, `PLAN_LIMIT_EXCEEDED`, `PLAN_UPGRADE_REQUIRED`, `PLAN_CONTEXT_UNAVAILABLE`, \
`NOT_APPLICABLE`, `INTERNAL_ERROR`, …) and `error` a human-readable message. Validation errors \
list every failing field in `details`; plan errors add `upgradeUrl` (and `currentPlan`, \
`requiredPlan`); server errors quote the `requestId`.

**Pagination.** List endpoints take `page` (from 1) and `pageSize` (maximum 100 unless stated) \
and answer `data` with `items`, `page`, `pageSize`, `total`, `totalPages` and `nextCursor`. To \
walk a long list, send `nextCursor` back as `cursor` (instead of `page`, with the same filters, \
sort and page size): every such page costs what the first does, however deep.

**Authentication.** Integrations send an API key as `Authorization: Bearer <key>` (BUSINESS \
plan). The web application uses the `lintel_session` cookie; its state-changing requests must \
also send the `X-CSRF-Token` header returned at login. Each operation names its minimum role \
(tenant < broker < property_manager < landlord < admin).

**Rate limits.** Fixed one-minute windows: 100 requests per user, API key or (unauthenticated) \
IP; 5 logins and 5 registrations per IP; tenants 30, brokers 60, admins 120. Every answer \
carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`: the instant the \
window resets, in Unix time **milliseconds** (not seconds); a 429 `RATE_LIMITED` answer adds \
`Retry-After` (seconds).

**Input.** Bodies are JSON sent with `Content-Type: application/json` (else 415 \
`UNSUPPORTED_MEDIA_TYPE`). A duplicate key, or a value of the wrong JSON type (an array where an \
object is expected), is a 400; an unknown body field or query parameter is a 422 naming it. \
Numbers with an integral fraction (`7281.0`) are integers. Text is stored in Unicode NFC and \
trimmed; text made only of whitespace or zero-width characters is blank; control characters \
(except tab and line breaks in descriptions) and bidirectional controls are refused. Unit names \
are unique within a property regardless of case.";

/// Shared error responses, declared once under `components.responses`.
#[rustfmt::skip]
const ERROR_RESPONSES: [(&str, &str); 7] = [
    ("ValidationError", "VALIDATION_ERROR: malformed or invalid input, fields listed in details"),
    ("Unauthorized", "UNAUTHORIZED: missing, expired or revoked credentials"),
    ("Forbidden", "FORBIDDEN (role too low, missing CSRF token) or a PLAN_* error"),
    ("NotFound", "NOT_FOUND: no such record in your organisation"),
    ("Conflict", "CONFLICT: the change conflicts with existing data"),
    ("RateLimited", "RATE_LIMITED: retry after the number of seconds in Retry-After"),
    ("InternalError", "INTERNAL_ERROR: opaque; quote the requestId when reporting it"),
];

/// Puts each object's `x-…` extensions in name order. utoipa keeps an operation's extensions
/// in a `HashMap`, so two of them (`x-required-role`, `x-required-plan`) would come out in a
/// different order on each run and the committed document would never match. Extensions are
/// single-line scalars in pretty JSON; a run of such sibling lines is sorted, its commas kept.
pub fn sort_extensions(pretty: &str) -> String {
    fn is_ext(line: &str) -> Option<&str> {
        let t = line.trim_start();
        let indent = &line[..line.len() - t.len()];
        let scalar = !t.ends_with('{') && !t.ends_with('[') && !t.ends_with("{},");
        (t.starts_with("\"x-") && t.contains("\": ") && scalar).then_some(indent)
    }
    let lines: Vec<&str> = pretty.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let Some(indent) = is_ext(lines[i]) else {
            out.push(lines[i].to_string());
            i += 1;
            continue;
        };
        let mut end = i;
        while end < lines.len() && is_ext(lines[end]) == Some(indent) {
            end += 1;
        }
        let last_comma = lines[end - 1].ends_with(',');
        let mut run: Vec<&str> = lines[i..end]
            .iter()
            .map(|l| l.strip_suffix(',').unwrap_or(l))
            .collect();
        run.sort_unstable();
        let n = run.len();
        for (k, l) in run.into_iter().enumerate() {
            let comma = if k + 1 < n || last_comma { "," } else { "" };
            out.push(format!("{l}{comma}"));
        }
        i = end;
    }
    out.join("\n")
}

/// Completes the generated document: info, server, security schemes and shared responses.
/// Deterministic: the same routes always give byte-identical JSON.
pub fn finish(mut api: OpenApi) -> OpenApi {
    api.openapi = OpenApiVersion::Version31;
    let license = LicenseBuilder::new()
        .name("AGPL-3.0-or-later")
        .identifier(Some("AGPL-3.0-or-later"))
        .build();
    api.info = InfoBuilder::new()
        .title("Lintel API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(DESCRIPTION))
        .license(Some(license))
        .build();
    api.servers = Some(vec![Server::new("/")]);

    let components = api.components.get_or_insert_with(Default::default);
    let bearer = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("API key")
        .description(Some(format!(
            "An API key: `Authorization: Bearer {}…`",
            crate::auth::secrets::API_KEY_PREFIX
        )))
        .build();
    components.add_security_scheme("bearerAuth", SecurityScheme::Http(bearer));
    let cookie = ApiKeyValue::with_description(
        crate::auth::SESSION_COOKIE,
        "The browser session cookie set at login; writes also need the X-CSRF-Token header.",
    );
    components.add_security_scheme(
        "sessionCookie",
        SecurityScheme::ApiKey(ApiKey::Cookie(cookie)),
    );

    let mut schemas = Vec::new();
    <ErrorBody as utoipa::ToSchema>::schemas(&mut schemas);
    schemas.push((
        "ErrorBody".to_string(),
        <ErrorBody as utoipa::PartialSchema>::schema(),
    ));
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
    for (name, description) in ERROR_RESPONSES {
        let content = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build();
        let mut res = ResponseBuilder::new()
            .description(description)
            .content("application/json", content);
        if name == "RateLimited" {
            let int = || ObjectBuilder::new().schema_type(Type::Integer).build();
            for (h, d) in [
                ("Retry-After", "Seconds until the window resets."),
                ("X-RateLimit-Limit", "Requests allowed per window."),
                (
                    "X-RateLimit-Remaining",
                    "Requests left in the current window.",
                ),
                (
                    "X-RateLimit-Reset",
                    "Unix time in milliseconds (not seconds) when the window resets.",
                ),
            ] {
                res = res.header(
                    h,
                    HeaderBuilder::new()
                        .schema(int())
                        .description(Some(d))
                        .build(),
                );
            }
        }
        components
            .responses
            .entry(name.to_string())
            .or_insert(res.build().into());
    }
    api
}

/// `GET /api/docs` and `GET /api/docs/ui` with its files.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/docs", get(document))
        .route(UI_PATH, get(ui_index))
        .route("/api/docs/ui/", get(ui_index))
        .route("/api/docs/ui/{*file}", get(ui_asset))
}

async fn document() -> Response {
    static JSON: OnceLock<String> = OnceLock::new();
    let body = JSON.get_or_init(crate::openapi_json).as_str();
    let headers = [
        (header::CONTENT_TYPE, "application/json"),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    (headers, body).into_response()
}

async fn ui_index() -> Response {
    ui_file("index.html")
}

async fn ui_asset(Path(file): Path<String>) -> Response {
    ui_file(&file)
}

fn swagger_config() -> Arc<Config<'static>> {
    static CONFIG: OnceLock<Arc<Config<'static>>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let config = Config::new(["/api/docs"])
                .validator_url("none")
                .display_request_duration(true)
                .filter(true);
            Arc::new(config)
        })
        .clone()
}

/// The vendored index page with absolute asset URLs (so `/api/docs/ui` works without the
/// trailing slash), a `noindex` robots tag and Lintel's title.
fn index_html(raw: &[u8]) -> String {
    let html = String::from_utf8_lossy(raw)
        .replace(
            "<title>Swagger UI</title>",
            "<title>Lintel API · Swagger UI</title>",
        )
        .replace("href=\"./", &format!("href=\"{UI_PATH}/"))
        .replace(
            "href=\"index.css\"",
            &format!("href=\"{UI_PATH}/index.css\""),
        )
        .replace("src=\"./", &format!("src=\"{UI_PATH}/"));
    if html.contains("name=\"robots\"") {
        return html;
    }
    let meta = "<meta name=\"robots\" content=\"noindex, nofollow\">";
    match html.find("</head>") {
        Some(i) => format!("{}  {meta}\n  {}", &html[..i], &html[i..]),
        None => format!("{meta}\n{html}"),
    }
}

/// Sends the session's CSRF token with "Try it out" writes: a request interceptor copies the
/// `lintel_csrf` cookie (set at sign-in, readable by this origin's scripts only) into
/// `X-CSRF-Token` on every method but GET, HEAD and OPTIONS. The session cookie itself goes with
/// every same-origin request, so a signed-in browser can use the whole API from the page.
const CSRF_INTERCEPTOR: &str = r#"function lintelCsrf(req) {
  var method = (req.method || "GET").toUpperCase();
  if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS" && !req.headers["X-CSRF-Token"]) {
    var m = document.cookie.match(/(?:^|; )lintel_csrf=([^;]*)/);
    if (m) { req.headers["X-CSRF-Token"] = decodeURIComponent(m[1]); }
  }
  return req;
}
"#;

/// The vendored initializer with [`CSRF_INTERCEPTOR`] wired in.
fn with_csrf(js: &str) -> String {
    const CALL: &str = "SwaggerUIBundle({";
    match js.find(CALL) {
        Some(i) => {
            let at = i + CALL.len();
            format!(
                "{CSRF_INTERCEPTOR}{}\n    requestInterceptor: lintelCsrf,{}",
                &js[..at],
                &js[at..]
            )
        }
        None => js.to_string(),
    }
}

/// One file of the UI (`index.html` for the page), with the UI's headers; 404 when unknown.
pub fn ui_file(file: &str) -> Response {
    let file = match file.trim_start_matches('/') {
        "" => "index.html",
        f => f,
    };
    let served = match utoipa_swagger_ui::serve(file, swagger_config()) {
        Ok(Some(f)) => f,
        Ok(None) => return ApiError::NotFound("File").into_response(),
        Err(e) => return ApiError::internal(format!("Swagger UI: {e}")).into_response(),
    };
    let (body, cache) = match file {
        "index.html" => (
            index_html(&served.bytes).into_bytes(),
            "public, max-age=300",
        ),
        "swagger-initializer.js" => (
            with_csrf(&String::from_utf8_lossy(&served.bytes)).into_bytes(),
            "public, max-age=300",
        ),
        _ => (served.bytes.into_owned(), "public, max-age=86400"),
    };
    let content_type = match served.content_type.as_str() {
        t @ ("text/html" | "text/css" | "text/javascript" | "application/javascript") => {
            format!("{t}; charset=utf-8")
        }
        t => t.to_string(),
    };
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(UI_CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn fetch(file: &str) -> (Response, String) {
        let res = ui_file(file);
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        (Response::from_parts(parts, axum::body::Body::empty()), text)
    }

    fn header<'a>(res: &'a Response, name: &str) -> &'a str {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[tokio::test]
    async fn page_and_every_asset_it_references_are_served() {
        for path in ["", "/", "index.html"] {
            let (res, html) = fetch(path).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert!(header(&res, "content-type").starts_with("text/html"));
            assert!(
                html.contains("<meta name=\"robots\" content=\"noindex"),
                "{html}"
            );
            assert_eq!(header(&res, "x-robots-tag"), "noindex, nofollow");
            assert_eq!(header(&res, "cache-control"), "public, max-age=300");
            assert_eq!(header(&res, "x-content-type-options"), "nosniff");
            assert!(header(&res, "content-security-policy").contains("script-src 'self';"));
            assert!(
                !html.contains("<script>"),
                "no inline script: the CSP forbids it"
            );
        }
        let (_, html) = fetch("").await;
        let prefix = format!("{UI_PATH}/");
        let mut refs: Vec<&str> = html
            .split(['"', '\''])
            .filter(|s| s.starts_with(&prefix) || s.starts_with("./") || s.ends_with(".css"))
            .collect();
        refs.dedup();
        assert!(refs.len() >= 6, "{refs:?}");
        for r in refs {
            let file = r
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("relative URL {r}"));
            let (res, body) = fetch(file).await;
            assert_eq!(res.status(), StatusCode::OK, "{r}");
            assert!(!body.is_empty(), "{r}");
            assert_eq!(header(&res, "x-robots-tag"), "noindex, nofollow");
            let ct = header(&res, "content-type");
            let expected = if r.ends_with(".js") {
                "javascript"
            } else if r.ends_with(".css") {
                "text/css"
            } else {
                "image/png"
            };
            assert!(ct.contains(expected), "{r}: {ct}");
        }
        let (_, init) = fetch("swagger-initializer.js").await;
        assert!(init.contains("\"url\": \"/api/docs\""), "{init}");
        assert!(!init.contains("petstore"));
        assert_eq!(fetch("nope.js").await.0.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn routes_serve_the_document_and_the_ui_with_or_without_slash() {
        use tower::ServiceExt;
        let state = crate::ratelimit::tests::state(Default::default()).await;
        let app = router().with_state(state);
        for path in [
            "/api/docs",
            "/api/docs/ui",
            "/api/docs/ui/",
            "/api/docs/ui/swagger-ui.css",
        ] {
            let req = axum::http::Request::get(path).body(axum::body::Body::empty());
            let res = app.clone().oneshot(req.unwrap()).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            if path == "/api/docs" {
                assert_eq!(header(&res, "content-type"), "application/json");
                assert_eq!(header(&res, "access-control-allow-origin"), "*");
                assert_eq!(header(&res, "x-content-type-options"), "nosniff");
                let body = res.into_body().collect().await.unwrap().to_bytes();
                let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(doc["openapi"], "3.1.0");
                assert!(doc["paths"]["/api/health"].is_object());
            }
        }
    }

    #[test]
    fn the_whole_document_is_deterministic() {
        // Each generation builds new hash maps with new seeds: any order that depends on them
        // shows up as a difference within a few runs.
        let first = crate::openapi_json();
        for _ in 0..20 {
            assert!(
                crate::openapi_json() == first,
                "openapi_json() differs between runs"
            );
        }
        let sorted = sort_extensions("{\n  \"b\": 1,\n  \"x-z\": true,\n  \"x-a\": \"y\"\n}");
        assert_eq!(
            sorted,
            "{\n  \"b\": 1,\n  \"x-a\": \"y\",\n  \"x-z\": true\n}"
        );
    }

    #[test]
    fn finish_is_deterministic_and_complete() {
        let doc = || finish(OpenApi::default()).to_pretty_json().unwrap();
        let json = doc();
        assert_eq!(json, doc());
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        assert_eq!(v["info"]["title"], "Lintel API");
        assert_eq!(v["servers"][0]["url"], "/");
        let schemes = &v["components"]["securitySchemes"];
        assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
        assert_eq!(schemes["sessionCookie"]["in"], "cookie");
        assert_eq!(schemes["sessionCookie"]["name"], "lintel_session");
        assert!(v["components"]["schemas"]["ErrorBody"].is_object());
        assert!(v["components"]["responses"]["RateLimited"]["headers"]["Retry-After"].is_object());
    }
}
