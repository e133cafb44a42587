//! The reliability tests over every operation of the committed `openapi.json`: the
//! authorisation sweep (`sweep.rs`) and the bad-input battery (`bad_input.rs`), and what they
//! share: the document as a list of operations, fixtures for every path-parameter type, valid
//! bodies per request schema (JSON or multipart), bad-input generation and a direct look at the
//! tables and stored files.

mod bad_input;
mod sweep;

pub mod bodies;
pub mod body_cases;
pub mod cases;
pub mod coverage;
pub mod fixtures;
pub mod multipart_cases;
pub mod probe;
pub mod spec;

use crate::support::Resp;

/// What is wrong with an error answer, if anything: it must be the envelope with
/// `success: false`, a stable `code` and a non-empty, useful `error` (field details on 422).
pub fn envelope_problem(r: &Resp) -> Option<String> {
    let b = &r.body;
    if b["success"] != serde_json::Value::Bool(false) {
        return Some(format!("not an error envelope: {}", short(&r.text)));
    }
    let code = b["code"].as_str().unwrap_or("");
    if code.is_empty() || !code.bytes().all(|c| c.is_ascii_uppercase() || c == b'_') {
        return Some(format!("no stable code: {}", short(&r.text)));
    }
    let error = b["error"].as_str().unwrap_or("");
    if error.trim().len() < 5 || error == "Internal server error." {
        return Some(format!("no useful message: {}", short(&r.text)));
    }
    if r.status.as_u16() == 422 && b["details"].as_array().is_none_or(Vec::is_empty) {
        return Some(format!("422 without field details: {}", short(&r.text)));
    }
    None
}

/// Words that name Rust types rather than JSON ones (`expected struct UnitInput`, `i64`).
const RUST_WORDS: &[&str] = &[
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "f32",
    "f64",
    "struct",
    "Option",
    "variant",
    "enum",
    "String",
    "Vec",
    "sequence",
    "map",
    "tuple",
    "newtype",
    "unit value",
    "floating point",
    "borrowed",
];

/// The Rust type name an error answer's `error`, `message` or `details[].message` uses, if any.
pub fn rust_type_named(body: &serde_json::Value) -> Option<String> {
    let mut texts: Vec<&str> = ["error", "message"]
        .iter()
        .filter_map(|k| body[*k].as_str())
        .collect();
    if let Some(details) = body["details"].as_array() {
        texts.extend(details.iter().filter_map(|d| d["message"].as_str()));
    }
    let word = |t: &str, w: &str| {
        t.match_indices(w).any(|(i, _)| {
            let before = t[..i].chars().next_back();
            let after = t[i + w.len()..].chars().next();
            let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '_');
            edge(before) && edge(after)
        })
    };
    texts.into_iter().find_map(|t| {
        RUST_WORDS
            .iter()
            .find(|w| word(t, w))
            .map(|w| format!("`{w}` in {t:?}"))
    })
}

/// The first 300 characters of an answer, for messages.
pub fn short(text: &str) -> String {
    let s: String = text.chars().take(300).collect();
    if s.len() < text.len() {
        format!("{s}…")
    } else {
        s
    }
}
