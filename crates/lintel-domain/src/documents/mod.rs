//! The documents context (stored files: lease documents, ID checks, inspection photos,
//! receipts). So far: what a document may be filed as ([`DocumentCategory`]), which kinds of
//! file are accepted and how they are told from the bytes ([`FileKind`]), and the file name a
//! client sends made safe to keep ([`clean_file_name`]), and the stored record ([`Document`],
//! attached to a [`DocumentTarget`]). See `docs/architecture.md`.

mod record;

use crate::text;

pub use record::{
    Document, DocumentEntityType, DocumentTarget, DocumentWithLink, NewDocument, UploadFields,
    UploadMeta,
};

crate::string_enum! {
    /// What a document is filed as.
    DocumentCategory {
        Lease => "lease",
        IdVerification => "id_verification",
        Inspection => "inspection",
        Photo => "photo",
        Report => "report",
        Receipt => "receipt",
        Other => "other",
    }
}

/// The kinds of file Lintel stores, told from their bytes: the type a client declares is never
/// believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
    Webp,
    Heic,
    Text,
    Csv,
    Docx,
}

/// The accepted kinds, for an error message.
pub const ACCEPTED_KINDS: &str = "PDF, PNG, JPEG, WebP, HEIC, plain text, CSV or DOCX";

impl FileKind {
    /// The media type stored with the document and sent with its download.
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Webp => "image/webp",
            FileKind::Heic => "image/heic",
            FileKind::Text => "text/plain",
            FileKind::Csv => "text/csv",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }

    /// What `bytes` are, if one of the accepted kinds. Binary kinds are recognised by their
    /// signatures (a DOCX by the parts of its ZIP container); anything else is text only if it
    /// is UTF-8 without control characters other than tab, line breaks and form feed. Text
    /// cannot say whether it is CSV, so for text alone the file name decides (`.csv`).
    pub fn detect(bytes: &[u8], file_name: Option<&str>) -> Option<FileKind> {
        if bytes.is_empty() {
            return None;
        }
        let binary = [
            (infer::archive::is_pdf as fn(&[u8]) -> bool, FileKind::Pdf),
            (infer::image::is_png, FileKind::Png),
            (infer::image::is_jpeg, FileKind::Jpeg),
            (infer::image::is_webp, FileKind::Webp),
            (infer::image::is_heif, FileKind::Heic),
            (is_docx, FileKind::Docx),
        ];
        if let Some(&(_, kind)) = binary.iter().find(|(is, _)| is(bytes)) {
            return Some(kind);
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let plain = |c: char| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\u{c}');
        if !text.chars().all(plain) {
            return None;
        }
        let csv = file_name.is_some_and(|n| n.to_ascii_lowercase().ends_with(".csv"));
        Some(if csv { FileKind::Csv } else { FileKind::Text })
    }
}

/// A ZIP container holding the two parts every Word document has. (`infer`'s own check decides
/// by the fourth entry's name, so it takes a valid DOCX whose parts are in another order for a
/// generic Office file.)
fn is_docx(bytes: &[u8]) -> bool {
    let has = |part: &[u8]| bytes.windows(part.len()).any(|w| w == part);
    bytes.starts_with(b"PK\x03\x04") && has(b"[Content_Types].xml") && has(b"word/document.xml")
}

/// Longest file name kept, in characters.
pub const MAX_FILE_NAME: usize = 255;

