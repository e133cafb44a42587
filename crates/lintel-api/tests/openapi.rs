//! The committed OpenAPI document is the one the code generates, and it documents the contract.

use serde_json::Value;

const PUBLIC: &[&str] = &[
    "/api/health",
    "/api/ready",
    "/api/docs",
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/signout",
    "/api/auth/callback",
    "/api/auth/accept-invite",
];

fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json")
}

#[test]
fn committed_document_matches_the_code() {
    let generated = lintel_api::openapi_json();
    if std::env::var_os("LINTEL_UPDATE_OPENAPI").is_some() {
        std::fs::write(committed_path(), &generated).unwrap();
        return;
    }
    let committed =
        std::fs::read_to_string(committed_path()).expect("openapi.json at the repo root");
    assert!(
        committed == generated,
        "openapi.json is out of date: run `LINTEL_UPDATE_OPENAPI=1 cargo test -p lintel-api --test openapi` and commit it"
    );
}

#[test]
fn document_is_openapi_3_1_with_security_and_errors() {
    let doc: Value = serde_json::from_str(&lintel_api::openapi_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/properties/{id}"));
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                !responses.is_empty(),
                "{method} {path} documents no response"
            );
            if PUBLIC.contains(&path.as_str()) {
                continue;
            }
            assert!(
                op["security"].is_array(),
                "{method} {path} documents no security"
            );
            for code in ["401", "403"] {
                assert!(responses.contains_key(code), "{method} {path} lacks {code}");
            }
        }
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

// ---------------------------------------------------------------------------------------------
// The input schemas state exactly what the validators require (docs/reliability.md F3–F6): each
// documented rule is checked against the domain validator it describes, so a schema-valid body
// is accepted and a schema-violating one rejected.

use lintel_domain::identity::access::NewApiKeyInput;
use lintel_domain::identity::{
    AcceptInvitationInput, LoginInput, MemberPatchInput, NewInvitationInput, NewMemberInput,
    NewOrganisationInput, PasswordChangeInput, RegisterInput, SwitchOrganisationInput,
};
use lintel_domain::money::{Money, MoneyDto};
use lintel_domain::pagination::PAGE_MAX;
use lintel_domain::portfolio::{
    validate_amenities, AddressInput, AmenityInput, BuildingInput, BuildingPatchInput,
    BulkUnitsInput, PropertyInput, PropertyPatchInput, UnitInput, UnitPatchInput, UnitStatusInput,
};
use lintel_domain::{Currency, FieldError, Validator};
use serde::de::DeserializeOwned;
use serde_json::json;

fn doc() -> Value {
    serde_json::from_str(&lintel_api::openapi_json()).unwrap()
}

/// A body through serde and the validator: `Ok`, or the failing fields (`*` when serde refused
/// the body, which the API answers with a 400 or a 422 on an unknown field).
type Check = fn(Value) -> Result<(), Vec<String>>;

fn run<T: DeserializeOwned>(
    body: Value,
    validate: impl FnOnce(T) -> Result<(), Vec<FieldError>>,
) -> Result<(), Vec<String>> {
    let bytes = body.to_string().into_bytes();
    let input: T = lintel_api::extract::parse_json(&bytes).map_err(|_| vec!["*".to_string()])?;
    validate(input).map_err(|errs| errs.into_iter().map(|e| e.field).collect())
}

/// Runs a validator that writes into a [`Validator`] under `x`, reporting fields without it.
fn under_x(f: impl FnOnce(&mut Validator)) -> Result<(), Vec<FieldError>> {
    let mut v = Validator::new();
    f(&mut v);
    let errs = v.into_errors();
    if errs.is_empty() {
        return Ok(());
    }
    Err(errs
        .into_iter()
        .map(|e| {
            let field = e.field.strip_prefix("x.").or(e.field.strip_prefix("x[0]."));
            FieldError::new(field.unwrap_or(&e.field), e.message)
        })
        .collect())
}

fn address() -> Value {
    json!({"line1": "41 Harbour Street", "city": "Halifax", "country": "CA"})
}

