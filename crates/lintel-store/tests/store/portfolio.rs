//! Writes of several records in one transaction: a property with its first units is created
//! whole or not at all.

use lintel_domain::portfolio::{
    Availability, BulkUnitsInput, NewUnit, PropertyInput, PropertySort,
};
use lintel_domain::{Actor, Cap, EventKind, Limit, PageRequest, Plan};
use lintel_store::portfolio::properties::PropertyFilter;
use lintel_store::StoreError;
use serde_json::json;

use crate::support::{input, org, store_test};

fn house(name: &str) -> lintel_domain::portfolio::NewProperty {
    let p: PropertyInput = input(json!({"name": name, "type": "residential",
        "address": {"line1": "1 Main St", "city": "Halifax", "country": "CA"}}));
    p.validate().unwrap()
}

fn units(n: usize) -> Vec<NewUnit> {
    let rows: Vec<_> = (1..=n)
        .map(|i| json!({"name": format!("Unit {i}")}))
        .collect();
    let b: BulkUnitsInput = input(json!({ "units": rows }));
    b.validate().unwrap()
}

const ACTIVE: PropertyFilter = PropertyFilter {
    availability: Availability::Active,
    status: None,
    kind: None,
    q: None,
    sort: PropertySort::CreatedAt,
};

const PAGE: PageRequest = PageRequest {
    page: 1,
    page_size: 100,
};

store_test!(a_property_and_its_units_are_created_together, |store| {
    let (a, admin) = org(store, Plan::Pro, "whole").await;
    let actor = Actor::user(admin.id, None);
    let scope = store.org(a);
    let caps = (Cap::AtMost(5), Cap::AtMost(3));
    let (p, created) = scope
        .properties()
        .create_with_units(&actor, house("Whole House"), units(3), caps)
        .await
        .unwrap();
    assert_eq!(created.len(), 3);
    assert!(created.iter().all(|u| u.property_id == p.id));
    let names: Vec<&str> = created.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["Unit 1", "Unit 2", "Unit 3"], "input order");
    let stored = scope.properties().get(p.id).await.unwrap();
    assert_eq!(stored.units_count, 3, "the counters moved with the units");

    let kinds: Vec<EventKind> = store
        .outbox()
        .pending(1000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .filter(|k| matches!(k, EventKind::PropertyCreated | EventKind::UnitCreated))
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::PropertyCreated,
            EventKind::UnitCreated,
            EventKind::UnitCreated,
            EventKind::UnitCreated
        ]
    );
});

store_test!(a_refused_unit_leaves_no_property, |store| {
    let (a, admin) = org(store, Plan::Pro, "none").await;
    let actor = Actor::user(admin.id, None);
    let scope = store.org(a);
    let before = store.outbox().pending(1000).await.unwrap().len();

    // One unit past the cap on units: the property goes too.
    let caps = (Cap::Unlimited, Cap::AtMost(2));
    let err = scope
        .properties()
        .create_with_units(&actor, house("Too Many"), units(3), caps)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::LimitReached {
                limit: Limit::Units,
                max: 2
            }
        ),
        "{err:?}"
    );

    // The property cap refuses before any unit is written.
    let caps = (Cap::AtMost(0), Cap::Unlimited);
    let err = scope
        .properties()
        .create_with_units(&actor, house("No Room"), units(1), caps)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::LimitReached {
                limit: Limit::Properties,
                max: 0
            }
        ),
        "{err:?}"
    );

    let page = scope.properties().list(&ACTIVE, PAGE).await.unwrap();
    assert_eq!(page.total, 0, "no property was left behind");
    let after = store.outbox().pending(1000).await.unwrap().len();
    assert_eq!(after, before, "and no event");
});
