//! Shared parts of the reliability tests (`sweep.rs`, `bad_input.rs`): the OpenAPI document as
//! a list of operations, fixtures for every path-parameter type, valid bodies per request
//! schema, bad-input generation and a direct look at the tables.
#![allow(dead_code)]

pub mod bodies;
pub mod body_cases;
pub mod cases;
pub mod coverage;
pub mod fixtures;
pub mod probe;
pub mod spec;

use crate::common::Resp;

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

/// The first 300 characters of an answer, for messages.
pub fn short(text: &str) -> String {
    let s: String = text.chars().take(300).collect();
    if s.len() < text.len() {
        format!("{s}…")
    } else {
        s
    }
}
