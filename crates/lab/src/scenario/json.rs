//! The scenario's JSON readers and writer, written by hand over `serde_json::Value` and a
//! `String` ([`Writer`]), and serde_json's pretty layout produced from compact text
//! ([`indent_compact_json`]).
//!
//! Why by hand: in the playground's wasm, serde's derived `Deserialize` for the scenario's
//! and the chapter's types was about 92 KB raw before wasm-opt, and their `Serialize` 14 KB
//! (a names build of the page at 5bd9f0e): every struct had its own `Map::deserialize_any`,
//! field visitor and, for each field type, its own step of serde_json's `MapDeserializer`;
//! each of the faults' eleven struct variants had its own copy. Here one loop reads any
//! struct's fields ([`fields`]) and one small function reads each field type, so a struct
//! costs a `match` on its field index. Measured with `CARGO_INCREMENTAL=0 cargo xtask dist`
//! against main at 5bd9f0e (571,344 B gzip): the readers saved 11.8 KB gzip (559,529 B),
//! the writer 1.3 KB more (558,203 B), the lists read by a loop 1.0 KB more (557,163 B;
//! docs/ui.md, the cuts table).
//!
//! The readers keep serde's contract to the letter, as the derived readers did when reading
//! from a `Value`: the same inputs accepted (an integer where a float is expected, `null` for
//! an absent optional), the same defaults, and the same messages, worded by serde's own
//! `de::Error` constructors ("missing field `seed`", "unknown field `x`, expected one of …")
//! or, for a value of the wrong type or range, in their words ("invalid type: string \"a\",
//! expected u64", "invalid value: integer `-1`, expected u32"; [`wrong_type`]).
//! Fields are read in the object's order (serde_json's map is sorted by key, as the derived
//! reader saw it), so of two faults in one object the same one is reported. The derived
//! readers are kept, for tests only, as the reference these are checked against
//! (`scenario/derived.rs`; the property tests and an exhaustive sweep of mutated documents in
//! `scenario/reader_tests.rs`).

use serde::de::Error as _;
use serde_json::{Map, Value};
use strata_sim::value_error::Described;

/// The readers' error, in serde's words (see `strata_sim::value_error`).
pub type Error = strata_sim::value_error::ValueError;

/// A JSON object's members, read as one struct's fields.
pub type Object = Map<String, Value>;

/// Reads the members of `object` as the fields `names` (a struct's, in declaration order),
/// in the object's order, handing each to `set` with its index in `names`; a member that is
/// not one of them is refused ("unknown field `x`, expected one of `a`, `b`, `c`", or "…,
/// there are no fields"). Not generic, so there is one copy for every struct.
pub fn fields(
    object: Object,
    names: &'static [&'static str],
    set: &mut dyn FnMut(usize, Value) -> Result<(), Error>,
) -> Result<(), Error> {
    for (key, value) in object {
        match names.iter().position(|name| *name == key) {
            Some(index) => set(index, value)?,
            None => return Err(Error::unknown_field(&key, names)),
        }
    }
    Ok(())
}

/// A field with no default, once every member is read: "missing field `name`" when absent.
/// Called in the struct's declaration order, as serde reports the first missing one.
pub fn required<T>(slot: Option<T>, name: &'static str) -> Result<T, Error> {
    slot.ok_or_else(|| Error::missing_field(name))
}

/// serde's "invalid type: …, expected …" for `value`, worded as serde_json words it.
pub fn wrong_type(value: &Value, expected: &str) -> Error {
    Error::custom(format_args!(
        "invalid type: {}, expected {expected}",
        Described(value)
    ))
}

/// serde's "invalid value: …, expected …": `unexpected` is what serde names the value
/// ("integer `-1`", "map").
fn wrong_value(unexpected: &dyn std::fmt::Display, expected: &str) -> Error {
    Error::custom(format_args!(
        "invalid value: {unexpected}, expected {expected}"
    ))
}

