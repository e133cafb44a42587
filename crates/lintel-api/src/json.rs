//! Strict JSON for request bodies.
//!
//! A body is parsed into [`Strict`], a JSON value that refuses duplicate keys (at any depth)
//! and stores a number written with an integral fraction (`7281.0`, `1e3`, `-0.0`) as the
//! integer it is, as JSON Schema does. The input type is then read from that value by a
//! deserializer that gives an object only where an object is expected (serde's derived struct
//! visitors would otherwise take `["maintenance"]` for `{"status": "maintenance"}`), and whose
//! errors speak JSON ("expected an integer, got 7281.5"), never Rust (`i64`, `struct X`).

use std::collections::HashSet;
use std::fmt;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, Deserialize, Deserializer, Expected, IntoDeserializer, Unexpected, Visitor};

/// The largest integer every JSON number type represents exactly (2^53): a float beyond it is
/// not taken as an integer, since its digits may already have been rounded.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// A parsed JSON value with unique object keys, in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Strict {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Array(Vec<Strict>),
    Object(Vec<(String, Strict)>),
}

impl Strict {
    /// How the value is named in an error: "a JSON array", "7281.5", "null".
    fn found(&self) -> String {
        match self {
            Strict::Null => "null".into(),
            Strict::Bool(b) => b.to_string(),
            Strict::Int(i) => i.to_string(),
            Strict::UInt(u) => u.to_string(),
            Strict::Float(f) => f.to_string(),
            Strict::Str(_) => "a string".into(),
            Strict::Array(_) => "a JSON array".into(),
            Strict::Object(_) => "a JSON object".into(),
        }
    }

    fn expected(self, what: &str) -> BodyError {
        BodyError::Message(format!("expected {what}, got {}", self.found()))
    }
}