/// Every request-body schema: a valid body and its validator.
fn inputs() -> Vec<(&'static str, Value, Check)> {
    vec![
        (
            "RegisterInput",
            json!({"email": "maria@example.com", "password": "correct-horse-battery",
                   "name": "Maria Lopez", "organisationName": "Lopez Lettings"}),
            |b| run(b, |i: RegisterInput| i.validate().map(drop)),
        ),
        (
            "LoginInput",
            json!({"email": "maria@example.com", "password": "correct-horse-battery"}),
            |b| run(b, |i: LoginInput| i.validate().map(drop)),
        ),
        (
            "NewMemberInput",
            json!({"email": "sam@example.com", "name": "Sam", "role": "tenant",
                   "password": "initial-secret-42"}),
            |b| run(b, |i: NewMemberInput| i.validate().map(drop)),
        ),
        ("MemberPatchInput", json!({"role": "broker"}), |b| {
            run(b, |i: MemberPatchInput| i.validate().map(drop))
        }),
        (
            "NewInvitationInput",
            json!({"email": "sam@example.com", "role": "landlord"}),
            |b| run(b, |i: NewInvitationInput| i.validate().map(drop)),
        ),
        (
            "AcceptInvitationInput",
            json!({"token": "pV3x9Qk0nYJ0rQ2lZ7bW8cE1fG4hT6uI5oP3aS9dF2g",
                   "password": "correct-horse-battery", "name": "Sam"}),
            |b| run(b, |i: AcceptInvitationInput| i.validate().map(drop)),
        ),
        (
            "PasswordChangeInput",
            json!({"currentPassword": "old-secret-zz", "newPassword": "staple-orbit-lantern-9"}),
            |b| run(b, |i: PasswordChangeInput| i.validate().map(drop)),
        ),
        (
            "NewOrganisationInput",
            json!({"name": "Okafor Lettings"}),
            |b| run(b, |i: NewOrganisationInput| i.validate().map(drop)),
        ),
        (
            "SwitchOrganisationInput",
            json!({"organisationId": "org_01jdc8k5m3q7r9t1v3x5z7b9d1"}),
            |b| run(b, |i: SwitchOrganisationInput| i.validate().map(drop)),
        ),
        (
            "NewApiKeyInput",
            json!({"name": "Accounting sync", "role": "tenant"}),
            |b| run(b, |i: NewApiKeyInput| i.validate().map(drop)),
        ),
        (
            "PropertyInput",
            json!({"name": "Harbour View", "type": "residential", "address": address()}),
            |b| run(b, |i: PropertyInput| i.validate().map(drop)),
        ),
        ("PropertyPatchInput", json!({}), |b| {
            run(b, |i: PropertyPatchInput| i.validate().map(drop))
        }),
        ("AddressInput", address(), |b| {
            run(b, |a: AddressInput| {
                under_x(|v| {
                    a.validate(v, "x");
                })
            })
        }),
        ("BuildingInput", json!({"name": "Tower"}), |b| {
            run(b, |i: BuildingInput| i.validate().map(drop))
        }),
        ("BuildingPatchInput", json!({}), |b| {
            run(b, |i: BuildingPatchInput| i.validate().map(drop))
        }),
        ("AmenityInput", json!({"id": 4, "value": 1}), |b| {
            run(b, |a: AmenityInput| {
                under_x(|v| {
                    validate_amenities(v, "x", vec![a]);
                })
            })
        }),
        ("UnitInput", json!({"name": "4B"}), |b| {
            run(b, |i: UnitInput| i.validate().map(drop))
        }),
        ("UnitPatchInput", json!({}), |b| {
            run(b, |i: UnitPatchInput| i.validate().map(drop))
        }),
        ("UnitStatusInput", json!({"status": "occupied"}), |b| {
            run(b, |i: UnitStatusInput| i.validate().map(drop))
        }),
        ("BulkUnitsInput", json!({"units": [{"name": "101"}]}), |b| {
            run(b, |i: BulkUnitsInput| i.validate().map(drop))
        }),
        (
            "MoneyDto",
            json!({"amountMinor": 185000, "currency": "CAD"}),
            |b| {
                run(b, |m: MoneyDto| {
                    under_x(|v| {
                        Money::validate_non_negative(v, "x", &m);
                    })
                })
            },
        ),
    ]
}

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
fn nullable(prop: &Value) -> bool {
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

use lintel_domain::text::{LINE_PATTERN, MULTILINE_PATTERN, REQUIRED_LINE_PATTERN};

const NO_NUL: &str = r"^[^\x00]*$";
const PASSWORD: &str = r"^(?=(?:[\s\S]*?([\s\S])(?![\s\S]*?\1)){5})[^\x00]*$";
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
        PASSWORD => (
            vec!["abcde12345", "  abcde  12", "a\nb\nc\nd\ne\n"],
            vec!["aaaaaaaaaa", "abababcdcdcd", "abcde\x0012345"],
        ),
        COUNTRY => (vec!["CA", "ca", "gB"], vec!["", "C", "CAN", "C1", "É1"]),
        _ => return None,
    })
}

/// `n` characters of ordinary text (at least 5 different ones from 5 on).
fn filler(n: usize) -> String {
    "mbnvcxzlkj".chars().cycle().take(n).collect()
}

