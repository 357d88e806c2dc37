//! Floats as text, the same text as `format!("{:.N}")` and `format!("{}")`, without core's
//! float formatting: `<f64 as Display>::fmt` brings Grisu and Dragon (exact and shortest, with
//! their big-number arithmetic) into the playground's wasm, about 20 KB raw and 7 KB gzip
//! (docs/ui.md, *What is left*), for every crate that formats an `f64` with `{}`.
//!
//! - [`fixed`] (`{:.N}`): the exact decimal expansion of the float (a float is a dyadic
//!   rational, so it has one), rounded to `N` fraction digits half to even, as std rounds.
//!   The expansion is computed in base-10⁹ limbs, so it is exact for every `f64` and any `N`:
//!   no range to fall out of.
//! - [`shortest`] (`{}`): the shortest digits that read back as the same float, from the
//!   `zmij` crate (which serde_json uses, so the page carries it already), laid out as std
//!   lays them out: no exponent, no `.0` on whole numbers. When two shortest candidates are
//!   equally near the float, `zmij` picks the even one and std the upper one; that tie is
//!   detected exactly and resolved as std does.
//!
//! Both print `NaN`, `inf` and `-inf` as std does, and the sign of negative zero and of
//! negatives that round to zero (`-0.0`). The tests compare the text with std's `format!`
//! for random bit patterns and for the values the page formats, natively and in wasm32.
//!
//! Width, fill and alignment flags are not supported: a [`Fixed`] or [`Shortest`] writes its
//! text as is.

use std::fmt;

/// Formats as `{:.N}` does: `format!("{}", fixed(x, 2)) == format!("{x:.2}")`.
pub fn fixed(value: f64, fraction_digits: usize) -> Fixed {
    Fixed {
        value,
        fraction_digits,
    }
}

/// Formats as `{}` does: `format!("{}", shortest(x)) == format!("{x}")`.
pub fn shortest(value: f64) -> Shortest {
    Shortest(value)
}

/// A float with a fixed number of fraction digits; see [`fixed`].
#[derive(Clone, Copy, Debug)]
pub struct Fixed {
    value: f64,
    fraction_digits: usize,
}

/// A float in its shortest round-trip form; see [`shortest`].
#[derive(Clone, Copy, Debug)]
pub struct Shortest(pub f64);

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        push_fixed(&mut text, self.value, self.fraction_digits);
        f.write_str(&text)
    }
}

impl fmt::Display for Shortest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        push_shortest(&mut text, self.0);
        f.write_str(&text)
    }
}

/// Formats a JSON number as serde_json's `Display` of `Number` does: an integer's digits, a
/// float's shortest round-trip form by `zmij` (`1.0`, `2.5e-7`, `1e21`).
///
/// Why not that `Display`: it writes a negative integer through `itoa`'s `i64` path, which the
/// page has for nothing else, and each crate reached it through `Number::from_f64` for its
/// floats; with this and [`push_json_f64`] it leaves the wasm (docs/ui.md's cuts table has the
/// saving). The tests compare both with serde_json's text.
pub fn json_number(number: &serde_json::Number) -> JsonNumber<'_> {
    JsonNumber(number)
}

/// A JSON number as serde_json writes it; see [`json_number`].
#[derive(Clone, Copy, Debug)]
pub struct JsonNumber<'a>(&'a serde_json::Number);

impl fmt::Display for JsonNumber<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(whole) = self.0.as_u64() {
            fmt::Display::fmt(&whole, f)
        } else if let Some(whole) = self.0.as_i64() {
            fmt::Display::fmt(&whole, f)
        } else {
            // A `Number` holds only finite floats, so `format_finite` is the whole story.
            let value = self.0.as_f64().unwrap_or(0.0);
            f.write_str(zmij::Buffer::new().format_finite(value))
        }
    }
}

/// `items` with `separator` between them, as `[&str]::join` gives them. A loop of its own:
/// the page joins `String`s elsewhere, and `join` of `&str`s was a second copy of core's
/// joining code (1.1 KB raw) for its few callers (the lists of names in messages).
pub fn join(items: &[&str], separator: &str) -> String {
    let mut out = String::new();
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push_str(separator);
        }
        out.push_str(item);
    }
    out
}

