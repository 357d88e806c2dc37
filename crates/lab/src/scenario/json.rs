//! The serde helpers the scenario schema shares: internally tagged enums read through an
//! externally tagged twin (see [`deserialize_tagged`]), sections read from JSON objects only
//! (see [`object`]), and serde_json's pretty layout produced from compact text
//! ([`indent_compact_json`]).

use serde::de::{self, DeserializeOwned};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// Reads a section of the scenario (a struct-typed field: `engine`, `workload.mix`…) from a
/// JSON object only.
///
/// A derived struct read from a `serde_json::Value` also accepts an array, its fields by
/// position; that path is code of its own for every struct (serde_json's `visit_array`), in
/// the playground's wasm for a form no scenario is written in. Read from the object's map,
/// the struct has the map path only. Anything else is refused as serde refuses a value of
/// the wrong type: "invalid type: sequence, expected struct EngineSpec".
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    from_object(Value::deserialize(deserializer)?).map_err(de::Error::custom)
}

/// [`object`] for an optional section: `null` is `None`, as serde reads an `Option`.
pub(crate) fn optional_object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(None),
        value => from_object(value).map(Some).map_err(de::Error::custom),
    }
}

/// [`object`] for a list of sections (`tenants`).
pub(crate) fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Value::deserialize(deserializer)? {
        Value::Array(items) => items
            .into_iter()
            .map(from_object)
            .collect::<Result<Vec<T>, _>>()
            .map_err(de::Error::custom),
        other => Err(de::Error::custom(wrong_type(&other, "a sequence"))),
    }
}

fn from_object<T: DeserializeOwned>(value: Value) -> Result<T, serde_json::Error> {
    T::deserialize(expect_object(value, std::any::type_name::<T>())?)
}

/// The object's map, or serde's wrong-type error naming the struct (`type_path`'s last
/// segment, as the derived `expecting` does); not generic, so there is one copy.
fn expect_object(value: Value, type_path: &str) -> Result<Map<String, Value>, serde_json::Error> {
    match value {
        Value::Object(map) => Ok(map),
        other => {
            let name = type_path.rsplit("::").next().unwrap_or(type_path);
            Err(wrong_type(&other, &format!("struct {name}")))
        }
    }
}

/// serde's "invalid type: …, expected …" for `value`, worded as serde_json words it.
fn wrong_type(value: &Value, expected: &str) -> serde_json::Error {
    let number;
    let unexpected = match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => {
            number = n;
            match (number.as_u64(), number.as_i64(), number.as_f64()) {
                (Some(u), _, _) => de::Unexpected::Unsigned(u),
                (None, Some(i), _) => de::Unexpected::Signed(i),
                (None, None, f) => de::Unexpected::Float(f.unwrap_or(f64::NAN)),
            }
        }
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    };
    de::Error::invalid_type(unexpected, &expected)
}

/// Reads an internally tagged enum (`{"kind": "slow", "multiplier": 2}`) without serde's
/// derived internally tagged path.
///
/// That path buffers the object in serde's private `Content` type and then deserialises every
/// field type a second time from it, which in the playground's wasm cost about 20 KB gzip for
/// the scenario's four tagged enums. Here the object is read as a `serde_json::Value` (the
/// scenario parser already reads `Value`s, see [`Scenario::from_json`], so this reuses the
/// code it has), the tag is taken out, and the rest is handed to a derived, externally tagged
/// twin of the enum as `{"slow": {"multiplier": 2}}`. The twin is a serde `remote` definition,
/// so it builds the real enum directly and its messages are serde's own: an unknown tag gets
/// "unknown variant `x`, expected one of …", an unknown field "unknown field `y`, expected …".
/// The serialised form is untouched: the enums still derive `Serialize` with their tag.
pub(super) fn deserialize_tagged<'de, D, T>(
    deserializer: D,
    tag: &'static str,
    what: &'static str,
    read_twin: fn(serde_json::Value) -> Result<T, serde_json::Error>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    let untagged = externally_tagged(value, tag, what).map_err(de::Error::custom)?;
    read_twin(untagged).map_err(de::Error::custom)
}

/// `{"<tag>": "name", ...rest}` to `{"name": {...rest}}`; not generic, so there is one copy.
fn externally_tagged(
    value: serde_json::Value,
    tag: &str,
    what: &str,
) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    let mut fields = match value {
        Value::Object(fields) => fields,
        other => {
            let found = match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            };
            return Err(format!(
                "invalid type: {found}, expected a {what} object with a `{tag}` field"
            ));
        }
    };
    match fields.remove(tag) {
        Some(Value::String(name)) => {
            let mut outer = serde_json::Map::new();
            outer.insert(name, Value::Object(fields));
            Ok(Value::Object(outer))
        }
        Some(other) => Err(format!("`{tag}` of a {what} must be a string, got {other}")),
        None => Err(format!("missing field `{tag}` in a {what}")),
    }
}

/// Lays out compact JSON (no whitespace outside strings, as serde_json writes it) the way
/// `serde_json::to_string_pretty` does: two-space indents, one member or element per line,
/// `": "` after keys, and empty objects and arrays as `{}` and `[]`. Strings are copied as is.
pub(super) fn indent_compact_json(compact: &str) -> String {
    fn newline(out: &mut String, depth: usize) {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}
