//! The S3 backend against a real S3-compatible server: moto's, started here (see
//! `lintel_blobs::testing`); without one the test prints a notice and passes, so the tests need
//! no services.

use std::time::Duration;

use bytes::Bytes;
use lintel_blobs::testing::{http, start_moto, SKIPPED};
use lintel_blobs::{Backend, BlobError, BlobKey, Blobs};
use lintel_domain::{DocumentId, OrgId};

#[tokio::test]
async fn objects_round_trip_through_an_s3_server_and_download_by_presigned_url() {
    let Some(moto) = start_moto() else {
        eprintln!("{SKIPPED}");
        return;
    };
    let blobs = Blobs::open(&Backend::S3(moto.bucket("lintel-docs"))).unwrap();
    assert_eq!(blobs.kind(), "s3");
    let key = BlobKey::document(OrgId::new(), DocumentId::new());
    let bytes = Bytes::from_static(b"\x89PNG\r\n\x1a\n not really a picture");
    blobs.put(&key, bytes.clone()).await.unwrap();
    assert_eq!(blobs.get(&key).await.unwrap(), bytes);

    let url = blobs
        .presigned_get(&key, Duration::from_secs(900))
        .await
        .unwrap()
        .expect("S3 presigns");
    assert!(
        url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=900"),
        "{url}"
    );
    let path_and_query = moto.path_of(&url);
    assert!(path_and_query.starts_with(&format!("/lintel-docs/{}", key.as_str())));
    let (status, body) = http(moto.port, "GET", path_and_query);
    assert_eq!((status, body.as_slice()), (200, &bytes[..]));

    blobs.delete(&key).await.unwrap();
    assert!(matches!(blobs.get(&key).await, Err(BlobError::NotFound)));
    blobs.delete(&key).await.unwrap();
}
