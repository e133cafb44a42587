//! Envelopes and pages refer to the named component schemas instead of carrying copies.
//!
//! utoipa expands a generic's type argument in place: `Envelope<Property>` became a component
//! whose `data` was a full copy of `Property`, and `Envelope<Page<Property>>` one whose items
//! were another copy, so generated clients handed users anonymous types
//! (`EnvelopePropertyData`) where `Property` was meant. After the document is built, every page
//! gets its own component (`Page_Property`), and every inline copy of a named object schema
//! becomes a `$ref` to it. A copy is replaced only when it is identical to the component, so the
//! document describes exactly the same JSON as before.

use std::collections::BTreeMap;

use serde_json::Value;
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema};
use utoipa::openapi::{OpenApi, Ref, RefOr};

const ENVELOPE_OF_PAGE: &str = "Envelope_Page_";

type Schemas = BTreeMap<String, RefOr<Schema>>;

/// Rewrites the document's components (see the module's description).
pub fn apply(mut api: OpenApi) -> OpenApi {
    if let Some(components) = api.components.as_mut() {
        lift_pages(&mut components.schemas);
        replace_copies(&mut components.schemas);
    }
    api
}

fn reference(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

/// `Envelope_Page_X.data` becomes the component `Page_X`.
fn lift_pages(schemas: &mut Schemas) {
    let envelopes: Vec<String> = schemas
        .keys()
        .filter(|n| n.starts_with(ENVELOPE_OF_PAGE))
        .cloned()
        .collect();
    for envelope in envelopes {
        let page = format!("Page_{}", &envelope[ENVELOPE_OF_PAGE.len()..]);
        let Some(RefOr::T(Schema::Object(object))) = schemas.get_mut(&envelope) else {
            continue;
        };
        let Some(data) = object.properties.get_mut("data") else {
            continue;
        };
        let inline = std::mem::replace(data, reference(&page));
        schemas.entry(page).or_insert(inline);
    }
}

/// Replaces, inside every component, each subschema identical to a named object schema by a
/// reference to it.
fn replace_copies(schemas: &mut Schemas) {
    let named: Vec<(String, Value)> = schemas
        .iter()
        .filter_map(|(n, s)| {
            let value = serde_json::to_value(s).ok()?;
            value
                .get("properties")
                .is_some()
                .then(|| (n.clone(), value))
        })
        .collect();
    for (name, schema) in schemas.iter_mut() {
        // The component itself stays; what it contains is replaced.
        if let RefOr::T(schema) = schema {
            for child in children(schema) {
                refer(child, &named, name);
            }
        }
    }
}

fn refer(node: &mut RefOr<Schema>, named: &[(String, Value)], owner: &str) {
    let RefOr::T(schema) = node else {
        return;
    };
    let value = serde_json::to_value(&*schema).unwrap_or(Value::Null);
    if let Some((name, _)) = named.iter().find(|(n, s)| n != owner && *s == value) {
        *node = reference(name);
        return;
    }
    for child in children(schema) {
        refer(child, named, owner);
    }
}

/// A schema's direct subschemas: properties, additional properties, array items and the
/// alternatives of `oneOf`, `allOf` and `anyOf`.
fn children(schema: &mut Schema) -> Vec<&mut RefOr<Schema>> {
    match schema {
        Schema::Object(o) => {
            let mut out: Vec<&mut RefOr<Schema>> = o.properties.values_mut().collect();
            if let Some(AdditionalProperties::RefOr(r)) = o.additional_properties.as_deref_mut() {
                out.push(r);
            }
            out
        }
        Schema::Array(a) => match &mut a.items {
            ArrayItems::RefOrSchema(item) => vec![item.as_mut()],
            _ => Vec::new(),
        },
        Schema::OneOf(o) => o.items.iter_mut().collect(),
        Schema::AllOf(o) => o.items.iter_mut().collect(),
        Schema::AnyOf(o) => o.items.iter_mut().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas(v: Value) -> Schemas {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn copies_become_references_and_pages_get_a_name() {
        let thing = json!({"type": "object", "properties": {"id": {"type": "string"}}});
        let mut map = schemas(json!({
            "Thing": thing,
            "Envelope_Thing": {"type": "object", "properties": {"data": thing}},
            "Envelope_Page_Thing": {"type": "object", "properties": {"data": {
                "type": "object",
                "properties": {"items": {"type": "array", "items": thing}}
            }}},
        }));
        lift_pages(&mut map);
        replace_copies(&mut map);
        let schemas = serde_json::to_value(&map).unwrap();
        let r = |n: &str| json!({ "$ref": format!("#/components/schemas/{n}") });
        assert_eq!(schemas["Envelope_Thing"]["properties"]["data"], r("Thing"));
        assert_eq!(
            schemas["Envelope_Page_Thing"]["properties"]["data"],
            r("Page_Thing")
        );
        assert_eq!(
            schemas["Page_Thing"]["properties"]["items"]["items"],
            r("Thing")
        );
        assert_eq!(schemas["Thing"], thing, "a component keeps its own schema");
    }

    #[test]
    fn a_schema_that_differs_stays_inline() {
        let thing = json!({"type": "object", "properties": {"id": {"type": "string"}}});
        let other = json!({"type": "object", "properties": {"id": {"type": "integer"}}});
        let mut map = schemas(json!({
            "Thing": thing,
            "Envelope_Other": {"type": "object", "properties": {"data": other}},
        }));
        replace_copies(&mut map);
        let schemas = serde_json::to_value(&map).unwrap();
        assert_eq!(schemas["Envelope_Other"]["properties"]["data"], other);
    }
}
