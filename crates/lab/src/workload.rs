//! The workload's pure parts: which operation comes next, on which key, with which value, and
//! when. The runner ([`crate::runner`]) owns the task that drives them against the engine.
//!
//! Every draw comes from one stream (`"lab.workload"`), so a run's operations depend only on
//! the seed and the workload settings. Values start with their 8-byte write id
//! (little-endian), which lets the durability check tell which write a read-back returned; the
//! rest is a cheap deterministic pattern derived from the id.

use crate::scenario::{KeyDistribution, OpMix, WorkloadSpec};
use strata_sim::{SimDuration, SimRng, Zipf};

/// One kind of client operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OpKind {
    Get,
    Put,
    Delete,
    Scan,
    Batch,
    /// One range tombstone over `WorkloadSpec::range_delete_width` keys.
    DeleteRange,
}

impl OpKind {
    /// The order of `OpMix::weights`.
    pub const BY_WEIGHT: [OpKind; 6] = [
        OpKind::Get,
        OpKind::Put,
        OpKind::Delete,
        OpKind::Scan,
        OpKind::Batch,
        OpKind::DeleteRange,
    ];

    /// The name used in `ClientOp` trace events.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Get => "get",
            OpKind::Put => "put",
            OpKind::Delete => "delete",
            OpKind::Scan => "scan",
            OpKind::Batch => "batch",
            OpKind::DeleteRange => "delete_range",
        }
    }

    pub fn is_write(self) -> bool {
        matches!(
            self,
            OpKind::Put | OpKind::Delete | OpKind::Batch | OpKind::DeleteRange
        )
    }

    /// Whether the operation removes keys (a delete or a range delete).
    pub fn is_delete(self) -> bool {
        matches!(self, OpKind::Delete | OpKind::DeleteRange)
    }
}

/// Picks key indexes in `0..key_count`.
#[derive(Clone, Debug)]
pub enum KeySampler {
    Uniform {
        count: u64,
    },
    /// Zipf ranks, scattered over the key space by a multiplicative permutation so that hot
    /// keys do not all sit in the same SST block.
    Zipf {
        zipf: Zipf,
        count: u64,
        multiplier: u64,
    },
    Sequential {
        count: u64,
        next: u64,
    },
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl KeySampler {
    pub fn new(distribution: KeyDistribution, key_count: u64) -> Self {
        let count = key_count.max(1);
        match distribution {
            KeyDistribution::Uniform => KeySampler::Uniform { count },
            KeyDistribution::Zipf { s } => {
                let ranks = usize::try_from(count).unwrap_or(usize::MAX);
                // Any multiplier coprime with the count permutes 0..count; start from the
                // golden-ratio constant so that neighbouring ranks land far apart.
                let mut multiplier = (0x9E37_79B9_7F4A_7C15u64 % count).max(1);
                while gcd(multiplier, count) != 1 {
                    multiplier += 1;
                }
                KeySampler::Zipf {
                    zipf: Zipf::new(ranks, s),
                    count,
                    multiplier,
                }
            }
            KeyDistribution::Sequential => KeySampler::Sequential { count, next: 0 },
        }
    }

    pub fn sample(&mut self, rng: &mut SimRng) -> u64 {
        match self {
            KeySampler::Uniform { count } => rng.below(*count),
            KeySampler::Zipf {
                zipf,
                count,
                multiplier,
            } => {
                // `Zipf` folds spaces larger than its table; spread the folded rank back out.
                let rank = zipf.sample(rng) as u64;
                let rank = if (zipf.len() as u64) < *count {
                    rank + zipf.len() as u64 * rng.below(count.div_ceil(zipf.len() as u64))
                } else {
                    rank
                } % *count;
                ((u128::from(rank) * u128::from(*multiplier)) % u128::from(*count)) as u64
            }
            KeySampler::Sequential { count, next } => {
                let index = *next;
                *next = (*next + 1) % *count;
                index
            }
        }
    }
}

/// The workload's key space, and the one place its key format is known: key `index` is `k`
/// followed by the index zero-padded to `key_bytes` in all, so keys sort by index and every
/// workload key sorts before [`KeySpace::end`] (the recommender's log, under `recommender/`,
/// never mixes with them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpace {
    /// Keys are indexes `0..count`.
    pub count: u64,
    /// Every key's length.
    pub key_bytes: u32,
}

