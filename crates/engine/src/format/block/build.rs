//! Encoding a block: entries in, the layout of the parent module (entries, offsets, count,
//! checksum) out. Decoding, the other form, is the parent's.

use crate::codec::{put_u32, put_varint};
use crate::format::append_crc;

/// Accumulates sorted entries into one encoded block.
#[derive(Debug, Default)]
pub struct BlockBuilder {
    data: Vec<u8>,
    offsets: Vec<u32>,
}

impl BlockBuilder {
    pub fn new() -> Self {
        BlockBuilder::default()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    pub fn entry_count(&self) -> usize {
        self.offsets.len()
    }

    /// The encoded size (checksum included) if the block were finished now.
    pub fn encoded_bytes(&self) -> usize {
        self.data.len() + 4 * self.offsets.len() + 8
    }

    /// Adds an entry; keys must arrive in strictly ascending order (the SST builder checks).
    #[inline]
    pub fn add(&mut self, key: &[u8], value: Option<&[u8]>) {
        self.add_expiring(key, value, 0);
    }

    /// Adds an entry that reads as deleted from `expires_at_ns` on (0: never).
    #[inline]
    pub fn add_expiring(&mut self, key: &[u8], value: Option<&[u8]>, expires_at_ns: u64) {
        self.offsets.push(self.data.len() as u32);
        put_varint(&mut self.data, key.len() as u64);
        match value {
            Some(value) => put_varint(&mut self.data, value.len() as u64 + 1),
            None => put_varint(&mut self.data, 0),
        }
        self.data.extend_from_slice(key);
        if let Some(value) = value {
            self.data.extend_from_slice(value);
        }
        if expires_at_ns != 0 {
            put_varint(&mut self.data, expires_at_ns);
        }
    }

    /// Appends the finished block (with its checksum) to `out` and resets the builder.
    pub fn finish_into(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.data);
        for offset in &self.offsets {
            put_u32(out, *offset);
        }
        put_u32(out, self.offsets.len() as u32);
        append_crc(out, start);
        self.data.clear();
        self.offsets.clear();
    }
}
