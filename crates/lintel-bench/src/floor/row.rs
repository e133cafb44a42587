//! The property row the floor reads, and the JSON Lintel answers for it (same fields, same
//! envelope, timestamps as RFC 3339 with milliseconds).

use serde::Serialize;

/// The property's own columns, in the order [`PropertyRow`] reads them.
const PROPERTY_COLUMNS: &str = "p.id, p.org_id, p.building_id, p.name, p.kind, p.status, \
    p.address_line1, p.address_line2, p.city, p.region, p.postal_code, p.country, \
    p.description, p.archived_at, p.created_at, p.updated_at";

/// The select list: the property's columns, then its unit count and occupied count, read the
/// cheapest way the schema allows: from the `unit_counts` counter rows Lintel keeps (migration
/// 0002), else by counting `units` (as Lintel did before it).
pub fn columns(counters: bool) -> String {
    let (all, occupied) = if counters {
        (
            "SELECT CAST(COALESCE(SUM(c.n), 0) AS BIGINT) FROM unit_counts c WHERE c.property_id = p.id",
            "SELECT CAST(COALESCE(SUM(c.n), 0) AS BIGINT) FROM unit_counts c WHERE c.property_id = p.id \
             AND c.status = 'occupied'",
        )
    } else {
        (
            "SELECT COUNT(*) FROM units u WHERE u.property_id = p.id",
            "SELECT COUNT(*) FROM units u WHERE u.property_id = p.id AND u.status = 'occupied'",
        )
    };
    format!("{PROPERTY_COLUMNS}, ({all}) AS units_count, ({occupied}) AS occupied_units")
}

/// One property with its unit counts.
pub struct PropertyRow {
    pub id: String,
    pub org_id: String,
    pub building_id: Option<String>,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
    pub description: Option<String>,
    pub archived_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub units_count: i64,
    pub occupied_units: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Address<'a> {
    line1: &'a str,
    line2: Option<&'a str>,
    city: &'a str,
    region: Option<&'a str>,
    postal_code: Option<&'a str>,
    country: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Property<'a> {
    id: &'a str,
    organisation_id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    status: &'a str,
    address: Address<'a>,
    description: Option<&'a str>,
    building_id: Option<&'a str>,
    units_count: i64,
    occupied_units: i64,
    archived_at: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
struct Envelope<'a> {
    success: bool,
    data: Property<'a>,
}

pub(super) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl PropertyRow {
    /// `{"success":true,"data":{…}}`.
    pub fn envelope(&self) -> String {
        let data = Property {
            id: &self.id,
            organisation_id: &self.org_id,
            name: &self.name,
            kind: &self.kind,
            status: &self.status,
            address: Address {
                line1: &self.address_line1,
                line2: self.address_line2.as_deref(),
                city: &self.city,
                region: self.region.as_deref(),
                postal_code: self.postal_code.as_deref(),
                country: &self.country,
            },
            description: self.description.as_deref(),
            building_id: self.building_id.as_deref(),
            units_count: self.units_count,
            occupied_units: self.occupied_units,
            archived_at: self.archived_at.map(rfc3339),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        };
        serde_json::to_string(&Envelope {
            success: true,
            data,
        })
        .expect("a property serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_has_lintels_field_names() {
        let row = PropertyRow {
            id: "prop_1".into(),
            org_id: "org_1".into(),
            building_id: None,
            name: "Harbour View".into(),
            kind: "residential".into(),
            status: "active".into(),
            address_line1: "41 Harbour Street".into(),
            address_line2: None,
            city: "Halifax".into(),
            region: Some("NS".into()),
            postal_code: None,
            country: "CA".into(),
            description: None,
            archived_at: None,
            created_at: 0,
            updated_at: 1_000,
            units_count: 3,
            occupied_units: 1,
        };
        let v: serde_json::Value = serde_json::from_str(&row.envelope()).unwrap();
        assert_eq!(v["success"], true);
        assert_eq!(v["data"]["type"], "residential");
        assert_eq!(v["data"]["organisationId"], "org_1");
        assert_eq!(v["data"]["address"]["postalCode"], serde_json::Value::Null);
        assert_eq!(v["data"]["unitsCount"], 3);
        assert_eq!(v["data"]["updatedAt"], "1970-01-01T00:00:01.000Z");
    }
}