impl KeySpace {
    /// The byte every workload key starts with.
    pub const PREFIX: u8 = b'k';

    pub fn new(count: u64, key_bytes: u32) -> KeySpace {
        KeySpace { count, key_bytes }
    }

    /// The key space of a workload section.
    pub fn of(spec: &WorkloadSpec) -> KeySpace {
        KeySpace::new(spec.key_count, spec.key_bytes)
    }

    /// The shortest key length that writes every index of `count` keys: the prefix and the
    /// digits of the largest index.
    pub fn min_key_bytes(count: u64) -> u32 {
        let largest = count.saturating_sub(1);
        1 + largest.checked_ilog10().map_or(1, |d| d + 1)
    }

    /// Key `index`, `key_bytes` long (longer only if the index has more digits than fit).
    pub fn key(&self, index: u64) -> Vec<u8> {
        let mut key = String::new();
        self.write_key(&mut key, index);
        key.into_bytes()
    }

    /// Writes key `index` into `key` in place of what it held, reusing its buffer.
    ///
    /// Written as text, not as bytes made a `String` after: every operation makes its key, and
    /// checking those bytes were UTF-8 cost more than making them. Always inlined natively:
    /// with `#[inline]` it stayed a call, 8.6 M instructions of the reference run; in the wasm
    /// inlining it everywhere cost 122 B gzip (docs/benchmarks.md).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    #[cfg_attr(target_arch = "wasm32", inline)]
    pub fn write_key(&self, key: &mut String, index: u64) {
        const ZEROS: &str = "00000000000000000000000000000000";
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(index);
        let mut zeros = (self.key_bytes as usize).saturating_sub(1 + digits.len());
        key.clear();
        key.reserve(1 + zeros + digits.len());
        key.push(char::from(KeySpace::PREFIX));
        while zeros > 0 {
            let run = zeros.min(ZEROS.len());
            key.push_str(&ZEROS[..run]);
            zeros -= run;
        }
        key.push_str(digits);
    }

    /// The index back from a key made by [`KeySpace::key`].
    pub fn index_of(key: &[u8]) -> Option<u64> {
        let digits = key.strip_prefix(&[KeySpace::PREFIX])?;
        std::str::from_utf8(digits).ok()?.parse().ok()
    }

    /// The first key after every workload key (a scan of the workload stops here).
    pub fn end() -> Vec<u8> {
        vec![KeySpace::PREFIX + 1]
    }

    /// The key indexes a range delete of `width` keys from `start` covers: `start` and the
    /// keys after it, cut at the end of the key space.
    pub fn range_indexes(&self, start: u64, width: u32) -> std::ops::Range<u64> {
        let start = start.min(self.count);
        start..start.saturating_add(width.into()).min(self.count)
    }

    /// The byte range (start inclusive, end exclusive) that covers exactly the keys of
    /// `indexes`. A range reaching the end of the key space ends at [`KeySpace::end`]: the key
    /// one past the last index may be longer than `key_bytes`, and would then sort before
    /// keys it should follow.
    pub fn byte_range(&self, indexes: &std::ops::Range<u64>) -> (Vec<u8>, Vec<u8>) {
        let end = if indexes.end >= self.count {
            KeySpace::end()
        } else {
            self.key(indexes.end)
        };
        (self.key(indexes.start), end)
    }
}

/// A value of `len` bytes (at least 8) whose first 8 bytes are `write_id`, little-endian.
pub fn value_for(write_id: u64, len: u64) -> Vec<u8> {
    let mut value = Vec::new();
    write_value(&mut value, write_id, len);
    value
}

