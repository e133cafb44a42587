//! Pagination: page numbers with per-resource defaults and maxima (seed table), never clamped;
//! and keyset pages — each page carries an opaque `nextCursor`, and a request with `cursor`
//! instead of `page` starts right after the last row of the page that gave it, so any page
//! costs what the first does.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, Validator};

/// A resource's pagination rule: its default page size and the largest one accepted.
/// `max == default` with `fixed` set means the size cannot be chosen (audit log, notifications).
#[derive(Debug, Clone, Copy)]
pub struct PageRule {
    pub default: u32,
    pub max: u32,
    pub fixed: bool,
}

impl PageRule {
    pub const fn new(default: u32, max: u32) -> PageRule {
        PageRule {
            default,
            max,
            fixed: false,
        }
    }
    pub const fn fixed(size: u32) -> PageRule {
        PageRule {
            default: size,
            max: size,
            fixed: true,
        }
    }
}

pub const PROPERTIES_PAGE: PageRule = PageRule::new(12, 100);
pub const UNITS_PAGE: PageRule = PageRule::new(20, 100);
pub const BUILDINGS_PAGE: PageRule = PageRule::new(20, 100);
pub const MEMBERS_PAGE: PageRule = PageRule::new(20, 100);
pub const API_KEYS_PAGE: PageRule = PageRule::new(20, 100);
pub const DOCUMENTS_PAGE: PageRule = PageRule::new(20, 100);
pub const TENANTS_PAGE: PageRule = PageRule::new(20, 100);
pub const LEASES_PAGE: PageRule = PageRule::new(20, 100);
pub const RENEWALS_PAGE: PageRule = PageRule::new(20, 100);
pub const NOTIFICATIONS_PAGE: PageRule = PageRule::fixed(25);
pub const ACCOUNTS_PAGE: PageRule = PageRule::new(100, 100);
pub const CHARGES_PAGE: PageRule = PageRule::new(20, 100);
pub const PAYMENTS_PAGE: PageRule = PageRule::new(20, 100);
/// `GET /api/invoices`.
pub const INVOICES_PAGE: PageRule = PageRule::new(20, 100);
pub const JOURNAL_PAGE: PageRule = PageRule::new(20, 100);
pub const AUDIT_PAGE: PageRule = PageRule::fixed(25);

/// The largest page number accepted (keeps offsets inside 64-bit arithmetic everywhere).
pub const PAGE_MAX: i64 = 1_000_000_000;

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub page_size: u32,
}

impl PageRequest {
    /// Checks raw `page` / `pageSize` against `rule`; out-of-range values are errors.
    pub fn parse(
        rule: PageRule,
        page: Option<i64>,
        page_size: Option<i64>,
    ) -> Result<PageRequest, Vec<FieldError>> {
        let mut v = Validator::new();
        let page = match page {
            None => Some(1),
            Some(p) => v.int_range("page", p, 1, PAGE_MAX),
        };
        let size = match page_size {
            None => Some(i64::from(rule.default)),
            Some(_) if rule.fixed => {
                v.error(
                    "pageSize",
                    format!(
                        "is fixed at {} for this resource and cannot be set",
                        rule.default
                    ),
                );
                None
            }
            Some(s) => v.int_range("pageSize", s, 1, i64::from(rule.max)),
        };
        v.finish(|| PageRequest {
            page: page.unwrap() as u32,
            page_size: size.unwrap() as u32,
        })
    }

    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }

    pub fn limit(self) -> u64 {
        u64::from(self.page_size)
    }
}

/// One value of a row's position in a list's order (its sort value, its ID).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyPart {
    Int(i64),
    Text(String),
}

/// Where a keyset page starts: after the row whose order values are `after`, in the list order
/// named `order`; the page it leads to is number `page`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "p")]
    pub page: u32,
    #[serde(rename = "o")]
    pub order: String,
    #[serde(rename = "k")]
    pub after: Vec<KeyPart>,
}

impl Cursor {
    /// The opaque form clients send back: URL-safe base64 of a small JSON document.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a cursor; anything else is not one. (Whether it belongs to the list it is sent to
    /// is for the list to say: its order must match.)
    pub fn decode(raw: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
        let c: Cursor = serde_json::from_slice(&bytes).ok()?;
        (c.page >= 2 && i64::from(c.page) <= PAGE_MAX && !c.after.is_empty()).then_some(c)
    }
}

