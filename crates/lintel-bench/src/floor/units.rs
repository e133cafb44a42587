//! Scenario 3 on the floor: the first page of the organisation's units and the JSON Lintel
//! answers for it (same envelope, same page object, same fields, same `nextCursor`).
//!
//! One statement reads the page's rows in Lintel's order (by ID) and, once, the page's total from
//! Lintel's per-organisation counter rows (`org_unit_counts`, migration 0002; `COUNT(*)` of
//! `units` before it). Only the rows of the page are read: whether a next page exists follows
//! from the total, which the counters keep equal to the rows' count.

use lintel_domain::{Cursor, KeyPart};
use serde::Serialize;

use super::row::rfc3339;

/// Lintel's default and largest page sizes for units (`lintel_domain::pagination::UNITS_PAGE`).
const DEFAULT_SIZE: u32 = lintel_domain::pagination::UNITS_PAGE.default;
const MAX_SIZE: u32 = lintel_domain::pagination::UNITS_PAGE.max;

/// The tag of Lintel's units order, carried in its cursors.
const ORDER: &str = "id";

/// The unit's columns, in the order [`UnitRow`] reads them.
const UNIT_COLUMNS: &str = "u.id, u.org_id, u.property_id, u.name, u.suite, u.unit_type, \
    u.bedrooms, u.bathrooms, u.area_sqft, u.rent_minor, u.rent_currency, u.furnishing, \
    u.storage, u.parking_stalls, u.max_occupancy, u.status, u.description, u.created_at, \
    u.updated_at";

/// `SELECT … LIMIT size`: the page's units (organisation `$1`, page size `$2`), each with the
/// organisation's unit count, an uncorrelated subquery evaluated once per statement. `pg` picks
/// the placeholders (`$n`, else `?n`).
pub fn sql(counters: bool, pg: bool) -> String {
    let total = if counters {
        "SELECT CAST(COALESCE(SUM(c.n), 0) AS BIGINT) FROM org_unit_counts c WHERE c.org_id = $1"
    } else {
        "SELECT COUNT(*) FROM units t WHERE t.org_id = $1"
    };
    let q = format!(
        "SELECT {UNIT_COLUMNS}, ({total}) AS total FROM units u WHERE u.org_id = $1 \
         ORDER BY u.id LIMIT $2"
    );
    if pg {
        q
    } else {
        q.replace('$', "?")
    }
}

/// The page size of `GET /api/units?{query}`, when the floor serves it: page 1 (or no page) and
/// a page size Lintel accepts (or none), nothing else.
pub fn page_size(query: Option<&str>) -> Option<u32> {
    let mut size = DEFAULT_SIZE;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=')? {
            ("page", "1") => {}
            ("pageSize", v) => {
                size = v.parse().ok().filter(|s| (1..=MAX_SIZE).contains(s))?;
            }
            _ => return None,
        }
    }
    Some(size)
}

/// One unit, with the organisation's unit count the statement reads alongside.
pub struct UnitRow {
    pub id: String,
    pub org_id: String,
    pub property_id: String,
    pub name: String,
    pub suite: Option<String>,
    pub unit_type: String,
    pub bedrooms: f64,
    pub bathrooms: f64,
    pub area_sqft: Option<i64>,
    pub rent_minor: Option<i64>,
    pub rent_currency: Option<String>,
    pub furnishing: String,
    pub storage: String,
    pub parking_stalls: Option<i64>,
    pub max_occupancy: i64,
    pub status: String,
    pub description: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub total: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Money<'a> {
    amount_minor: i64,
    currency: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Unit<'a> {
    id: &'a str,
    organisation_id: &'a str,
    property_id: &'a str,
    name: &'a str,
    suite: Option<&'a str>,
    unit_type: &'a str,
    bedrooms: f64,
    bathrooms: f64,
    area_sqft: Option<i64>,
    rent: Option<Money<'a>>,
    furnishing: &'a str,
    storage: &'a str,
    parking_stalls: Option<i64>,
    max_occupancy: i64,
    status: &'a str,
    description: Option<&'a str>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    items: Vec<Unit<'a>>,
    page: u32,
    page_size: u32,
    total: u64,
    total_pages: u64,
    next_cursor: Option<String>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    success: bool,
    data: Page<'a>,
}