/// [`value_for`] written into `value` in place of what it held, reusing its allocation.
pub fn write_value(value: &mut Vec<u8>, write_id: u64, len: u64) {
    let len = usize::try_from(len.max(8)).unwrap_or(usize::MAX);
    // Not `vec![0; len]`: a calloc, which measured slower in glibc here (docs/benchmarks.md).
    // Not emptied first: every byte is written below, so a reused buffer of the length asked
    // (the run's values are mostly one length) is cut or grown with no zeroing of what it
    // held, which was a `memset` call a put.
    value.resize(len, 0);
    let (head, pattern) = value.split_at_mut(8);
    head.copy_from_slice(&write_id.to_le_bytes());
    // A pattern that changes with the id but costs nothing to draw, stored a whole word at
    // a time, the last word cut to fit byte by byte (a copy of a variable length would be a
    // `memcpy` call).
    let mut state = write_id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next_word = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state.to_le_bytes()
    };
    let mut words = pattern.chunks_exact_mut(8);
    for word in &mut words {
        word.copy_from_slice(&next_word());
    }
    let tail = words.into_remainder();
    if !tail.is_empty() {
        for (byte, drawn) in tail.iter_mut().zip(next_word()) {
            *byte = drawn;
        }
    }
}

/// The write id a value was made with, if it is long enough to carry one.
pub fn write_id_of(value: &[u8]) -> Option<u64> {
    let head: [u8; 8] = value.get(..8)?.try_into().ok()?;
    Some(u64::from_le_bytes(head))
}

/// Draws the operations of a workload, one arrival at a time.
#[derive(Clone, Debug)]
pub struct OpGenerator {
    spec: WorkloadSpec,
    keys: KeySampler,
    cumulative: [f64; 6],
    rng: SimRng,
}

/// One drawn operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrawnOp {
    pub kind: OpKind,
    /// The key (the first key of a scan or a range delete; one key per entry of a batch).
    pub keys: OneOrMany<u64>,
    /// Value length of each put (one per key for batches; empty for reads and deletes).
    pub value_bytes: OneOrMany<u64>,
}

/// A list that holds a single element inline: every operation but a batch draws one key (and
/// a put one value length), takes one write id and registers one write, so most operations
/// allocate nothing for these lists. Reads as a slice.
#[derive(Clone, Debug)]
pub enum OneOrMany<T> {
    One(T),
    /// Empty, or more than one element (or built from a `Vec`).
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    pub fn push(&mut self, item: T) {
        match self {
            OneOrMany::Many(items) if items.capacity() == 0 => *self = OneOrMany::One(item),
            OneOrMany::Many(items) => items.push(item),
            OneOrMany::One(_) => {
                let OneOrMany::One(first) = std::mem::take(self) else {
                    unreachable!("matched as one element just above")
                };
                *self = OneOrMany::Many(vec![first, item]);
            }
        }
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(items: Vec<T>) -> Self {
        OneOrMany::Many(items)
    }
}

impl<T> std::ops::Deref for OneOrMany<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            OneOrMany::One(item) => std::slice::from_ref(item),
            OneOrMany::Many(items) => items,
        }
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Equal when the elements are, however they are held.
impl<T: PartialEq> PartialEq for OneOrMany<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}
impl<T: Eq> Eq for OneOrMany<T> {}

fn cumulative(mix: &OpMix) -> [f64; 6] {
    let weights = mix.weights();
    let total: f64 = weights.iter().sum();
    let mut out = [0.0; 6];
    let mut running = 0.0;
    for (slot, weight) in out.iter_mut().zip(weights) {
        running += if total > 0.0 { weight / total } else { 0.0 };
        *slot = running;
    }
    out
}

impl OpGenerator {
    pub fn new(spec: WorkloadSpec, rng: SimRng) -> Self {
        OpGenerator {
            keys: KeySampler::new(spec.key_distribution, spec.key_count),
            cumulative: cumulative(&spec.mix),
            spec,
            rng,
        }
    }

    pub fn spec(&self) -> &WorkloadSpec {
        &self.spec
    }

