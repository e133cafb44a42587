//! Query parameters checked one by one into field errors.

use lintel_domain::id::{Id, IdKind};
use lintel_domain::text::{self, Layout};
use lintel_domain::{FieldError, ListRequest, PageRule};

use crate::error::ApiError;

/// Declares the query of a list operation: `page`, `pageSize` (documented with `size`, the
/// list's default and maximum), `cursor`, then the list's own parameters, each an
/// `Option<String>` checked by the handler; `paged()` checks the first three against the list's
/// rule.
macro_rules! list_query {
    ($(#[$meta:meta])* $vis:vis struct $name:ident {
        size: $size:literal,
        $($(#[$fmeta:meta])* $field:ident: $ty:ty),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(serde::Deserialize, utoipa::IntoParams)]
        #[serde(rename_all = "camelCase")]
        #[into_params(parameter_in = Query)]
        $vis struct $name {
            /// Page number, from 1.
            #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000000)]
            page: Option<String>,
            #[doc = $size]
            #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
            page_size: Option<String>,
            /// The `nextCursor` of the previous page, instead of `page` (same filters, sort and
            /// size): the page then costs what the first does, however deep.
            #[param(value_type = Option<String>, max_length = 512)]
            cursor: Option<String>,
            $($(#[$fmeta])* $field: $ty,)*
        }

        impl $name {
            /// `page`, `pageSize` and `cursor` checked against `rule` into `check`.
            fn paged(
                &self,
                check: &mut $crate::query::QueryCheck,
                rule: lintel_domain::PageRule,
            ) -> Option<lintel_domain::ListRequest> {
                check.list(
                    rule,
                    self.page.as_deref(),
                    self.page_size.as_deref(),
                    self.cursor.as_deref(),
                )
            }
        }
    };
}
pub(crate) use list_query;

/// The query of a list that only pages (`page`, `pageSize`; default size 20, at most 100).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000000)]
    pub page: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
    /// The `nextCursor` of the previous page, instead of `page` (same page size): the page then
    /// costs what the first does, however deep.
    #[param(value_type = Option<String>, max_length = 512)]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page asked for under the list's rule, or a 422 naming every bad parameter.
    pub fn request(&self, rule: PageRule) -> Result<ListRequest, ApiError> {
        let mut check = QueryCheck::new();
        let page = check.list(
            rule,
            self.page.as_deref(),
            self.page_size.as_deref(),
            self.cursor.as_deref(),
        );
        check.finish(page)
    }
}

/// Checks query parameters one by one, collecting every bad one, then answers a single 422
/// that lists them all (`page=0&pageSize=1000` names both).
#[derive(Debug, Default)]
pub struct QueryCheck {
    errors: Vec<FieldError>,
}

impl QueryCheck {
    pub fn new() -> QueryCheck {
        QueryCheck::default()
    }

    /// Records a failing parameter checked by the caller itself.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// An optional integer.
    pub fn int(&mut self, field: &str, raw: Option<&str>) -> Option<i64> {
        let parsed = raw?.trim().parse::<i64>();
        parsed
            .map_err(|_| self.fail(field, "must be an integer"))
            .ok()
    }

    /// An optional calendar day, `YYYY-MM-DD`.
    pub fn date(&mut self, field: &str, raw: Option<&str>) -> Option<lintel_domain::Date> {
        let d = lintel_domain::Date::parse(raw?);
        if d.is_none() {
            self.fail(field, "must be a date as YYYY-MM-DD");
        }
        d
    }

    /// An optional value of a closed enum.
    pub fn choice<E: std::str::FromStr<Err = String>>(
        &mut self,
        field: &str,
        raw: Option<&str>,
    ) -> Option<E> {
        raw?.parse().map_err(|m| self.fail(field, m)).ok()
    }

    /// An optional typed ID, exactly as documented: an empty value (`?propertyId=`) or one with
    /// spaces around it is as malformed as any other non-ID.
    pub fn id<K: IdKind>(&mut self, field: &str, raw: Option<&str>) -> Option<Id<K>> {
        raw?.parse()
            .map_err(|e| self.fail(field, format!("{e}")))
            .ok()
    }

    /// Optional free text, by the rules of body text ([`lintel_domain::text`]): at most `max`
    /// characters as sent (so the documented `maxLength` holds exactly), no control characters,
    /// then in NFC and trimmed; blank counts as absent.
    pub fn text(&mut self, field: &str, raw: Option<&str>, max: usize) -> Option<String> {
        let raw = raw?;
        if raw.chars().any(|c| text::is_forbidden(c, Layout::Line)) {
            self.fail(field, "must not contain control characters");
            return None;
        }
        if raw.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
            return None;
        }
        let normal = text::nfc(raw);
        Some(text::trim(&normal))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// `page`, `pageSize` and `cursor` against the resource's rule: a page number, or a cursor
    /// from a previous page (not both).
    pub fn list(
        &mut self,
        rule: PageRule,
        page: Option<&str>,
        size: Option<&str>,
        cursor: Option<&str>,
    ) -> Option<ListRequest> {
        let (page, size) = (self.int("page", page), self.int("pageSize", size));
        if cursor.is_some_and(|c| c.len() > 512) {
            self.fail("cursor", "must be at most 512 characters");
            return None;
        }
        ListRequest::parse(rule, page, size, cursor)
            .map_err(|mut e| self.errors.append(&mut e))
            .ok()
    }

    /// The checked value, or a 422 listing every bad parameter.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ if !self.errors.is_empty() => Err(ApiError::Validation(self.errors)),
            _ => Err(ApiError::internal("query check finished without a value")),
        }
    }
}

/// The operations of the API document that take no query parameters, as (method, route
/// template) — built once from the generated document, so a new route is covered by declaring
/// it.
fn without_query() -> &'static std::collections::HashSet<(String, String)> {
    static SET: std::sync::OnceLock<std::collections::HashSet<(String, String)>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| {
        let doc = serde_json::to_value(crate::openapi()).unwrap_or_default();
        let mut set = std::collections::HashSet::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let takes_query = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
                // Browser redirects that others link to keep ignoring what they do not know.
                let redirect = op["responses"]
                    .as_object()
                    .is_some_and(|r| r.keys().any(|k| k.starts_with('3')));
                if !takes_query && !redirect {
                    set.insert((method.to_ascii_uppercase(), path.clone()));
                }
            }
        }
        set
    })
}

/// The rule "an unknown query parameter is a 422", for the operations that declare no query
/// parameters at all (`GET /api/properties/{id}?x=1`); operations with query parameters check
/// theirs in [`crate::extract::ApiQuery`]. Called by the route layer with the matched route.
pub fn undeclared(
    req: &axum::extract::Request,
    route: Option<&axum::extract::MatchedPath>,
) -> Option<axum::response::Response> {
    use axum::response::IntoResponse;
    let query = req.uri().query().filter(|q| !q.is_empty())?;
    let key = (
        req.method().as_str().to_string(),
        route?.as_str().to_string(),
    );
    if !without_query().contains(&key) {
        return None;
    }
    let mut names: Vec<String> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, _)| k.into_owned())
        .collect();
    names.dedup();
    let details = names
        .into_iter()
        .map(|name| FieldError::new(name, "is not a known parameter"))
        .collect();
    Some(ApiError::Validation(details).into_response())
}