/// A list request: the page (number and size) and, for keyset pages, where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub page: PageRequest,
    pub after: Option<Cursor>,
}

impl From<PageRequest> for ListRequest {
    fn from(page: PageRequest) -> ListRequest {
        ListRequest { page, after: None }
    }
}

impl ListRequest {
    /// Checks `page` / `pageSize` / `cursor` against `rule`; `cursor` stands instead of
    /// `page`, never with it.
    pub fn parse(
        rule: PageRule,
        page: Option<i64>,
        page_size: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<ListRequest, Vec<FieldError>> {
        let Some(raw) = cursor else {
            return PageRequest::parse(rule, page, page_size).map(ListRequest::from);
        };
        let mut errors = Vec::new();
        if page.is_some() {
            errors.push(FieldError::new("page", "cannot be used with cursor"));
        }
        let c = Cursor::decode(raw);
        if c.is_none() {
            errors.push(FieldError::new(
                "cursor",
                "is not a cursor this list gave (use nextCursor from the previous page, with the same filters and sort)",
            ));
        }
        let sized = PageRequest::parse(rule, None, page_size);
        match (sized, c) {
            (Ok(p), Some(c)) if errors.is_empty() => Ok(ListRequest {
                page: PageRequest {
                    page: c.page,
                    page_size: p.page_size,
                },
                after: Some(c),
            }),
            (sized, _) => {
                errors.extend(sized.err().unwrap_or_default());
                Err(errors)
            }
        }
    }
}

/// One page of a list, as the envelope's `data` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub page_size: u32,
    pub total: u64,
    pub total_pages: u64,
    /// Send it as `cursor` (instead of `page`, with the same filters, sort and page size) for
    /// the next page, which then costs what the first does however deep it is; `null` on the
    /// last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, req: PageRequest, total: u64) -> Page<T> {
        Page {
            items,
            page: req.page,
            page_size: req.page_size,
            total,
            total_pages: total.div_ceil(u64::from(req.page_size)),
            next_cursor: None,
        }
    }

    /// The same page, pointing to the next one.
    pub fn with_next(mut self, cursor: Option<Cursor>) -> Page<T> {
        self.next_cursor = cursor.map(|c| c.encode());
        self
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            page_size: self.page_size,
            total: self.total,
            total_pages: self.total_pages,
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_stand_instead_of_page() {
        let c = Cursor {
            page: 3,
            order: "name".into(),
            after: vec![KeyPart::Text("Harbour".into()), KeyPart::Int(7)],
        };
        let raw = c.encode();
        assert!(raw
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
        assert_eq!(Cursor::decode(&raw), Some(c));
        assert_eq!(Cursor::decode("not-a-cursor"), None);
        let r = ListRequest::parse(UNITS_PAGE, None, Some(50), Some(&raw)).unwrap();
        assert_eq!((r.page.page, r.page.page_size), (3, 50));
        let errs = ListRequest::parse(UNITS_PAGE, Some(2), None, Some(&raw)).unwrap_err();
        assert_eq!(errs[0].field, "page");
        let errs = ListRequest::parse(UNITS_PAGE, None, None, Some("x")).unwrap_err();
        assert_eq!(errs[0].field, "cursor");
    }

    #[test]
    fn defaults_bounds_and_fixed_sizes() {
        let p = PageRequest::parse(PROPERTIES_PAGE, None, None).unwrap();
        assert_eq!((p.page, p.page_size, p.offset()), (1, 12, 0));
        let p = PageRequest::parse(UNITS_PAGE, Some(3), Some(100)).unwrap();
        assert_eq!(p.offset(), 200);
        let errs = PageRequest::parse(UNITS_PAGE, Some(0), Some(101)).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(PageRequest::parse(AUDIT_PAGE, None, Some(25)).is_err());
        assert_eq!(
            PageRequest::parse(AUDIT_PAGE, Some(2), None)
                .unwrap()
                .page_size,
            25
        );
        assert_eq!(Page::new(vec![1], p, 40).total_pages, 1);
        assert_eq!(
            Page::new(
                vec![1],
                PageRequest {
                    page: 1,
                    page_size: 12
                },
                40
            )
            .total_pages,
            4
        );
        assert_eq!(Page::<u8>::new(vec![], p, 0).total_pages, 0);
    }
}
