//! The numbers in the store's object keys that the explain fold follows: a WAL object's id
//! and an SST's.

/// The id in an object key `…{dir}{20 digits}{extension}`.
///
/// The last `dir` is found by comparing bytes backwards rather than with `str::rfind`, whose
/// substring searcher the playground's wasm would otherwise carry for this alone. A match of
/// `dir`'s UTF-8 bytes starts and ends on character boundaries, so the slice is whole text.
pub(super) fn object_id(key: &str, dir: &str, extension: &str) -> Option<u64> {
    let last = key.len().checked_sub(dir.len())?;
    let found = (0..=last)
        .rev()
        .find(|&at| key.as_bytes()[at..].starts_with(dir.as_bytes()))?;
    let digits = key.get(found + dir.len()..)?.strip_suffix(extension)?;
    if digits.is_empty() {
        return None;
    }
    // Read digit by digit rather than by `str::parse`, which the page has inlined elsewhere:
    // this was the only caller of `u64::from_str_radix`'s own copy. `None` past `u64::MAX`.
    digits.bytes().try_fold(0u64, |value, b| {
        if !b.is_ascii_digit() {
            return None;
        }
        value.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}