/// A whole number up to `max`, as serde's integer visitors read one: a negative or too large
/// integer is an invalid value, a float or anything else an invalid type.
fn unsigned(value: &Value, max: u64, expected: &'static str) -> Result<u64, Error> {
    if let Value::Number(n) = value {
        match n.as_u64() {
            Some(u) if u <= max => return Ok(u),
            _ if !n.is_f64() => return Err(wrong_value(&Described(value), expected)),
            _ => {}
        }
    }
    Err(wrong_type(value, expected))
}

pub fn u64(value: Value) -> Result<u64, Error> {
    unsigned(&value, u64::MAX, "u64")
}

pub fn u32(value: Value) -> Result<u32, Error> {
    unsigned(&value, u32::MAX.into(), "u32")
        .map(|v| u32::try_from(v).expect("checked against u32::MAX"))
}

pub fn usize(value: Value) -> Result<usize, Error> {
    let max = u64::try_from(usize::MAX).unwrap_or(u64::MAX);
    unsigned(&value, max, "usize").map(|v| usize::try_from(v).expect("checked against usize::MAX"))
}

/// Any JSON number, integers converted as serde's `f64` visitor converts them.
pub fn f64(value: Value) -> Result<f64, Error> {
    match &value {
        Value::Number(n) => Ok(n.as_f64().unwrap_or(f64::NAN)),
        other => Err(wrong_type(other, "f64")),
    }
}

pub fn bool(value: Value) -> Result<bool, Error> {
    match value {
        Value::Bool(b) => Ok(b),
        other => Err(wrong_type(&other, "a boolean")),
    }
}

pub fn string(value: Value) -> Result<String, Error> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(wrong_type(&other, "a string")),
    }
}

/// `null` is `None`, as serde reads an `Option`; anything else is read by `read`.
pub fn optional<T>(value: Value, read: fn(Value) -> Result<T, Error>) -> Result<Option<T>, Error> {
    match value {
        Value::Null => Ok(None),
        value => read(value).map(Some),
    }
}

/// A JSON array, each element read by `read` (its error is the list's).
///
/// A plain loop rather than `collect` into a `Result`, whose adapters are three more
/// functions in the wasm for every element type.
pub fn list<T>(value: Value, read: fn(Value) -> Result<T, Error>) -> Result<Vec<T>, Error> {
    let items = match value {
        Value::Array(items) => items,
        other => return Err(wrong_type(&other, "a sequence")),
    };
    let mut list = Vec::with_capacity(items.len());
    for item in items {
        list.push(read(item)?);
    }
    Ok(list)
}

/// A section (a struct-typed field) read from its JSON object; anything else, an array
/// included, is refused as serde refuses a value of the wrong type, naming the struct:
/// `expected` is "struct EngineSpec".
pub fn section<T>(
    value: Value,
    expected: &'static str,
    read: fn(Object) -> Result<T, Error>,
) -> Result<T, Error> {
    match value {
        Value::Object(object) => read(object),
        other => Err(wrong_type(&other, expected)),
    }
}

/// The index in `names` of a unit variant, spelled as serde_json spells an enum: the name as
/// a string, or an object of one member whose value is `null` (`{"leveled": null}`).
pub fn unit_variant(value: Value, names: &'static [&'static str]) -> Result<usize, Error> {
    let (name, content) = match value {
        Value::String(name) => (name, Value::Null),
        Value::Object(object) => {
            let mut members = object.into_iter();
            match (members.next(), members.next()) {
                (Some(member), None) => member,
                _ => return Err(wrong_value(&"map", "map with a single key")),
            }
        }
        other => return Err(wrong_type(&other, "string or map")),
    };
    let index = variant_index(&name, names)?;
    match content {
        Value::Null => Ok(index),
        other => Err(wrong_type(&other, "unit")),
    }
}

fn variant_index(name: &str, names: &'static [&'static str]) -> Result<usize, Error> {
    strata_sim::fmt::index_of_name(names, name).ok_or_else(|| Error::unknown_variant(name, names))
}

