//! Restores racing the plan's property limit: never more active properties than the plan
//! allows, and every refusal the documented one.

use std::sync::Arc;
use std::time::Instant;

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;

use super::{audit, parallel, scale, Tally};

async fn restore_all(
    app: &Arc<TestApp>,
    org: &Arc<TestOrg>,
    targets: Vec<String>,
) -> Vec<(String, Resp)> {
    let futs = targets
        .into_iter()
        .map(|id| {
            let (app, org) = (app.clone(), org.clone());
            async move {
                let r = app
                    .post_empty(&format!("/api/properties/{id}/restore"), &org.admin)
                    .await;
                (id, r)
            }
        })
        .collect();
    parallel(futs).await
}

async fn active_ids(app: &TestApp, org: &TestOrg) -> Vec<String> {
    let r = app.get("/api/properties?pageSize=100", &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

backend_test_with!(restores_race_the_plan_limit, unlimited_config(), |app| {
    let started = Instant::now();
    let app = Arc::new(app);
    // FREE allows 3 active properties: 2 stay active, 5 are archived.
    let org = Arc::new(app.org(Plan::Free).await);
    let mut active = vec![
        create_property(&app, &org.admin, "Kept A").await,
        create_property(&app, &org.admin, "Kept B").await,
    ];
    let mut archived = Vec::new();
    for i in 0..5 {
        let id = create_property(&app, &org.admin, &format!("Stored {i}")).await;
        let r = app
            .post_empty(&format!("/api/properties/{id}/archive"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        archived.push(id);
    }
    let (mut tally, mut restores) = (Tally::default(), 0usize);
    for _ in 0..scale() {
        // 25 restores of the same property: it fits, so every one answers 200 and one restores.
        let same = archived[0].clone();
        for (_, r) in restore_all(&app, &org, vec![same.clone(); 25]).await {
            tally.add(&r, &[StatusCode::OK], "restore of one property");
        }
        restores += 1;
        let mut now = active_ids(&app, &org).await;
        now.sort();
        let mut want = active.clone();
        want.push(same.clone());
        want.sort();
        assert_eq!(now, want);
        let r = app
            .post_empty(&format!("/api/properties/{same}/archive"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        // 25 restores spread over the 5 archived properties: exactly one fits. Its restores all
        // answer 200; every other one is a true 403 PLAN_LIMIT_EXCEEDED.
        let targets = (0..25)
            .map(|i| archived[i % archived.len()].clone())
            .collect();
        let answers = restore_all(&app, &org, targets).await;
        let now = active_ids(&app, &org).await;
        assert_eq!(now.len(), 3, "{now:?}");
        let winner = now.iter().find(|id| !active.contains(id)).unwrap().clone();
        for (id, r) in &answers {
            tally.add(
                r,
                &[StatusCode::OK, StatusCode::FORBIDDEN],
                "restore within the limit",
            );
            if *id == winner {
                assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
                assert_eq!(r.code(), "PLAN_LIMIT_EXCEEDED");
            }
        }
        restores += 1;
        // Swap: the winner stays active, one of the kept ones takes its place in the archive.
        let out = active.remove(0);
        let r = app
            .post_empty(&format!("/api/properties/{out}/archive"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        archived.retain(|id| *id != winner);
        archived.push(out);
        active.push(winner);
    }
    let entries = audit(&app, &org, "property").await;
    let restored = entries
        .iter()
        .filter(|e| e.action == "property.restore")
        .count();
    assert_eq!(
        restored, restores,
        "one property.restore per restore that changed something"
    );
    tally.report(&app, "restores against the plan limit", started);
});
