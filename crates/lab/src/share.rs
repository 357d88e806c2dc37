//! Share tokens: a scenario packed into a URL-safe string, so that a link reproduces a run.
//!
//! The token is `v1.` followed by the scenario's compact JSON in base64url without padding
//! (RFC 4648 §5). No external service is involved and the payload is readable by anyone who
//! decodes it. The prefix carries the token format's version, independent of the scenario's
//! schema version inside it; decoding checks both and says which one is wrong.

use crate::scenario::{Scenario, ScenarioError};

/// The prefix of tokens this build writes.
pub const SHARE_TOKEN_PREFIX: &str = "v1.";

/// The longest token accepted (64 KiB): browsers cap URLs around there, and it bounds the work
/// a pasted token can cause.
pub const MAX_SHARE_TOKEN_BYTES: usize = 64 * 1024;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes bytes as base64url without padding.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = u32::from(chunk[0]);
        let b1 = chunk.get(1).copied().map_or(0, u32::from);
        let b2 = chunk.get(2).copied().map_or(0, u32::from);
        let triple = (b0 << 16) | (b1 << 8) | b2;
        let symbols = chunk.len() + 1;
        for i in 0..symbols {
            let index = (triple >> (18 - 6 * i)) & 0x3F;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

fn symbol_value(symbol: u8) -> Option<u32> {
    match symbol {
        b'A'..=b'Z' => Some(u32::from(symbol - b'A')),
        b'a'..=b'z' => Some(u32::from(symbol - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(symbol - b'0') + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

/// Decodes base64url without padding. Errors name the offending position.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, ScenarioError> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return Err(ScenarioError::ShareToken(format!(
            "the payload has {} characters, which no byte string encodes to (truncated?)",
            bytes.len()
        )));
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    for (chunk_index, chunk) in bytes.chunks(4).enumerate() {
        let mut triple = 0u32;
        for (i, symbol) in chunk.iter().enumerate() {
            let value = symbol_value(*symbol).ok_or_else(|| {
                let position = chunk_index * 4 + i;
                let shown = text
                    .get(position..)
                    .and_then(|rest| rest.chars().next())
                    .map_or_else(|| format!("byte 0x{symbol:02x}"), |c| format!("{c:?}"));
                ScenarioError::ShareToken(format!(
                    "{shown} at payload position {position} is not a base64url character"
                ))
            })?;
            triple |= value << (18 - 6 * i);
        }
        let produced = chunk.len() - 1;
        for i in 0..produced {
            out.push((triple >> (16 - 8 * i)) as u8);
        }
        // Unused low bits of a short final chunk must be zero, or two tokens would decode alike.
        let unused_bits = match chunk.len() {
            2 => 0xFFFF,
            3 => 0xFF,
            _ => 0,
        };
        if triple & unused_bits != 0 {
            return Err(ScenarioError::ShareToken(
                "the payload's last character has stray bits (corrupted or truncated?)".to_string(),
            ));
        }
    }
    Ok(out)
}

impl Scenario {
    /// The scenario as a share token: `v1.` + base64url(compact JSON).
    pub fn to_share_token(&self) -> String {
        format!(
            "{SHARE_TOKEN_PREFIX}{}",
            base64url_encode(self.to_json().as_bytes())
        )
    }

    /// Reads a share token back into a validated scenario.
    pub fn from_share_token(token: &str) -> Result<Scenario, ScenarioError> {
        let token = token.trim();
        if token.len() > MAX_SHARE_TOKEN_BYTES {
            return Err(ScenarioError::ShareToken(format!(
                "{} bytes is over the limit of {MAX_SHARE_TOKEN_BYTES}",
                token.len()
            )));
        }
        let Some(payload) = token.strip_prefix(SHARE_TOKEN_PREFIX) else {
            let version = token
                .split_once('.')
                .map(|(head, _)| head)
                .filter(|head| head.starts_with('v') && head.len() <= 8);
            return Err(match version {
                Some(version) => ScenarioError::ShareToken(format!(
                    "token format {version:?} is not supported: this build reads {:?}",
                    SHARE_TOKEN_PREFIX
                        .strip_suffix('.')
                        .unwrap_or(SHARE_TOKEN_PREFIX)
                )),
                None => ScenarioError::ShareToken(format!(
                    "a share token starts with {SHARE_TOKEN_PREFIX:?}"
                )),
            });
        };
        if payload.is_empty() {
            return Err(ScenarioError::ShareToken(
                "the payload is empty".to_string(),
            ));
        }
        let bytes = base64url_decode(payload)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            ScenarioError::ShareToken("the payload does not decode to UTF-8 text".to_string())
        })?;
        Scenario::from_json(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        // RFC 4648 §10 test vectors, without padding.
        let vectors = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64url_encode(plain.as_bytes()), encoded);
            assert_eq!(base64url_decode(encoded).unwrap(), plain.as_bytes());
        }
        // The URL-safe alphabet: 0xfb 0xff encodes with '-' and '_'.
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("-_8").unwrap(), vec![0xfb, 0xff]);
    }

    #[test]
    fn every_byte_value_round_trips() {
        let bytes: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for len in 0..bytes.len() {
            let encoded = base64url_encode(&bytes[..len]);
            assert_eq!(base64url_decode(&encoded).unwrap(), &bytes[..len]);
        }
    }

    #[test]
    fn bad_payloads_are_refused_with_a_reason() {
        let err = base64url_decode("Zm9v+g").unwrap_err().to_string();
        assert!(err.contains("position 4"), "{err}");
        let err = base64url_decode("Zm9vY").unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        // "Zh" has stray low bits (only "Zg" encodes "f").
        assert!(base64url_decode("Zh").is_err());
    }
}