/// What a JSON value is, as a message names it ("a number", "an object").
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An internally tagged enum (`{"kind": "slow", "multiplier": 2}`): the variant's index in
/// `names` and the object's other members, the variant's fields. `what` names the enum in
/// the messages of a missing or mistyped tag ("missing field `kind` in a fault").
pub fn tagged(
    value: Value,
    tag: &str,
    what: &str,
    names: &'static [&'static str],
) -> Result<(usize, Object), Error> {
    let object = match value {
        Value::Object(object) => object,
        other => {
            let found = kind_of(&other);
            return Err(Error::custom(format_args!(
                "invalid type: {found}, expected a {what} object with a `{tag}` field"
            )));
        }
    };
    let (tag_value, object) = super::patch::take_member(object, tag);
    match tag_value {
        Some(Value::String(name)) => Ok((variant_index(&name, names)?, object)),
        Some(other) => Err(Error::custom(format_args!(
            "`{tag}` of a {what} must be a string, got {}",
            compact(&other)
        ))),
        None => Err(Error::custom(format_args!(
            "missing field `{tag}` in a {what}"
        ))),
    }
}

/// `Deserialize` for a type with a hand-written reader: the input is read as a
/// `serde_json::Value` (code the scenario parser has anyway) and handed to `$read`, so any
/// deserializer gets the same behaviour and messages as [`crate::Scenario::from_json`].
macro_rules! deserialize_with_reader {
    ($($ty:ty => $read:expr;)*) => {
        $(
            impl<'de> serde::Deserialize<'de> for $ty {
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                    $read(value).map_err(<D::Error as serde::de::Error>::custom)
                }
            }
        )*
    };
}
pub(crate) use deserialize_with_reader;

/// The scenario's JSON text, written by hand byte for byte as serde_json's compact
/// serializer writes the types' derived `Serialize` (members in declaration order, the same
/// skipped defaults, floats by serde_json's own formatting, strings escaped as it escapes
/// them), so [`crate::Scenario::to_json`] does not link the derived code: in the page's wasm
/// that was about 14 KB raw before wasm-opt (a names build at 5bd9f0e). The derived
/// `Serialize` stays on the types for other serializers; `reader_tests.rs` checks that both
/// write the same bytes.
pub struct Writer {
    out: String,
    /// A value was just written at this level, so the next member or element needs a comma.
    comma: bool,
}

