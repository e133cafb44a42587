//! Bad `multipart/form-data` bodies, for every operation the document gives one (uploads): a
//! body that is not multipart or not well formed, every part missing, empty, given twice or
//! unknown (or known only to another upload), bad values in the text parts, files of a kind not
//! accepted or over the upload limit, and file names that carry a path or control characters.
//! Each starts from the valid form of [`bodies::valid_form`] and changes one thing. The
//! battery's app accepts files of at most [`UPLOAD_LIMIT`] bytes, so the oversized file stays
//! small.

use serde_json::{json, Value};

use super::bodies::{self, text, Part, Parts};
use super::cases::{Case, Ctx, Expect, OVERLONG, SQL, TRAVERSAL, WRONG_PREFIX};
use super::spec::{encode, Media, Operation};
use crate::support::form::{Form, BOUNDARY, PDF};

/// The battery's `documents.max_upload_bytes`.
pub const UPLOAD_LIMIT: u64 = 64 * 1024;

/// The category of these cases, for the printed counts and the coverage check.
pub const KIND: &str = "multipart body";

/// Bytes of no accepted kind: the start of an ELF executable.
const ELF: &[u8] =
    b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0\x78\0\x40\0\0\0\0\0";

/// A well-formed ZIP archive that is not a DOCX: one empty entry, `notes.txt` (a CRC and sizes
/// of 0 are right for no bytes).
fn zip() -> Vec<u8> {
    let name = b"notes.txt";
    let len = (name.len() as u16).to_le_bytes();
    let mut z = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0".to_vec();
    z.extend_from_slice(&[0; 12]);
    z.extend_from_slice(&len);
    z.extend_from_slice(&[0; 2]);
    z.extend_from_slice(name);
    let central = z.len() as u32;
    z.extend_from_slice(b"PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0");
    z.extend_from_slice(&[0; 12]);
    z.extend_from_slice(&len);
    z.extend_from_slice(&[0; 16]);
    z.extend_from_slice(name);
    let size = z.len() as u32 - central;
    z.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&central.to_le_bytes());
    z.extend_from_slice(&[0; 2]);
    z
}

/// A PDF of exactly `len` bytes.
fn pdf_of(len: u64) -> Vec<u8> {
    let mut bytes = PDF.to_vec();
    bytes.resize(len as usize, b' ');
    bytes
}

/// `parts` with the part `name` set to `part`, in its place (or last, when it was not sent).
fn with(parts: &Parts, name: &str, part: Part) -> Parts {
    let mut out = parts.clone();
    match out.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = part,
        None => out.push((name.to_string(), part)),
    }
    out
}

fn without(parts: &Parts, name: &str) -> Parts {
    parts.iter().filter(|(n, _)| n != name).cloned().collect()
}

/// `parts` with the file's `filename` changed.
fn named(parts: &Parts, file: &str, file_name: Option<&str>) -> Parts {
    let mut out = parts.clone();
    if let Some((_, Part::File { name, .. })) = out.iter_mut().find(|(n, _)| n == file) {
        *name = file_name.map(str::to_string);
    }
    out
}

/// The cases of one operation, each a change to its valid form.
struct Cases<'a, 'b> {
    ctx: &'a Ctx<'b>,
    op: &'a Operation,
    valid: Parts,
    out: &'a mut Vec<Case>,
}

impl Cases<'_, '_> {
    /// A raw body with its `Content-Type` (none when `None`).
    fn raw(&mut self, what: &str, content_type: Option<&str>, body: Vec<u8>, expect: Expect) {
        let mut c = self.ctx.case(self.op, KIND, what.to_string());
        c.content_type = content_type.map(str::to_string);
        c.body = Some(body);
        c.expect = expect;
        self.out.push(c);
    }

    /// `parts` as a well-formed form.
    fn form(&mut self, what: &str, parts: &Parts, expect: Expect) {
        let body = bodies::form(parts).body();
        self.raw(what, Some(&Form::content_type()), body, expect);
    }