/// The prefix of the error a duplicate key raises while parsing.
pub const DUPLICATE_KEY: &str = "duplicate key `";

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Strict, E> {
        Ok(Strict::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Strict, E> {
        Ok(Strict::Int(i))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Strict, E> {
        Ok(i64::try_from(u).map_or(Strict::UInt(u), Strict::Int))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Strict, E> {
        if f.fract() == 0.0 && f.abs() <= EXACT_INT {
            // Exact: the float is an integer of at most 53 bits (and -0.0 is 0).
            Ok(Strict::Int(f as i64))
        } else {
            Ok(Strict::Float(f))
        }
    }

    fn visit_str<E>(self, s: &str) -> Result<Strict, E> {
        Ok(Strict::Str(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Strict, E> {
        Ok(Strict::Str(s))
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict::Null)
    }

    fn visit_none<E>(self) -> Result<Strict, E> {
        Ok(Strict::Null)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Strict::Array(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut entries: Vec<(String, Strict)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("{DUPLICATE_KEY}{key}`")));
            }
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Strict::Object(entries))
    }
}

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

/// Why a [`Strict`] value did not fit the input type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// A field the input type does not have.
    UnknownField(String),
    /// A field the input type needs.
    MissingField(String),
    /// Any other mismatch, worded for JSON.
    Message(String),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            BodyError::UnknownField(name) => write!(f, "unknown field `{name}`"),
            BodyError::MissingField(name) => write!(f, "missing field `{name}`"),
            BodyError::Message(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for BodyError {}

/// What serde expected, in JSON terms.
fn json_expected(exp: &dyn Expected) -> String {
    let rust = exp.to_string();
    let s = rust.as_str();
    let word = s.trim_start_matches("a ").trim_start_matches("an ");
    match word {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128"
        | "usize" => "an integer".into(),
        "f32" | "f64" => "a number".into(),
        "string" | "borrowed string" | "character" | "char" | "str" => "a string".into(),
        "boolean" | "bool" => "true or false".into(),
        "sequence" | "seq" | "tuple" | "array" => "a JSON array".into(),
        "map" => "a JSON object".into(),
        "unit" => "null".into(),
        "option" => "a value or null".into(),
        _ if word.starts_with("struct ") || word.starts_with("map") => "a JSON object".into(),
        _ if word.starts_with("sequence") || word.starts_with("tuple") => "a JSON array".into(),
        _ if word.starts_with("enum ") || word.contains("variant") => {
            "one of the documented values".into()
        }
        _ if word.contains("identifier") => "a known field name".into(),
        _ => "another JSON value".into(),
    }
}

/// What the body held, in JSON terms.
fn json_found(unexp: Unexpected<'_>) -> String {
    match unexp {
        Unexpected::Bool(b) => b.to_string(),
        Unexpected::Unsigned(u) => u.to_string(),
        Unexpected::Signed(i) => i.to_string(),
        Unexpected::Float(f) => f.to_string(),
        Unexpected::Char(_) | Unexpected::Str(_) => "a string".into(),
        Unexpected::Unit | Unexpected::Option => "null".into(),
        Unexpected::Seq => "a JSON array".into(),
        Unexpected::Map => "a JSON object".into(),
        _ => "another JSON value".into(),
    }
}

impl de::Error for BodyError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        BodyError::Message(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        BodyError::Message(format!(
            "expected {}, got {}",
            json_expected(exp),
            json_found(unexp)
        ))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        let expected = json_expected(exp);
        let out_of_range = matches!(
            unexp,
            Unexpected::Signed(_) | Unexpected::Unsigned(_) | Unexpected::Float(_)
        );
        if out_of_range && expected == "an integer" {
            return BodyError::Message(format!(
                "expected an integer, got {}, which is out of range",
                json_found(unexp)
            ));
        }
        BodyError::Message(format!("expected {expected}, got {}", json_found(unexp)))
    }

    fn invalid_length(len: usize, exp: &dyn Expected) -> Self {
        BodyError::Message(format!(
            "expected {}, got {len} item(s)",
            json_expected(exp)
        ))
    }

    fn unknown_variant(_: &str, expected: &'static [&'static str]) -> Self {
        BodyError::Message(format!("expected one of: {}", expected.join(", ")))
    }

    fn unknown_field(field: &str, _: &'static [&'static str]) -> Self {
        BodyError::UnknownField(field.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        BodyError::MissingField(field.to_string())
    }

    fn duplicate_field(field: &'static str) -> Self {
        BodyError::Message(format!("{DUPLICATE_KEY}{field}`"))
    }
}

impl<'de> Deserializer<'de> for Strict {
    type Error = BodyError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BodyError> {
        match self {
            Strict::Null => v.visit_unit(),
            Strict::Bool(b) => v.visit_bool(b),
            Strict::Int(i) => v.visit_i64(i),
            Strict::UInt(u) => v.visit_u64(u),
            Strict::Float(f) => v.visit_f64(f),
            Strict::Str(s) => v.visit_string(s),
            Strict::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter());
                let out = v.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Strict::Object(entries) => {
                let mut map = MapDeserializer::new(entries.into_iter());
                let out = v.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BodyError> {
        match self {
            Strict::Null => v.visit_none(),
            other => v.visit_some(other),
        }
    }

    /// Only an object fills a struct.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, BodyError> {
        self.deserialize_map(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BodyError> {
        match self {
            Strict::Object(_) => self.deserialize_any(v),
            other => Err(other.expected("a JSON object")),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BodyError> {
        match self {
            Strict::Array(_) => self.deserialize_any(v),
            other => Err(other.expected("a JSON array")),
        }
    }

    /// Enums travel as their string value.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, BodyError> {
        match self {
            Strict::Str(s) => v.visit_enum(s.into_deserializer()),
            other => Err(other.expected(&format!("one of: {}", variants.join(", ")))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, BodyError> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct tuple tuple_struct identifier ignored_any
    }
}

impl IntoDeserializer<'_, BodyError> for Strict {
    type Deserializer = Strict;

    fn into_deserializer(self) -> Strict {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Inner {
        city: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Outer {
        status: Option<String>,
        count: Option<i64>,
        rooms: Option<f64>,
        inner: Option<Inner>,
        list: Option<Vec<Inner>>,
    }

    fn parse(text: &str) -> Result<Strict, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    fn read<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, BodyError> {
        T::deserialize(parse(text).unwrap())
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert!(parse(r#"{"a":1,"a":2}"#)
            .unwrap_err()
            .starts_with(DUPLICATE_KEY));
        let nested = parse(r#"{"a":[{"b":{"c":1,"c":1}}]}"#).unwrap_err();
        assert!(nested.starts_with("duplicate key `c`"), "{nested}");
        assert!(parse(r#"{"a":{"c":1},"b":{"c":1}}"#).is_ok());
    }

    #[test]
    fn integral_floats_are_integers() {
        for (text, want) in [("7281.0", 7281), ("1e3", 1000), ("-0.0", 0), ("-4.0", -4)] {
            assert_eq!(parse(text).unwrap(), Strict::Int(want), "{text}");
        }
        assert_eq!(parse("7281.5").unwrap(), Strict::Float(7281.5));
        assert_eq!(parse("1e300").unwrap(), Strict::Float(1e300));
        let o: Outer = read(r#"{"count":7281.0,"rooms":2}"#).unwrap();
        assert_eq!((o.count, o.rooms), (Some(7281), Some(2.0)));
        let e = read::<Outer>(r#"{"count":7281.5}"#).unwrap_err();
        assert_eq!(e.to_string(), "expected an integer, got 7281.5");
        let e = read::<Outer>(r#"{"count":9223372036854775808}"#).unwrap_err();
        assert!(e.to_string().starts_with("expected an integer"), "{e}");
    }

    #[test]
    fn only_objects_fill_structs() {
        let e = read::<Outer>(r#"["maintenance"]"#).unwrap_err();
        assert_eq!(e.to_string(), "expected a JSON object, got a JSON array");
        let e = read::<Outer>(r#"{"inner":["x"]}"#).unwrap_err();
        assert_eq!(e.to_string(), "expected a JSON object, got a JSON array");
        let e = read::<Outer>(r#"{"list":[["x"]]}"#).unwrap_err();
        assert_eq!(e.to_string(), "expected a JSON object, got a JSON array");
        let e = read::<Outer>(r#"{"list":{"city":"x"}}"#).unwrap_err();
        assert_eq!(e.to_string(), "expected a JSON array, got a JSON object");
    }

    #[test]
    fn messages_speak_json() {
        let e = read::<Outer>(r#"{"status":5}"#).unwrap_err();
        assert_eq!(e.to_string(), "expected a string, got 5");
        let e = read::<Outer>(r#"{"rooms":"2"}"#).unwrap_err();
        assert_eq!(e.to_string(), "expected a number, got a string");
        let e = read::<Outer>(r#"{"bogus":1}"#).unwrap_err();
        assert_eq!(e, BodyError::UnknownField("bogus".into()));
        let e = read::<bool>("1").unwrap_err();
        assert_eq!(e.to_string(), "expected true or false, got 1");
        let o: Outer = read(r#"{"inner":null,"status":null}"#).unwrap();
        assert_eq!((o.inner, o.status), (None, None));
    }
}