    /// Changes the workload from the next arrival on. The key sampler is rebuilt only when the
    /// key space changes, so a sequential workload keeps its place.
    pub fn set_spec(&mut self, spec: WorkloadSpec) {
        if spec.key_distribution != self.spec.key_distribution
            || spec.key_count != self.spec.key_count
        {
            self.keys = KeySampler::new(spec.key_distribution, spec.key_count);
        }
        self.cumulative = cumulative(&spec.mix);
        self.spec = spec;
    }

    /// The pause before the next arrival (exponential: a Poisson process), or `None` when the
    /// rate is zero.
    pub fn next_gap(&mut self) -> Option<SimDuration> {
        let rate = self.spec.rate_ops_per_sec;
        if rate <= 0.0 || !rate.is_finite() {
            return None;
        }
        Some(SimDuration::from_secs_f64(self.rng.exponential(rate)))
    }

    fn value_len(&mut self) -> u64 {
        let range = self.spec.value_bytes;
        if range.max > range.min {
            self.rng.range_inclusive(range.min, range.max)
        } else {
            range.min
        }
    }

    pub fn next_op(&mut self) -> DrawnOp {
        let u = self.rng.next_f64();
        let position = self.cumulative.partition_point(|c| *c <= u);
        // Rounding can leave the last cumulative weight a hair under 1: fall back to the last
        // kind with a positive weight.
        let kind = if position < OpKind::BY_WEIGHT.len() {
            OpKind::BY_WEIGHT[position]
        } else {
            let weights = self.spec.mix.weights();
            let last = weights.iter().rposition(|w| *w > 0.0).unwrap_or(1);
            OpKind::BY_WEIGHT[last]
        };
        match kind {
            OpKind::Get | OpKind::Delete | OpKind::Scan | OpKind::DeleteRange => DrawnOp {
                kind,
                keys: OneOrMany::One(self.keys.sample(&mut self.rng)),
                value_bytes: OneOrMany::default(),
            },
            OpKind::Put => {
                let key = self.keys.sample(&mut self.rng);
                DrawnOp {
                    kind,
                    keys: OneOrMany::One(key),
                    value_bytes: OneOrMany::One(self.value_len()),
                }
            }
            OpKind::Batch => {
                let entries = self.spec.batch_size.max(1) as usize;
                let mut keys = Vec::with_capacity(entries);
                let mut value_bytes = Vec::with_capacity(entries);
                for _ in 0..entries {
                    keys.push(self.keys.sample(&mut self.rng));
                    value_bytes.push(self.value_len());
                }
                DrawnOp {
                    kind,
                    keys: keys.into(),
                    value_bytes: value_bytes.into(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ValueBytes;
    use strata_sim::RngStreams;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn rng() -> SimRng {
        RngStreams::new(9).stream("lab.workload")
    }

    #[test]
    fn keys_are_the_prefix_and_the_zero_padded_index() {
        // Padding up to, at and past the run of zeros written at once (32).
        for key_bytes in [0u32, 1, 2, 5, 16, 30, 33, 34, 80] {
            let space = KeySpace::new(10, key_bytes);
            let width = (key_bytes as usize).saturating_sub(1);
            for index in [
                0u64,
                7,
                10,
                99,
                100,
                1_000,
                99_999,
                100_000,
                123_456_789,
                u64::MAX,
            ] {
                let expected = format!("k{index:0width$}").into_bytes();
                assert_eq!(space.key(index), expected, "{index} in {key_bytes} bytes");
                assert_eq!(KeySpace::index_of(&space.key(index)), Some(index));
            }
        }
        assert_eq!(KeySpace::new(10, 6).key(42), b"k00042");
    }

    #[test]
    fn a_key_written_into_a_used_buffer_is_the_same_as_a_new_one() {
        let space = KeySpace::new(1_000_000, 16);
        // Longer, shorter and empty buffers, with and without room for the key.
        for mut buffer in [
            "a buffer longer than any key of the space".to_string(),
            "k9".to_string(),
            String::with_capacity(64),
            String::new(),
        ] {
            for index in [123_456, 0, 999_999, u64::MAX, 7] {
                space.write_key(&mut buffer, index);
                assert_eq!(buffer.as_bytes(), space.key(index), "{index}");
            }
        }
    }

    #[test]
    fn keys_have_the_asked_length_and_parse_back() {
        let keys = KeySpace::new(100, 8);
        assert_eq!(keys.key(42), b"k0000042".to_vec());
        assert_eq!(KeySpace::index_of(b"k0000042"), Some(42));
        assert_eq!(KeySpace::index_of(b"x0000042"), None);
        assert!(keys.key(99) < KeySpace::end());
        assert!(KeySpace::end() < b"recommender".to_vec());
        assert_eq!(KeySpace::min_key_bytes(1), 2);
        assert_eq!(KeySpace::min_key_bytes(10), 2);
        assert_eq!(KeySpace::min_key_bytes(11), 3);
        // Sorting keys sorts indexes: scans see keys in index order.
        assert!(KeySpace::new(11, 6).key(9) < KeySpace::new(11, 6).key(10));
    }

    #[test]
    fn values_carry_their_write_id_and_length() {
        for len in [8u64, 9, 100, 4096] {
            let value = value_for(77, len);
            assert_eq!(value.len() as u64, len);
            assert_eq!(write_id_of(&value), Some(77));
        }
        assert_ne!(value_for(1, 64), value_for(2, 64));
        assert_eq!(write_id_of(b"short"), None);
    }

    #[test]
    fn a_values_pattern_is_xorshift_words_after_its_write_id() {
        // The bytes are part of every run's WAL objects and SSTs: they must not drift.
        let value = value_for(5, 21);
        let mut state = 5u64.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut expected = 5u64.to_le_bytes().to_vec();
        while expected.len() < 21 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let take = (21 - expected.len()).min(8);
            expected.extend_from_slice(&state.to_le_bytes()[..take]);
        }
        assert_eq!(value, expected);
        assert_eq!(value_for(5, 3).len(), 8, "at least the write id");
    }

    #[test]
    fn a_value_written_into_a_used_buffer_is_the_same_as_a_new_one() {
        let mut buffer = Vec::new();
        for (id, len) in [(1u64, 100u64), (2, 21), (3, 3), (4, 4096), (5, 9), (6, 100)] {
            write_value(&mut buffer, id, len);
            assert_eq!(buffer, value_for(id, len), "id {id}, {len} bytes");
        }
    }

    #[test]
    fn the_mix_is_respected_within_sampling_error() {
        let spec = WorkloadSpec {
            mix: OpMix {
                read: 3.0,
                write: 1.0,
                delete: 0.0,
                scan: 0.0,
                batch: 0.0,
                delete_range: 0.0,
            },
            ..WorkloadSpec::default()
        };
        let mut generator = OpGenerator::new(spec, rng());
        let draws = 20_000;
        let reads = (0..draws)
            .filter(|_| generator.next_op().kind == OpKind::Get)
            .count();
        let share = reads as f64 / draws as f64;
        // Binomial sd at n = 20,000, p = 0.75 is about 0.003: allow 5 sd.
        assert!((share - 0.75).abs() < 0.015, "read share {share}");
    }

    #[test]
    fn zipf_keys_are_skewed_and_stay_in_range() {
        let mut sampler = KeySampler::new(KeyDistribution::Zipf { s: 1.2 }, 1000);
        let mut uniform = KeySampler::new(KeyDistribution::Uniform, 1000);
        let mut rng = rng();
        let mut zipf_counts = vec![0u32; 1000];
        let mut uniform_counts = vec![0u32; 1000];
        for _ in 0..20_000 {
            zipf_counts[sampler.sample(&mut rng) as usize] += 1;
            uniform_counts[uniform.sample(&mut rng) as usize] += 1;
        }
        let top = |counts: &mut Vec<u32>| {
            counts.sort_unstable_by(|a, b| b.cmp(a));
            counts[..10].iter().sum::<u32>()
        };
        // The ten hottest Zipf keys take a large share; uniform keys do not.
        assert!(top(&mut zipf_counts) > 8_000);
        assert!(top(&mut uniform_counts) < 1_000);
    }

    #[test]
    fn sequential_keys_wrap_and_batches_and_value_ranges_hold() {
        let mut sampler = KeySampler::new(KeyDistribution::Sequential, 3);
        let mut r = rng();
        let drawn: Vec<u64> = (0..7).map(|_| sampler.sample(&mut r)).collect();
        assert_eq!(drawn, vec![0, 1, 2, 0, 1, 2, 0]);

        let spec = WorkloadSpec {
            mix: OpMix {
                read: 0.0,
                write: 0.0,
                delete: 0.0,
                scan: 0.0,
                batch: 1.0,
                delete_range: 0.0,
            },
            batch_size: 4,
            value_bytes: ValueBytes { min: 10, max: 20 },
            ..WorkloadSpec::default()
        };
        let mut generator = OpGenerator::new(spec, rng());
        for _ in 0..100 {
            let op = generator.next_op();
            assert_eq!(op.kind, OpKind::Batch);
            assert_eq!(op.keys.len(), 4);
            assert!(op.value_bytes.iter().all(|b| (10..=20).contains(b)));
        }
    }

    #[test]
    fn arrivals_average_the_rate_and_zero_rate_pauses() {
        let mut generator = OpGenerator::new(
            WorkloadSpec {
                rate_ops_per_sec: 500.0,
                ..WorkloadSpec::default()
            },
            rng(),
        );
        let n = 10_000;
        let total: f64 = (0..n)
            .map(|_| generator.next_gap().unwrap().as_secs_f64())
            .sum();
        let mean = total / n as f64;
        // Mean gap 2 ms; the sample mean's sd is 2 ms / 100 = 0.02 ms.
        assert!((mean - 0.002).abs() < 0.0001, "mean gap {mean}");
        generator.set_spec(WorkloadSpec {
            rate_ops_per_sec: 0.0,
            ..WorkloadSpec::default()
        });
        assert_eq!(generator.next_gap(), None);
    }

    #[test]
    fn a_range_delete_covers_its_width_of_keys_cut_at_the_end_of_the_key_space() {
        // 100 keys of 3 bytes: "k99" is the last, and "k100" would sort before it.
        let space = KeySpace::new(100, 3);
        assert_eq!(space.range_indexes(10, 5), 10..15);
        assert_eq!(space.range_indexes(97, 5), 97..100);
        let (start, end) = space.byte_range(&(10..15));
        assert_eq!(
            (start.as_slice(), end.as_slice()),
            (&b"k10"[..], &b"k15"[..])
        );
        let (start, end) = space.byte_range(&(97..100));
        assert_eq!((start.as_slice(), end), (&b"k97"[..], KeySpace::end()));
        // Exactly the covered keys fall inside the byte range.
        for indexes in [10..15, 97..100, 0..1] {
            let (start, end) = space.byte_range(&indexes);
            for index in 0..100 {
                let key = space.key(index);
                let inside = start <= key && key < end;
                assert_eq!(inside, indexes.contains(&index), "{index} in {indexes:?}");
            }
        }
    }

    #[test]
    fn range_deletes_are_drawn_by_their_weight_from_one_start_key() {
        let spec = WorkloadSpec {
            mix: OpMix {
                write: 1.0,
                delete_range: 1.0,
                ..OpMix::default()
            },
            ..WorkloadSpec::default()
        };
        let mut generator = OpGenerator::new(spec, rng());
        let ops: Vec<DrawnOp> = (0..2000).map(|_| generator.next_op()).collect();
        let ranges = ops.iter().filter(|op| op.kind == OpKind::DeleteRange);
        assert!(ranges
            .clone()
            .all(|op| op.keys.len() == 1 && op.value_bytes.is_empty()));
        let share = ranges.count() as f64 / ops.len() as f64;
        assert!((share - 0.5).abs() < 0.05, "range delete share {share}");
    }
}
