//! A stored document: what it is attached to, how it is filed, and what was stored.

use serde::Serialize;

use super::{clean_file_name, DocumentCategory};
use crate::id::{BuildingId, DocumentId, LeaseId, OrgId, PropertyId, TenantId, UnitId};
use crate::time::Timestamp;
use crate::validation::{FieldError, Validator};

crate::string_enum! {
    /// The kinds of record a document can be attached to.
    DocumentEntityType {
        Property => "property",
        Building => "building",
        Unit => "unit",
        Tenant => "tenant",
        Lease => "lease",
    }
}

/// The record a document is attached to, with its ID checked for that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentTarget {
    Property(PropertyId),
    Building(BuildingId),
    Unit(UnitId),
    Tenant(TenantId),
    Lease(LeaseId),
}

impl DocumentTarget {
    /// `id` read as the ID of an `entity_type`; `None` when it is not one.
    pub fn parse(entity_type: DocumentEntityType, id: &str) -> Option<DocumentTarget> {
        Some(match entity_type {
            DocumentEntityType::Property => DocumentTarget::Property(id.parse().ok()?),
            DocumentEntityType::Building => DocumentTarget::Building(id.parse().ok()?),
            DocumentEntityType::Unit => DocumentTarget::Unit(id.parse().ok()?),
            DocumentEntityType::Tenant => DocumentTarget::Tenant(id.parse().ok()?),
            DocumentEntityType::Lease => DocumentTarget::Lease(id.parse().ok()?),
        })
    }

    pub fn entity_type(self) -> DocumentEntityType {
        match self {
            DocumentTarget::Property(_) => DocumentEntityType::Property,
            DocumentTarget::Building(_) => DocumentEntityType::Building,
            DocumentTarget::Unit(_) => DocumentEntityType::Unit,
            DocumentTarget::Tenant(_) => DocumentEntityType::Tenant,
            DocumentTarget::Lease(_) => DocumentEntityType::Lease,
        }
    }

    pub fn entity_id(self) -> String {
        match self {
            DocumentTarget::Property(id) => id.to_string(),
            DocumentTarget::Building(id) => id.to_string(),
            DocumentTarget::Unit(id) => id.to_string(),
            DocumentTarget::Tenant(id) => id.to_string(),
            DocumentTarget::Lease(id) => id.to_string(),
        }
    }

    /// The name of the record in "… not found.".
    pub fn entity_name(self) -> &'static str {
        match self {
            DocumentTarget::Property(_) => "Property",
            DocumentTarget::Building(_) => "Building",
            DocumentTarget::Unit(_) => "Unit",
            DocumentTarget::Tenant(_) => "Tenant",
            DocumentTarget::Lease(_) => "Lease",
        }
    }
}

/// A document as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub id: DocumentId,
    pub organisation_id: OrgId,
    pub entity_type: DocumentEntityType,
    /// The ID of the record the document is attached to.
    #[schema(example = "prop_01JD8X6Z0Q4W5E6R7T8Y9U0I1O")]
    pub entity_id: String,
    pub category: DocumentCategory,
    /// The name shown for the document: the `name` sent, else the uploaded file's name.
    #[schema(example = "lease-2026.pdf")]
    pub name: String,
    /// The media type told from the file's bytes (never the one the client declared).
    #[schema(example = "application/pdf")]
    pub content_type: String,
    #[schema(example = 48213)]
    pub size_bytes: i64,
    /// SHA-256 of the bytes, as 64 lower-case hex digits.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub sha256: String,
    pub created_at: Timestamp,
    /// The user or API key that uploaded it (absent for system writes).
    #[schema(example = "usr_01JD8X6Z0Q4W5E6R7T8Y9U0I1O")]
    pub created_by: Option<String>,
}

/// A document with a link that downloads it without credentials until it expires.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentWithLink {
    #[serde(flatten)]
    pub document: Document,
    /// Works without a session or API key until `downloadUrlExpiresAt`; with the S3 backend
    /// it is the storage service's own presigned URL.
    pub download_url: String,
    pub download_url_expires_at: Timestamp,
}

/// A document ready to be stored: its ID is chosen before the bytes are written, since the
/// stored object is named by it.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub id: DocumentId,
    pub target: DocumentTarget,
    pub category: DocumentCategory,
    pub name: String,
    pub content_type: &'static str,
    pub size_bytes: i64,
    pub sha256: String,
}

/// The text fields of an upload, as sent.
#[derive(Debug, Clone, Default)]
pub struct UploadFields {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub category: Option<String>,
    pub name: Option<String>,
    /// The `filename` of the `file` part.
    pub file_name: Option<String>,
    /// Whether a `file` part was sent, and its size.
    pub file_size: Option<usize>,
}