impl Writer {
    pub fn new() -> Writer {
        Writer {
            out: String::with_capacity(1024),
            comma: false,
        }
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn separate(&mut self) {
        if self.comma {
            self.out.push(',');
        }
        self.comma = true;
    }

    /// A member's key; its value is written next.
    pub fn key(&mut self, name: &str) -> &mut Writer {
        self.separate();
        self.escaped(name);
        self.out.push(':');
        self.comma = false;
        self
    }

    pub fn begin_object(&mut self) {
        self.separate();
        self.out.push('{');
        self.comma = false;
    }

    pub fn end_object(&mut self) {
        self.out.push('}');
        self.comma = true;
    }

    pub fn begin_array(&mut self) {
        self.separate();
        self.out.push('[');
        self.comma = false;
    }

    pub fn end_array(&mut self) {
        self.out.push(']');
        self.comma = true;
    }

    pub fn u64(&mut self, value: u64) {
        use std::fmt::Write as _;
        self.separate();
        write!(self.out, "{value}").expect("writing to a String cannot fail");
    }

    /// A float as serde_json writes one: its shortest round-trip form (`1.0`, `1e21`), or
    /// `null` when it is not finite.
    pub fn f64(&mut self, value: f64) {
        self.separate();
        strata_sim::fmt::push_json_f64(&mut self.out, value);
    }

    pub fn null(&mut self) {
        self.separate();
        self.out.push_str("null");
    }

    pub fn bool(&mut self, value: bool) {
        self.separate();
        self.out.push_str(if value { "true" } else { "false" });
    }

    /// A string, escaped as serde_json escapes one: `"`, `\\` and the control characters
    /// (`\n`, `\t`… or `\u00XX`); everything else as is.
    pub fn string(&mut self, value: &str) {
        self.separate();
        self.escaped(value);
    }

    fn escaped(&mut self, value: &str) {
        strata_sim::json::push_string(&mut self.out, value);
    }

    /// Any JSON value, as serde_json's compact `Display` writes it (members in the map's order),
    /// so the page writes a value without serde_json's printer.
    pub fn value(&mut self, value: &Value) {
        use std::fmt::Write as _;
        match value {
            Value::Null => self.null(),
            Value::Bool(b) => self.bool(*b),
            Value::Number(n) => {
                self.separate();
                let n = strata_sim::fmt::json_number(n);
                write!(self.out, "{n}").expect("writing to a String cannot fail");
            }
            Value::String(text) => self.string(text),
            Value::Array(items) => {
                self.begin_array();
                for item in items {
                    self.value(item);
                }
                self.end_array();
            }
            Value::Object(map) => {
                self.begin_object();
                for (key, item) in map {
                    self.key(key).value(item);
                }
                self.end_object();
            }
        }
    }

    /// `"name":value` when `value` is there (the derived `skip_serializing_if = "Option::is_none"`).
    pub fn optional_u64(&mut self, name: &str, value: Option<u64>) {
        if let Some(value) = value {
            self.key(name).u64(value);
        }
    }

    pub fn optional_u32(&mut self, name: &str, value: Option<u32>) {
        self.optional_u64(name, value.map(u64::from));
    }

    pub fn optional_f64(&mut self, name: &str, value: Option<f64>) {
        if let Some(value) = value {
            self.key(name).f64(value);
        }
    }
}

/// `value`'s compact JSON text, the same bytes as its `to_string()` ([`Writer::value`]).
pub fn compact(value: &Value) -> String {
    let mut out = Writer::new();
    out.value(value);
    out.finish()
}

/// A part of the scenario document that writes itself as JSON through a [`Writer`] (the
/// same bytes as its derived `Serialize`).
pub trait Document {
    fn write_document(&self, w: &mut Writer);
}

/// Whether `a` and `b` are the same document: whether they write the same JSON text.
///
/// The playground compares scenarios and their sections this way, not with their derived
/// `PartialEq`, whose code for every section (3.8 KB raw, 1.5 KB gzip) it would otherwise
/// link, while the writer is there anyway (share links, saving, the worker's messages). It
/// agrees with `==` except for floats: `0.0` and `-0.0` differ here, and two NaN (written as
/// `null`) are the same; a checked scenario holds no NaN.
pub fn same_document<T: Document + ?Sized>(a: &T, b: &T) -> bool {
    fn text<T: Document + ?Sized>(document: &T) -> String {
        let mut w = Writer::new();
        document.write_document(&mut w);
        w.finish()
    }
    text(a) == text(b)
}

/// A value compared as a document ([`same_document`]): for a hook's dependencies or a
/// component's props, where `PartialEq` is asked for.
#[derive(Clone, Debug, Default)]
pub struct ByDocument<T>(pub T);

impl<T: Document> PartialEq for ByDocument<T> {
    fn eq(&self, other: &Self) -> bool {
        same_document(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for ByDocument<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Document> Document for Option<T> {
    fn write_document(&self, w: &mut Writer) {
        match self {
            Some(document) => document.write_document(w),
            None => w.null(),
        }
    }
}

impl<T: Document> Document for Vec<T> {
    fn write_document(&self, w: &mut Writer) {
        self.as_slice().write_document(w);
    }
}

impl<T: Document> Document for [T] {
    fn write_document(&self, w: &mut Writer) {
        w.begin_array();
        for item in self {
            item.write_document(w);
        }
        w.end_array();
    }
}

/// The sections that write themselves (`write_json`) as documents of their own.
macro_rules! documents {
    ($($section:ty),*) => {$(
        impl Document for $section {
            fn write_document(&self, w: &mut Writer) {
                self.write_json(w);
            }
        }
    )*};
}
documents!(
    crate::Scenario,
    super::WorkloadSpec,
    super::EngineSpec,
    super::StoreSpec,
    super::FaultSpec,
    super::SettingChange,
    super::RecommenderSpec
);

impl Default for Writer {
    fn default() -> Self {
        Writer::new()
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
