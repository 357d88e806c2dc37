//! The reader against serde_json's (with `float_roundtrip`, as the tests build it): the same
//! value, or the same message at the same line and column, for every refusal serde_json
//! makes, for random documents, for every prefix of them, for them with bytes changed, and for
//! random bytes.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Equal as values and as numbers' kinds and bits: `Value`'s `==` takes `-0.0` for `0.0` and
/// could not tell a float from an integer of the same value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (
                x.as_u64(),
                x.as_i64(),
                x.is_f64(),
                x.as_f64().map(f64::to_bits),
            ) == (
                y.as_u64(),
                y.as_i64(),
                y.is_f64(),
                y.as_f64().map(f64::to_bits),
            )
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy))
        }
        _ => a == b,
    }
}

fn agrees(text: &str) {
    let ours = from_str(text);
    let theirs = serde_json::from_str::<Value>(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert!(same(a, b), "{text:?}: {a:?} against serde_json's {b:?}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text:?}"),
        _ => panic!("{text:?}: {ours:?} against serde_json's {theirs:?}"),
    }
}

fn agrees_on_bytes(bytes: &[u8]) {
    let ours = from_slice(bytes);
    let theirs = serde_json::from_slice::<Value>(bytes);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert!(same(a, b), "{bytes:?}"),
        // Text that is not UTF-8 is refused where serde_json may first refuse something else.
        (Err(_), Err(_)) => {}
        _ => panic!("{bytes:?}: {ours:?} against serde_json's {theirs:?}"),
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        agrees(text);
    }
}

#[test]
fn reads_every_kind_of_value_as_serde_json_does() {
    for text in [
        "null",
        " true ",
        "false",
        "0",
        "-0",
        "-0.0",
        "0.0",
        "1",
        "-1",
        "1.5",
        "1e3",
        "1E+3",
        "1e-3",
        "2.5e-324",
        "4.9e-324",
        "1e-400",
        "-1e-400",
        "1.7976931348623157e308",
        "0e999999999999999999999",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "-18446744073709551615",
        "123456789012345678901234567890",
        "0.30000000000000004",
        "0.1000000000000000055511151231257827021181583404541015625",
        "\"\"",
        "\"a \\\" \\\\ \\/ \\b \\f \\n \\r \\t z\"",
        "\"\\u00e9\\u65e5\\ud83d\\ude00\"",
        "\"日本 é \u{1f600}\"",
        "[]",
        "[ 1 , [2, [3]], {} ]",
        "{}",
        "{\"a\": 1, \"b\": [true, null], \"a\": 2}",
        "\n\t\r {\"k\":{\"k\":{\"k\":\"v\"}}} \n",
    ] {
        agrees(text);
    }
}

#[test]
fn refuses_what_serde_json_refuses_in_its_words_and_at_its_place() {
    for text in [
        "",
        "   ",
        "\n\n  x",
        "nul",
        "nulx",
        "tru",
        "fals",
        "-",
        "-x",
        "+1",
        "01",
        "-01",
        "1.",
        "1.x",
        "1e",
        "1e+",
        "1ex",
        ".5",
        "1.5.5",
        "1e400",
        "-1e400",
        "1e99999999999999999999",
        "18446744073709551616e400",
        "\"abc",
        "\"a\\",
        "\"a\\x\"",
        "\"\\u12\"",
        "\"\\u12",
        "\"\\u12g4\"",
        "\"\\udc00\"",
        "\"\\ud800\"",
        "\"\\ud800x\"",
        "\"\\ud800\\n\"",
        "\"\\ud800\\u0041\"",
        "\"\\ud800\\ud800\"",
        "\"tab\there\"",
        "\"\u{1}\"",
        "[",
        "[1",
        "[1,",
        "[1,]",
        "[1 2]",
        "[,1]",
        "]",
        "{",
        "{\"a\"",
        "{\"a\":",
        "{\"a\" 1}",
        "{\"a\":1",
        "{\"a\":1,",
        "{\"a\":1,}",
        "{\"a\":1 \"b\":2}",
        "{1:2}",
        "{\"a\":1,2:3}",
        "{,}",
        "1 2",
        "[] x",
        "{\n  \"a\": [1,\n    2,,\n  ]\n}",
    ] {
        agrees(text);
    }
}

#[test]
fn nesting_is_refused_where_serde_json_refuses_it() {
    for depth in [1, 2, 126, 127, 128, 129, 400] {
        agrees(&format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
        agrees(&format!("{}{}", "{\"a\":".repeat(depth), "}".repeat(depth)));
        agrees(&"[{\"k\":".repeat(depth));
    }
}

#[test]
fn bytes_that_are_not_utf8_are_refused() {
    for bytes in [
        &b"\"\xff\""[..],
        b"\xc3",
        b"[1, \"\xed\xa0\x80\"]",
        b"\"\xf0\x9f\x98\"",
        b"\"\xc3\xa9\"",
        b"{\"k\": 1}",
    ] {
        agrees_on_bytes(bytes);
    }
}

/// The reader cuts a string's text only where an ASCII byte stands, and an escape's four
/// digits are checked before anything after them is read: characters of several bytes
/// around, inside and after escapes, whole and cut at every byte.
#[test]
fn characters_of_several_bytes_beside_escapes_read_as_serde_json_reads_them() {
    for text in [
        "\"\\u00é\"",
        "\"\\u0€1\"",
        "\"\\u€\"",
        "\"\\ud83d\\u€\"",
        "\"é\\u00e9日\\n\u{1f600}\\\"\"",
        "[\"日\", -1é, 2€]",
        "{\"é\": \"\\ud83d\\ude00日\"}",
    ] {
        for cut in 0..=text.len() {
            agrees_on_bytes(&text.as_bytes()[..cut]);
        }
    }
}

/// xorshift64*, so that the same documents are read natively and in wasm32.
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len() as u64) as usize]
    }
}

