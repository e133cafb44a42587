//! Document records and the organisation's stored bytes: the quota holds exactly, also when
//! uploads race, and deletes give the bytes back.

use lintel_domain::documents::{DocumentCategory, DocumentTarget, NewDocument};
use lintel_domain::{Actor, Cap, DocumentId, Limit, Plan, PropertyId};
use lintel_store::StoreError;

use crate::support::{input, org, store_test};

fn doc(property: PropertyId, size: i64) -> NewDocument {
    NewDocument {
        id: DocumentId::new(),
        target: DocumentTarget::Property(property),
        category: DocumentCategory::Report,
        name: "report.pdf".into(),
        content_type: "application/pdf",
        size_bytes: size,
        sha256: "0".repeat(64),
    }
}

async fn property(
    store: &lintel_store::Store,
    org: lintel_domain::OrgId,
    actor: &Actor,
) -> PropertyId {
    let p: lintel_domain::portfolio::PropertyInput = input(serde_json::json!({
        "name": format!("P {}", ulid::Ulid::new()), "type": "residential",
        "address": {"line1": "1 Main St", "city": "Halifax", "country": "CA"}}));
    let created = store
        .org(org)
        .properties()
        .create(actor, p.validate().unwrap(), Cap::Unlimited)
        .await
        .unwrap();
    created.id
}

store_test!(the_quota_counts_every_stored_byte, |store| {
    let (a, admin) = org(store, Plan::Free, "quota").await;
    let actor = Actor::user(admin.id, None);
    let p = property(store, a, &actor).await;
    let docs = store.org(a).documents();
    let quota = Cap::AtMost(1000);

    let first = docs.create(&actor, &doc(p, 600), quota).await.unwrap();
    docs.create(&actor, &doc(p, 400), quota).await.unwrap();
    assert_eq!(docs.usage().await.unwrap(), 1000);
    let err = docs.create(&actor, &doc(p, 1), quota).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::LimitReached {
                limit: Limit::DocumentBytes,
                max: 1000
            }
        ),
        "{err:?}"
    );
    assert_eq!(docs.usage().await.unwrap(), 1000);

    // A delete gives its bytes back; one whose bytes cannot be removed keeps everything.
    let err = docs
        .delete(&actor, first.id, |_| async { Err("disk gone".to_string()) })
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::External(ref m) if m == "disk gone"),
        "{err:?}"
    );
    assert_eq!(docs.usage().await.unwrap(), 1000);
    assert!(docs.get(first.id).await.is_ok());
    docs.delete(&actor, first.id, |_| async { Ok(()) })
        .await
        .unwrap();
    assert_eq!(docs.usage().await.unwrap(), 400);
    docs.create(&actor, &doc(p, 600), quota).await.unwrap();

    // A record of another organisation cannot be a target.
    let (b, b_admin) = org(store, Plan::Free, "other").await;
    let err = store
        .org(b)
        .documents()
        .create(&Actor::user(b_admin.id, None), &doc(p, 1), quota)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Missing("Property")), "{err:?}");
    assert_eq!(store.org(b).documents().usage().await.unwrap(), 0);
});

store_test!(racing_uploads_never_pass_the_quota, |store| {
    let (a, admin) = org(store, Plan::Free, "race").await;
    let actor = Actor::user(admin.id, None);
    let p = property(store, a, &actor).await;
    // Room for exactly three of the eight.
    let quota = Cap::AtMost(300);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, actor) = (store.clone(), actor.clone());
            tokio::spawn(async move {
                store
                    .org(a)
                    .documents()
                    .create(&actor, &doc(p, 100), quota)
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::LimitReached { .. }) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(won, 3);
    assert_eq!(store.org(a).documents().usage().await.unwrap(), 300);
});