fn array_items(schema: &str, key: &str, n: usize) -> Value {
    let item = |i: usize| match (schema, key) {
        ("BulkUnitsInput", "units") => json!({"name": format!("U{i}")}),
        (_, "amenities") => json!({"id": i % 12 + 1, "value": 1}),
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
            "{name}: add it to inputs() in tests/openapi.rs"
        );
    }
    for (name, base, check) in &table {
        let schema = &schemas[*name];
        assert!(schema.is_object(), "{name} is not in the document");
        assert_eq!(
            check(base.clone()),
            Ok(()),
            "{name}: the base body is valid"
        );
        assert_eq!(
            schema["additionalProperties"], false,
            "{name}: unknown fields are refused"
        );
        assert!(
            check(with(base, "bogus", Some(json!(1)))).is_err(),
            "{name}"
        );
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        for (key, prop) in schema["properties"].as_object().unwrap() {
            let label = format!("{name}.{key}");
            let absent = check(with(base, key, None));
            assert_eq!(
                required.contains(&key.as_str()),
                fails_on(&absent, key),
                "{label}: documented as required exactly when the validator requires it"
            );
            let null = check(with(base, key, Some(Value::Null)));
            assert_eq!(
                nullable(prop),
                null.is_ok(),
                "{label}: documented as nullable exactly when null is accepted ({null:?})"
            );
            check_bounds(name, base, *check, key, prop, &label);
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
            assert_eq!(set(json!(filler(max))), Ok(()), "{label} at maxLength");
            assert!(fails_on(&set(json!(filler(max + 1))), key), "{label}");
        }
        let min = prop["minLength"].as_u64().unwrap_or(0) as usize;
        if min > 0 {
            assert_eq!(set(json!(filler(min))), Ok(()), "{label} at minLength");
            assert!(fails_on(&set(json!(filler(min - 1))), key), "{label}");
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

#[test]
fn documented_inputs_spot_checks() {
    let doc = doc();
    let s = &doc["components"]["schemas"];
    assert_eq!(
        s["PropertyInput"]["required"],
        json!(["name", "type", "address"])
    );
    assert_eq!(s["PropertyInput"]["properties"]["name"]["type"], "string");
    assert_eq!(
        s["PropertyInput"]["properties"]["address"]["$ref"],
        "#/components/schemas/AddressInput"
    );
    assert_eq!(
        s["AddressInput"]["required"],
        json!(["line1", "city", "country"])
    );
    assert_eq!(s["UnitInput"]["properties"]["bedrooms"]["multipleOf"], 0.5);
    assert_eq!(s["UnitInput"]["properties"]["maxOccupancy"]["minimum"], 1);
    assert_eq!(s["BulkUnitsInput"]["properties"]["units"]["maxItems"], 500);
    assert_eq!(s["AmenityInput"]["required"], json!(["id", "value"]));
    assert_eq!(
        s["RegisterInput"]["required"],
        json!(["email", "password", "name", "organisationName"])
    );
    assert_eq!(s["RegisterInput"]["properties"]["email"]["format"], "email");
    // PATCH bodies keep `null` (clears, or leaves unchanged) and require nothing.
    for patch in ["PropertyPatchInput", "BuildingPatchInput", "UnitPatchInput"] {
        assert!(s[patch]["required"].is_null(), "{patch}");
    }
    assert!(nullable(&s["UnitPatchInput"]["properties"]["maxOccupancy"]));
    // Money: closed, 0..=10^13, a known currency.
    let money = &s["MoneyDto"];
    assert_eq!(money["additionalProperties"], false);
    assert_eq!(money["properties"]["amountMinor"]["minimum"], 0);
    assert_eq!(
        money["properties"]["amountMinor"]["maximum"],
        lintel_domain::money::MAX_AMOUNT_MINOR
    );
    let codes = s["Currency"]["enum"].as_array().unwrap();
    assert!(codes.len() > 40);
    for code in codes {
        let code = code.as_str().unwrap();
        assert!(Currency::parse(code).is_some(), "{code}");
    }
    // IDs: lowercase Crockford base32, as the parser takes them.
    assert_eq!(
        s["BuildingId"]["pattern"],
        lintel_domain::id::id_pattern("bldg")
    );
}

#[test]
fn documented_query_parameters() {
    let doc = doc();
    let params = |path: &str| doc["paths"][path]["get"]["parameters"].clone();
    let param = |path: &str, name: &str| {
        params(path)
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
    };
    let lists = [
        "/api/properties",
        "/api/buildings",
        "/api/units",
        "/api/members",
        "/api/api-keys",
        "/api/audit-log",
    ];
    for path in lists {
        let page = param(path, "page").unwrap_or_else(|| panic!("{path} page"));
        assert_eq!(page["schema"]["minimum"], 1, "{path}");
        assert_eq!(page["schema"]["maximum"], PAGE_MAX, "{path}");
    }
    // The audit log's page size is fixed: not a parameter at all.
    assert!(param("/api/audit-log", "pageSize").is_none());
    let ids = param("/api/properties/compare", "ids").unwrap();
    assert_eq!(ids["required"], true);
    let pattern = ids["schema"]["pattern"].as_str().unwrap();
    let one = lintel_domain::id::ULID_PATTERN;
    assert_eq!(
        pattern,
        format!(r"^(?!.*(prop_.{{26}}).*\1)prop_{one}(,prop_{one}){{1,4}}$")
    );
    let property_id = param("/api/units", "propertyId").unwrap();
    assert_eq!(
        property_id["schema"]["$ref"],
        "#/components/schemas/PropertyId"
    );
    for (path, name, max) in [
        ("/api/properties", "q", 200),
        ("/api/buildings", "q", 200),
        ("/api/audit-log", "entityType", 100),
        ("/api/audit-log", "entityId", 100),
    ] {
        let p = param(path, name).unwrap();
        assert_eq!(p["schema"]["maxLength"], max, "{path} {name}");
        assert_eq!(p["schema"]["pattern"], LINE_PATTERN, "{path} {name}");
    }
}