/// The name to keep for an uploaded file: its last path component (a client may send
/// `C:\scans\lease.pdf` or `../../etc/passwd`), trimmed. Refused when nothing is left, when it
/// holds control characters (NUL included), or when it is longer than [`MAX_FILE_NAME`]. The
/// name is only ever shown; stored objects are named from IDs.
pub fn clean_file_name(raw: &str) -> Result<String, &'static str> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    // The rules of every single-line text: no control or bidirectional control characters,
    // in NFC, trimmed of whitespace and invisible characters.
    if last
        .chars()
        .any(|c| text::is_forbidden(c, text::Layout::Line))
    {
        return Err("must not contain control characters");
    }
    // The length as sent, as the documented `maxLength` counts it.
    if last.chars().count() > MAX_FILE_NAME {
        return Err("must be at most 255 characters");
    }
    let normal = text::nfc(last);
    let last = text::trim(&normal);
    if last.is_empty() || last == "." || last == ".." {
        return Err("must name a file");
    }
    if last.chars().count() > MAX_FILE_NAME {
        return Err("must be at most 255 characters");
    }
    Ok(last.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small DOCX container: a ZIP (entries stored, not compressed) with the content types,
    /// the package relationships, a properties part and the document part, in that order.
    fn docx() -> Vec<u8> {
        fn entry(name: &str, data: &[u8]) -> Vec<u8> {
            let mut e = Vec::new();
            e.extend_from_slice(b"PK\x03\x04");
            e.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            e.extend_from_slice(&[0, 0, 0, 0]); // crc (not checked)
            let n = (data.len() as u32).to_le_bytes();
            e.extend_from_slice(&n);
            e.extend_from_slice(&n);
            e.extend_from_slice(&(name.len() as u16).to_le_bytes());
            e.extend_from_slice(&[0, 0]);
            e.extend_from_slice(name.as_bytes());
            e.extend_from_slice(data);
            e
        }
        let mut z = entry("[Content_Types].xml", b"<Types/>");
        z.extend(entry("_rels/.rels", b"<Relationships/>"));
        z.extend(entry("docProps/app.xml", b"<Properties/>"));
        z.extend(entry("word/document.xml", b"<w:document/>"));
        z
    }

    #[test]
    fn kinds_are_told_from_the_bytes_not_the_name() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0";
        let webp = b"RIFF\x24\0\0\0WEBPVP8 ";
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        let cases: [(&[u8], Option<&str>, Option<FileKind>); 12] = [
            (
                b"%PDF-1.7\n%\xe2\xe3",
                Some("scan.png"),
                Some(FileKind::Pdf),
            ),
            (png, Some("lease.pdf"), Some(FileKind::Png)),
            (jpeg, None, Some(FileKind::Jpeg)),
            (webp, None, Some(FileKind::Webp)),
            (heic, None, Some(FileKind::Heic)),
            (&docx(), Some("x.txt"), Some(FileKind::Docx)),
            (b"Tenant notes\r\n\tline two\n", None, Some(FileKind::Text)),
            (b"a,b\n1,2\n", Some("rent.CSV"), Some(FileKind::Csv)),
            (b"a,b\n1,2\n", Some("rent.txt"), Some(FileKind::Text)),
            // An executable, a bare ZIP, text with NUL, nothing at all.
            (b"MZ\x90\0\x03\0\0\0", Some("a.pdf"), None),
            (b"PK\x03\x04\x14\0\0\0\0\0", Some("a.docx"), None),
            (b"looks like text\0but is not", Some("a.txt"), None),
        ];
        for (bytes, name, want) in cases {
            assert_eq!(FileKind::detect(bytes, name), want, "{name:?}");
        }
        assert_eq!(FileKind::detect(b"", Some("empty.txt")), None);
        assert_eq!(FileKind::detect(b"\xff\xfe\xfd", None), None, "not UTF-8");
    }

    #[test]
    fn file_names_keep_their_last_component_and_nothing_unsafe() {
        assert_eq!(clean_file_name("lease.pdf").unwrap(), "lease.pdf");
        assert_eq!(
            clean_file_name("  Lease 2026.pdf ").unwrap(),
            "Lease 2026.pdf"
        );
        assert_eq!(clean_file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(
            clean_file_name("C:\\scans\\lease.pdf").unwrap(),
            "lease.pdf"
        );
        assert_eq!(clean_file_name("bail-é.pdf").unwrap(), "bail-é.pdf");
        assert!(clean_file_name("a\0b.pdf").is_err());
        assert!(clean_file_name("line\nbreak.pdf").is_err());
        for empty in ["", "   ", "dir/", "..", "a/.."] {
            assert_eq!(clean_file_name(empty), Err("must name a file"), "{empty:?}");
        }
        assert!(clean_file_name(&"x".repeat(255)).is_ok());
        assert!(clean_file_name(&"x".repeat(256)).is_err());
    }

    #[test]
    fn categories_are_the_issue_list() {
        assert_eq!(
            DocumentCategory::allowed(),
            "lease, id_verification, inspection, photo, report, receipt, other"
        );
    }
}
