//! Every rule an input schema documents (required, nullable, ranges, lengths, item counts,
//! patterns, ID formats) is checked at its edges against the validator it describes.

use lintel_domain::text::{LINE_PATTERN, MULTILINE_PATTERN, REQUIRED_LINE_PATTERN};
use lintel_domain::validation::PHONE_PATTERN;
use lintel_domain::{AccountId, DocumentId, TenantId};
use serde_json::{json, Value};

use super::doc;
use super::inputs::{inputs, Check};

/// Whether `result` reports an error on `field` (or on something inside it).
fn fails_on(result: &Result<(), Vec<String>>, field: &str) -> bool {
    result.as_ref().err().is_some_and(|fields| {
        fields.iter().any(|f| {
            f == "*"
                || f == field
                || f.starts_with(&format!("{field}."))
                || f.starts_with(&format!("{field}["))
        })
    })
}

fn with(base: &Value, key: &str, value: Option<Value>) -> Value {
    let mut body = base.clone();
    let obj = body.as_object_mut().unwrap();
    match value {
        Some(v) => obj.insert(key.to_string(), v),
        None => obj.remove(key),
    };
    body
}

/// Whether a property schema admits `null`.
pub fn nullable(prop: &Value) -> bool {
    let null_type = |s: &Value| match &s["type"] {
        Value::String(t) => t == "null",
        Value::Array(ts) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    null_type(prop)
        || prop["oneOf"]
            .as_array()
            .is_some_and(|alts| alts.iter().any(null_type))
}

const NO_NUL: &str = r"^[^\x00]*$";
const COUNTRY: &str = "^[A-Za-z]{2}$";

/// Strings each documented pattern matches, and strings it does not match.
fn pattern_samples(pattern: &str) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
    Some(match pattern {
        REQUIRED_LINE_PATTERN => (
            vec!["a", " a ", "a b", "\u{200b}a\u{feff}", "\u{e9}"],
            vec![
                "",
                " ",
                "\u{200b}",
                "\u{a0}\u{3000}\u{2060}",
                "a\tb",
                "a\nb",
                "a\0b",
                "a\u{85}b",
                "a\u{202e}b",
            ],
        ),
        LINE_PATTERN => (
            vec!["", " ", "a b", "\u{200b}"],
            vec!["a\0b", "a\tb", "a\nb", "\u{9f}", "a\u{2066}b"],
        ),
        MULTILINE_PATTERN => (
            vec!["", "a\nb", "a\tb\r\nc", " "],
            vec!["a\0b", "\u{b}", "\u{9f}", "\u{202e}"],
        ),
        NO_NUL => (vec!["", " ", "a b"], vec!["a\0b", "\0"]),
        lintel_domain::ledger::ACCOUNT_CODE_PATTERN => (
            vec!["6100", "a", "4000.10-B"],
            vec!["", " 6100", "-1", ".5", "a b", "a_b", "61\u{e9}"],
        ),
        COUNTRY => (vec!["CA", "ca", "gB"], vec!["", "C", "CAN", "C1", "É1"]),
        PHONE_PATTERN => (
            vec![
                "",
                "   ",
                "12345",
                "+1 902 555 0142",
                "(902) 555-0142",
                "902.555.0142",
                " +44 20 7946 0958 ",
                "12345678901234567890",
            ],
            vec![
                "1234",
                "123456789012345678901",
                "++12345",
                "1+2345",
                "12345+",
                "+",
                "12a45",
                "call me",
                "12345\t",
            ],
        ),
        _ => return None,
    })
}

/// `n` characters of what the property holds: ordinary text (at least 5 different characters
/// from 5 on), or for a phone number up to 20 digits, then spaces.
fn filler(prop: &Value, n: usize) -> String {
    if prop["pattern"] == PHONE_PATTERN {
        let digit = |i: usize| char::from(b'0' + (i % 10) as u8);
        return (0..n)
            .map(|i| if i < 20 { digit(i) } else { ' ' })
            .collect();
    }
    "mbnvcxzlkj".chars().cycle().take(n).collect()
}

