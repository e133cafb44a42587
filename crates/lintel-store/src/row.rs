//! Rows into the store's row structs, by column name, through serde, on both backends.
//!
//! Every row struct derives `serde::Deserialize`. A row is presented to serde as a map from
//! column name to value, so a struct takes the columns it names whatever their order, and extra
//! columns are ignored. Values are read in place from the driver's buffers (no copy of the row
//! before decoding), by position, and only the plain types the row structs use are understood:
//! `String`, `i64`, `f64`, `bool` (an integer on SQLite) and `Option`s of them. The rows of one
//! statement ([`Rows`]) match columns to fields by name once, on the first row; the others are
//! keyed by field index.
//!
//! On PostgreSQL this replaces sqlx's `FromRow`, which looks every column up by name and checks
//! its type once per field: on a page of 20 units that was 12k instructions per row.

use std::fmt;

use rusqlite::types::ValueRef;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use sqlx::postgres::PgRow;
use sqlx::{Decode, Postgres, Row as _, TypeInfo, ValueRef as _};

/// Why a row could not be turned into its struct: a column of an unexpected type, a NULL in a
/// column that is not an `Option`, a missing column.
#[derive(Debug)]
pub(crate) struct DecodeError(pub(crate) String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError(msg.to_string())
    }
}

fn failed(e: impl fmt::Display) -> DecodeError {
    DecodeError(e.to_string())
}

/// One column's value, borrowed from the row.
pub(crate) enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(&'a str),
    Bytes(&'a [u8]),
}

/// A row of either driver, column by column.
pub(crate) trait Cells {
    fn count(&self) -> usize;
    fn name(&self, i: usize) -> Result<&str, DecodeError>;
    fn cell(&self, i: usize) -> Result<Cell<'_>, DecodeError>;
}

impl Cells for rusqlite::Row<'_> {
    fn count(&self) -> usize {
        self.as_ref().column_count()
    }

    fn name(&self, i: usize) -> Result<&str, DecodeError> {
        self.as_ref().column_name(i).map_err(failed)
    }

    fn cell(&self, i: usize) -> Result<Cell<'_>, DecodeError> {
        Ok(match self.get_ref(i).map_err(failed)? {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(n) => Cell::Int(n),
            ValueRef::Real(f) => Cell::Real(f),
            ValueRef::Text(t) => Cell::Text(std::str::from_utf8(t).map_err(failed)?),
            ValueRef::Blob(b) => Cell::Bytes(b),
        })
    }
}

impl Cells for PgRow {
    fn count(&self) -> usize {
        self.columns().len()
    }

    fn name(&self, i: usize) -> Result<&str, DecodeError> {
        use sqlx::Column as _;
        Ok(self.columns().get(i).map_or("?", |c| c.name()))
    }

    fn cell(&self, i: usize) -> Result<Cell<'_>, DecodeError> {
        let v = self.try_get_raw(i).map_err(failed)?;
        if v.is_null() {
            return Ok(Cell::Null);
        }
        fn get<'r, T: Decode<'r, Postgres>>(
            v: sqlx::postgres::PgValueRef<'r>,
        ) -> Result<T, DecodeError> {
            T::decode(v).map_err(failed)
        }
        enum Kind {
            Text,
            I8,
            I4,
            I2,
            F8,
            F4,
            Bool,
            Bytes,
        }
        let kind = match v.type_info().name() {
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "UNKNOWN" => Kind::Text,
            "INT8" => Kind::I8,
            "INT4" => Kind::I4,
            "INT2" => Kind::I2,
            "FLOAT8" => Kind::F8,
            "FLOAT4" => Kind::F4,
            "BOOL" => Kind::Bool,
            "BYTEA" => Kind::Bytes,
            other => return Err(DecodeError(format!("unsupported column type {other}"))),
        };
        Ok(match kind {
            Kind::Text => Cell::Text(get(v)?),
            Kind::I8 => Cell::Int(get(v)?),
            Kind::I4 => Cell::Int(get::<i32>(v)?.into()),
            Kind::I2 => Cell::Int(get::<i16>(v)?.into()),
            Kind::F8 => Cell::Real(get(v)?),
            Kind::F4 => Cell::Real(get::<f32>(v)?.into()),
            Kind::Bool => Cell::Bool(get(v)?),
            Kind::Bytes => Cell::Bytes(get(v)?),
        })
    }
}

