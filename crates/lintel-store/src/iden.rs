//! The SQL names of the schema enums.
//!
//! `#[derive(sea_query::Iden)]` writes an identifier by formatting its name into a new string
//! and copying it again to double any quote characters, twice per identifier on every statement
//! rendered. [`table!`] declares a table's enum with the same names (the table is the `Table`
//! variant, columns in `snake_case`), each written once, and writes them straight into the SQL;
//! our names never contain quote characters.

/// Declares a table's enum with its SQL names, each written once:
///
/// ```ignore
/// crate::iden::table! {
///     pub enum Units = "units" {
///         Id = "id",
///         OrgId = "org_id",
///     }
/// }
/// ```
///
/// gives `enum Units { Table, Id, OrgId }` (`Units::Table` is `"units"`) implementing
/// `sea_query::Iden`.
macro_rules! table {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident = $table:literal {
            $($(#[$vmeta:meta])* $variant:ident = $column:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        $vis enum $name {
            Table,
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// The table's or column's SQL name.
            pub const fn sql(self) -> &'static str {
                match self {
                    $name::Table => $table,
                    $($name::$variant => $column,)+
                }
            }
        }

        impl sea_query::Iden for $name {
            fn prepare(&self, s: &mut dyn std::fmt::Write, q: sea_query::Quote) {
                let _ = s.write_char(q.left());
                let _ = s.write_str(self.sql());
                let _ = s.write_char(q.right());
            }

            fn unquoted(&self, s: &mut dyn std::fmt::Write) {
                let _ = s.write_str(self.sql());
            }
        }
    };
}
pub(crate) use table;

#[cfg(test)]
mod tests {
    use sea_query::{Expr, Iden, PostgresQueryBuilder, Query, SqliteQueryBuilder};

    super::table! {
        enum Fast = "fast" {
            OrgId = "org_id",
            AddressLine1 = "address_line1",
        }
    }

    #[derive(Iden, Clone, Copy)]
    enum Derived {
        Table,
        OrgId,
        AddressLine1,
    }

    /// The same SQL as the derive, on both backends.
    #[test]
    fn names_render_as_the_derive_renders_them() {
        let fast = Query::select()
            .columns([
                (Fast::Table, Fast::OrgId),
                (Fast::Table, Fast::AddressLine1),
            ])
            .from(Fast::Table)
            .and_where(Expr::col(Fast::OrgId).eq("x"))
            .to_owned();
        let derived = Query::select()
            .columns([
                (Derived::Table, Derived::OrgId),
                (Derived::Table, Derived::AddressLine1),
            ])
            .from(Derived::Table)
            .and_where(Expr::col(Derived::OrgId).eq("x"))
            .to_owned();
        let rename = |s: String| s.replace("derived", "fast");
        assert_eq!(
            fast.to_string(SqliteQueryBuilder),
            rename(derived.to_string(SqliteQueryBuilder))
        );
        assert_eq!(
            fast.to_string(PostgresQueryBuilder),
            rename(derived.to_string(PostgresQueryBuilder))
        );
        assert_eq!(Derived::AddressLine1.to_string(), Fast::AddressLine1.sql());
    }
}
