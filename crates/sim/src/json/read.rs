//! JSON text read into serde_json's `Value`, as `serde_json::from_str::<Value>` reads it with
//! its `float_roundtrip` feature: the same values (a number without a fraction or an exponent
//! is an integer when it fits one, `-0` is a float; every other number the nearest float), the
//! same refusals, in serde_json's words and at its line and column.
//!
//! Why not serde_json's own reader: to read floats exactly it links a table of powers and a
//! big-number algorithm (`float_roundtrip`), which cost the playground's download more than
//! this reader and [`crate::decimal`] together (docs/ui.md, the bundle's cuts table). Every
//! crate reads its JSON through here, natively too, so that the page and the CLI read the same
//! text as the same values.
//!
//! The tests compare this reader with serde_json's on random, truncated and mutated documents.

use serde_json::{Map, Number, Value};

use crate::decimal::{self, DecimalError};

/// Open arrays and objects serde_json refuses at: the 128th is refused.
pub const DEPTH_LIMIT: usize = 128;

/// Why a text is not JSON, and where: `Display` writes serde_json's message (`expected value at
/// line 1 column 3`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// What was wrong, in serde_json's words.
    pub what: &'static str,
    /// 1-based.
    pub line: usize,
    /// Bytes from the start of the line to the offending byte, counting it; 0 when the text is
    /// empty.
    pub column: usize,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.what, self.line, self.column
        )
    }
}

impl std::error::Error for ReadError {}

const EOF_VALUE: &str = "EOF while parsing a value";
const EOF_LIST: &str = "EOF while parsing a list";
const EOF_OBJECT: &str = "EOF while parsing an object";
const EOF_STRING: &str = "EOF while parsing a string";
const INVALID_NUMBER: &str = "invalid number";
const INVALID_ESCAPE: &str = "invalid escape";
const LONE_SURROGATE: &str = "lone leading surrogate in hex escape";
const END_OF_ESCAPE: &str = "unexpected end of hex escape";
const TRAILING_COMMA: &str = "trailing comma";
const TRAILING: &str = "trailing characters";
const KEY_NOT_STRING: &str = "key must be a string";
const OUT_OF_RANGE: &str = "number out of range";

/// `text` as a `Value`. See the module's header.
pub fn from_str(text: &str) -> Result<Value, ReadError> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        depth: DEPTH_LIMIT,
    };
    let value = reader.value()?;
    match reader.skip_space() {
        Some(_) => Err(reader.fail(TRAILING)),
        None => Ok(value),
    }
}

/// `bytes` as a `Value`, as `serde_json::from_slice` reads them: text that is not UTF-8 is
/// refused, as JSON.
pub fn from_slice(bytes: &[u8]) -> Result<Value, ReadError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => from_str(text),
        Err(error) => Err(error_at(
            bytes,
            error.valid_up_to(),
            "invalid unicode code point",
        )),
    }
}

/// The error `what` about the byte at `at` of `bytes` (the last one at the end of the text).
#[cold]
fn error_at(bytes: &[u8], at: usize, what: &'static str) -> ReadError {
    let end = (at + 1).min(bytes.len());
    let before = &bytes[..end];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline + 1);
    ReadError {
        what,
        line: 1 + before[..line_start].iter().filter(|&&b| b == b'\n').count(),
        column: end - line_start,
    }
}

struct Reader<'a> {
    text: &'a str,
    /// `text`'s bytes.
    bytes: &'a [u8],
    /// The next byte to read.
    at: usize,
    /// Arrays and objects that may still open.
    depth: usize,
}

