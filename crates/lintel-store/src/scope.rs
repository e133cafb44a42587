//! Organisation scoping, written once.
//!
//! A table whose rows belong to one organisation is declared as such ([`OrgTable`]: its name,
//! its `org_id` column and its key). Every select, update and delete on such a table starts
//! from [`select`], [`update`], [`delete`] or [`count`], which put the organisation predicate
//! in the statement before anything else is added; the test at the end of this file fails when
//! a statement on an org-owned table is started any other way outside this module. The few
//! statements that cannot be scoped to one organisation — finding a credential by its secret,
//! a person's sessions and memberships across organisations — are marked `// across
//! organisations:` with the reason, and the test allows exactly those.
//!
//! The organisation is an [`OrgId`] until it is bound; prepared statements bind it through
//! [`OrgRef::Slot`] and [`crate::prepared::key`], which takes the typed IDs too.

use lintel_domain::id::{Id, IdKind};
use lintel_domain::OrgId;
use sea_query::{
    Alias, DeleteStatement, Expr, Iden, IntoIden, Query, SelectStatement, SimpleExpr,
    UpdateStatement,
};

/// A table whose every row belongs to one organisation.
pub(crate) trait OrgTable: Iden + Copy + Send + Sync + 'static {
    /// The table itself (`Self::Table`).
    const TABLE: Self;
    /// Its `org_id` column.
    const ORG: Self;
    /// Its key column (`id`).
    const ID: Self;
}

/// Declares tables as org-owned: `org_tables!(Properties, Units)` for enums with `Table`,
/// `OrgId` and `Id` variants.
macro_rules! org_tables {
    ($($t:ident),+ $(,)?) => {$(
        impl $crate::scope::OrgTable for $t {
            const TABLE: Self = $t::Table;
            const ORG: Self = $t::OrgId;
            const ID: Self = $t::Id;
        }
    )+};
}
pub(crate) use org_tables;

/// The organisation a statement is scoped to: a known one, or slot 0 of a prepared statement.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OrgRef {
    Org(OrgId),
    Slot,
}

impl From<OrgId> for OrgRef {
    fn from(org: OrgId) -> OrgRef {
        OrgRef::Org(org)
    }
}

impl OrgRef {
    fn value(self) -> SimpleExpr {
        match self {
            OrgRef::Org(org) => Expr::val(org.to_string()).into(),
            OrgRef::Slot => Expr::val(crate::prepared::slot(0)).into(),
        }
    }
}

/// `T.org_id = org`, qualified with the table's name (safe in joins).
pub(crate) fn org_is<T: OrgTable>(org: impl Into<OrgRef>) -> SimpleExpr {
    Expr::col((T::TABLE, T::ORG)).eq(org.into().value())
}

/// `SELECT … FROM T WHERE T.org_id = org` (columns to be added).
pub(crate) fn select<T: OrgTable>(org: impl Into<OrgRef>) -> SelectStatement {
    Query::select()
        .from(T::TABLE)
        .and_where(org_is::<T>(org))
        .to_owned()
}

/// `SELECT … FROM T WHERE T.org_id = U.org_id`: a subquery correlated with a row of `U`, which
/// its outer statement has scoped.
pub(crate) fn select_with<T: OrgTable, U: OrgTable>() -> SelectStatement {
    Query::select()
        .from(T::TABLE)
        .and_where(Expr::col((T::TABLE, T::ORG)).equals((U::TABLE, U::ORG)))
        .to_owned()
}

/// `UPDATE T … WHERE org_id = org` (values and further conditions to be added).
pub(crate) fn update<T: OrgTable>(org: impl Into<OrgRef>) -> UpdateStatement {
    Query::update()
        .table(T::TABLE)
        .and_where(Expr::col(T::ORG).eq(org.into().value()))
        .to_owned()
}

/// `UPDATE T … WHERE org_id = org AND id = id`.
pub(crate) fn update_one<T: OrgTable, K: IdKind>(
    org: impl Into<OrgRef>,
    id: Id<K>,
) -> UpdateStatement {
    update::<T>(org)
        .and_where(Expr::col(T::ID).eq(id.to_string()))
        .to_owned()
}

/// `DELETE FROM T WHERE org_id = org` (further conditions to be added).
pub(crate) fn delete<T: OrgTable>(org: impl Into<OrgRef>) -> DeleteStatement {
    Query::delete()
        .from_table(T::TABLE)
        .and_where(Expr::col(T::ORG).eq(org.into().value()))
        .to_owned()
}

/// `SELECT COUNT(T.id) AS n FROM T WHERE T.org_id = org` (filters to be added).
pub(crate) fn count<T: OrgTable>(org: impl Into<OrgRef>) -> SelectStatement {
    select::<T>(org)
        .expr_as(
            Expr::col((T::TABLE, T::ID)).count(),
            Alias::new("n").into_iden(),
        )
        .to_owned()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Tables declared org-owned (`org_tables!(…)` or `impl … OrgTable for X`), found in the
    /// sources outside this module.
    fn org_tables(sources: &[(String, String)]) -> Vec<String> {
        let mut out = Vec::new();
        for (path, text) in sources {
            if path.ends_with("scope.rs") {
                continue;
            }
            for line in text.lines() {
                let line = line.trim();
                if let Some(list) = line
                    .strip_prefix("crate::scope::org_tables!(")
                    .and_then(|l| l.strip_suffix(");"))
                {
                    out.extend(list.split(',').map(|s| s.trim().to_string()));
                } else if let Some(rest) = line.split("OrgTable for ").nth(1) {
                    out.push(rest.trim_end_matches(" {").trim().to_string());
                }
            }
        }
        out
    }

    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), text));
            }
        }
    }

    /// No select, update or delete on an org-owned table starts outside this module unless it is
    /// marked as one of the few that work across organisations.
    #[test]
    fn statements_on_org_owned_tables_start_scoped() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root, &mut files);
        let tables = org_tables(&files);
        assert!(tables.len() >= 8, "org-owned tables found: {tables:?}");
        let mut problems = Vec::new();
        for (path, text) in &files {
            if path.ends_with("scope.rs") {
                continue;
            }
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                let starts = [".from(", ".table(", ".from_table("];
                for t in &tables {
                    // Aliases in `use … as X` make the enum appear under a short name; the
                    // sources refer to tables as `Alias::Table`, so look for `::Table)`.
                    let hit = starts.iter().any(|s| {
                        line.contains(s)
                            && line.contains("::Table)")
                            && table_alias_matches(text, t, line)
                    });
                    if !hit {
                        continue;
                    }
                    let marked = (n.saturating_sub(25)..=n)
                        .any(|k| lines[k].contains("// across organisations:"));
                    if !marked {
                        problems.push(format!("{path}:{}: {}", n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(
            problems.is_empty(),
            "statements on org-owned tables that do not start from crate::scope:\n{}",
            problems.join("\n")
        );
    }

    /// Whether `line` names table `t`, directly or through a `use … {t as X}` alias of this file.
    fn table_alias_matches(text: &str, t: &str, line: &str) -> bool {
        let mut names = vec![t.to_string()];
        let pattern = format!("{t} as ");
        let mut rest = text;
        while let Some(i) = rest.find(&pattern) {
            let after = &rest[i + pattern.len()..];
            let alias: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.push(alias);
            rest = after;
        }
        names.iter().any(|n| {
            line.contains(&format!("({n}::Table)")) || line.contains(&format!("({n}::Table,"))
        })
    }
}
