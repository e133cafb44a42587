//! Every repository method, called in organisation B's scope with organisation A's IDs, finds
//! nothing and changes nothing; B's lists show none of A's rows.

use lintel_domain::identity::access::SessionInfo;
use lintel_domain::portfolio::{
    Availability, BuildingInput, BuildingPatchInput, BulkUnitsInput, PropertyInput,
    PropertyPatchInput, PropertySort, UnitInput, UnitPatchInput, UnitStatus,
};
use lintel_domain::{
    Actor, ApiKeyId, Cap, OrgId, PageRequest, Plan, PropertyId, Role, Timestamp, UserId,
};
use lintel_store::audit::AuditFilter;
use lintel_store::identity::{NewApiKey, NewInvitation, NewSession, NewUserRecord};
use lintel_store::portfolio::buildings::BuildingFilter;
use lintel_store::portfolio::properties::PropertyFilter;
use lintel_store::portfolio::units::UnitFilter;
use lintel_store::{Store, StoreError};
use serde_json::json;

use crate::support::{input, org, store_test};

const PAGE: PageRequest = PageRequest {
    page: 1,
    page_size: 100,
};

fn all_properties() -> PropertyFilter {
    PropertyFilter {
        availability: Availability::Active,
        status: None,
        kind: None,
        q: None,
        sort: PropertySort::CreatedAt,
    }
}

fn not_found<T: std::fmt::Debug>(what: &str, r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::NotFound)),
        "{what}: want NotFound, got {r:?}"
    );
}

/// Organisation A's records.
struct Seeded {
    org: OrgId,
    admin: UserId,
    member: UserId,
    building: lintel_domain::BuildingId,
    building_name: String,
    property: PropertyId,
    property2: PropertyId,
    unit: lintel_domain::UnitId,
    key: ApiKeyId,
    invitation: lintel_domain::InvitationId,
    session: lintel_domain::SessionId,
}

async fn seed(store: &Store) -> Seeded {
    let (a, admin) = org(store, Plan::Business, "alpha").await;
    let actor = Actor::user(admin.id, None);
    let scope = store.org(a);
    let building_name = format!("Alpha Tower {}", ulid::Ulid::new());
    let b: BuildingInput = input(json!({"name": building_name}));
    let building = scope
        .buildings()
        .create(&actor, b.validate().unwrap())
        .await
        .unwrap()
        .id;
    let property_body = |name: &str| -> PropertyInput {
        input(json!({"name": name, "type": "residential",
            "address": {"line1": "1 Main St", "city": "Halifax", "country": "CA"}}))
    };
    let new = property_body("Alpha House").validate().unwrap();
    let property = scope
        .properties()
        .create(&actor, new, Cap::Unlimited)
        .await
        .unwrap()
        .id;
    let new = property_body("Alpha Annex").validate().unwrap();
    let property2 = scope
        .properties()
        .create(&actor, new, Cap::Unlimited)
        .await
        .unwrap()
        .id;
    let unit: UnitInput = input(json!({"name": "A1"}));
    let unit = scope
        .units()
        .create(&actor, property, unit.validate().unwrap(), Cap::Unlimited)
        .await
        .unwrap()
        .id;
    let rec = NewUserRecord {
        email: format!(
            "member-{}@example.com",
            ulid::Ulid::new().to_string().to_lowercase()
        ),
        name: "Alpha member".into(),
        password_hash: "$argon2id$placeholder".into(),
    };
    let member = scope
        .members()
        .add(&actor, rec, Role::Tenant, Cap::Unlimited)
        .await
        .unwrap()
        .id;
    let key = NewApiKey {
        id: ApiKeyId::new(),
        name: "Alpha key".into(),
        role: Role::Admin,
        prefix: "lk_alpha".into(),
        secret_hash: format!("alpha-{}", ulid::Ulid::new()),
    };
    let key = scope.api_keys().create(&actor, key).await.unwrap().id;
    let inv = NewInvitation {
        email: "invited@example.com".into(),
        role: Role::Tenant,
        token_hash: format!("alpha-token-{}", ulid::Ulid::new()),
        tenant: None,
    };
    let invitation = scope
        .invitations()
        .create(&actor, inv, Cap::Unlimited)
        .await
        .unwrap()
        .id;
    let session = NewSession {
        user_id: admin.id,
        token_hash: format!("alpha-session-{}", ulid::Ulid::new()),
        csrf_hash: "csrf".into(),
        user_agent: None,
        ip: None,
        expires_at: Timestamp(Timestamp::now().0 + 3_600_000),
    };
    let session = scope.sessions().create(session).await.unwrap();
    Seeded {
        org: a,
        admin: admin.id,
        member,
        building,
        building_name,
        property,
        property2,
        unit,
        key,
        invitation,
        session,
    }
}

