//! The JSON the recommender writes into the engine (impressions and checkpoints), written by
//! hand: [`Writer`] and, per type, [`Members`].
//!
//! Why by hand: serde's derived `Serialize` of the checkpointed policies (every policy, its
//! configuration, its arm statistics, the tagged `AnyPolicy` and `Memory`) and of the log's
//! records, with serde_json's compact serializer instantiated for each, was about 9 KB raw of
//! the playground's wasm (a names build before wasm-opt; docs/ui.md "Bundle size"), and the
//! page never reads a checkpoint back. Here each type writes its members through one
//! non-generic writer.
//!
//! The bytes are serde_json's compact output of the derived `Serialize`, to the byte: members
//! in declaration order, an internally tagged enum's `"kind"` first, a tuple as an array, a
//! float by serde_json's own shortest form (`strata_sim::fmt::push_json_f64`, its text) and `null` when not finite,
//! `None` as `null`. Object sizes feed the engine, so trace hashes depend on it. The derived
//! impls stay on the types (recovery reads checkpoints with the derived `Deserialize`) and
//! are the reference the property tests in `json_tests.rs` check this against.

use std::fmt::Write as _;

/// Compact JSON into a `String`, with commas placed by the writer.
pub(crate) struct Writer {
    out: String,
    /// A value was just written at this level, so the next member or element needs a comma.
    comma: bool,
}

/// A type written as a JSON object's members (without the braces, so an internally tagged
/// enum can put its tag before a variant's members).
pub(crate) trait Members {
    fn write_members(&self, writer: &mut Writer);
}

impl Writer {
    pub(crate) fn new() -> Writer {
        Writer {
            out: String::with_capacity(256),
            comma: false,
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.out.into_bytes()
    }

    fn separate(&mut self) {
        if self.comma {
            self.out.push(',');
        }
        self.comma = true;
    }

    /// A member's key; its value is written next.
    pub(crate) fn key(&mut self, name: &str) -> &mut Writer {
        self.separate();
        self.string_contents(name);
        self.out.push(':');
        self.comma = false;
        self
    }

    /// `value` as a JSON object.
    pub(crate) fn object(&mut self, value: &dyn Members) {
        self.separate();
        self.out.push('{');
        self.comma = false;
        value.write_members(self);
        self.out.push('}');
        self.comma = true;
    }

    /// The tag of an internally tagged enum's variant: `"kind":"name"`.
    pub(crate) fn tag(&mut self, name: &str) {
        self.key("kind").string(name);
    }

    pub(crate) fn begin_array(&mut self) {
        self.separate();
        self.out.push('[');
        self.comma = false;
    }

    pub(crate) fn end_array(&mut self) {
        self.out.push(']');
        self.comma = true;
    }

    pub(crate) fn u64(&mut self, value: u64) {
        self.separate();
        write!(self.out, "{value}").expect("writing to a String cannot fail");
    }

    /// A float as serde_json writes one: its shortest round-trip form (`1.0`, `1e21`), or
    /// `null` when it is not finite.
    pub(crate) fn f64(&mut self, value: f64) {
        self.separate();
        strata_sim::fmt::push_json_f64(&mut self.out, value);
    }

    pub(crate) fn bool(&mut self, value: bool) {
        self.separate();
        self.out.push_str(if value { "true" } else { "false" });
    }

    pub(crate) fn string(&mut self, value: &str) {
        self.separate();
        self.string_contents(value);
    }

    pub(crate) fn null(&mut self) {
        self.separate();
        self.out.push_str("null");
    }

    pub(crate) fn u64s(&mut self, values: &[u64]) {
        self.begin_array();
        for value in values {
            self.u64(*value);
        }
        self.end_array();
    }

    pub(crate) fn u32s(&mut self, values: &[u32]) {
        self.begin_array();
        for value in values {
            self.u64(u64::from(*value));
        }
        self.end_array();
    }

    pub(crate) fn f64s(&mut self, values: &[f64]) {
        self.begin_array();
        for value in values {
            self.f64(*value);
        }
        self.end_array();
    }

    /// A string, escaped as serde_json escapes one (`strata_sim::json`).
    fn string_contents(&mut self, value: &str) {
        strata_sim::json::push_string(&mut self.out, value);
    }
}

/// The whole value as JSON bytes.
pub(crate) fn to_vec(value: &dyn Members) -> Vec<u8> {
    let mut writer = Writer::new();
    writer.object(value);
    writer.finish()
}
