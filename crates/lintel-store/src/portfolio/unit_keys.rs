//! The stored comparison keys of unit names and suites (`units.name_key`, `units.suite_key`,
//! migration 0003): the unique index `units_property_name_key` is on them, so names differing
//! only in case or Unicode composition clash.

use std::collections::HashSet;

use lintel_domain::text::name_key;
use sea_query::{Expr, Order, Query};

use crate::db::Tx;
use crate::error::Result;
use crate::portfolio::schema::Units as U;

/// The keys a unit with this name and suite is stored and compared under.
pub(crate) fn keys(name: &str, suite: Option<&str>) -> (String, Option<String>) {
    (name_key(name), suite.map(name_key))
}

#[derive(serde::Deserialize)]
struct PropertyRow {
    property_id: String,
}

#[derive(serde::Deserialize)]
struct KeyedRow {
    id: String,
    name: String,
    suite: Option<String>,
    name_key: String,
    suite_key: Option<String>,
}

/// Gives every unit its Rust-computed keys where the migration's `LOWER()` may differ: in the
/// properties that have a unit whose name or suite is not all ASCII. Run once, in the
/// transaction that applies migration 0003.
pub(crate) async fn rekey(tx: &mut Tx) -> Result<()> {
    let non_ascii = "LENGTH(name) <> OCTET_LENGTH(name) \
        OR LENGTH(COALESCE(suite, '')) <> OCTET_LENGTH(COALESCE(suite, ''))";
    let properties: Vec<PropertyRow> = tx
        .all(
            // across organisations: a migration step rekeys every organisation's units.
            &Query::select()
                .distinct()
                .column(U::PropertyId)
                .from(U::Table)
                .and_where(Expr::cust(non_ascii))
                .to_owned(),
        )
        .await?;
    for p in properties {
        rekey_property(tx, &p.property_id).await?;
    }
    Ok(())
}

/// Recomputes the keys of one property's units. In a clash the oldest unit keeps the plain key
/// and later ones get ` #<id>` appended, as the migration does.
async fn rekey_property(tx: &mut Tx, property: &str) -> Result<()> {
    let rows: Vec<KeyedRow> = tx
        .all(
            // across organisations: a migration step rekeys every organisation's units.
            &Query::select()
                .columns([U::Id, U::Name, U::Suite, U::NameKey, U::SuiteKey])
                .from(U::Table)
                .and_where(Expr::col(U::PropertyId).eq(property))
                .order_by(U::Id, Order::Asc)
                .to_owned(),
        )
        .await?;
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut changes = Vec::new();
    for r in rows {
        let (mut name, suite) = keys(&r.name, r.suite.as_deref());
        if !seen.insert((name.clone(), suite.clone().unwrap_or_default())) {
            name = format!("{name} #{}", r.id);
        }
        if name != r.name_key || suite != r.suite_key {
            changes.push((r.id, name, suite));
        }
    }
    // First out of the way (IDs are unique), then to the new keys: no row meets another's old
    // key on the way.
    for (id, ..) in &changes {
        set_keys(tx, id, format!("\u{1}{id}"), None).await?;
    }
    for (id, name, suite) in changes {
        set_keys(tx, &id, name, suite).await?;
    }
    Ok(())
}