    /// Bodies that are not a well-formed form, and parts the operation does not know.
    fn whole(&mut self) {
        let body = bodies::form(&self.valid).body();
        let closing = format!("--{BOUNDARY}--\r\n").len();
        // The text parts, sent as JSON and as a URL-encoded form.
        let pairs: Vec<(String, String)> = self
            .valid
            .iter()
            .filter_map(|(n, p)| match p {
                Part::Text(v) => Some((n.clone(), String::from_utf8_lossy(v).into_owned())),
                Part::File { .. } => None,
            })
            .collect();
        let json = Value::Object(pairs.iter().map(|(n, v)| (n.clone(), json!(v))).collect());
        let json = json.to_string().into_bytes();
        let url: Vec<String> = pairs
            .iter()
            .map(|(n, v)| format!("{n}={}", encode(v)))
            .collect();
        let url = url.join("&").into_bytes();
        let not_multipart = [
            ("JSON, not multipart", Some("application/json"), json),
            (
                "form-urlencoded",
                Some("application/x-www-form-urlencoded"),
                url,
            ),
            ("no Content-Type", None, body.clone()),
            ("no boundary", Some("multipart/form-data"), body.clone()),
        ];
        for (what, content_type, bytes) in not_multipart {
            self.raw(what, content_type, bytes, Expect::Status(415));
        }
        let other = format!("{}x", Form::content_type());
        self.raw(
            "another boundary than the body's",
            Some(&other),
            body.clone(),
            Expect::Status(400),
        );
        let unnamed = format!("--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n");
        let malformed = [
            (
                "truncated in the file",
                body[..body.len() / 2].to_vec(),
                400,
            ),
            (
                "no closing boundary",
                body[..body.len() - closing].to_vec(),
                400,
            ),
            ("empty", Vec::new(), 400),
            (
                "a part without a name",
                [unnamed.as_bytes(), &body].concat(),
                422,
            ),
        ];
        let form = Form::content_type();
        for (what, bytes, status) in malformed {
            self.raw(what, Some(&form), bytes, Expect::Status(status));
        }
        let pdf = Part::File {
            name: Some("x.pdf".into()),
            bytes: PDF.to_vec(),
        };
        let extra = [
            ("an unknown part", text("isAdmin", "true")),
            ("an unknown file", ("attachment".to_string(), pdf)),
        ];
        for (what, (name, part)) in extra {
            let parts = with(&self.valid, &name, part);
            self.form(what, &parts, Expect::Field(name));
        }
        for (name, part) in self.foreign_parts() {
            let parts = with(&self.valid, &name, part);
            let what = format!("{name}: a part of another upload");
            self.form(&what, &parts, Expect::Field(name));
        }
    }

    /// The parts the other uploads take and this one does not, as those send them (an ID
    /// document's tenant and category come from its path, not from `entityId` or `category`).
    fn foreign_parts(&self) -> Parts {
        let spec = self.ctx.spec;
        let schema = self.op.body_as(&Media::Multipart).unwrap_or_default();
        let own = &spec.schema(schema)["properties"];
        let mut out: Parts = Vec::new();
        let others = spec.ops.iter().filter_map(|o| o.body_as(&Media::Multipart));
        for other in others.filter(|o| *o != schema) {
            let parts = bodies::valid_form(other, self.ctx.fx).unwrap_or_default();
            for (name, part) in parts {
                if own.get(&name).is_none() && !out.iter().any(|(n, _)| *n == name) {
                    out.push((name, part));
                }
            }
        }
        out
    }

    /// The file part `name`: missing, empty, twice, of a kind not accepted, over the limit, and
    /// its file name.
    fn file(&mut self, name: &str) {
        let v = self.valid.clone();
        let field = || Expect::Field(name.to_string());
        let stored = |n: &str| Expect::Stored(n.to_string());
        let holding = |bytes: Vec<u8>| {
            let file = Part::File {
                name: Some("upload.pdf".into()),
                bytes,
            };
            with(&v, name, file)
        };
        let mut twice = v.clone();
        twice.extend(v.iter().filter(|(n, _)| n == name).cloned());
        let escape = b"plain text, then a terminal escape \x1b[2J\r\n".to_vec();
        let over = pdf_of(UPLOAD_LIMIT + 1);
        let forms = [
            ("missing", without(&v, name), field()),
            ("empty", holding(Vec::new()), field()),
            ("given twice", twice, field()),
            (
                "an ELF executable",
                holding(ELF.to_vec()),
                Expect::Status(415),
            ),
            ("a ZIP, not a DOCX", holding(zip()), Expect::Status(415)),
            ("control characters", holding(escape), Expect::Status(415)),
            ("over the limit", holding(over), Expect::Status(413)),
            (
                "at the limit",
                holding(pdf_of(UPLOAD_LIMIT)),
                stored("upload.pdf"),
            ),
        ];
        for (what, parts, expect) in forms {
            self.form(&format!("{name}: {what}"), &parts, expect);
        }
        let long = format!("{}.pdf", "n".repeat(300));
        let file_names = [
            (
                "a relative path",
                "../../etc/passwd.txt",
                stored("passwd.txt"),
            ),
            ("a Windows path", "C:\\x\\y.txt", stored("y.txt")),
            ("SQL", SQL[0], stored(SQL[0])),
            ("only a path", "../..", field()),
            ("a tab", "lease\t.pdf", field()),
            ("a C1 control character", "lease\u{85}.pdf", field()),
            ("300 characters", &long, field()),
            // No part header may hold a NUL: the part itself is malformed.
            ("a NUL byte", "passwd\0.txt", Expect::Status(400)),
        ];
        for (what, file_name, expect) in file_names {
            let parts = named(&v, name, Some(file_name));
            self.form(&format!("{name}: file name {what}"), &parts, expect);
        }
        let what = format!("{name}: no file name, and no name part");
        let name_needed = Expect::Field("name".into());
        self.form(&what, &named(&v, name, None), name_needed);
    }