/// Decodes a row into `T` by column name.
pub(crate) fn decode<T: DeserializeOwned, R: Cells + ?Sized>(row: &R) -> Result<T, DecodeError> {
    T::deserialize(RowDe { row, layout: None })
}

/// Decodes the rows of one statement into `T`: the columns are matched to the struct's fields
/// by name once, on the first row, and the following rows reuse the match instead of reading
/// and comparing every column's name again (on a page of units that was a tenth of the
/// request).
pub(crate) struct Rows<T> {
    layout: Layout,
    decoded: Vec<T>,
}

impl<T: DeserializeOwned> Rows<T> {
    pub(crate) fn new() -> Self {
        Rows {
            layout: Layout::default(),
            decoded: Vec::new(),
        }
    }

    pub(crate) fn push<R: Cells + ?Sized>(&mut self, row: &R) -> Result<(), DecodeError> {
        let layout = Some(&mut self.layout);
        self.decoded.push(T::deserialize(RowDe { row, layout })?);
        Ok(())
    }

    pub(crate) fn into_vec(self) -> Vec<T> {
        self.decoded
    }
}

/// Which field of the struct being decoded each column is, learnt from a statement's first row.
#[derive(Default)]
struct Layout {
    /// The struct's field list it was learnt for (compared by address: the derive's static).
    fields: Option<&'static [&'static str]>,
    /// Per column, the field's index, or `IGNORED`.
    columns: Vec<u64>,
}

/// A column no field takes: an index past every field, which a derived `Deserialize` ignores.
const IGNORED: u64 = u64::MAX;

impl Layout {
    fn learn<R: Cells + ?Sized>(
        &mut self,
        row: &R,
        fields: &'static [&'static str],
    ) -> Result<(), DecodeError> {
        if self.fields.is_some_and(|f| std::ptr::eq(f, fields)) {
            return Ok(());
        }
        self.columns.clear();
        for i in 0..row.count() {
            let name = row.name(i)?;
            let field = fields.iter().position(|f| *f == name);
            self.columns.push(field.map_or(IGNORED, |f| f as u64));
        }
        self.fields = Some(fields);
        Ok(())
    }
}

/// A whole row: a map of column name to value (or, with a [`Layout`], of field index to value).
struct RowDe<'a, R: ?Sized> {
    row: &'a R,
    layout: Option<&'a mut Layout>,
}

impl<'de, R: Cells + ?Sized> Deserializer<'de> for RowDe<'_, R> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let count = self.row.count();
        visitor.visit_map(Columns {
            row: self.row,
            next: 0,
            count,
            fields: None,
        })
    }

    /// With a layout, the keys are the fields' indices (which a derived `Deserialize` takes as
    /// well as their names), so no column name is read after the first row.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let Some(layout) = self.layout else {
            return self.deserialize_any(visitor);
        };
        layout.learn(self.row, fields)?;
        visitor.visit_map(Columns {
            row: self.row,
            next: 0,
            count: layout.columns.len().min(self.row.count()),
            fields: Some(&layout.columns),
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

struct Columns<'a, R: ?Sized> {
    row: &'a R,
    next: usize,
    count: usize,
    /// The layout's field index per column; `None` to key columns by name.
    fields: Option<&'a [u64]>,
}

impl<'de, R: Cells + ?Sized> MapAccess<'de> for Columns<'_, R> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        if self.next >= self.count {
            return Ok(None);
        }
        if let Some(fields) = self.fields {
            let index = de::value::U64Deserializer::<DecodeError>::new(fields[self.next]);
            return seed.deserialize(index).map(Some);
        }
        let name = self.row.name(self.next)?;
        seed.deserialize(de::value::StrDeserializer::<DecodeError>::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let i = self.next;
        self.next += 1;
        let cell = self.row.cell(i)?;
        seed.deserialize(Column(cell)).map_err(|e| {
            let name = self.row.name(i).unwrap_or("?");
            DecodeError(format!("column {name}: {e}"))
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.count - self.next)
    }
}

