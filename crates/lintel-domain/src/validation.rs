//! Field-level validation that reports every failing field at once.

use serde::Serialize;

use crate::text::{self, Layout};

/// What [`Validator::opt_phone`] accepts, as the OpenAPI `pattern` of phone fields states it:
/// 5–20 digits among spaces, `-`, `.` and brackets, `+` only first; blank counts as absent.
pub const PHONE_PATTERN: &str = r"^ *(?:\+?[ ().-]*(?:[0-9][ ().-]*){5,20})?$";

/// One failing field: a JSON path such as `address.city` or `units[3].bedrooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects field errors while an input is being checked.
#[derive(Debug, Default)]
pub struct Validator {
    prefix: String,
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// A validator whose field names are prefixed, e.g. `units[3]`.
    pub fn nested(prefix: impl Into<String>) -> Self {
        Validator {
            prefix: prefix.into(),
            errors: Vec::new(),
        }
    }

    fn path(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_string()
        } else {
            format!("{}.{}", self.prefix, field)
        }
    }

    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        let path = self.path(field);
        self.errors.push(FieldError::new(path, message));
    }

    /// Takes the errors of a nested validator.
    pub fn absorb(&mut self, errors: Vec<FieldError>) {
        for mut e in errors {
            if !self.prefix.is_empty() {
                e.field = format!("{}.{}", self.prefix, e.field);
            }
            self.errors.push(e);
        }
    }

    /// A required value: reports `is required` when absent.
    pub fn required<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.error(field, "is required");
        }
        value
    }

    /// A required single-line text (see [`crate::text`]): at most `max` characters as sent (as
    /// the OpenAPI `maxLength` says), no control characters, then put in NFC and trimmed; blank
    /// text is "must not be empty", and `min` applies to the trimmed text.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> Option<String> {
        self.checked(field, value, min, max, Layout::Line)
    }

    /// An optional single-line text: `None` stays `None`, and so does blank text once the other
    /// rules of [`Validator::text`] hold.
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        self.opt_checked(field, value, max, Layout::Line)
    }

    /// An optional multi-line text (descriptions): as [`Validator::opt_text`], but tab, line
    /// feed and carriage return are allowed.
    pub fn opt_multiline(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        self.opt_checked(field, value, max, Layout::Multiline)
    }

    fn opt_checked(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
        layout: Layout,
    ) -> Option<String> {
        let value = value?;
        if self.check_raw(field, value, max, layout) {
            let normal = text::nfc(value);
            let trimmed = text::trim(&normal);
            return (!trimmed.is_empty()).then(|| trimmed.to_string());
        }
        None
    }

    fn checked(
        &mut self,
        field: &str,
        value: &str,
        min: usize,
        max: usize,
        layout: Layout,
    ) -> Option<String> {
        if !self.check_raw(field, value, max, layout) {
            return None;
        }
        let normal = text::nfc(value);
        let trimmed = text::trim(&normal);
        if trimmed.chars().count() < min.max(1) {
            if min <= 1 {
                self.error(field, "must not be empty");
            } else {
                self.error(field, format!("must be at least {min} characters"));
            }
            return None;
        }
        Some(trimmed.to_string())
    }

    /// The rules on the text as sent: its characters, then its length.
    fn check_raw(&mut self, field: &str, value: &str, max: usize, layout: Layout) -> bool {
        if value.chars().any(|c| text::is_forbidden(c, layout)) {
            self.error(field, "must not contain control characters");
            return false;
        }
        if value.chars().count() > max {
            self.error(field, format!("must be at most {max} characters"));
            return false;
        }
        true
    }

    /// A closed enum given as a string.
    pub fn parse_enum<E: std::str::FromStr<Err = String>>(
        &mut self,
        field: &str,
        value: &str,
    ) -> Option<E> {
        match value.parse() {
            Ok(v) => Some(v),
            Err(msg) => {
                self.error(field, msg);
                None
            }
        }
    }

    /// An optional phone number: digits with the usual separators (`+`, spaces, `-`, `.`,
    /// brackets), 5–20 digits, at most 32 characters; kept as sent, trimmed.
    pub fn opt_phone(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let text = self.opt_text(field, value, 32)?;
        let digits = text.chars().filter(char::is_ascii_digit).count();
        let allowed = |c: char| c.is_ascii_digit() || " +-.()".contains(c);
        if !text.chars().all(allowed) || !(5..=20).contains(&digits) || text[1..].contains('+') {
            self.error(field, "must be a phone number");
            return None;
        }
        Some(text)
    }

    /// An optional e-mail address, lower-cased (see [`crate::identity::Email`]).
    pub fn opt_email(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let raw = value?;
        match crate::identity::Email::parse(raw) {
            Ok(e) => Some(e.as_str().to_string()),
            Err(m) => {
                self.error(field, m);
                None
            }
        }
    }

    /// An optional calendar day given as `YYYY-MM-DD`.
    pub fn date(&mut self, field: &str, value: Option<&str>) -> Option<crate::time::Date> {
        let raw = value?;
        let parsed = crate::time::Date::parse(raw.trim());
        if parsed.is_none() {
            self.error(field, "must be a date as YYYY-MM-DD");
        }
        parsed
    }

    /// An integer within `min..=max`.
    pub fn int_range(&mut self, field: &str, value: i64, min: i64, max: i64) -> Option<i64> {
        if value < min || value > max {
            self.error(field, format!("must be between {min} and {max}"));
            None
        } else {
            Some(value)
        }
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    /// Ends validation: the value when nothing failed, else every error.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(value())
        } else {
            Err(self.errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maximum_counts_the_text_as_sent() {
        let mut v = Validator::new();
        assert_eq!(v.text("name", " abc ", 1, 5).as_deref(), Some("abc"));
        assert_eq!(v.text("name", " abcde", 1, 5), None);
        assert_eq!(v.opt_text("note", Some("  abcd"), 5), None);
        assert_eq!(v.opt_text("note", Some("   "), 5), None);
        let errs = v.into_errors();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs
            .iter()
            .all(|e| e.message == "must be at most 5 characters"));
    }

    #[test]
    fn collects_every_error_with_paths() {
        let mut v = Validator::nested("units[2]");
        v.text("name", "   ", 1, 10);
        v.text("suite", &"x".repeat(11), 1, 10);
        v.required::<i32>("rent", None);
        let errs = v.into_errors();
        assert_eq!(errs.len(), 3);
        assert_eq!(errs[0].field, "units[2].name");
        assert_eq!(errs[1].message, "must be at most 10 characters");
        assert_eq!(errs[2].message, "is required");
    }
}
