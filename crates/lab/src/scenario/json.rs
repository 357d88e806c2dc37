//! The serde helpers the scenario schema shares: internally tagged enums read through an
//! externally tagged twin (see [`deserialize_tagged`]), and serde_json's pretty layout
//! produced from compact text ([`indent_compact_json`]).

use serde::de;
use serde::{Deserialize, Deserializer};

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