/// A random document of at most `depth` levels, with the spellings that matter: numbers of
/// every shape and length, escapes, surrogate pairs, white space.
fn document(draws: &mut Draws, depth: u32, out: &mut String) {
    let space = |draws: &mut Draws, out: &mut String| {
        if draws.below(4) == 0 {
            out.push_str(draws.pick(&[" ", "\n", "\t", "\r\n  "]));
        }
    };
    space(draws, out);
    match draws.below(if depth == 0 { 4 } else { 6 }) {
        0 => out.push_str(draws.pick(&["null", "true", "false"])),
        1 => {
            // A float printed shortest, as the writers print it.
            let float = f64::from_bits(draws.next());
            if float.is_finite() {
                out.push_str(&serde_json::to_string(&float).unwrap_or_default());
            } else {
                out.push('0');
            }
        }
        2 => {
            // Digits of any length, a fraction and an exponent of any size.
            if draws.below(3) == 0 {
                out.push('-');
            }
            let long = draws.below(8) == 0;
            let digits = 1 + draws.below(if long { 60 } else { 20 });
            for i in 0..digits {
                let digit = if i == 0 {
                    1 + draws.below(9)
                } else {
                    draws.below(10)
                };
                out.push(char::from(b'0' + digit as u8));
            }
            if draws.below(2) == 0 {
                out.push('.');
                for _ in 0..1 + draws.below(25) {
                    out.push(char::from(b'0' + draws.below(10) as u8));
                }
            }
            if draws.below(3) == 0 {
                out.push_str(draws.pick(&["e", "E", "e+", "e-", "E-"]));
                let large = draws.below(6) == 0;
                out.push_str(&draws.below(if large { 400 } else { 30 }).to_string());
            }
        }
        3 => {
            out.push('"');
            for _ in 0..draws.below(8) {
                out.push_str(draws.pick(&[
                    "a",
                    "Z",
                    " ",
                    "é",
                    "日",
                    "\u{1f600}",
                    "\\\"",
                    "\\\\",
                    "\\/",
                    "\\b",
                    "\\f",
                    "\\n",
                    "\\r",
                    "\\t",
                    "\\u0041",
                    "\\u00E9",
                    "\\ud83d\\ude00",
                    "\\uD834\\uDD1E",
                ]));
            }
            out.push('"');
        }
        4 => {
            out.push('[');
            for i in 0..draws.below(5) {
                if i > 0 {
                    out.push(',');
                }
                document(draws, depth - 1, out);
            }
            space(draws, out);
            out.push(']');
        }
        _ => {
            out.push('{');
            for i in 0..draws.below(5) {
                if i > 0 {
                    out.push(',');
                }
                space(draws, out);
                out.push_str(draws.pick(&["\"a\"", "\"b\"", "\"\\u0061\"", "\"long key\""]));
                space(draws, out);
                out.push(':');
                document(draws, depth - 1, out);
            }
            space(draws, out);
            out.push('}');
        }
    }
    space(draws, out);
}

/// Bytes JSON gives meaning to, and a few it does not.
const MUTATIONS: &[u8] = b"{}[],:\"\\-+.eE0123456789 \n\tuntfalsx\x01\x7f\xc3\xa9\xff";

#[test]
fn random_documents_their_prefixes_and_their_mutations_read_as_serde_json_reads_them() {
    let mut draws = Draws(0x9e37_79b9_7f4a_7c15);
    for _ in 0..600 {
        let mut text = String::new();
        document(&mut draws, 4, &mut text);
        agrees(&text);
        let bytes = text.as_bytes();
        // Every prefix of short documents, a few of long ones.
        let cuts: Vec<usize> = if bytes.len() < 80 {
            (0..bytes.len()).collect()
        } else {
            (0..20)
                .map(|_| draws.below(bytes.len() as u64) as usize)
                .collect()
        };
        for cut in cuts {
            agrees_on_bytes(&bytes[..cut]);
        }
        for _ in 0..10 {
            let mut mutated = bytes.to_vec();
            for _ in 0..1 + draws.below(3) {
                let at = draws.below(mutated.len() as u64) as usize;
                let byte = MUTATIONS[draws.below(MUTATIONS.len() as u64) as usize];
                match draws.below(3) {
                    0 => mutated[at] = byte,
                    1 => mutated.insert(at, byte),
                    _ => {
                        mutated.remove(at);
                        if mutated.is_empty() {
                            break;
                        }
                    }
                }
            }
            agrees_on_bytes(&mutated);
        }
    }
}

#[test]
fn random_bytes_are_refused_or_read_as_serde_json_reads_them() {
    let mut draws = Draws(0x2545_f491_4f6c_dd1d);
    for _ in 0..3000 {
        let length = draws.below(12) as usize;
        let bytes: Vec<u8> = (0..length)
            .map(|_| MUTATIONS[draws.below(MUTATIONS.len() as u64) as usize])
            .collect();
        agrees_on_bytes(&bytes);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_document_reads_as_serde_json_reads_it(seed in any::<u64>(), depth in 0u32..6) {
            let mut text = String::new();
            document(&mut Draws(seed | 1), depth, &mut text);
            agrees(&text);
        }

        #[test]
        fn any_text_reads_as_serde_json_reads_it(text in "[\\[\\]{}:,\" 0-9.eE+\\-a-z\\\\]{0,24}") {
            agrees(&text);
        }
    }
}
