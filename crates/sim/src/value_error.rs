//! [`ValueError`]: the error of the workspace's hand-written readers of a JSON `Value` (the
//! scenario's and the chapter's in the lab, the manifest's in the engine), in serde's words
//! through `serde::de::Error`'s constructors ("missing field `seed`", "unknown field `x`,
//! expected one of …", "invalid type: …").
//!
//! Why not `serde_json::Error`, which those readers returned before: its constructor from a
//! message looks for a line and column at the message's end (" at line 3 column 7") with a
//! substring search from the back, and its `Display` goes through its own error codes: code
//! the playground's wasm carried only for these readers, which read a `Value` and never have
//! a position. A `ValueError` is its message, which is what `serde_json::Error`'s `Display`
//! writes for an error without a position, so every message stays the same (the test below;
//! the lab's reader tests compare the messages with serde's derived readers'). The message
//! is boxed, as serde_json's error is, so a reader's `Result` stays one pointer wide: with a
//! bare `String` the page grew by 155 B gzip (2.5 KB raw) instead, as every reader moved the
//! wider results. Boxed, 2,387 B less gzip for the page (`CARGO_INCREMENTAL=0 cargo xtask
//! dist`, docs/ui.md's cuts table).

use std::fmt;

/// A JSON value that does not read as the type asked for: the message says why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    // One pointer, not a `String`'s three words: see the module's header.
    #[allow(clippy::box_collection)]
    message: Box<String>,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValueError {}

impl serde::de::Error for ValueError {
    fn custom<T: fmt::Display>(message: T) -> ValueError {
        ValueError {
            message: Box::new(message.to_string()),
        }
    }
}

/// What serde_json names `value` in an "invalid type" or "invalid value" message: `null`,
/// "boolean `true`", "integer `-1`", "floating point `1.5`" (the number as serde_json writes
/// it, [`crate::fmt::json_number`]), "string \"a\"", "sequence", "map". The readers' one
/// wording, written here rather than through `serde::de::Unexpected`, whose `Display` keeps
/// core's float formatting (`f64`'s `Display`, for its `Float` case) in the page even though
/// serde_json never uses that case.
pub struct Described<'a>(pub &'a serde_json::Value);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use serde_json::Value;
        match self.0 {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "boolean `{b}`"),
            Value::Number(n) => {
                let kind = if n.is_f64() {
                    "floating point"
                } else {
                    "integer"
                };
                write!(f, "{kind} `{}`", crate::fmt::json_number(n))
            }
            Value::String(s) => write!(f, "string {s:?}"),
            Value::Array(_) => f.write_str("sequence"),
            Value::Object(_) => f.write_str("map"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::{Error as _, Unexpected};

    /// Every constructor the readers call writes what `serde_json::Error`'s does for an error
    /// without a position.
    #[test]
    fn messages_are_serde_json_errors_messages() {
        fn both(make: fn() -> (ValueError, serde_json::Error)) -> (String, String) {
            let (ours, reference) = make();
            (ours.to_string(), reference.to_string())
        }
        let pairs = [
            both(|| {
                (
                    ValueError::custom("a manifest list is not an array"),
                    serde_json::Error::custom("a manifest list is not an array"),
                )
            }),
            both(|| {
                (
                    ValueError::missing_field("seed"),
                    serde_json::Error::missing_field("seed"),
                )
            }),
            both(|| {
                (
                    ValueError::unknown_field("x", &["a", "b"]),
                    serde_json::Error::unknown_field("x", &["a", "b"]),
                )
            }),
            both(|| {
                (
                    ValueError::unknown_field("x", &[]),
                    serde_json::Error::unknown_field("x", &[]),
                )
            }),
            both(|| {
                (
                    ValueError::unknown_variant("z", &["slow", "fast"]),
                    serde_json::Error::unknown_variant("z", &["slow", "fast"]),
                )
            }),
            both(|| {
                (
                    ValueError::invalid_type(Unexpected::Str("a"), &"u64"),
                    serde_json::Error::invalid_type(Unexpected::Str("a"), &"u64"),
                )
            }),
            both(|| {
                (
                    ValueError::invalid_value(Unexpected::Signed(-1), &"u32"),
                    serde_json::Error::invalid_value(Unexpected::Signed(-1), &"u32"),
                )
            }),
        ];
        for (ours, reference) in pairs {
            assert_eq!(ours, reference);
        }
        // A message that ends as a position would: serde_json's reader of text would take the
        // position off into its own fields, but a reader of a `Value` never writes one.
        assert_eq!(
            ValueError::custom("bad at line 3 column 7").to_string(),
            "bad at line 3 column 7"
        );
    }

    #[test]
    fn a_readers_result_is_one_pointer_wide() {
        assert_eq!(
            std::mem::size_of::<ValueError>(),
            std::mem::size_of::<usize>()
        );
    }
}
