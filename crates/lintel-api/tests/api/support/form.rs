//! `multipart/form-data` bodies for upload tests, written out by hand so a test can also send
//! the malformed ones a client might.

use axum::http::Method;

use super::{Client, Resp, TestApp};

pub const BOUNDARY: &str = "lintel-test-boundary-7MA4YWxkTrZu0gW";

/// A form's parts, in order.
#[derive(Debug, Clone, Default)]
pub struct Form {
    parts: Vec<u8>,
}

impl Form {
    pub fn new() -> Form {
        Form::default()
    }

    /// A text part.
    pub fn text(mut self, name: &str, value: &str) -> Form {
        self.head(name, None, None);
        self.parts.extend_from_slice(value.as_bytes());
        self.parts.extend_from_slice(b"\r\n");
        self
    }

    /// A file part, with the `filename` and `Content-Type` given (each left out when `None`).
    pub fn file(
        mut self,
        name: &str,
        file_name: Option<&str>,
        content_type: Option<&str>,
        bytes: &[u8],
    ) -> Form {
        self.head(name, file_name, content_type);
        self.parts.extend_from_slice(bytes);
        self.parts.extend_from_slice(b"\r\n");
        self
    }

    fn head(&mut self, name: &str, file_name: Option<&str>, content_type: Option<&str>) {
        let mut head = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"");
        if let Some(f) = file_name {
            head.push_str(&format!("; filename=\"{f}\""));
        }
        head.push_str("\r\n");
        if let Some(t) = content_type {
            head.push_str(&format!("Content-Type: {t}\r\n"));
        }
        head.push_str("\r\n");
        self.parts.extend_from_slice(head.as_bytes());
    }

    /// The body, closed.
    pub fn body(&self) -> Vec<u8> {
        let mut body = self.parts.clone();
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    /// The `Content-Type` header that goes with it.
    pub fn content_type() -> String {
        format!("multipart/form-data; boundary={BOUNDARY}")
    }
}

/// The smallest PDF header the type detection accepts, and some content.
pub const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// A PNG signature and the start of an IHDR chunk.
pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00";

impl TestApp {
    /// `POST path` with `form` as its body.
    pub async fn upload(&self, path: &str, client: &Client, form: &Form) -> Resp {
        let ct = Form::content_type();
        self.raw_as(Method::POST, path, client, Some(&ct), Some(form.body()))
            .await
    }

    /// Uploads a small PDF attached to `(entity_type, entity_id)`; answers the document's ID.
    pub async fn upload_pdf(
        &self,
        client: &Client,
        entity_type: &str,
        entity_id: &str,
        name: &str,
    ) -> String {
        let form = Form::new()
            .file("file", Some(name), Some("application/pdf"), PDF)
            .text("entityType", entity_type)
            .text("entityId", entity_id)
            .text("category", "lease");
        let r = self.upload("/api/documents", client, &form).await;
        assert_eq!(r.status, axum::http::StatusCode::CREATED, "{}", r.text);
        r.data()["id"].as_str().unwrap().to_string()
    }
}