impl<'a> From<&'a UnitRow> for Unit<'a> {
    fn from(r: &'a UnitRow) -> Unit<'a> {
        Unit {
            id: &r.id,
            organisation_id: &r.org_id,
            property_id: &r.property_id,
            name: &r.name,
            suite: r.suite.as_deref(),
            unit_type: &r.unit_type,
            bedrooms: r.bedrooms,
            bathrooms: r.bathrooms,
            area_sqft: r.area_sqft,
            // Lintel shows rent only when both columns are set.
            rent: match (r.rent_minor, r.rent_currency.as_deref()) {
                (Some(amount_minor), Some(currency)) => Some(Money {
                    amount_minor,
                    currency,
                }),
                _ => None,
            },
            furnishing: &r.furnishing,
            storage: &r.storage,
            parking_stalls: r.parking_stalls,
            max_occupancy: r.max_occupancy,
            status: &r.status,
            description: r.description.as_deref(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// `{"success":true,"data":{"items":[…],"page":1,…}}` for page 1 of `size` rows.
pub fn envelope(rows: &[UnitRow], size: u32) -> String {
    let total = rows.first().map_or(0, |r| r.total.max(0) as u64);
    // Lintel reads one row more than the page to know; the counters tell the same.
    let next_cursor = match rows.last() {
        Some(last) if rows.len() == size as usize && total > u64::from(size) => Some(
            Cursor {
                page: 2,
                order: ORDER.into(),
                after: vec![KeyPart::Text(last.id.clone())],
            }
            .encode(),
        ),
        _ => None,
    };
    let data = Page {
        items: rows.iter().map(Unit::from).collect(),
        page: 1,
        page_size: size,
        total,
        total_pages: total.div_ceil(u64::from(size)),
        next_cursor,
    };
    serde_json::to_string(&Envelope {
        success: true,
        data,
    })
    .expect("a page of units serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str, total: i64) -> UnitRow {
        UnitRow {
            id: id.into(),
            org_id: "org_1".into(),
            property_id: "prop_1".into(),
            name: "Unit 101".into(),
            suite: Some("101".into()),
            unit_type: "apartment".into(),
            bedrooms: 2.0,
            bathrooms: 1.5,
            area_sqft: Some(820),
            rent_minor: Some(185_000),
            rent_currency: Some("CAD".into()),
            furnishing: "unfurnished".into(),
            storage: "none".into(),
            parking_stalls: None,
            max_occupancy: 4,
            status: "vacant".into(),
            description: None,
            created_at: 0,
            updated_at: 1_000,
            total,
        }
    }

    #[test]
    fn the_envelope_has_lintels_field_names() {
        let rows = [unit("unit_1", 3), unit("unit_2", 3)];
        let v: serde_json::Value = serde_json::from_str(&envelope(&rows, 2)).unwrap();
        assert_eq!(v["success"], true);
        let d = &v["data"];
        assert_eq!(
            (&d["page"], &d["pageSize"], &d["total"], &d["totalPages"]),
            (&1.into(), &2.into(), &3.into(), &2.into())
        );
        let u = &d["items"][0];
        assert_eq!(u["organisationId"], "org_1");
        assert_eq!(u["propertyId"], "prop_1");
        assert_eq!(u["unitType"], "apartment");
        assert_eq!(u["bedrooms"], 2.0);
        assert_eq!(u["areaSqft"], 820);
        assert_eq!(u["rent"]["amountMinor"], 185_000);
        assert_eq!(u["rent"]["currency"], "CAD");
        assert_eq!(u["parkingStalls"], serde_json::Value::Null);
        assert_eq!(u["maxOccupancy"], 4);
        assert_eq!(u["description"], serde_json::Value::Null);
        assert_eq!(u["updatedAt"], "1970-01-01T00:00:01.000Z");
        assert!(u.get("maxOccupancySet").is_none() && u.get("total").is_none());
        let next = Cursor::decode(d["nextCursor"].as_str().unwrap()).unwrap();
        assert_eq!((next.page, next.order.as_str()), (2, ORDER));
        assert_eq!(next.after, [KeyPart::Text("unit_2".into())]);
    }

    #[test]
    fn the_last_page_has_no_cursor_and_rent_needs_both_columns() {
        let mut row = unit("unit_1", 1);
        row.rent_currency = None;
        let v: serde_json::Value = serde_json::from_str(&envelope(&[row], 20)).unwrap();
        assert_eq!(v["data"]["nextCursor"], serde_json::Value::Null);
        assert_eq!(v["data"]["items"][0]["rent"], serde_json::Value::Null);
        let v: serde_json::Value = serde_json::from_str(&envelope(&[], 20)).unwrap();
        assert_eq!(v["data"]["items"], serde_json::json!([]));
        assert_eq!(
            (&v["data"]["total"], &v["data"]["totalPages"]),
            (&0.into(), &0.into())
        );
    }

    #[test]
    fn only_page_one_is_served() {
        assert_eq!(page_size(None), Some(20));
        assert_eq!(page_size(Some("page=1&pageSize=20")), Some(20));
        assert_eq!(page_size(Some("pageSize=100")), Some(100));
        assert_eq!(page_size(Some("page=2&pageSize=20")), None);
        assert_eq!(page_size(Some("pageSize=101")), None);
        assert_eq!(page_size(Some("pageSize=0")), None);
        assert_eq!(page_size(Some("cursor=abc")), None);
        assert_eq!(page_size(Some("status=vacant")), None);
    }

    #[test]
    fn the_statement_suits_each_database() {
        let pg = sql(true, true);
        assert!(pg.contains("FROM org_unit_counts c WHERE c.org_id = $1"));
        assert!(pg.ends_with("ORDER BY u.id LIMIT $2"));
        let lite = sql(false, false);
        assert!(!lite.contains('$') && lite.contains("LIMIT ?2"));
        assert!(lite.contains("SELECT COUNT(*) FROM units t"));
    }
}
