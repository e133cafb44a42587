use std::collections::HashMap;

use serde::Deserialize;

use super::{NewUnit, UnitInput};
use crate::text;
use crate::validation::{FieldError, Validator};

/// Most units accepted by one bulk create.
pub const BULK_UNITS_MAX: usize = 500;

/// `POST /api/properties/{id}/units/bulk`: 1..=500 units, all or nothing.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkUnitsInput {
    /// A name (with its suite) at most once per request.
    #[schema(required = true, value_type = Vec<UnitInput>, min_items = 1, max_items = 500)]
    pub units: Option<Vec<UnitInput>>,
}

/// A text as the row validation will store it (NFC, trimmed, blank as absent), compared as the
/// store's unique index compares names: by [`text::name_key`].
fn key(s: &Option<String>) -> Option<String> {
    let normal = text::nfc(s.as_deref()?);
    let t = text::trim(&normal);
    (!t.is_empty()).then(|| text::name_key(t))
}

impl BulkUnitsInput {
    /// Checks every row (errors under `units[i].…`) and rejects a `name`+`suite` given twice
    /// (in any case or Unicode composition).
    pub fn validate(self) -> Result<Vec<NewUnit>, Vec<FieldError>> {
        let mut v = Validator::new();
        let Some(rows) = v.required("units", self.units) else {
            return Err(v.into_errors());
        };
        if rows.is_empty() || rows.len() > BULK_UNITS_MAX {
            v.error(
                "units",
                format!("must contain between 1 and {BULK_UNITS_MAX} units"),
            );
            return Err(v.into_errors());
        }
        let mut seen: HashMap<(String, Option<String>), usize> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for (i, row) in rows.into_iter().enumerate() {
            let prefix = format!("units[{i}]");
            let key = key(&row.name).map(|n| (n, key(&row.suite)));
            let mut key_valid = true;
            match row.validate() {
                Ok(unit) => out.push(unit),
                Err(errs) => {
                    let (name_f, suite_f) = (format!("{prefix}.name"), format!("{prefix}.suite"));
                    let mut nested = Validator::nested(prefix.clone());
                    nested.absorb(errs);
                    let errs = nested.into_errors();
                    key_valid = !errs.iter().any(|e| e.field == name_f || e.field == suite_f);
                    v.absorb(errs);
                }
            }
            if let Some(key) = key.filter(|_| key_valid) {
                if let Some(j) = seen.get(&key) {
                    v.error(
                        &format!("{prefix}.name"),
                        format!("duplicates units[{j}].name"),
                    );
                } else {
                    seen.insert(key, i);
                }
            }
        }
        v.finish(|| out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> UnitInput {
        UnitInput {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn bulk_counts_paths_and_duplicates() {
        let bulk = |units: Option<Vec<UnitInput>>| BulkUnitsInput { units }.validate();
        let e = bulk(None).unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].message.as_str()),
            ("units", "is required")
        );
        for n in [0, BULK_UNITS_MAX + 1] {
            let e = bulk(Some(vec![named("A"); n])).unwrap_err();
            assert_eq!(e.len(), 1);
            assert_eq!(e[0].message, "must contain between 1 and 500 units");
        }
        let many: Vec<_> = (0..BULK_UNITS_MAX)
            .map(|i| named(&format!("U{i}")))
            .collect();
        assert_eq!(bulk(Some(many)).unwrap().len(), BULK_UNITS_MAX);

        let rows = vec![
            UnitInput {
                suite: Some("".into()),
                ..named("A")
            },
            UnitInput {
                bedrooms: Some(0.3),
                ..named("B")
            },
            UnitInput {
                parking_stalls: Some(-1),
                ..named(" A ")
            },
            UnitInput {
                suite: Some("1".into()),
                ..named("A")
            },
            UnitInput::default(),
            UnitInput {
                suite: Some(" 1".into()),
                ..named("A")
            },
            UnitInput {
                suite: Some("x".repeat(51)),
                ..named("A")
            },
            UnitInput {
                suite: Some("\u{200b}".into()),
                ..named(" a\u{feff}")
            },
            named("\u{e9}"),
            named("E\u{301}"),
        ];
        let errs = bulk(Some(rows)).unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                "units[1].bedrooms",
                "units[2].parkingStalls",
                "units[2].name",
                "units[4].name",
                "units[5].name",
                "units[6].suite",
                "units[7].name",
                "units[9].name",
            ]
        );
        assert_eq!(errs[6].message, "duplicates units[0].name");
        assert_eq!(errs[7].message, "duplicates units[8].name");
        assert_eq!(errs[2].message, "duplicates units[0].name");
        assert_eq!(errs[4].message, "duplicates units[3].name");
    }
}