/// What organisation A can see of itself, to compare before and after B's attempts.
async fn snapshot(store: &Store, a: &Seeded) -> String {
    let s = store.org(a.org);
    let parts = [
        format!("{:?}", s.properties().get(a.property).await.unwrap()),
        format!("{:?}", s.units().get(a.unit).await.unwrap()),
        format!("{:?}", s.buildings().get(a.building).await.unwrap()),
        format!("{:?}", s.members().get(a.member).await.unwrap()),
        format!("{:?}", s.invitations().get(a.invitation).await.unwrap()),
        format!("{:?}", s.api_keys().list(PAGE).await.unwrap().items),
        format!(
            "{}",
            s.audit()
                .list(&AuditFilter::default(), PAGE)
                .await
                .unwrap()
                .total
        ),
    ];
    parts.join("\n")
}

store_test!(another_organisations_rows_do_not_exist, |store| {
    let a = seed(store).await;
    let (b_org, b_admin) = org(store, Plan::Business, "beta").await;
    let before = snapshot(store, &a).await;
    let b = store.org(b_org);
    let actor = Actor::user(b_admin.id, None);

    // Portfolio.
    not_found("property get", b.properties().get(a.property).await);
    let patch: PropertyPatchInput = input(json!({"name": "Taken"}));
    let patch = patch.validate().unwrap();
    not_found(
        "property update",
        b.properties().update(&actor, a.property, patch).await,
    );
    for archive in [true, false] {
        not_found(
            "property archive/restore",
            b.properties()
                .set_archived(&actor, a.property, archive, Cap::Unlimited)
                .await,
        );
    }
    let ids = [a.property, a.property2];
    not_found("property compare", b.properties().compare(&ids).await);
    let listed = b.properties().list(&all_properties(), PAGE).await.unwrap();
    assert_eq!(listed.total, 0, "{listed:?}");
    not_found("building get", b.buildings().get(a.building).await);
    let by_name = b.buildings().find_by_name(&a.building_name).await.unwrap();
    assert!(by_name.is_none(), "{by_name:?}");
    let patch: BuildingPatchInput = input(json!({"description": "Taken"}));
    not_found(
        "building update",
        b.buildings()
            .update(&actor, a.building, patch.validate().unwrap())
            .await,
    );
    let listed = b.buildings().list(&BuildingFilter::default(), PAGE).await;
    assert_eq!(listed.unwrap().total, 0);
    not_found("unit get", b.units().get(a.unit).await);
    let patch: UnitPatchInput = input(json!({"name": "Taken"}));
    not_found(
        "unit update",
        b.units()
            .update(&actor, a.unit, patch.validate().unwrap())
            .await,
    );
    not_found(
        "unit status",
        b.units()
            .set_status(&actor, a.unit, UnitStatus::Occupied)
            .await,
    );
    let unit: UnitInput = input(json!({"name": "Intruder"}));
    not_found(
        "unit create in A's property",
        b.units()
            .create(&actor, a.property, unit.validate().unwrap(), Cap::Unlimited)
            .await,
    );
    let bulk: BulkUnitsInput = input(json!({"units": [{"name": "X1"}, {"name": "X2"}]}));
    not_found(
        "bulk units in A's property",
        b.units()
            .create_many(
                &actor,
                a.property,
                bulk.validate().unwrap(),
                Cap::AtMost(1000),
            )
            .await,
    );
    let filter = UnitFilter {
        property_id: Some(a.property),
        status: None,
    };
    let listed = b.units().list(&filter, PAGE).await.unwrap();
    assert!(listed.items.is_empty() && listed.total == 0, "{listed:?}");
    let listed = b.units().list(&UnitFilter::default(), PAGE).await.unwrap();
    assert!(listed.items.is_empty() && listed.total == 0, "{listed:?}");

    // Identity.
    not_found("member get", b.members().get(a.member).await);
    not_found(
        "member role",
        b.members().set_role(&actor, a.member, Role::Admin).await,
    );
    not_found("member remove", b.members().remove(&actor, a.member).await);
    let members = b.members().list(PAGE).await.unwrap();
    let ids: Vec<UserId> = members.items.iter().map(|m| m.id).collect();
    assert_eq!(ids, [b_admin.id], "B's members are B's");
    not_found("key revoke", b.api_keys().revoke(&actor, a.key).await);
    assert_eq!(b.api_keys().list(PAGE).await.unwrap().total, 0);
    not_found("invitation get", b.invitations().get(a.invitation).await);
    not_found(
        "invitation revoke",
        b.invitations().revoke(&actor, a.invitation).await,
    );
    assert_eq!(b.invitations().list(PAGE).await.unwrap().total, 0);
    let audit = b.audit().list(&AuditFilter::default(), PAGE).await.unwrap();
    let a_id = a.org.to_string();
    assert!(
        audit
            .items
            .iter()
            .all(|e| !format!("{e:?}").contains(&a_id)),
        "B's audit trail shows A: {audit:?}"
    );
    // Sessions belong to a person, not an organisation: only their owner can end one.
    let r = b.sessions().revoke(b_admin.id, a.session).await;
    not_found("session revoke by another person", r);
    let a_sessions: Vec<SessionInfo> = b.sessions().list_for(b_admin.id, None).await.unwrap();
    assert!(a_sessions.iter().all(|s| s.id != a.session));

    assert_eq!(
        snapshot(store, &a).await,
        before,
        "B's attempts changed A's records"
    );
    let _ = a.admin;
});
