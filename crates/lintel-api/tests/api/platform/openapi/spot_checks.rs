//! Spot checks of what the document says about inputs and query parameters.

use lintel_domain::pagination::PAGE_MAX;
use lintel_domain::text::LINE_PATTERN;
use lintel_domain::Currency;
use serde_json::json;

use super::doc;
use super::schemas::nullable;

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