fn array_items(schema: &str, key: &str, n: usize) -> Value {
    let item = |i: usize| match (schema, key) {
        ("BulkUnitsInput", "units") => json!({"name": format!("U{i}")}),
        (_, "amenities") => json!({"id": i % 12 + 1, "value": 1}),
        (_, "references") => json!({"name": format!("R{i}")}),
        (_, "tenantIds") => json!(TenantId::new().to_string()),
        (_, "documentIds") => json!(DocumentId::new().to_string()),
        (_, "chargeIds") => json!(lintel_domain::ChargeId::new().to_string()),
        // Lines that balance for any count from two: ones and twos, debits against credits.
        ("ManualEntryInput", "lines") => {
            let (side, amount) = match (n % 2, i) {
                (1, 0) => ("debit", 2),
                (1, 1 | 2) => ("credit", 1),
                (1, i) if (i - 3) % 2 == 0 => ("debit", 1),
                (1, _) => ("credit", 1),
                (_, i) if i % 2 == 0 => ("debit", 1),
                _ => ("credit", 1),
            };
            json!({"accountId": AccountId::new().to_string(),
                   side: {"amountMinor": amount, "currency": "CAD"}})
        }
        // One minor unit to each of as many charges as asked for.
        ("PaymentInput", "allocations") => json!({
            "chargeId": lintel_domain::ChargeId::new().to_string(),
            "amount": {"amountMinor": 1, "currency": "CAD"}
        }),
        _ => panic!("{schema}.{key}: no item builder for this array"),
    };
    Value::Array((0..n).map(item).collect())
}

#[test]
fn input_schemas_state_what_the_validators_require() {
    let doc = doc();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let table = inputs();
    for name in schemas.keys().filter(|n| n.ends_with("Input")) {
        assert!(
            table.iter().any(|(n, ..)| n == name),
            "{name}: add it to inputs() in tests/api/platform/openapi/inputs.rs"
        );
    }
    let mut names: Vec<&str> = table.iter().map(|(n, ..)| *n).collect();
    names.dedup();
    for name in names {
        let rows: Vec<(&Value, Check)> = table
            .iter()
            .filter(|(n, ..)| *n == name)
            .map(|(_, base, check)| (base, *check))
            .collect();
        let schema = &schemas[name];
        assert!(schema.is_object(), "{name} is not in the document");
        assert_eq!(
            schema["additionalProperties"], false,
            "{name}: unknown fields are refused"
        );
        for (base, check) in &rows {
            assert_eq!(
                check((*base).clone()),
                Ok(()),
                "{name}: the base body is valid"
            );
            assert!(
                check(with(base, "bogus", Some(json!(1)))).is_err(),
                "{name}"
            );
        }
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        for (key, prop) in schema["properties"].as_object().unwrap() {
            let label = format!("{name}.{key}");
            // Required: needed by every variant. Nullable: `null` is fine in some variant.
            let absent_fails = rows
                .iter()
                .all(|(base, check)| fails_on(&check(with(base, key, None)), key));
            assert_eq!(
                required.contains(&key.as_str()),
                absent_fails,
                "{label}: documented as required exactly when the validator requires it"
            );
            let nulls: Vec<_> = rows
                .iter()
                .map(|(base, check)| check(with(base, key, Some(Value::Null))))
                .collect();
            assert_eq!(
                nullable(prop),
                nulls.iter().any(Result::is_ok),
                "{label}: documented as nullable exactly when null is accepted ({nulls:?})"
            );
            // The bounds hold in the variants that send the field (in every one, when none
            // does).
            let sending = rows.iter().filter(|(base, _)| base.get(key).is_some());
            let bounded: Vec<_> = match sending.clone().count() {
                0 => rows.iter().collect(),
                _ => sending.collect(),
            };
            for (base, check) in bounded {
                check_bounds(name, base, *check, key, prop, &label);
            }
        }
    }
}

