//! Documents through HTTP with the S3 backend, against a real S3-compatible server (moto's,
//! started here; skipped with a notice where none can start): the bytes go to the bucket, the
//! `downloadUrl` is the service's own presigned URL, and a delete removes the object.

use crate::support::form::PDF;
use crate::support::*;
use axum::http::StatusCode;
use lintel_blobs::testing::{http, start_moto, Moto, SKIPPED};
use lintel_blobs::Backend;
use lintel_domain::Plan;

fn s3_config(moto: &Moto) -> lintel_api::ApiConfig {
    let mut config = test_config();
    let bucket = format!("docs-{}", ulid::Ulid::new().to_string().to_lowercase());
    config.documents.backend = Backend::S3(moto.bucket(&bucket));
    config
}

async fn round_trip(app: TestApp, moto: &Moto) {
    let org = app.org(Plan::Pro).await;
    let property = create_property(&app, &org.admin, "Spruce Mews").await;
    let id = app
        .upload_pdf(&org.admin, "property", &property, "lease.pdf")
        .await;
    let r = app.get(&format!("/api/documents/{id}"), &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let url = r.data()["downloadUrl"].as_str().unwrap().to_string();
    assert!(
        url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=900"),
        "{url}"
    );
    let path = moto.path_of(&url);
    assert!(
        path.contains(&format!("/documents/{}/{id}?", org.id)),
        "{path}"
    );
    let (status, body) = http(moto.port, "GET", path);
    assert_eq!((status, body.as_slice()), (200, PDF));
    // Nothing went to local disk.
    assert_eq!(super::stored_files(&app), 0);

    let r = app
        .delete(&format!("/api/documents/{id}"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let (status, _) = http(moto.port, "GET", path);
    assert_eq!(status, 404, "the object is gone from the bucket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let Some(moto) = start_moto() else {
        eprintln!("{SKIPPED}");
        return;
    };
    round_trip(TestApp::sqlite_with(s3_config(&moto)).await, &moto).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let Some(moto) = start_moto() else {
        eprintln!("{SKIPPED}");
        return;
    };
    let Some(app) = TestApp::postgres_with(s3_config(&moto)).await else {
        return;
    };
    round_trip(app, &moto).await;
}
