//! The error responses shared by every protected operation, declared once for OpenAPI.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};

use crate::error::ErrorBody;

fn error(description: &str) -> RefOr<Response> {
    let schema = utoipa::openapi::Ref::from_schema_name("ErrorBody");
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(schema)).build(),
        )
        .into()
}

pub(crate) fn set(codes: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    codes
        .iter()
        .map(|(c, d)| (c.to_string(), error(d)))
        .collect()
}

const COMMON: [(&str, &str); 5] = [
    (
        "401",
        "UNAUTHORIZED: missing, expired or revoked credentials",
    ),
    (
        "403",
        "FORBIDDEN (role too low, missing CSRF token) or a PLAN_* error",
    ),
    ("429", "RATE_LIMITED: see Retry-After"),
    ("500", "INTERNAL_ERROR: opaque, quotes the request ID"),
    (
        "503",
        "SERVICE_UNAVAILABLE: the database is unreachable, or a write kept conflicting with concurrent writes to the same records; retry after Retry-After seconds",
    ),
];

/// The description of a 408, for every operation that reads a body.
pub const REQUEST_TIMEOUT: &str =
    "REQUEST_TIMEOUT: the body was not received within the body-read timeout; the connection is closed";

/// Reads of a protected resource: 400, 401, 403, 404, 422, 429, 500, 503.
pub struct ReadErrors;

impl utoipa::IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut m = set(&COMMON);
        m.extend(set(&[
            ("400", "VALIDATION_ERROR: malformed query"),
            ("404", "NOT_FOUND: no such record in your organisation"),
            (
                "422",
                "VALIDATION_ERROR: invalid parameters, listed in details",
            ),
        ]));
        m
    }
}

/// Printed documents (a receipt, an invoice's PDF): the read errors plus 409 for a record that
/// has none yet.
pub struct PrintErrors;

impl utoipa::IntoResponses for PrintErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut m = ReadErrors::responses();
        m.extend(set(&[(
            "409",
            "CONFLICT: the record has no such document in its current state",
        )]));
        m
    }
}

/// Writes: the read errors plus 409 and 413.
pub struct WriteErrors;

impl utoipa::IntoResponses for WriteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut m = ReadErrors::responses();
        m.extend(set(&[
            (
                "400",
                "VALIDATION_ERROR: malformed JSON or a wrong JSON type",
            ),
            ("409", "CONFLICT: the change conflicts with existing data"),
            ("408", REQUEST_TIMEOUT),
            ("413", "PAYLOAD_TOO_LARGE: body over the configured limit"),
            (
                "422",
                "VALIDATION_ERROR: invalid fields, every one listed in details",
            ),
        ]));
        m
    }
}

/// Writes that take a JSON body: the write errors plus 415.
pub struct BodyErrors;

impl utoipa::IntoResponses for BodyErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut m = WriteErrors::responses();
        m.extend(set(&[UNSUPPORTED_MEDIA_TYPE]));
        m
    }
}

/// Uploads (`multipart/form-data`): the write errors, 413 for a file over the upload limit and
/// 415 for a kind of file Lintel does not store.
pub struct UploadErrors;

impl utoipa::IntoResponses for UploadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut m = WriteErrors::responses();
        m.extend(set(&[
            (
                "400",
                "VALIDATION_ERROR: a malformed multipart/form-data body",
            ),
            (
                "413",
                "PAYLOAD_TOO_LARGE: the file is over storage.max_upload_bytes",
            ),
            (
                "415",
                "UNSUPPORTED_MEDIA_TYPE: not sent as multipart/form-data, or a file that is not PDF, PNG, JPEG, WebP, HEIC, plain text, CSV or DOCX",
            ),
        ]));
        m
    }
}

/// The answer to a body sent as anything but JSON.
pub const UNSUPPORTED_MEDIA_TYPE: (&str, &str) = (
    "415",
    "UNSUPPORTED_MEDIA_TYPE: the body must be sent with Content-Type: application/json",
);

/// Makes sure `ErrorBody` is in the document's components (responses refer to it by name), and
/// the enums that only query parameters name (`value_type = …` in `IntoParams` refers to them
/// without registering them, which left dangling `$ref`s).
pub fn register_schemas(api: &mut utoipa::openapi::OpenApi) {
    use lintel_domain::portfolio::{Availability, PropertySort};
    use utoipa::{PartialSchema, ToSchema};
    let components = api.components.get_or_insert_with(Default::default);
    let mut schemas = Vec::new();
    ErrorBody::schemas(&mut schemas);
    schemas.push(("ErrorBody".to_string(), ErrorBody::schema()));
    schemas.push(("Availability".to_string(), Availability::schema()));
    schemas.push(("PropertySort".to_string(), PropertySort::schema()));
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
}