/// The numeric ranges, lengths, item counts and patterns of one property, at their edges.
fn check_bounds(name: &str, base: &Value, check: Check, key: &str, prop: &Value, label: &str) {
    let set = |v: Value| check(with(base, key, Some(v)));
    let is_type = |t: &str| match &prop["type"] {
        Value::String(s) => s == t,
        Value::Array(ts) => ts.iter().any(|x| x == t),
        _ => false,
    };
    if is_type("integer") {
        let (min, max) = (prop["minimum"].as_i64(), prop["maximum"].as_i64());
        let (min, max) = (min.expect(label), max.expect(label));
        assert_eq!(set(json!(min)), Ok(()), "{label} = minimum");
        assert_eq!(set(json!(max)), Ok(()), "{label} = maximum");
        assert!(fails_on(&set(json!(min - 1)), key), "{label} below minimum");
        assert!(fails_on(&set(json!(max + 1)), key), "{label} above maximum");
    }
    if is_type("number") {
        let (min, max) = (prop["minimum"].as_f64(), prop["maximum"].as_f64());
        let (min, max) = (min.expect(label), max.expect(label));
        let step = prop["multipleOf"].as_f64().expect(label);
        assert_eq!(set(json!(min)), Ok(()), "{label} = minimum");
        assert_eq!(set(json!(max)), Ok(()), "{label} = maximum");
        assert_eq!(set(json!(min + step)), Ok(()), "{label} = minimum + step");
        assert!(fails_on(&set(json!(min - step)), key), "{label}");
        assert!(fails_on(&set(json!(max + step)), key), "{label}");
        assert!(fails_on(&set(json!(min + step / 2.0)), key), "{label}");
    }
    if is_type("string") && prop["format"].is_null() {
        let max = prop["maxLength"].as_u64().map(|m| m as usize);
        if let Some(max) = max {
            assert_eq!(
                set(json!(filler(prop, max))),
                Ok(()),
                "{label} at maxLength"
            );
            assert!(fails_on(&set(json!(filler(prop, max + 1))), key), "{label}");
        }
        let min = prop["minLength"].as_u64().unwrap_or(0) as usize;
        if min > 0 {
            assert_eq!(
                set(json!(filler(prop, min))),
                Ok(()),
                "{label} at minLength"
            );
            assert!(fails_on(&set(json!(filler(prop, min - 1))), key), "{label}");
        }
        if let Some(pattern) = prop["pattern"].as_str() {
            let (good, bad) = pattern_samples(pattern)
                .unwrap_or_else(|| panic!("{label}: add samples of {pattern:?}"));
            for s in good.into_iter().filter(|s| s.chars().count() >= min) {
                assert_eq!(set(json!(s)), Ok(()), "{label} = {s:?} matches {pattern}");
            }
            for s in bad {
                assert!(fails_on(&set(json!(s)), key), "{label} = {s:?}");
            }
        }
    }
    let id_ref = prop["oneOf"]
        .as_array()
        .and_then(|alts| alts.iter().find_map(|a| a["$ref"].as_str()))
        .or(prop["$ref"].as_str())
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .filter(|r| r.ends_with("Id"));
    if let Some(id) = id_ref {
        let pattern = doc()["components"]["schemas"][id]["pattern"].clone();
        let prefix = pattern.as_str().unwrap()[1..]
            .split('_')
            .next()
            .unwrap()
            .to_string();
        let ok = format!("{prefix}_01jd9x4m2k8q7v5t3r1n0p6w8y");
        assert_eq!(set(json!(ok)), Ok(()), "{label} = {ok}");
        for bad in [
            format!("{prefix}_{}", "u".repeat(26)),
            format!("{prefix}_"),
            " ".into(),
        ] {
            assert!(fails_on(&set(json!(bad)), key), "{label} = {bad}");
        }
    }
    if is_type("array") {
        let min = prop["minItems"].as_u64().unwrap_or(0) as usize;
        let max = prop["maxItems"].as_u64().expect(label) as usize;
        assert_eq!(set(array_items(name, key, max)), Ok(()), "{label}");
        assert!(fails_on(&set(array_items(name, key, max + 1)), key));
        assert_eq!(set(array_items(name, key, min)), Ok(()), "{label}");
        if min > 0 {
            assert!(fails_on(&set(array_items(name, key, min - 1)), key));
        }
    }
}