/// One column's value.
struct Column<'a>(Cell<'a>);

impl<'de> Deserializer<'de> for Column<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Cell::Null => visitor.visit_unit(),
            Cell::Int(i) => visitor.visit_i64(i),
            Cell::Real(f) => visitor.visit_f64(f),
            Cell::Bool(b) => visitor.visit_bool(b),
            Cell::Text(t) => visitor.visit_str(t),
            Cell::Bytes(b) => visitor.visit_bytes(b),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Cell::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    /// SQLite has no boolean type: `true` and `false` are stored as 1 and 0.
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Cell::Int(i) => visitor.visit_bool(i != 0),
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Row {
        name: String,
        note: Option<String>,
        count: i64,
        total: Option<i64>,
        ratio: f64,
        whole: f64,
        active: bool,
        maybe: Option<bool>,
    }

    /// A struct with one required column, for the error cases.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Need {
        n: i64,
    }

    fn one<T: DeserializeOwned>(sql: &str) -> Result<T, DecodeError> {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let mut st = c.prepare(sql).unwrap();
        let mut rows = st.query([]).unwrap();
        decode(rows.next().unwrap().unwrap())
    }

    #[test]
    fn columns_are_matched_by_name_in_any_order() {
        let row: Row = one(
            "SELECT 1 AS active, 'x' AS name, 'extra' AS unused, NULL AS note, 3 AS count, \
             NULL AS total, 0.5 AS ratio, 2 AS whole, 0 AS maybe",
        )
        .unwrap();
        assert_eq!(
            row,
            Row {
                name: "x".into(),
                note: None,
                count: 3,
                total: None,
                ratio: 0.5,
                whole: 2.0,
                active: true,
                maybe: Some(false),
            }
        );
    }

    fn each<T: DeserializeOwned>(sql: &str) -> Result<Vec<T>, DecodeError> {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let mut st = c.prepare(sql).unwrap();
        let mut rows = st.raw_query();
        let mut all = Rows::new();
        while let Some(row) = rows.next().unwrap() {
            all.push(row)?;
        }
        Ok(all.into_vec())
    }

    /// Rows decoded with the layout learnt from the first are decoded exactly as by name:
    /// any column order, extra columns ignored, NULLs and type errors named.
    #[test]
    fn the_rows_of_a_statement_decode_as_each_would_alone() {
        let sql = "SELECT 1 AS active, 'x' AS name, 'extra' AS unused, NULL AS note, 3 AS count, \
                   NULL AS total, 0.5 AS ratio, 2 AS whole, 0 AS maybe \
                   UNION ALL SELECT 0, 'y', 'e', 'n', 4, 7, 1.5, 3, NULL";
        let rows: Vec<Row> = each(sql).unwrap();
        let alone: Row = one(sql).unwrap();
        assert_eq!(rows[0], alone);
        assert_eq!(
            rows[1],
            Row {
                name: "y".into(),
                note: Some("n".into()),
                count: 4,
                total: Some(7),
                ratio: 1.5,
                whole: 3.0,
                active: false,
                maybe: None,
            }
        );
        let e = each::<Need>("SELECT 1 AS n UNION ALL SELECT NULL").unwrap_err();
        assert!(e.0.contains("column n"), "{e}");
        let e = each::<Need>("SELECT 1 AS m UNION ALL SELECT 2").unwrap_err();
        assert!(e.0.contains("missing field `n`"), "{e}");
    }

    #[test]
    fn mismatches_name_the_column() {
        let e = one::<Need>("SELECT NULL AS n").unwrap_err();
        assert!(e.0.contains("column n"), "{e}");
        let e = one::<Need>("SELECT 'text' AS n").unwrap_err();
        assert!(e.0.contains("column n"), "{e}");
        let e = one::<Need>("SELECT 1 AS m").unwrap_err();
        assert!(e.0.contains("missing field `n`"), "{e}");
    }
}
