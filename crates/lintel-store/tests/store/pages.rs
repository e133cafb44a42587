//! Lists page by number or by cursor: walking `nextCursor` gives exactly the pages that page
//! numbers give, in every order, and a cursor of another order is refused.

use lintel_domain::portfolio::{
    Availability, BulkUnitsInput, PropertyInput, PropertySort, UnitStatus,
};
use lintel_domain::{Actor, Cap, Cursor, ListRequest, Page, PageRequest, Plan};
use lintel_store::portfolio::properties::PropertyFilter;
use lintel_store::portfolio::units::UnitFilter;
use lintel_store::StoreError;
use serde_json::json;

use crate::support::{input, org, store_test};

fn by_cursor(next: &Option<String>, size: u32) -> ListRequest {
    let c = Cursor::decode(next.as_deref().unwrap()).unwrap();
    ListRequest {
        page: PageRequest {
            page: c.page,
            page_size: size,
        },
        after: Some(c),
    }
}

fn ids<T>(p: &Page<T>, id: impl Fn(&T) -> String) -> Vec<String> {
    p.items.iter().map(id).collect()
}

store_test!(cursors_walk_the_same_pages_as_numbers, |store| {
    let (a, admin) = org(store, Plan::Business, "pages").await;
    let actor = Actor::user(admin.id, None);
    let scope = store.org(a);
    let names = ["Oak", "Ash", "Elm", "Birch", "Cedar", "Ash", "Pine"];
    let mut first = None;
    for n in names {
        let new: PropertyInput = input(json!({"name": n, "type": "residential",
            "address": {"line1": "1 Main St", "city": "Halifax", "country": "CA"}}));
        let props = scope.properties();
        let p = props.create(&actor, new.validate().unwrap(), Cap::Unlimited);
        let p = p.await.unwrap();
        first.get_or_insert(p.id);
    }
    let units: Vec<_> = (0..23)
        .map(|i| json!({"name": format!("U{i:02}")}))
        .collect();
    let bulk: BulkUnitsInput = input(json!({ "units": units }));
    let property = first.unwrap();
    scope
        .units()
        .create_many(&actor, property, bulk.validate().unwrap(), Cap::Unlimited)
        .await
        .unwrap();

    // Units by ID, 10 a page: 3 pages by number and by cursor alike.
    let filter = UnitFilter {
        property_id: Some(property),
        status: Some(UnitStatus::Vacant),
    };
    let units = scope.units();
    let mut walked = Vec::new();
    let mut req: ListRequest = PageRequest {
        page: 1,
        page_size: 10,
    }
    .into();
    for n in 1..=3u32 {
        let by_number = units
            .list(
                &filter,
                PageRequest {
                    page: n,
                    page_size: 10,
                },
            )
            .await
            .unwrap();
        let by_cursor = units.list(&filter, req.clone()).await.unwrap();
        let id = |u: &lintel_domain::portfolio::Unit| u.id.to_string();
        assert_eq!(ids(&by_cursor, id), ids(&by_number, id), "page {n}");
        assert_eq!((by_cursor.page, by_cursor.total), (n, 23));
        walked.extend(ids(&by_cursor, id));
        match n {
            3 => assert_eq!(by_cursor.next_cursor, None, "the last page has no next"),
            _ => req = by_cursor_req(&by_cursor),
        }
    }
    let mut sorted = walked.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        (walked.len(), sorted,),
        (23, walked.clone()),
        "every unit once, in ID order"
    );

    // Properties by name, descending (two share a name: the ID breaks the tie).
    for sort in [PropertySort::NameDesc, PropertySort::CreatedAt] {
        let filter = PropertyFilter {
            availability: Availability::Active,
            status: None,
            kind: None,
            q: None,
            sort,
        };
        let props = scope.properties();
        let all = props
            .list(
                &filter,
                PageRequest {
                    page: 1,
                    page_size: 100,
                },
            )
            .await
            .unwrap();
        let mut walked = Vec::new();
        let mut page = props
            .list(
                &filter,
                PageRequest {
                    page: 1,
                    page_size: 3,
                },
            )
            .await
            .unwrap();
        loop {
            walked.extend(page.items.iter().map(|p| p.id));
            if page.next_cursor.is_none() {
                break;
            }
            page = props
                .list(&filter, by_cursor(&page.next_cursor, 3))
                .await
                .unwrap();
        }
        let expected: Vec<_> = all.items.iter().map(|p| p.id).collect();
        assert_eq!(walked, expected, "{sort:?}");
        if sort == PropertySort::NameDesc {
            let names: Vec<_> = all.items.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(
                names,
                ["Pine", "Oak", "Elm", "Cedar", "Birch", "Ash", "Ash"]
            );
        }
    }

    // A cursor of another list order is refused, on its field.
    let by_id = units
        .list(
            &UnitFilter::default(),
            PageRequest {
                page: 1,
                page_size: 5,
            },
        )
        .await
        .unwrap();
    let filter = PropertyFilter {
        availability: Availability::Active,
        status: None,
        kind: None,
        q: None,
        sort: PropertySort::Name,
    };
    let wrong = scope
        .properties()
        .list(&filter, by_cursor(&by_id.next_cursor, 5))
        .await;
    assert!(
        matches!(&wrong, Err(StoreError::Invalid(e)) if e[0].field == "cursor"),
        "{wrong:?}"
    );
});

fn by_cursor_req<T>(p: &Page<T>) -> ListRequest {
    by_cursor(&p.next_cursor, p.page_size)
}
