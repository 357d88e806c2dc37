//! The byte layouts of every object the engine writes: SST data blocks, bloom filters, SSTs,
//! WAL objects and manifests. docs/format.md is the prose specification of the same layouts.
//!
//! Every unit of bytes the engine reads back is checksummed with CRC32C; decoders verify the
//! checksum first and report `Corrupt` (never panic) on a mismatch or a malformed layout.

pub mod block;
pub mod bloom;
pub mod crc;
pub mod manifest;
pub mod sst;
pub mod wal;

/// Size of the CRC32C trailer on every checksummed unit.
pub const CRC_BYTES: usize = 4;

/// Appends the CRC32C of `out[start..]` to `out`, closing a checksummed unit.
pub fn append_crc(out: &mut Vec<u8>, start: usize) {
    let crc = crc::crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// Splits a checksummed unit into its payload after verifying the CRC32C trailer.
pub fn verify_crc(unit: &[u8]) -> Result<&[u8], String> {
    if unit.len() < CRC_BYTES {
        return Err(format!("{} bytes is too short for a checksum", unit.len()));
    }
    let (payload, trailer) = unit.split_at(unit.len() - CRC_BYTES);
    let stored = u32::from_le_bytes(trailer.try_into().expect("split_at left exactly 4 bytes"));
    let computed = crc::crc32c(payload);
    if stored != computed {
        return Err(format!(
            "checksum mismatch (stored {stored:08x}, computed {computed:08x})"
        ));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn crc_trailer_detects_any_flipped_bit() {
        let mut unit = b"hello, blocks".to_vec();
        append_crc(&mut unit, 0);
        assert_eq!(verify_crc(&unit).unwrap(), b"hello, blocks");
        for bit in 0..unit.len() * 8 {
            let mut damaged = unit.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(verify_crc(&damaged).is_err(), "bit {bit} not detected");
        }
        assert!(verify_crc(&[1, 2]).is_err());
    }
}