    /// The text part `name`: missing (when required), twice, and bad values.
    fn text(&mut self, name: &str, schema: &Value, required: bool) {
        let v = self.valid.clone();
        let sent = v.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone());
        let example = schema["example"].as_str().unwrap_or("x");
        let value = sent.unwrap_or(Part::Text(example.as_bytes().to_vec()));
        let field = || Expect::Field(name.to_string());
        let mut twice = with(&v, name, value.clone());
        twice.push((name.to_string(), value));
        self.form(&format!("{name}: given twice"), &twice, field());
        if required {
            self.form(&format!("{name}: missing"), &without(&v, name), field());
        }
        let documented = self.ctx.spec.enum_values(schema);
        let id = name.ends_with("Id");
        let free = documented.is_none() && !id;
        let odd = |s: &str| match free {
            true => Expect::MayAccept {
                echo: Some(s.trim().to_string()),
            },
            false => field(),
        };
        let mut values: Vec<(String, Vec<u8>, Expect)> = vec![
            ("empty".into(), Vec::new(), field()),
            ("not UTF-8".into(), b"\xff\xfe".to_vec(), field()),
            (
                "overlong".into(),
                "x".repeat(OVERLONG).into_bytes(),
                field(),
            ),
            ("a NUL byte".into(), b"a\0b".to_vec(), field()),
        ];
        for s in SQL.iter().chain(&TRAVERSAL) {
            values.push((format!("{s:?}"), s.as_bytes().to_vec(), odd(s)));
        }
        if id {
            // The valid form attaches the file to A's property: B's is its counterpart.
            let fx = self.ctx.fx;
            values.extend([
                ("wrong prefix".into(), WRONG_PREFIX.into(), field()),
                (
                    "an ID of another type".into(),
                    fx.unit.clone().into_bytes(),
                    field(),
                ),
                (
                    "organisation B's record".into(),
                    self.ctx.b.property.clone().into_bytes(),
                    Expect::Status(404),
                ),
            ]);
        }
        for value in documented.unwrap_or_default() {
            let expect = Expect::Documented {
                field: name.to_string(),
            };
            values.push((
                format!("{value:?} (documented)"),
                value.into_bytes(),
                expect,
            ));
        }
        for (what, bytes, expect) in values {
            let parts = with(&v, name, Part::Text(bytes));
            self.form(&format!("{name}: {what}"), &parts, expect);
        }
    }
}

/// Every case for the operation's multipart body, part by part as its schema lists them.
pub fn form(ctx: &Ctx<'_>, op: &Operation, out: &mut Vec<Case>) {
    let Some(schema) = op.body_as(&Media::Multipart) else {
        return;
    };
    let Some(valid) = bodies::valid_form(schema, ctx.fx) else {
        return;
    };
    let s = ctx.spec.schema(schema);
    let required: Vec<&str> = s["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut cases = Cases {
        ctx,
        op,
        valid,
        out,
    };
    cases.whole();
    for (name, sub) in s["properties"].as_object().into_iter().flatten() {
        if sub["format"] == "binary" {
            cases.file(name);
        } else {
            cases.text(name, sub, required.contains(&name.as_str()));
        }
    }
}