impl Reader<'_> {
    /// The error `what` about the byte at `self.at` (the last one at the end of the text).
    #[cold]
    fn fail(&self, what: &'static str) -> ReadError {
        error_at(self.bytes, self.at, what)
    }

    /// The error `what` about the byte just read.
    #[cold]
    fn fail_read(&mut self, what: &'static str) -> ReadError {
        self.at -= 1;
        self.fail(what)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    /// Past the white space; the byte after it, not taken.
    fn skip_space(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
        self.peek()
    }

    fn value(&mut self) -> Result<Value, ReadError> {
        let Some(first) = self.skip_space() else {
            return Err(self.fail(EOF_VALUE));
        };
        Ok(match first {
            b'n' => self.word(b"null", Value::Null)?,
            b't' => self.word(b"true", Value::Bool(true))?,
            b'f' => self.word(b"false", Value::Bool(false))?,
            b'-' | b'0'..=b'9' => Value::Number(self.number()?),
            b'"' => {
                self.at += 1;
                Value::String(self.string()?)
            }
            b'[' | b'{' => {
                self.depth -= 1;
                if self.depth == 0 {
                    return Err(self.fail("recursion limit exceeded"));
                }
                self.at += 1;
                let value = if first == b'[' {
                    Value::Array(self.array()?)
                } else {
                    Value::Object(self.object()?)
                };
                self.depth += 1;
                value
            }
            _ => return Err(self.fail("expected value")),
        })
    }

    fn word(&mut self, word: &[u8], value: Value) -> Result<Value, ReadError> {
        self.at += 1;
        for expected in &word[1..] {
            match self.next() {
                None => return Err(self.fail(EOF_VALUE)),
                Some(b) if b != *expected => return Err(self.fail_read("expected ident")),
                Some(_) => {}
            }
        }
        Ok(value)
    }

    /// After `[`.
    fn array(&mut self) -> Result<Vec<Value>, ReadError> {
        let mut items = Vec::new();
        loop {
            match self.skip_space() {
                None => return Err(self.fail(EOF_LIST)),
                Some(b']') => break,
                Some(b',') if !items.is_empty() => {
                    self.at += 1;
                    match self.skip_space() {
                        Some(b']') => return Err(self.fail(TRAILING_COMMA)),
                        None => return Err(self.fail(EOF_VALUE)),
                        Some(_) => {}
                    }
                }
                Some(_) if !items.is_empty() => return Err(self.fail("expected `,` or `]`")),
                Some(_) => {}
            }
            items.push(self.value()?);
        }
        self.at += 1;
        Ok(items)
    }

    /// After `{`.
    fn object(&mut self) -> Result<Map<String, Value>, ReadError> {
        let mut map = Map::new();
        let mut first = true;
        loop {
            match self.skip_space() {
                None => return Err(self.fail(EOF_OBJECT)),
                Some(b'}') => break,
                Some(b',') if !first => {
                    self.at += 1;
                    match self.skip_space() {
                        Some(b'"') => {}
                        Some(b'}') => return Err(self.fail(TRAILING_COMMA)),
                        Some(_) => return Err(self.fail(KEY_NOT_STRING)),
                        None => return Err(self.fail(EOF_VALUE)),
                    }
                }
                Some(b'"') if first => {}
                Some(_) if first => return Err(self.fail(KEY_NOT_STRING)),
                Some(_) => return Err(self.fail("expected `,` or `}`")),
            }
            first = false;
            self.at += 1;
            let key = self.string()?;
            match self.skip_space() {
                Some(b':') => self.at += 1,
                Some(_) => return Err(self.fail("expected `:`")),
                None => return Err(self.fail(EOF_OBJECT)),
            }
            let value = self.value()?;
            map.insert(key, value);
        }
        self.at += 1;
        Ok(map)
    }

    /// After the opening quote, up to and past the closing one.
    fn string(&mut self) -> Result<String, ReadError> {
        let mut out = String::new();
        loop {
            let start = self.at;
            while self
                .peek()
                .is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.at += 1;
            }
            // Whole characters: the run stops only at ASCII bytes.
            out.push_str(&self.text[start..self.at]);
            match self.next() {
                None => return Err(self.fail(EOF_STRING)),
                Some(b'"') => break,
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => {
                    return Err(self.fail_read(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ))
                }
            }
        }
        Ok(out)
    }

    /// After a backslash in a string.
    fn escape(&mut self, out: &mut String) -> Result<(), ReadError> {
        let Some(kind) = self.next() else {
            return Err(self.fail(EOF_STRING));
        };
        let byte = match kind {
            b'"' | b'\\' | b'/' => kind,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let mut code = self.hex()?;
                if (0xdc00..=0xdfff).contains(&code) {
                    return Err(self.fail_read(LONE_SURROGATE));
                }
                if (0xd800..=0xdbff).contains(&code) {
                    for expected in [b'\\', b'u'] {
                        match self.next() {
                            None => return Err(self.fail(EOF_STRING)),
                            Some(b) if b != expected => return Err(self.fail_read(END_OF_ESCAPE)),
                            Some(_) => {}
                        }
                    }
                    let low = self.hex()?;
                    if !(0xdc00..=0xdfff).contains(&low) {
                        return Err(self.fail_read(LONE_SURROGATE));
                    }
                    code = 0x1_0000 + ((code - 0xd800) << 10 | (low - 0xdc00));
                }
                out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                return Ok(());
            }
            _ => return Err(self.fail_read(INVALID_ESCAPE)),
        };
        out.push(char::from(byte));
        Ok(())
    }

    /// Four hex digits, all taken before any is looked at, as serde_json takes them.
    fn hex(&mut self) -> Result<u32, ReadError> {
        let Some(digits) = self.bytes.get(self.at..self.at + 4) else {
            self.at = self.bytes.len();
            return Err(self.fail(EOF_STRING));
        };
        self.at += 4;
        let mut code = 0;
        for &b in digits {
            let Some(digit) = char::from(b).to_digit(16) else {
                return Err(self.fail_read(INVALID_ESCAPE));
            };
            code = code * 16 + digit;
        }
        Ok(code)
    }

    /// A number, from its sign or first digit. Checks JSON's grammar with serde_json's
    /// refusals, then reads the text: an integer when it is one and fits, else a float.
    fn number(&mut self) -> Result<Number, ReadError> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        match self.next() {
            None => return Err(self.fail(EOF_VALUE)),
            Some(b'0') => {
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.fail(INVALID_NUMBER));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            Some(_) => return Err(self.fail_read(INVALID_NUMBER)),
        }
        let integer_end = self.at;
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.first_digit()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            let negative_exponent = self.peek() == Some(b'-');
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            let exponent_start = self.at;
            self.first_digit()?;
            // serde_json refuses a positive exponent past 32 bits at the digit that takes it
            // there (unless every digit of the number is a zero); anything else is read whole.
            let zero = self.bytes[start..exponent_start]
                .iter()
                .all(|b| !matches!(b, b'1'..=b'9'));
            if !negative_exponent && !zero {
                let mut exponent = 0i64;
                for at in exponent_start..self.at {
                    exponent = exponent * 10 + i64::from(self.bytes[at] - b'0');
                    if exponent > i64::from(i32::MAX) {
                        self.at = at + 1;
                        return Err(self.fail_read(OUT_OF_RANGE));
                    }
                }
            }
        }
        // Only ASCII was taken.
        let text = &self.text[start..self.at];
        if self.at == integer_end {
            let magnitude = text[usize::from(negative)..].parse::<u64>().ok();
            match (negative, magnitude) {
                (false, Some(n)) => return Ok(Number::from(n)),
                (true, Some(n @ 1..=0x8000_0000_0000_0000)) => {
                    return Ok(Number::from(0i64.wrapping_sub_unsigned(n)))
                }
                // -0, and integers past 64 bits: floats, as serde_json reads them.
                _ => {}
            }
        }
        match decimal::parse(text) {
            Ok(float) => Ok(Number::from_f64(float).unwrap_or_else(|| Number::from(0u64))),
            Err(DecimalError::OutOfRange) => Err(self.fail_read(OUT_OF_RANGE)),
            Err(DecimalError::Syntax) => Err(self.fail(INVALID_NUMBER)),
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    /// At least one digit (after a point or an exponent's letter), then the rest.
    fn first_digit(&mut self) -> Result<(), ReadError> {
        match self.next() {
            None => Err(self.fail(EOF_VALUE)),
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            Some(_) => Err(self.fail_read(INVALID_NUMBER)),
        }
    }
}

#[cfg(test)]
mod tests;
