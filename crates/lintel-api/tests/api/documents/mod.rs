//! Documents through HTTP on both backends: upload, retrieve, download through the signed link,
//! delete; the link's expiry and forgery; who may do what; lists; refused uploads; storage and
//! records kept in agreement when the storage fails.

mod access;
mod s3;
mod storage;

use crate::support::form::{Form, PDF, PNG};
use crate::support::*;
use axum::http::{Method, StatusCode};
use lintel_domain::{PageRequest, Plan};
use lintel_store::audit::AuditFilter;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The audit actions recorded for a document, oldest first.
async fn audit_actions(app: &TestApp, org: &TestOrg, id: &str) -> Vec<String> {
    let filter = AuditFilter {
        entity_type: Some("document".into()),
        entity_id: Some(id.into()),
    };
    let page = PageRequest {
        page: 1,
        page_size: 25,
    };
    let trail = app.store().org(org.id).audit().list(&filter, page).await;
    let mut actions: Vec<String> = trail.unwrap().items.into_iter().map(|e| e.action).collect();
    actions.reverse();
    actions
}

/// The path and query of a `downloadUrl`.
fn link_of(doc: &Value) -> String {
    let url = doc["downloadUrl"].as_str().unwrap();
    assert!(url.starts_with("/api/documents/"), "{url}");
    url.to_string()
}

