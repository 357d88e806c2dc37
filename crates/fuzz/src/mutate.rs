//! Byte-level mutations, and re-sealing: recomputing the CRC32C trailer of a checksummed unit
//! after a mutation so that the decoder gets past its checksum.

use strata_engine::format::crc::crc32c;
use strata_sim::SimRng;

/// The longest input a mutation may grow to: keeps executions fast and allocations small.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// Integers that sit on the boundaries decoders get wrong: zero, one, powers of two and their
/// neighbours, the top of each width.
pub const INTERESTING_U64: [u64; 16] = [
    0,
    1,
    2,
    7,
    0x7F,
    0x80,
    0xFF,
    0xFFFF,
    0x1_0000,
    0x7FFF_FFFF,
    0xFFFF_FFFF,
    0x1_0000_0000,
    0x1_0000_0001,
    1 << 53,
    u64::MAX - 1,
    u64::MAX,
];

/// One of [`INTERESTING_U64`].
pub fn interesting(rng: &mut SimRng) -> u64 {
    INTERESTING_U64[rng.index(INTERESTING_U64.len())]
}

/// A random index into a non-empty length, or 0.
fn position(rng: &mut SimRng, len: usize) -> usize {
    if len == 0 {
        0
    } else {
        rng.index(len)
    }
}

/// Applies one to eight random byte-level mutations to `bytes`.
pub fn mutate_bytes(rng: &mut SimRng, bytes: &mut Vec<u8>) {
    let rounds = 1 + rng.index(8);
    for _ in 0..rounds {
        mutate_once(rng, bytes);
    }
    bytes.truncate(MAX_INPUT_BYTES);
}

fn mutate_once(rng: &mut SimRng, bytes: &mut Vec<u8>) {
    let len = bytes.len();
    match rng.index(9) {
        0 if len > 0 => {
            let at = position(rng, len);
            bytes[at] ^= 1 << rng.index(8);
        }
        1 if len > 0 => {
            let at = position(rng, len);
            bytes[at] = rng.next_u32() as u8;
        }
        2 if len > 0 => {
            let at = position(rng, len);
            bytes[at] = [0u8, 1, 0x7F, 0x80, 0xFF][rng.index(5)];
        }
        3 if len >= 4 => {
            let at = position(rng, len - 3);
            let value = interesting(rng) as u32;
            bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
        }
        4 if len >= 8 => {
            let at = position(rng, len - 7);
            let value = interesting(rng);
            bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
        }
        5 => {
            let at = position(rng, len + 1).min(len);
            let mut varint = Vec::new();
            strata_engine::codec::put_varint(&mut varint, interesting(rng));
            bytes.splice(at..at, varint);
        }
        6 if len > 0 => {
            let start = position(rng, len);
            let end = (start + 1 + rng.index(16)).min(len);
            bytes.drain(start..end);
        }
        7 if len > 0 => {
            let start = position(rng, len);
            let end = (start + 1 + rng.index(32)).min(len);
            let copy: Vec<u8> = bytes[start..end].to_vec();
            let at = position(rng, len + 1).min(len);
            bytes.splice(at..at, copy);
        }
        _ => {
            let at = position(rng, len + 1).min(len);
            let count = 1 + rng.index(16);
            let mut fresh = vec![0u8; count];
            rng.fill_bytes(&mut fresh);
            bytes.splice(at..at, fresh);
        }
    }
}

/// Random bytes of a random length up to `max_len`.
pub fn arbitrary_bytes(rng: &mut SimRng, max_len: usize) -> Vec<u8> {
    let len = position(rng, max_len + 1);
    let mut out = vec![0u8; len];
    rng.fill_bytes(&mut out);
    out
}

/// Recomputes the CRC32C trailer of a checksummed unit (payload then 4 bytes of CRC) in
/// place. Units shorter than a trailer are left alone.
pub fn reseal(unit: &mut [u8]) {
    if unit.len() < 4 {
        return;
    }
    let split = unit.len() - 4;
    let crc = crc32c(&unit[..split]);
    unit[split..].copy_from_slice(&crc.to_le_bytes());
}

/// Mutates the payload of a checksummed unit and re-seals it with a valid trailer.
pub fn mutate_and_reseal(rng: &mut SimRng, unit: &[u8]) -> Vec<u8> {
    let split = unit.len().saturating_sub(4);
    let mut payload = unit[..split].to_vec();
    mutate_bytes(rng, &mut payload);
    payload.extend_from_slice(&[0; 4]);
    reseal(&mut payload);
    payload
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn resealed_units_pass_their_checksum() {
        let mut rng = SimRng::seed_from_u64(7);
        let mut unit = b"payload".to_vec();
        strata_engine::format::append_crc(&mut unit, 0);
        for _ in 0..100 {
            let mutated = mutate_and_reseal(&mut rng, &unit);
            assert!(strata_engine::format::verify_crc(&mutated).is_ok());
        }
    }

    #[test]
    fn mutations_are_a_function_of_the_seed() {
        let run = |seed| {
            let mut rng = SimRng::seed_from_u64(seed);
            let mut bytes = b"0123456789abcdef".to_vec();
            mutate_bytes(&mut rng, &mut bytes);
            bytes
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }
}