/// An upload's fields, checked.
#[derive(Debug, Clone)]
pub struct UploadMeta {
    pub target: DocumentTarget,
    pub category: DocumentCategory,
    pub name: String,
    /// The uploaded file's own name, cleaned (used to tell CSV from plain text).
    pub file_name: Option<String>,
}

impl UploadFields {
    /// Every failing field at once: `file` required and not empty, `entityType` one of the
    /// kinds, `entityId` an ID of that kind, `category` one of the categories, `name` (or else
    /// the file's name) a usable file name.
    pub fn validate(self) -> Result<UploadMeta, Vec<FieldError>> {
        let mut v = Validator::new();
        match self.file_size {
            None => v.error("file", "is required"),
            Some(0) => v.error("file", "must not be empty"),
            Some(_) => {}
        }
        let file_name = match self.file_name.as_deref().map(clean_file_name) {
            Some(Err(msg)) => {
                v.error("file", format!("file name {msg}"));
                None
            }
            Some(Ok(n)) => Some(n),
            None => None,
        };
        let entity_type = v
            .required("entityType", self.entity_type.as_deref())
            .and_then(|t| v.parse_enum::<DocumentEntityType>("entityType", t.trim()));
        let entity_id = v.required("entityId", self.entity_id.as_deref());
        let target = match (entity_type, entity_id) {
            (Some(t), Some(id)) => {
                let target = DocumentTarget::parse(t, id.trim());
                if target.is_none() {
                    v.error("entityId", format!("is not a {} ID", t.as_str()));
                }
                target
            }
            _ => None,
        };
        let category = v
            .required("category", self.category.as_deref())
            .and_then(|c| v.parse_enum::<DocumentCategory>("category", c.trim()));
        // A name is shown as given, so it must not hide a path.
        let name = match self.name.as_deref().map(str::trim) {
            Some(n) if n.contains(['/', '\\']) => {
                v.error("name", "must not contain path separators");
                None
            }
            Some(n) => clean_file_name(n).map_err(|msg| v.error("name", msg)).ok(),
            None => file_name.clone(),
        };
        if self.name.is_none() && file_name.is_none() && v.is_ok() {
            v.error("name", "is required when the file has no name");
        }
        v.finish(|| UploadMeta {
            target: target.unwrap(),
            category: category.unwrap(),
            name: name.unwrap(),
            file_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errs: &[FieldError]) -> Vec<(&str, &str)> {
        errs.iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect()
    }

    fn ok() -> UploadFields {
        UploadFields {
            entity_type: Some("property".into()),
            entity_id: Some(PropertyId::new().to_string()),
            category: Some("lease".into()),
            name: None,
            file_name: Some("C:\\scans\\lease.pdf".into()),
            file_size: Some(10),
        }
    }

    #[test]
    fn the_file_name_is_the_default_name() {
        let m = ok().validate().unwrap();
        assert_eq!(m.name, "lease.pdf");
        assert_eq!(m.category, DocumentCategory::Lease);
        assert_eq!(m.target.entity_type(), DocumentEntityType::Property);
        let named = UploadFields {
            name: Some(" Signed lease.pdf ".into()),
            ..ok()
        };
        assert_eq!(named.validate().unwrap().name, "Signed lease.pdf");
    }

    #[test]
    fn every_field_is_reported() {
        let errs = UploadFields::default().validate().unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                ("file", "is required"),
                ("entityType", "is required"),
                ("entityId", "is required"),
                ("category", "is required"),
            ]
        );
        let errs = UploadFields {
            entity_type: Some("unit".into()),
            entity_id: Some(PropertyId::new().to_string()),
            category: Some("lease_pdf".into()),
            name: Some("../x.pdf".into()),
            file_name: Some("a\0b.pdf".into()),
            file_size: Some(0),
        }
        .validate()
        .unwrap_err();
        let got: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(got, ["file", "file", "entityId", "category", "name"]);
        assert_eq!(
            errs[1].message,
            "file name must not contain control characters"
        );
        assert_eq!(errs[2].message, "is not a unit ID");
        assert_eq!(errs[4].message, "must not contain path separators");
        let errs = UploadFields {
            entity_type: Some("lease_thing".into()),
            ..ok()
        }
        .validate()
        .unwrap_err();
        assert_eq!(errs[0].field, "entityType");
    }

    #[test]
    fn a_file_without_a_name_needs_one() {
        let errs = UploadFields {
            file_name: None,
            ..ok()
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            fields(&errs),
            [("name", "is required when the file has no name")]
        );
    }
}