backend_test!(upload_read_download_and_delete, |app| {
    let org = app.org(Plan::Pro).await;
    let property = create_property(&app, &org.admin, "Maple Court").await;
    // The client says text/plain; the bytes say PDF, and the bytes win.
    let form = Form::new()
        .text("entityType", "property")
        .text("entityId", &property)
        .text("category", "lease")
        .file(
            "file",
            Some("scans/lease 2026.pdf"),
            Some("text/plain"),
            PDF,
        );
    let r = app.upload("/api/documents", &org.admin, &form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let d = r.data().clone();
    let id = d["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("doc_"), "{id}");
    assert_eq!(d["organisationId"], org.id.to_string());
    assert_eq!(d["entityType"], "property");
    assert_eq!(d["entityId"], property);
    assert_eq!(d["category"], "lease");
    assert_eq!(d["name"], "lease 2026.pdf");
    assert_eq!(d["contentType"], "application/pdf");
    assert_eq!(d["sizeBytes"], PDF.len());
    assert_eq!(d["sha256"], hex::encode(Sha256::digest(PDF)));
    assert_eq!(d["createdBy"], org.admin_id.to_string());
    assert!(d["createdAt"].is_string());
    assert!(d.get("downloadUrl").is_none());

    // Retrieved: the same record, with a link that works for 15 minutes by default.
    let r = app.get(&format!("/api/documents/{id}"), &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let got = r.data().clone();
    for field in [
        "id",
        "name",
        "contentType",
        "sizeBytes",
        "sha256",
        "createdAt",
    ] {
        assert_eq!(got[field], d[field], "{field}");
    }
    let expires =
        chrono::DateTime::parse_from_rfc3339(got["downloadUrlExpiresAt"].as_str().unwrap())
            .unwrap()
            .timestamp();
    let ttl = expires - chrono::Utc::now().timestamp();
    assert!((880..=900).contains(&ttl), "link lives {ttl}s");

    // The link needs no credentials and serves the bytes as stored.
    let link = link_of(&got);
    let r = app.get(&link, &Client::Anon).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("content-type"), "application/pdf");
    assert_eq!(
        r.header("content-disposition"),
        "attachment; filename=\"lease 2026.pdf\"; filename*=UTF-8''lease%202026.pdf"
    );
    assert_eq!(r.header("cache-control"), "private, no-store");
    assert_eq!(r.text.as_bytes(), PDF);

    // Deleted: 204, gone from reads, its bytes removed, the link dead, both writes audited.
    let r = app
        .delete(&format!("/api/documents/{id}"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = app.get(&format!("/api/documents/{id}"), &org.admin).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    assert_eq!(r.body["error"], "Document not found.");
    let r = app
        .delete(&format!("/api/documents/{id}"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get(&link, &Client::Anon).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    assert_eq!(stored_files(&app), 0);
    assert_eq!(
        audit_actions(&app, &org, &id).await,
        ["document.create", "document.delete"]
    );
});

/// How many files the app's local storage holds.
pub fn stored_files(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .flatten()
            .map(|e| {
                let p = e.path();
                if p.is_dir() {
                    count(&p)
                } else {
                    1
                }
            })
            .sum()
    }
    count(app.documents.path())
}

backend_test!(every_accepted_kind_and_target, |app| {
    let org = app.org(Plan::Pro).await;
    let property = create_property(&app, &org.admin, "Birch House").await;
    let r = app
        .post(
            &format!("/api/properties/{property}/units"),
            &org.admin,
            serde_json::json!({"name": "Unit 1", "unitType": "apartment", "bedrooms": 1, "bathrooms": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let unit = r.data()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/buildings",
            &org.admin,
            serde_json::json!({"name": "Tower"}),
        )
        .await;
    let building = r.data()["id"].as_str().unwrap().to_string();
    let jpeg: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
    let webp: &[u8] = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00";
    let heic: &[u8] = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic";
    let cases: [(&str, &str, &str, &[u8], &str); 6] = [
        ("unit", &unit, "photo.png", PNG, "image/png"),
        ("unit", &unit, "photo.jpg", jpeg, "image/jpeg"),
        ("building", &building, "photo.webp", webp, "image/webp"),
        ("building", &building, "IMG_0001.HEIC", heic, "image/heic"),
        (
            "property",
            &property,
            "notes.txt",
            "Keys: front desk.\n".as_bytes(),
            "text/plain",
        ),
        (
            "property",
            &property,
            "rent-roll.csv",
            b"unit,rent\n1,1200\n",
            "text/csv",
        ),
    ];
    for (kind, target, name, bytes, want) in cases {
        let form = Form::new()
            .file("file", Some(name), None, bytes)
            .text("entityType", kind)
            .text("entityId", target)
            .text("category", "other")
            .text("name", &format!("{kind} {name}"));
        let r = app.upload("/api/documents", &org.admin, &form).await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.text);
        assert_eq!(r.data()["contentType"], want, "{name}");
        assert_eq!(r.data()["name"], format!("{kind} {name}"));
    }
    let r = app
        .get(
            &format!("/api/documents?entityType=unit&entityId={unit}"),
            &org.admin,
        )
        .await;
    assert_eq!(r.data()["total"], 2, "{}", r.text);
    let r = app.get("/api/documents?category=other", &org.admin).await;
    assert_eq!(r.data()["total"], 6);
});

backend_test!(links_expire_and_cannot_be_forged, |app| {
    let org = app.org(Plan::Pro).await;
    let property = create_property(&app, &org.admin, "Cedar Lofts").await;
    let id = app
        .upload_pdf(&org.admin, "property", &property, "a.pdf")
        .await;
    let r = app.get(&format!("/api/documents/{id}"), &org.admin).await;
    let link = link_of(r.data());
    let (path, query) = link.split_once('?').unwrap();
    let params: std::collections::HashMap<&str, &str> = query
        .split('&')
        .map(|kv| kv.split_once('=').unwrap())
        .collect();
    let (expires, signature) = (params["expires"], params["signature"]);
    assert_eq!(app.get(&link, &Client::Anon).await.status, StatusCode::OK);

    let forbidden = |r: &Resp, why: &str| {
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "FORBIDDEN"),
            "{}",
            r.text
        );
        assert_eq!(r.body["message"], why, "{}", r.text);
    };
    let invalid = "This download link is not valid.";
    // Later expiry, altered signature, a made-up one, none, another document's.
    let later: i64 = expires.parse::<i64>().unwrap() + 3_600_000;
    let mut flipped = signature.to_string();
    let last = if flipped.ends_with('A') { "B" } else { "A" };
    flipped.replace_range(flipped.len() - 1.., last);
    let other = app
        .upload_pdf(&org.admin, "property", &property, "b.pdf")
        .await;
    for uri in [
        format!("{path}?expires={later}&signature={signature}"),
        format!("{path}?expires={expires}&signature={flipped}"),
        format!("{path}?expires={expires}&signature=forged"),
        format!("{path}?expires={expires}&signature="),
        format!("{path}?expires=soon&signature={signature}"),
        format!("{path}?expires={expires}"),
        path.to_string(),
        format!("/api/documents/{other}/download?expires={expires}&signature={signature}"),
    ] {
        forbidden(&app.get(&uri, &Client::Anon).await, invalid);
    }

    // A genuine link whose time is up says so.
    let past = lintel_domain::Timestamp::now().0 - 1;
    let subject = format!("document:{id}");
    let sig = app.state.links.sign(&subject, past);
    let r = app
        .get(
            &format!("{path}?expires={past}&signature={sig}"),
            &Client::Anon,
        )
        .await;
    forbidden(&r, "This download link has expired.");
    // An unknown query parameter is refused like everywhere else.
    let r = app.get(&format!("{link}&x=1"), &Client::Anon).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // A link works with any method but GET: never.
    let r = app.raw(Method::POST, &link, &Client::Anon, None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
});
