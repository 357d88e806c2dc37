//! Checksum-valid corruption: decode a stored object with the engine's own format code,
//! change its structure, re-encode it and re-seal it with a valid CRC, so that only the
//! engine's structural checks (not its checksums) stand between the change and a reader.

use crate::world::Mutation;
use bytes::Bytes;
use strata_engine::format::sst::FOOTER_BYTES;
use strata_engine::format::wal::{self, WalBuffer, WAL_HEADER_BYTES};
use strata_engine::format::{append_crc, CRC_BYTES};
use strata_objstore::SimStore;
use strata_sim::SimRng;

/// The object to overwrite and its new bytes, or `None` when no stored object fits.
pub fn plan(
    store: &SimStore,
    root: &str,
    mutation: Mutation,
    rng: &mut SimRng,
) -> Option<(String, Bytes)> {
    let is_wal = matches!(
        mutation,
        Mutation::WalEmptyKey | Mutation::WalDropLastRecord | Mutation::WalSwapRecords
    );
    let prefix = format!("{root}/{}/", if is_wal { "wal" } else { "sst" });
    let candidates: Vec<(String, Bytes)> = store
        .keys()
        .into_iter()
        .filter(|key| key.starts_with(&prefix))
        .filter_map(|key| store.inspect(&key).map(|(_, bytes)| (key, bytes)))
        .filter_map(|(key, bytes)| {
            let mutated = if is_wal {
                mutate_wal(&bytes, mutation)
            } else {
                mutate_sst(&bytes, mutation)
            }?;
            Some((key, mutated))
        })
        .collect();
    if candidates.is_empty() {
        return None;
    }
    Some(candidates[rng.index(candidates.len())].clone())
}

/// Re-encodes a WAL object with one structural change, or `None` if it has too few records.
pub fn mutate_wal(bytes: &Bytes, mutation: Mutation) -> Option<Bytes> {
    let decoded = wal::decode(bytes).ok()?;
    let mut records = decoded.records;
    match mutation {
        Mutation::WalEmptyKey => {
            let entry = records.first_mut()?.entries.first_mut()?;
            entry.0 = Bytes::new();
        }
        Mutation::WalDropLastRecord => {
            if records.len() < 2 {
                return None;
            }
            records.pop();
        }
        Mutation::WalSwapRecords => {
            if records.len() < 2 {
                return None;
            }
            // The encoder refuses to go backwards, so encode each record on its own, then
            // splice the bodies in swapped order under the original header.
            let body = |record: &wal::WalRecord| {
                let mut single = WalBuffer::new();
                single.append_batch(
                    record.seq,
                    record
                        .entries
                        .iter()
                        .map(|(key, value)| (key.as_ref(), value.as_deref())),
                );
                let sealed = single.seal(0, 0).bytes;
                sealed[WAL_HEADER_BYTES..sealed.len() - CRC_BYTES].to_vec()
            };
            let mut out = bytes[..WAL_HEADER_BYTES].to_vec();
            out.extend(body(&records[1]));
            out.extend(body(&records[0]));
            for record in &records[2..] {
                out.extend(body(record));
            }
            append_crc(&mut out, 0);
            return Some(Bytes::from(out));
        }
        _ => return None,
    }
    let mut buffer = WalBuffer::new();
    for record in &records {
        buffer.append_batch(
            record.seq,
            record
                .entries
                .iter()
                .map(|(key, value)| (key.as_ref(), value.as_deref())),
        );
    }
    Some(
        buffer
            .seal(decoded.header.writer_epoch, decoded.header.wal_id)
            .bytes,
    )
}

/// Rewrites an SST footer field and re-seals the footer's CRC.
pub fn mutate_sst(bytes: &Bytes, mutation: Mutation) -> Option<Bytes> {
    if bytes.len() < FOOTER_BYTES {
        return None;
    }
    let footer_start = bytes.len() - FOOTER_BYTES;
    // The footer is a payload, its CRC32C, then the 4-byte magic.
    let payload_bytes = FOOTER_BYTES - 4 - CRC_BYTES;
    let mut footer = bytes[footer_start..footer_start + payload_bytes].to_vec();
    match mutation {
        Mutation::SstHugeEntryCount => {
            footer[24..32].copy_from_slice(&(u64::MAX / 3).to_le_bytes())
        }
        Mutation::SstIndexPastEnd => {
            let past = bytes.len() as u64 + 1_000_000;
            footer[0..8].copy_from_slice(&past.to_le_bytes());
        }
        _ => return None,
    }
    append_crc(&mut footer, 0);
    let mut out = bytes[..footer_start].to_vec();
    out.extend_from_slice(&footer);
    out.extend_from_slice(&bytes[bytes.len() - 4..]);
    debug_assert_eq!(out.len(), bytes.len());
    Some(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_engine::format::sst::Footer;

    #[test]
    fn a_mutated_wal_object_still_passes_its_checksum() {
        let mut buffer = WalBuffer::new();
        buffer.append_single(1, b"a", Some(b"1"));
        buffer.append_single(2, b"b", Some(b"2"));
        let sealed = buffer.seal(3, 7).bytes;
        let dropped = mutate_wal(&sealed, Mutation::WalDropLastRecord).unwrap();
        let decoded = wal::decode(&dropped).unwrap();
        assert_eq!(decoded.records.len(), 1);
        assert_eq!(decoded.header.wal_id, 7);
        let swapped = mutate_wal(&sealed, Mutation::WalSwapRecords).unwrap();
        let error = wal::decode(&swapped).unwrap_err();
        assert!(error.contains("out of order"), "{error}");
        assert!(mutate_wal(&sealed, Mutation::WalEmptyKey).is_some());
    }

    #[test]
    fn a_mutated_sst_footer_still_passes_its_checksum() {
        let mut builder = strata_engine::format::sst::SstBuilder::new(64, 10);
        builder.add(b"a", Some(b"1")).unwrap();
        let built = builder.finish().unwrap();
        let bytes = Bytes::from(built.bytes.to_vec());
        let mutated = mutate_sst(&bytes, Mutation::SstHugeEntryCount).unwrap();
        let footer = Footer::decode(&mutated[mutated.len() - FOOTER_BYTES..]).unwrap();
        assert_eq!(footer.entries, u64::MAX / 3);
    }
}
