//! The shell of Lintel's few server-rendered pages (sign-in, invitation, account): one stylesheet
//! allowed by hash, no scripts, nothing loaded from elsewhere, forms posting only to this origin.
//! Nothing from a request is echoed without [`escape`].

use std::sync::OnceLock;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}\
main{max-width:22rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;\
box-shadow:0 1px 4px rgba(0,0,0,.12)}main.wide{max-width:40rem}h1{font-size:1.4rem;margin-top:0}\
label{display:block;margin-top:1rem;font-weight:600}\
input{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font-size:1rem}\
button{margin-top:1.5rem;width:100%;padding:.6rem;font-size:1rem;background:#1d4ed8;color:#fff;\
border:0;border-radius:4px;cursor:pointer}.banner{padding:.75rem;border-radius:4px}\
.error{background:#fde8e8;color:#8a1c1c}.warning{background:#fff4d6;color:#7a5200}\
.hint{font-size:.85rem;color:#555;margin-top:1.5rem}code,pre{background:#f1f3f5;padding:.1rem .3rem;\
border-radius:3px;word-break:break-all;white-space:pre-wrap}dt{font-weight:600;margin-top:.75rem}\
dd{margin:0}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem;\
border-bottom:1px solid #e5e7eb}";

/// The pages' Content-Security-Policy: no scripts, no external loads, the one style by hash.
fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    })
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// A notice at the top of a page.
pub enum Banner {
    Error(&'static str),
    Warning(&'static str),
}

/// The banners' HTML.
pub fn banners(list: &[Banner]) -> String {
    let mut notes = String::new();
    for b in list {
        let (class, text) = match b {
            Banner::Error(t) => ("error", t),
            Banner::Warning(t) => ("warning", t),
        };
        notes.push_str(&format!(
            "<p class=\"banner {class}\" role=\"alert\">{}</p>\n",
            escape(text)
        ));
    }
    notes
}

/// A whole page: `title` (escaped here) and `main` (HTML the caller built with [`escape`]).
pub fn page(status: StatusCode, title: &str, wide: bool, main: &str) -> Response {
    let class = if wide { " class=\"wide\"" } else { "" };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"robots\" content=\"noindex\">\n<title>{} · Lintel</title>\n<style>{STYLE}</style>\n\
</head>\n<body>\n<main{class}>\n{main}</main>\n</body>\n</html>\n",
        escape(title)
    );
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp()),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (status, headers, html).into_response()
}