/// Where `name` is among `names`: one search for every table of names (the scenario's named
/// enums and unit variants, the policies), not a `find` over each enum's variants, which
/// was an instance of its own for each in the page.
#[inline(never)]
pub fn index_of_name(names: &[&str], name: &str) -> Option<usize> {
    names.iter().position(|known| *known == name)
}

/// Appends `value` as serde_json writes an `f64`: its shortest round-trip form as
/// [`json_number`] writes a float, or `null` when it is not finite.
pub fn push_json_f64(out: &mut String, value: f64) {
    if value.is_finite() {
        out.push_str(zmij::Buffer::new().format_finite(value));
    } else {
        out.push_str("null");
    }
}

/// Appends `value` with `fraction_digits` digits after the point, as `{:.N}` writes it.
pub fn push_fixed(out: &mut String, value: f64, fraction_digits: usize) {
    if push_sign_or_special(out, value) {
        return;
    }
    let (mantissa, exponent) = decompose(value);
    let (mut digits, fraction) = exact_digits(mantissa, exponent);
    if fraction > fraction_digits {
        // Drop the digits beyond the precision, rounding half to even on the exact value.
        let dropped = fraction - fraction_digits;
        let keep = digits.len().saturating_sub(dropped);
        // With fewer digits than are dropped, the value is below a tenth of the last kept
        // place (or zero), so it rounds down.
        let round_up = digits.len() >= dropped && {
            let first = digits[keep];
            let rest_nonzero = digits[keep + 1..].iter().any(|&d| d != b'0');
            let last_kept_odd = keep > 0 && (digits[keep - 1] - b'0') % 2 == 1;
            first > b'5' || (first == b'5' && (rest_nonzero || last_kept_odd))
        };
        digits.truncate(keep);
        if round_up {
            increment(&mut digits);
        }
    } else {
        digits.resize(digits.len() + (fraction_digits - fraction), b'0');
    }
    // `digits` is now the value times 10^fraction_digits, without leading zeros.
    let whole = digits.len().saturating_sub(fraction_digits);
    if whole == 0 {
        out.push('0');
    } else {
        push_ascii(out, &digits[..whole]);
    }
    if fraction_digits > 0 {
        out.push('.');
        for _ in digits.len()..fraction_digits {
            out.push('0');
        }
        push_ascii(out, &digits[whole..]);
    }
}

/// Appends `value` in the shortest form that reads back as the same float, as `{}` writes it.
pub fn push_shortest(out: &mut String, value: f64) {
    if push_sign_or_special(out, value) {
        return;
    }
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(value.abs());
    // zmij writes `1.5`, `0.001`, `1e+16` or `1.234e-7`: collect the significant digits and
    // the count of digits before the point (`point`, which may be zero, negative or past the
    // last digit).
    let (mantissa_text, exponent) = match text.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, parse_exponent(exponent)),
        None => (text, 0),
    };
    let mut digits: Vec<u8> = Vec::with_capacity(20);
    let mut point = exponent;
    let mut seen_point = false;
    for &byte in mantissa_text.as_bytes() {
        match byte {
            b'.' => seen_point = true,
            b'0' if digits.is_empty() => {
                if seen_point {
                    point -= 1;
                }
            }
            digit => {
                digits.push(digit);
                if !seen_point {
                    point += 1;
                }
            }
        }
    }
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        out.push('0');
        return;
    }
    if is_tie_rounded_to_even(value, &digits, point) {
        // Std keeps the upper of two equally near shortest candidates.
        if increment(&mut digits) {
            point += 1;
        }
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
    }
    let length = digits.len() as i32;
    if point <= 0 {
        out.push_str("0.");
        for _ in point..0 {
            out.push('0');
        }
        push_ascii(out, &digits);
    } else if point >= length {
        push_ascii(out, &digits);
        for _ in length..point {
            out.push('0');
        }
    } else {
        let (whole, fraction) = digits.split_at(point as usize);
        push_ascii(out, whole);
        out.push('.');
        push_ascii(out, fraction);
    }
}

