//! Page-number pagination with per-resource defaults and maxima (seed table), never clamped.

use serde::Serialize;

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

/// One page of a list, as the envelope's `data` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub page_size: u32,
    pub total: u64,
    pub total_pages: u64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, req: PageRequest, total: u64) -> Page<T> {
        Page {
            items,
            page: req.page,
            page_size: req.page_size,
            total,
            total_pages: total.div_ceil(u64::from(req.page_size)),
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            page_size: self.page_size,
            total: self.total,
            total_pages: self.total_pages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
