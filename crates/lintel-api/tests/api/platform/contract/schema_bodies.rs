//! Valid request bodies generated from the committed `openapi.json` alone: required fields,
//! optional ones at random, `null` where a field is nullable, numbers within their range and
//! step (integers now and then written as `12.0`), texts within their lengths made of letters,
//! accents, scripts, emoji and the whitespace and zero-width characters the field's `pattern`
//! allows, enum values, array lengths within their bounds. What the schema cannot state is
//! filled from the caller's records: IDs of existing records, names unique where the API
//! requires it.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Map, Value};

use lintel_domain::text::{LINE_PATTERN, MULTILINE_PATTERN, REQUIRED_LINE_PATTERN};

/// Characters that make text non-blank.
const VISIBLE: &[char] = &[
    'a',
    'B',
    'z',
    'Q',
    '0',
    '7',
    '-',
    '\'',
    '.',
    '&',
    '#',
    '/',
    '\u{e9}',
    '\u{df}',
    '\u{130}',
    '\u{3a3}',
    '\u{6f22}',
    '\u{1f642}',
    '\u{301}',
    '\u{2065}',
    'e',
    'E',
];
/// Characters every text allows that do not make it non-blank.
const INVISIBLE: &[char] = &[
    ' ', '\u{a0}', '\u{200b}', '\u{feff}', '\u{3000}', '\u{2060}',
];
/// What multi-line texts allow on top.
const LINE_BREAKS: &[char] = &['\n', '\t', '\r'];

/// The committed document.
pub fn document() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Values the schema cannot know: an existing record for each ID type, and a counter that
/// keeps names unique.
pub struct Context {
    pub ids: Vec<(String, String)>,
    pub counter: u64,
}

impl Context {
    fn id(&self, schema_name: &str) -> String {
        let found = self.ids.iter().find(|(n, _)| n == schema_name);
        found
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| panic!("no {schema_name} record"))
    }
}

pub struct Generator<'a> {
    pub doc: &'a Value,
    pub rng: StdRng,
    pub ctx: Context,
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// The schema's types (`"string"`, or `["string", "null"]`).
fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