/// Whether `digits` (with `point` digits before the decimal point) came from a tie broken
/// towards an even last digit: the float is exactly halfway between them and the next
/// candidate up, so its exact expansion is `digits` followed by one `5`.
fn is_tie_rounded_to_even(value: f64, digits: &[u8], point: i32) -> bool {
    let last_even = digits.last().is_some_and(|d| (d - b'0').is_multiple_of(2));
    if !last_even {
        return false;
    }
    let (mut mantissa, mut exponent) = decompose(value);
    let zeros = mantissa.trailing_zeros();
    mantissa >>= zeros;
    exponent += zeros as i32;
    // With an odd mantissa, an exact expansion of at most 18 significant digits (the most a
    // tie of 17 shortest digits can have) needs 5^-exponent below 10^18 for a fraction, or,
    // for a whole number ending in 5 and then `exponent` zeros, 5^exponent dividing the
    // mantissa (below 2^53). Outside that window no float is a tie; skip the work.
    if !(-26..=22).contains(&exponent) {
        return false;
    }
    let (mut exact, fraction) = exact_digits(mantissa, exponent);
    let exact_point = exact.len() as i32 - fraction as i32;
    while exact.last() == Some(&b'0') {
        exact.pop();
    }
    exact_point == point
        && exact.len() == digits.len() + 1
        && exact.last() == Some(&b'5')
        && exact[..digits.len()] == *digits
}

/// Writes the sign of a negative value (negative zero included), then `NaN` or `inf` when the
/// value is not finite; returns whether that was the whole text.
fn push_sign_or_special(out: &mut String, value: f64) -> bool {
    if value.is_nan() {
        out.push_str("NaN");
        return true;
    }
    if value.is_sign_negative() {
        out.push('-');
    }
    if value.is_infinite() {
        out.push_str("inf");
        return true;
    }
    false
}

/// The magnitude of a finite float as `mantissa · 2^exponent`.
fn decompose(value: f64) -> (u64, i32) {
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    }
}

/// The exact decimal digits of `mantissa · 2^exponent`, without leading zeros (none for
/// zero), and how many of them are after the point: for a negative exponent the value is
/// `mantissa · 5^-exponent / 10^-exponent`. Computed in base-10⁹ limbs, least significant
/// first; at most 2^53 · 5^1074, about 770 digits.
fn exact_digits(mantissa: u64, exponent: i32) -> (Vec<u8>, usize) {
    const BASE: u64 = 1_000_000_000;
    let mut limbs: Vec<u32> = vec![(mantissa % BASE) as u32, (mantissa / BASE) as u32];
    // Multiply by 2^30 or 5^13 at a time: a limb times the factor plus a carry fits a u64.
    let (base, per_step): (u32, u32) = if exponent >= 0 { (2, 30) } else { (5, 13) };
    let mut remaining = exponent.unsigned_abs();
    while remaining > 0 {
        let step = remaining.min(per_step);
        let factor = u64::from(base.pow(step));
        let mut carry = 0u64;
        for limb in &mut limbs {
            let product = u64::from(*limb) * factor + carry;
            *limb = (product % BASE) as u32;
            carry = product / BASE;
        }
        while carry > 0 {
            limbs.push((carry % BASE) as u32);
            carry /= BASE;
        }
        remaining -= step;
    }
    let mut digits = Vec::with_capacity(limbs.len() * 9);
    for &limb in limbs.iter().rev() {
        let mut nine = [b'0'; 9];
        let mut rest = limb;
        for digit in nine.iter_mut().rev() {
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        digits.extend_from_slice(&nine);
    }
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..leading);
    let fraction = if exponent < 0 {
        exponent.unsigned_abs() as usize
    } else {
        0
    };
    (digits, fraction)
}

/// Adds one to the last digit, carrying; returns whether a digit was added in front (999 → 1000).
fn increment(digits: &mut Vec<u8>) -> bool {
    for digit in digits.iter_mut().rev() {
        if *digit == b'9' {
            *digit = b'0';
        } else {
            *digit += 1;
            return false;
        }
    }
    digits.insert(0, b'1');
    true
}

/// zmij's exponent: `+16`, `-7`, `308`.
fn parse_exponent(text: &str) -> i32 {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = digits
        .bytes()
        .fold(0i32, |sum, d| sum * 10 + i32::from(d - b'0'));
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

fn push_ascii(out: &mut String, digits: &[u8]) {
    out.extend(digits.iter().map(|&d| char::from(d)));
}

#[cfg(test)]
mod tests;
