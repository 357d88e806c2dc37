//! JSON for every crate: [`from_str`] and [`from_slice`] read a document into serde_json's
//! `Value` (see [`read`]), and [`push_string`] writes a string for the crates' hand-written
//! JSON writers (the scenario's, the recommender's log and checkpoints, the lab's exports): one
//! escaping routine, so the playground's wasm carries it once.
//!
//! The escaping is serde_json's, byte for byte: `"` and `\` with a backslash, the control
//! characters that have a short form as `\b`, `\f`, `\n`, `\r`, `\t`, the other control
//! characters as `\u00XX` (lower-case hex), and everything else, non-ASCII included, as is.
//! The writers' tests compare their output with serde_json's for any string.

pub mod read;

pub use read::{from_slice, from_str, ReadError};

/// Appends `text` to `out` as a JSON string: quoted and escaped as serde_json escapes it.
pub fn push_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let byte = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[byte >> 4]));
                out.push(char::from(HEX[byte & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn written(text: &str) -> String {
        let mut out = String::new();
        push_string(&mut out, text);
        out
    }

    #[test]
    fn every_control_character_is_escaped_as_serde_json_escapes_it() {
        for code in 0u32..0x80 {
            let text = char::from_u32(code).unwrap().to_string();
            assert_eq!(
                written(&text),
                serde_json::to_string(&text).unwrap(),
                "U+{code:04X}"
            );
        }
    }

    #[test]
    fn quotes_backslashes_and_non_ascii_text_match_serde_json() {
        for text in [
            "",
            "plain",
            "a \"quoted\" \\ name\n\u{1}é",
            "tab\there\u{7f}",
            "日本\u{1f600}",
        ] {
            assert_eq!(
                written(text),
                serde_json::to_string(text).unwrap(),
                "{text:?}"
            );
        }
    }
}