impl Generator<'_> {
    fn schema(&self, name: &str) -> &Value {
        &self.doc["components"]["schemas"][name]
    }

    /// A valid instance of the component `name`.
    pub fn body(&mut self, name: &str) -> Value {
        let schema = self.schema(name).clone();
        self.object(name, &schema)
    }

    fn object(&mut self, name: &str, schema: &Value) -> Value {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        for (key, prop) in schema["properties"].as_object().unwrap() {
            if !required.contains(&key.as_str()) && self.rng.gen_bool(0.4) {
                continue;
            }
            let v = self.value(name, key, prop);
            out.insert(key.clone(), v);
        }
        Value::Object(out)
    }

    /// A value for the property `key` of the object `owner`.
    fn value(&mut self, owner: &str, key: &str, schema: &Value) -> Value {
        if let Some(alts) = schema["oneOf"].as_array() {
            let nullable = alts.iter().any(|a| types(a) == ["null"]);
            if nullable && self.rng.gen_bool(0.2) {
                return Value::Null;
            }
            let alt = alts.iter().find(|a| types(a) != ["null"]).unwrap().clone();
            return self.value(owner, key, &alt);
        }
        if let Some(name) = ref_name(schema) {
            let target = self.schema(name).clone();
            if name.ends_with("Id") {
                return json!(self.ctx.id(name));
            }
            if target["type"] == "object" {
                return self.object(name, &target);
            }
            return self.value(owner, key, &target);
        }
        let ts = types(schema);
        if ts.contains(&"null") && self.rng.gen_bool(0.15) {
            return Value::Null;
        }
        if let Some(values) = schema["enum"].as_array() {
            return values.choose(&mut self.rng).unwrap().clone();
        }
        match ts.iter().find(|t| **t != "null").copied() {
            Some("integer") => self.integer(schema),
            Some("number") => self.number(schema),
            Some("string") => self.string(owner, key, schema),
            Some("array") => self.array(owner, key, schema),
            Some("boolean") => json!(self.rng.gen_bool(0.5)),
            other => panic!("{owner}.{key}: no generator for {other:?}"),
        }
    }

    fn integer(&mut self, schema: &Value) -> Value {
        let min = schema["minimum"].as_i64().unwrap_or(0);
        let max = schema["maximum"].as_i64().unwrap_or(1_000);
        let n = match self.rng.gen_range(0..5) {
            0 => min,
            1 => max,
            _ => self.rng.gen_range(min..=max),
        };
        // JSON Schema counts 12.0 as an integer; so does the API (exactly, up to 2^53).
        if self.rng.gen_bool(0.25) && n.unsigned_abs() < (1 << 53) {
            json!(n as f64)
        } else {
            json!(n)
        }
    }

    fn number(&mut self, schema: &Value) -> Value {
        let min = schema["minimum"].as_f64().unwrap_or(0.0);
        let max = schema["maximum"].as_f64().unwrap_or(100.0);
        let step = schema["multipleOf"].as_f64().unwrap_or(0.25);
        let steps = ((max - min) / step).floor() as i64;
        json!(min + step * self.rng.gen_range(0..=steps) as f64)
    }

    fn array(&mut self, owner: &str, key: &str, schema: &Value) -> Value {
        let min = schema["minItems"].as_u64().unwrap_or(0) as usize;
        let max = schema["maxItems"].as_u64().unwrap_or(5) as usize;
        let n = self.rng.gen_range(min..=max.min(min + 3));
        let item_schema = schema["items"].clone();
        let item_name = ref_name(&item_schema).unwrap_or(owner).to_string();
        let mut items: Vec<Value> = (0..n)
            .map(|_| self.value(&item_name, key, &item_schema))
            .collect();
        if item_name == "AmenityInput" {
            // Each amenity at most once: a rule on a key inside the items, which JSON Schema
            // cannot state.
            let mut ids: Vec<i64> = (1..=12).collect();
            ids.shuffle(&mut self.rng);
            for (item, id) in items.iter_mut().zip(ids) {
                item["id"] = json!(id);
            }
        }
        Value::Array(items)
    }

    fn string(&mut self, owner: &str, key: &str, schema: &Value) -> Value {
        let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
        let max = schema["maxLength"].as_u64().unwrap_or(60) as usize;
        if schema["format"] == "email" {
            self.ctx.counter += 1;
            return json!(format!("Gen.{}@Example.com", self.ctx.counter));
        }
        // A password's strength rules (5 different characters, not a common one) are stated in
        // its description, not its pattern.
        if key.to_ascii_lowercase().ends_with("password") {
            return json!(self.password(min));
        }
        let pattern = schema["pattern"].as_str().unwrap_or("");
        let text = match pattern {
            "^[A-Za-z]{2}$" => {
                let letter = |r: &mut StdRng| (b'A' + r.gen_range(0..26)) as char;
                let (a, b) = (letter(&mut self.rng), letter(&mut self.rng));
                [a, b.to_ascii_lowercase()].iter().collect()
            }
            REQUIRED_LINE_PATTERN => self.text(min, max, true, false),
            LINE_PATTERN => self.text(min, max, false, false),
            MULTILINE_PATTERN => self.text(min, max, false, true),
            "" => self.text(min, max, false, false),
            p => panic!("{owner}.{key}: no generator for pattern {p}"),
        };
        // Names the API keeps unique (per organisation or property) get a unique tail.
        if key == "name" && !text.trim().is_empty() && max >= 12 {
            self.ctx.counter += 1;
            let tail = format!(" {}", self.ctx.counter);
            let keep = max - tail.chars().count();
            let head: String = text.chars().take(keep).collect();
            return json!(format!("{head}{tail}"));
        }
        json!(text)
    }

    /// Between `min` and `max` characters (usually short, now and then exactly `max`).
    fn text(&mut self, min: usize, max: usize, required: bool, multiline: bool) -> String {
        let len = match self.rng.gen_range(0..10) {
            0 => max,
            1 => min,
            _ => self.rng.gen_range(min..=max.min(min + 30)),
        };
        let mut chars: Vec<char> = (0..len)
            .map(|_| {
                let pool = match self.rng.gen_range(0..10) {
                    0..=6 => VISIBLE,
                    7 | 8 => INVISIBLE,
                    _ if multiline => LINE_BREAKS,
                    _ => INVISIBLE,
                };
                *pool.choose(&mut self.rng).unwrap()
            })
            .collect();
        if required && !chars.iter().any(|c| VISIBLE.contains(c)) && !chars.is_empty() {
            let i = self.rng.gen_range(0..chars.len());
            chars[i] = *VISIBLE.choose(&mut self.rng).unwrap();
        }
        chars.into_iter().collect()
    }

    /// At least `min` characters, at least five of them different, not a common password.
    fn password(&mut self, min: usize) -> String {
        let mut pool: Vec<char> = "kq7Zp!x2Wm\u{e9}R#".chars().collect();
        pool.shuffle(&mut self.rng);
        pool.into_iter()
            .cycle()
            .take(min + self.rng.gen_range(0..6))
            .collect()
    }
}