async fn set_keys(tx: &mut Tx, id: &str, name: String, suite: Option<String>) -> Result<()> {
    tx.exec(
        // across organisations: a migration step rekeys every organisation's units.
        &Query::update()
            .table(U::Table)
            .values([(U::NameKey, name.into()), (U::SuiteKey, suite.into())])
            .and_where(Expr::col(U::Id).eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{ConnectOptions, Db};
    use crate::migrate::run_until;

    #[derive(serde::Deserialize)]
    struct Keys {
        id: String,
        name_key: String,
        suite_key: Option<String>,
    }

    /// Units stored before migration 0003: `(id, property, name, suite)`.
    const LEGACY: [(&str, &str, &str, Option<&str>); 7] = [
        ("unit_1", "prop_a", "Harbour", None),
        ("unit_2", "prop_a", "HARBOUR", None),
        ("unit_3", "prop_a", "\u{c9}cole", Some("A")),
        ("unit_4", "prop_a", "e\u{301}cole", Some("a")),
        ("unit_5", "prop_a", "Ecole", Some("a")),
        ("unit_6", "prop_b", "Harbour", None),
        ("unit_7", "prop_b", "Stra\u{df}e", Some("")),
    ];

    fn seed_sql() -> String {
        let mut sql = String::from(
            "INSERT INTO organisations (id, name, plan, created_at, updated_at) \
             VALUES ('org_1', 'O', 'pro', 0, 0);",
        );
        for p in ["prop_a", "prop_b"] {
            sql.push_str(&format!(
                "INSERT INTO properties (id, org_id, name, kind, status, address_line1, city, \
                 country, search_text, created_at, updated_at) VALUES ('{p}', 'org_1', '{p}', \
                 'residential', 'active', 'l1', 'c', 'CA', '', 0, 0);"
            ));
        }
        for (id, p, name, suite) in LEGACY {
            let suite = suite.map_or("NULL".to_string(), |s| format!("'{s}'"));
            sql.push_str(&format!(
                "INSERT INTO units (id, org_id, property_id, name, suite, unit_type, bedrooms, \
                 bathrooms, furnishing, storage, max_occupancy, max_occupancy_set, status, \
                 created_at, updated_at) VALUES ('{id}', 'org_1', '{p}', '{name}', {suite}, \
                 'apartment', 0, 0, 'unfurnished', 'not_available', 1, 0, 'vacant', 0, 0);"
            ));
        }
        sql
    }

    /// Migrates `url` to version 2, stores [`LEGACY`], then upgrades and checks the keys.
    async fn upgrade_keeps_every_unit_and_keys_them(url: &str) {
        let old = Db::connect(url, &ConnectOptions::default()).await.unwrap();
        assert_eq!(run_until(&old, 2).await.unwrap(), 2);
        old.raw(&seed_sql()).await.unwrap();
        assert_eq!(run_until(&old, 3).await.unwrap(), 1);
        old.close().await;
        // A new pool, as a server started after the upgrade would have.
        let db = &Db::connect(url, &ConnectOptions::default()).await.unwrap();
        let rows: Vec<Keys> = db
            .all(
                // across organisations: the test reads what the migration wrote for every organisation.
                &Query::select()
                    .columns([U::Id, U::NameKey, U::SuiteKey])
                    .from(U::Table)
                    .order_by(U::Id, Order::Asc)
                    .to_owned(),
            )
            .await
            .unwrap();
        let got: Vec<(&str, &str, Option<&str>)> = rows
            .iter()
            .map(|r| (r.id.as_str(), r.name_key.as_str(), r.suite_key.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("unit_1", "harbour", None),
                ("unit_2", "harbour #unit_2", None),
                ("unit_3", "\u{e9}cole", Some("a")),
                ("unit_4", "\u{e9}cole #unit_4", Some("a")),
                ("unit_5", "ecole", Some("a")),
                ("unit_6", "harbour", None),
                ("unit_7", "strasse", Some("")),
            ]
        );
        // The index now refuses a name that differs only in case.
        let clash = "INSERT INTO units (id, org_id, property_id, name, name_key, unit_type, \
            bedrooms, bathrooms, furnishing, storage, max_occupancy, max_occupancy_set, status, \
            created_at, updated_at) VALUES ('unit_8', 'org_1', 'prop_b', 'HARBOUR', 'harbour', \
            'apartment', 0, 0, 'unfurnished', 'not_available', 1, 0, 'vacant', 0, 0)";
        assert!(db.raw(clash).await.is_err());
        db.close().await;
    }

    #[tokio::test]
    async fn upgrade_on_sqlite() {
        let db = crate::test_db::TestDb::sqlite();
        upgrade_keeps_every_unit_and_keys_them(&db.url).await;
    }

    #[tokio::test]
    async fn upgrade_on_postgres() {
        let Some(db) = crate::test_db::TestDb::postgres("lintel_keys").await else {
            return;
        };
        upgrade_keeps_every_unit_and_keys_them(&db.url).await;
    }
}
