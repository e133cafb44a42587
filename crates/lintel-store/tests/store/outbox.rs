//! Every write emits its events into the outbox in its own transaction, with the audit entry
//! made from the same event; a write that fails leaves neither.

use lintel_domain::portfolio::{PropertyInput, UnitInput};
use lintel_domain::{Actor, Cap, EventKind, PageRequest, Plan};
use lintel_store::audit::AuditFilter;
use serde_json::json;

use crate::support::{input, org, store_test};

store_test!(writes_emit_events_with_their_audit_entries, |store| {
    let (a, admin) = org(store, Plan::Pro, "outbox").await;
    let actor = Actor::user(admin.id, Some("req_test".into()));
    let before = store.outbox().pending(1000).await.unwrap();
    assert_eq!(
        before.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [EventKind::OrganisationCreated, EventKind::MemberAdded],
        "creating the organisation emitted its events"
    );
    let new: PropertyInput = input(json!({"name": "Outbox House", "type": "residential",
        "address": {"line1": "1 Main St", "city": "Halifax", "country": "CA"}}));
    let property = store
        .org(a)
        .properties()
        .create(&actor, new.validate().unwrap(), Cap::Unlimited)
        .await
        .unwrap();
    let unit: UnitInput = input(json!({"name": "1A"}));
    let units = store.org(a).units();
    units
        .create(
            &actor,
            property.id,
            unit.validate().unwrap(),
            Cap::Unlimited,
        )
        .await
        .unwrap();
    // A clash is refused: no event, no audit entry.
    let again: UnitInput = input(json!({"name": "1a"}));
    let clash = units
        .create(
            &actor,
            property.id,
            again.validate().unwrap(),
            Cap::Unlimited,
        )
        .await;
    assert!(clash.is_err());

    let pending = store.outbox().pending(1000).await.unwrap();
    let kinds: Vec<EventKind> = pending.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::OrganisationCreated,
            EventKind::MemberAdded,
            EventKind::PropertyCreated,
            EventKind::UnitCreated
        ]
    );
    let created = &pending[2];
    assert_eq!(created.entity_id, property.id.to_string());
    assert_eq!(created.org, a);
    assert_eq!(created.after.as_ref().unwrap()["name"], "Outbox House");
    let page = PageRequest {
        page: 1,
        page_size: 100,
    };
    let trail = store
        .org(a)
        .audit()
        .list(&AuditFilter::default(), page)
        .await
        .unwrap();
    let actions: Vec<String> = trail.items.iter().map(|e| e.action.clone()).collect();
    assert_eq!(
        actions,
        [
            "unit.create",
            "property.create",
            "member.create",
            "organisation.create"
        ]
    );
    assert_eq!(trail.items[1].request_id.as_deref(), Some("req_test"));

    // Delivered events leave the pending list; marking twice changes nothing.
    let ids: Vec<_> = pending[..2].iter().map(|e| e.id).collect();
    assert_eq!(store.outbox().mark_published(&ids).await.unwrap(), 2);
    assert_eq!(store.outbox().mark_published(&ids).await.unwrap(), 0);
    let left = store.outbox().pending(1000).await.unwrap();
    assert_eq!(left.len(), 2);
    assert_eq!(left[0].kind, EventKind::PropertyCreated);
});
