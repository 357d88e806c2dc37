//! CRC32C (Castagnoli), the checksum of every unit the engine writes.
//!
//! Natively this is the `crc32c` crate (hardware instructions where the CPU has them). On
//! wasm32 it is computed here, slicing by 16 bytes, with its lookup tables built on first use
//! rather than stored: the crate's 8 KB of precomputed tables are incompressible and cost the
//! playground's download 8 KB gzip. Both give the same value (tested natively against each
//! other).
//!
//! Sixteen bytes a step rather than eight: each step's sixteen lookups depend only on the
//! previous step's CRC and the input, so there are half as many steps in the chain of
//! dependent ones. The checksum of every block read was 7 % of the page's worker at 10,000
//! operations a second (docs/benchmarks.md); the tables are 16 KiB of memory, not download.

/// CRC32C of `bytes`.
#[cfg(not(target_arch = "wasm32"))]
pub fn crc32c(bytes: &[u8]) -> u32 {
    ::crc32c::crc32c(bytes)
}

/// CRC32C of `bytes`.
#[cfg(target_arch = "wasm32")]
pub fn crc32c(bytes: &[u8]) -> u32 {
    sliced(bytes)
}

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82F6_3B78;

/// Slicing-by-16 tables: `[0]` is the classic byte table; `[k]` advances a byte's CRC by
/// another k zero bytes. 16 × 256 entries, built once (zero-initialised memory, not data).
type Tables = [[u32; 256]; 16];

fn tables() -> &'static Tables {
    static TABLES: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = [[0u32; 256]; 16];
        for (i, entry) in t[0].iter_mut().enumerate() {
            let mut crc = i as u32;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ POLY
                } else {
                    crc >> 1
                };
            }
            *entry = crc;
        }
        for k in 1..16 {
            for i in 0..256 {
                let previous = t[k - 1][i];
                t[k][i] = (previous >> 8) ^ t[0][(previous & 0xff) as usize];
            }
        }
        t
    })
}

/// The portable CRC32C (the wasm32 implementation; also compiled natively for its test).
#[cfg_attr(not(any(target_arch = "wasm32", test)), allow(dead_code))]
fn sliced(bytes: &[u8]) -> u32 {
    let t = tables();
    let mut crc = !0u32;
    let (chunks, remainder) = bytes.as_chunks::<16>();
    for chunk in chunks {
        let low = crc ^ u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        crc = t[15][(low & 0xff) as usize]
            ^ t[14][((low >> 8) & 0xff) as usize]
            ^ t[13][((low >> 16) & 0xff) as usize]
            ^ t[12][(low >> 24) as usize]
            ^ t[11][chunk[4] as usize]
            ^ t[10][chunk[5] as usize]
            ^ t[9][chunk[6] as usize]
            ^ t[8][chunk[7] as usize]
            ^ t[7][chunk[8] as usize]
            ^ t[6][chunk[9] as usize]
            ^ t[5][chunk[10] as usize]
            ^ t[4][chunk[11] as usize]
            ^ t[3][chunk[12] as usize]
            ^ t[2][chunk[13] as usize]
            ^ t[1][chunk[14] as usize]
            ^ t[0][chunk[15] as usize];
    }
    for &byte in remainder {
        crc = t[0][((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn known_check_values() {
        // The standard check value of CRC-32C, and RFC 3720's 32 zero bytes.
        assert_eq!(sliced(b"123456789"), 0xE306_9283);
        assert_eq!(sliced(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(sliced(&[0xffu8; 32]), 0x62A8_AB43);
        assert_eq!(sliced(b""), 0);
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn matches_the_crate_at_every_length_and_alignment() {
        let data: Vec<u8> = (0u32..600)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for start in 0..17 {
            for end in start..data.len() {
                let slice = &data[start..end];
                assert_eq!(sliced(slice), ::crc32c::crc32c(slice), "{start}..{end}");
            }
        }
    }
}
