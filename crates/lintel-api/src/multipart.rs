//! File uploads: a `multipart/form-data` body read with `multer`, with limits per part and for
//! the whole body, answered in the envelope like every other bad input:
//!
//! - not `multipart/form-data` (or no boundary): 415 `UNSUPPORTED_MEDIA_TYPE`; no body at all:
//!   400;
//! - the file over `storage.max_upload_bytes`: 413 `PAYLOAD_TOO_LARGE`, read no further;
//! - a part the operation does not know, a text part given twice, over 2 KiB or not UTF-8:
//!   422 naming it;
//! - a body that is not well-formed multipart: 400; one that does not arrive in time: 408.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use bytes::{Bytes, BytesMut};
use http_body::Body as _;
use lintel_domain::documents::UploadFields;
use lintel_domain::FieldError;

use crate::error::ApiError;
use crate::AppState;

/// Largest text part, in bytes (a name of 255 characters fits in any encoding).
const TEXT_PART_MAX: u64 = 2048;
/// Room for the part headers and text parts around the file.
const FORM_OVERHEAD: u64 = 64 * 1024;

/// The parts of an upload: the `file` and the text fields beside it.
const PARTS: [&str; 5] = ["file", "entityType", "entityId", "category", "name"];

/// An uploaded file with its form fields.
pub struct Upload {
    pub fields: UploadFields,
    pub bytes: Bytes,
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, message)])
}

/// What a `multer` failure means for the client.
fn refusal(e: multer::Error, file_limit: u64) -> ApiError {
    use multer::Error as E;
    match e {
        E::UnknownField { field_name } => invalid(
            field_name.as_deref().unwrap_or("(unnamed part)"),
            "is not a known field",
        ),
        E::FieldSizeExceeded { field_name, .. } if field_name.as_deref() != Some("file") => {
            let field = field_name.unwrap_or_default();
            invalid(&field, &format!("must be at most {TEXT_PART_MAX} bytes"))
        }
        E::FieldSizeExceeded { .. } | E::StreamSizeExceeded { .. } => {
            ApiError::FileTooLarge(file_limit)
        }
        E::StreamReadFailed(inner) if crate::server::body::is_timeout(inner.as_ref()) => {
            ApiError::RequestTimeout
        }
        E::NoMultipart | E::NoBoundary | E::DecodeContentType(_) => not_multipart(),
        other => ApiError::BadRequest(
            format!("The multipart/form-data body is malformed: {other}."),
            vec![],
        ),
    }
}

fn not_multipart() -> ApiError {
    ApiError::UnsupportedMedia(
        "Unsupported media type: send the upload as multipart/form-data, the file in a part \
         named file."
            .into(),
    )
}

impl FromRequest<AppState> for Upload {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let file_limit = state.config.documents.max_upload_bytes;
        let Some(content_type) = req.headers().get(header::CONTENT_TYPE) else {
            // No body at all is a malformed request, as for JSON bodies; a body of no declared
            // type is the wrong media type.
            return Err(match req.body().is_end_stream() {
                true => ApiError::BadRequest(
                    "The request has no body: send the upload as multipart/form-data.".into(),
                    vec![],
                ),
                false => not_multipart(),
            });
        };
        let content_type = content_type.to_str().map_err(|_| not_multipart())?;
        let boundary = multer::parse_boundary(content_type).map_err(|_| not_multipart())?;
        let limits = multer::SizeLimit::new()
            .whole_stream(file_limit.saturating_add(FORM_OVERHEAD))
            .per_field(TEXT_PART_MAX)
            .for_field("file", file_limit);
        let constraints = multer::Constraints::new()
            .allowed_fields(PARTS.to_vec())
            .size_limit(limits);
        let body = req.into_body().into_data_stream();
        let mut form = multer::Multipart::with_constraints(body, boundary, constraints);
        let mut fields = UploadFields::default();
        let mut file: Option<Bytes> = None;
        let fail = |e| refusal(e, file_limit);
        while let Some(mut part) = form.next_field().await.map_err(fail)? {
            let name = part.name().unwrap_or_default().to_string();
            if name == "file" {
                if file.is_some() {
                    return Err(invalid("file", "is given more than once"));
                }
                fields.file_name = part.file_name().map(str::to_string);
                let mut buf = BytesMut::new();
                while let Some(chunk) = part.chunk().await.map_err(fail)? {
                    buf.extend_from_slice(&chunk);
                }
                fields.file_size = Some(buf.len());
                file = Some(buf.freeze());
                continue;
            }
            let raw = part.bytes().await.map_err(fail)?;
            let text = String::from_utf8(raw.to_vec())
                .map_err(|_| invalid(&name, "must be UTF-8 text"))?;
            let slot = match name.as_str() {
                "entityType" => &mut fields.entity_type,
                "entityId" => &mut fields.entity_id,
                "category" => &mut fields.category,
                _ => &mut fields.name,
            };
            if slot.is_some() {
                return Err(invalid(&name, "is given more than once"));
            }
            *slot = Some(text);
        }
        Ok(Upload {
            fields,
            bytes: file.unwrap_or_default(),
        })
    }
}
