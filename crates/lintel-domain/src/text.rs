//! The rules every piece of client text follows before it is stored or compared.
//!
//! - Text is put in Unicode Normalization Form C, so `é` sent precomposed and `e` + U+0301 are
//!   the same text.
//! - Whitespace and zero-width characters at either end are dropped; text made only of them is
//!   blank.
//! - Control characters (C0 and C1) are refused, except tab, line feed and carriage return in
//!   multi-line fields (descriptions); so are the bidirectional embedding, override and isolate
//!   characters, which can make text display in an order other than the stored one.
//!
//! The OpenAPI `pattern`s of text fields state the same rules ([`LINE_PATTERN`],
//! [`REQUIRED_LINE_PATTERN`], [`MULTILINE_PATTERN`]).

use std::borrow::Cow;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// A single-line text that may be blank (then it counts as absent): no control characters, no
/// bidirectional controls.
pub const LINE_PATTERN: &str = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$";

/// A single-line text that must not be blank: [`LINE_PATTERN`] with at least one character that
/// is neither whitespace nor zero-width.
pub const REQUIRED_LINE_PATTERN: &str = concat!(
    r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*",
    r"[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff]",
    r"[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
);

/// A multi-line text (descriptions): tab, line feed and carriage return are allowed.
pub const MULTILINE_PATTERN: &str =
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$";

/// Whether a text may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Names, address lines, suites, search terms: no control characters at all.
    Line,
    /// Descriptions: tab, line feed and carriage return are allowed.
    Multiline,
}

/// Zero-width characters that show nothing: they do not make a text non-blank.
fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Whitespace (Unicode `White_Space`) or a zero-width character.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace() || is_zero_width(c)
}

/// The bidirectional embedding, override and isolate characters (U+202A–U+202E,
/// U+2066–U+2069).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is refused in a text of `layout`.
pub fn is_forbidden(c: char, layout: Layout) -> bool {
    let allowed_control = layout == Layout::Multiline && matches!(c, '\t' | '\n' | '\r');
    (c.is_control() && !allowed_control) || is_bidi_control(c)
}

/// The text in Normalization Form C (borrowed when it already is).
pub fn nfc(raw: &str) -> Cow<'_, str> {
    match is_nfc_quick(raw.chars()) {
        IsNormalized::Yes => Cow::Borrowed(raw),
        _ => Cow::Owned(raw.nfc().collect()),
    }
}

/// Drops whitespace and zero-width characters at both ends.
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_invisible)
}

/// Whether the text is empty or made only of whitespace and zero-width characters.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(is_invisible)
}

/// The form two names are compared in for uniqueness: canonical caseless matching (Unicode
/// full case folding of the decomposed text), recomposed to NFC. `Harbour` and `HARBOUR`, and
/// `é` precomposed and `e` + U+0301, have the same key.
pub fn name_key(s: &str) -> String {
    let decomposed: String = s.nfd().collect();
    let folded = icu_casemap::CaseMapper::new().fold_string(&decomposed);
    folded.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_case_and_composition() {
        assert_eq!(name_key("Harbour"), name_key("HARBOUR"));
        assert_eq!(name_key("\u{e9}t\u{e9}"), name_key("e\u{301}TE\u{301}"));
        assert_eq!(name_key("Stra\u{df}e"), name_key("STRASSE"));
        assert_eq!(
            name_key("\u{3a3}\u{3bf}\u{3c2}"),
            name_key("\u{3c3}\u{3bf}\u{3c3}")
        );
        assert_ne!(name_key("Unit 1"), name_key("Unit 2"));
        assert_eq!(name_key("caf\u{e9}"), "caf\u{e9}");
    }

    #[test]
    fn blank_forbidden_and_nfc() {
        assert!(is_blank(" \u{200b}\u{feff}\t\u{3000}"));
        assert!(!is_blank(" a "));
        assert_eq!(trim("\u{200b} a b \u{2060}"), "a b");
        assert!(is_forbidden('\u{0}', Layout::Multiline));
        assert!(is_forbidden('\n', Layout::Line));
        assert!(!is_forbidden('\n', Layout::Multiline));
        assert!(is_forbidden('\u{85}', Layout::Multiline));
        assert!(is_forbidden('\u{202e}', Layout::Multiline));
        assert!(!is_forbidden('\u{200b}', Layout::Line));
        assert_eq!(nfc("e\u{301}"), "\u{e9}");
        assert!(matches!(nfc("plain"), Cow::Borrowed(_)));
    }
}
