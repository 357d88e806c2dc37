//! A JSON number's text read as the nearest `f64` (ties to even), as `str::parse::<f64>`
//! reads it, without a table of powers: core's parser and serde_json's `float_roundtrip`
//! reader each carry one, incompressible. With [`crate::json::read`], which reads every JSON
//! number through here, serde_json's exact reader left the playground's download: 10,804 B
//! gzip (docs/ui.md, the bundle's cuts table).
//!
//! Short numbers (at most 15 significant digits, a power of ten within ±22: every number a
//! person types and most the writers print) are exact in one f64 multiplication or division,
//! both factors being exact. Anything else goes through big-integer arithmetic: the digits as
//! an integer `D` and the power `10^e`, their product or quotient cut to 64 significant bits
//! with a sticky bit for what was cut, then rounded once to the float's 53. Slow, but only
//! for long numbers, and exact.
//!
//! The grammar is JSON's (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`). At most
//! [`MAX_DIGITS`] significant digits are used; any digit after them only breaks a tie
//! upwards, which is all it can change.

/// Significant digits used: more cannot move the result except to break an exact tie, since
/// a tie between two floats has at most 767 significant digits.
pub const MAX_DIGITS: usize = 800;

/// Why a text is not a number this reader takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalError {
    /// Not a JSON number.
    Syntax,
    /// Larger than the largest finite float.
    OutOfRange,
}

impl std::fmt::Display for DecimalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DecimalError::Syntax => "not a number",
            DecimalError::OutOfRange => "a number out of the range of a float",
        })
    }
}

/// `text` as the nearest float. See the module's header.
pub fn parse(text: &str) -> Result<f64, DecimalError> {
    let bytes = text.as_bytes();
    let (negative, mut at) = match bytes.first() {
        Some(b'-') => (true, 1),
        _ => (false, 0),
    };
    let sign = |magnitude: f64| if negative { -magnitude } else { magnitude };
    // Significant digits (from the first non-zero one), and the power of ten of the last.
    let mut digits: Vec<u8> = Vec::new();
    let mut tail_nonzero = false;
    let mut exponent: i64 = 0;
    let integer_start = at;
    at = take_digits(
        bytes,
        at,
        false,
        &mut digits,
        &mut tail_nonzero,
        &mut exponent,
    );
    let integer_digits = at - integer_start;
    if integer_digits == 0 || (integer_digits > 1 && bytes[integer_start] == b'0') {
        return Err(DecimalError::Syntax);
    }
    if bytes.get(at) == Some(&b'.') {
        let fraction_start = at + 1;
        at = take_digits(
            bytes,
            fraction_start,
            true,
            &mut digits,
            &mut tail_nonzero,
            &mut exponent,
        );
        if at == fraction_start {
            return Err(DecimalError::Syntax);
        }
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        let exponent_negative = match bytes.get(at) {
            Some(b'-') => {
                at += 1;
                true
            }
            Some(b'+') => {
                at += 1;
                false
            }
            _ => false,
        };
        let start = at;
        let mut written: i64 = 0;
        while let Some(&b) = bytes.get(at).filter(|b| b.is_ascii_digit()) {
            written = written
                .saturating_mul(10)
                .saturating_add(i64::from(b - b'0'));
            at += 1;
        }
        if at == start {
            return Err(DecimalError::Syntax);
        }
        exponent = exponent.saturating_add(if exponent_negative { -written } else { written });
    }
    if at != bytes.len() {
        return Err(DecimalError::Syntax);
    }
    // Trailing zeros moved into the exponent.
    while digits.last() == Some(&0) {
        digits.pop();
        exponent = exponent.saturating_add(1);
    }
    if digits.is_empty() {
        return Ok(sign(0.0));
    }
    // The value is 0.d₁d₂… × 10^(exponent + digits): out of range on either side well
    // before these bounds.
    let leading = exponent.saturating_add(digits.len() as i64);
    if leading > 310 {
        return Err(DecimalError::OutOfRange);
    }
    if leading < -330 {
        return Ok(sign(0.0));
    }
    let exponent = exponent as i32;
    if digits.len() <= 15 && !tail_nonzero && (-22..=22).contains(&exponent) {
        let integer = digits.iter().fold(0u64, |n, &d| n * 10 + u64::from(d)) as f64;
        let scale = (0..exponent.unsigned_abs()).fold(1.0f64, |p, _| p * 10.0);
        let magnitude = if exponent < 0 {
            integer / scale
        } else {
            integer * scale
        };
        return Ok(sign(magnitude));
    }
    slow(&digits, exponent, tail_nonzero)
        .map(sign)
        .ok_or(DecimalError::OutOfRange)
}

/// Takes the run of digits at `at` and returns where it ends: leading zeros only move the
/// exponent (in the fraction), digits past [`MAX_DIGITS`] only mark the tail.
fn take_digits(
    bytes: &[u8],
    mut at: usize,
    in_fraction: bool,
    digits: &mut Vec<u8>,
    tail_nonzero: &mut bool,
    exponent: &mut i64,
) -> usize {
    while let Some(&b) = bytes.get(at).filter(|b| b.is_ascii_digit()) {
        at += 1;
        let digit = b - b'0';
        if digits.is_empty() && digit == 0 {
            if in_fraction {
                *exponent -= 1;
            }
        } else if digits.len() < MAX_DIGITS {
            digits.push(digit);
            if in_fraction {
                *exponent -= 1;
            }
        } else {
            *tail_nonzero |= digit != 0;
            if !in_fraction {
                *exponent += 1;
            }
        }
    }
    at
}

/// D × 10^exponent, rounded once; `None` past the largest float.
fn slow(digits: &[u8], exponent: i32, tail_nonzero: bool) -> Option<f64> {
    let mut d = Big::from_digits(digits);
    if exponent >= 0 {
        d.mul_pow10(exponent.unsigned_abs());
        let (top, shift, sticky) = d.top64();
        round(top, shift, sticky || tail_nonzero)
    } else {
        let mut p = Big::from_u64(1);
        p.mul_pow10(exponent.unsigned_abs());
        // A quotient of 65 or 66 bits: D shifted left (or 10^-e shifted left) so that it is.
        let t = d.bits() as i32 - p.bits() as i32 - 65;
        if t >= 0 {
            p.shl(t.unsigned_abs());
        } else {
            d.shl(t.unsigned_abs());
        }
        let (q, remainder_nonzero) = d.div_small_quotient(&p);
        let zeros = q.leading_zeros();
        let top = (q << zeros >> 64) as u64;
        let cut = (q << zeros) as u64 != 0;
        round(
            top,
            t + 64 - zeros as i32,
            cut || remainder_nonzero || tail_nonzero,
        )
    }
}

/// The float nearest `top × 2^shift` (`top` with its highest bit set), `sticky` saying that
/// the true value is a little more than that; `None` past the largest float.
fn round(top: u64, shift: i32, sticky: bool) -> Option<f64> {
    debug_assert!(top >> 63 == 1);
    // The power of two of the leading bit.
    let leading = shift + 63;
    // Bits of `top` below the float's last place: 11 for a normal float, more below 2^-1022.
    let dropped = if leading >= -1022 {
        11
    } else {
        11 + (-1022 - leading)
    };
    if dropped > 64 {
        return Some(0.0);
    }
    let (kept, rest, half) = if dropped == 64 {
        (0, top, 1u64 << 63)
    } else {
        (
            top >> dropped,
            top & ((1u64 << dropped) - 1),
            1u64 << (dropped - 1),
        )
    };
    let up = rest > half || (rest == half && (sticky || kept & 1 == 1));
    let mantissa = kept + u64::from(up);
    if leading < -1022 {
        // Subnormal: a mantissa that rounded up to 2^52 is the smallest normal, which the
        // same bits say.
        return Some(f64::from_bits(mantissa));
    }
    let (mantissa, leading) = if mantissa == 1 << 53 {
        (mantissa >> 1, leading + 1)
    } else {
        (mantissa, leading)
    };
    if leading > 1023 {
        return None;
    }
    let biased = (leading + 1023) as u64;
    Some(f64::from_bits(
        (biased << 52) | (mantissa & ((1 << 52) - 1)),
    ))
}

/// An unsigned integer in base-2³² limbs, least significant first, no leading zero limb.
#[derive(Clone, Debug, PartialEq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(n: u64) -> Big {
        let mut big = Big(vec![n as u32, (n >> 32) as u32]);
        big.trim();
        big
    }

    fn from_digits(digits: &[u8]) -> Big {
        let mut big = Big(Vec::with_capacity(digits.len() / 9 + 1));
        for chunk in digits.chunks(9) {
            let value = chunk.iter().fold(0u32, |n, &d| n * 10 + u32::from(d));
            big.mul_add(10u32.pow(chunk.len() as u32), value);
        }
        big
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// self × factor + add.
    fn mul_add(&mut self, factor: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow10(&mut self, mut power: u32) {
        while power >= 9 {
            self.mul_add(1_000_000_000, 0);
            power -= 9;
        }
        if power > 0 {
            self.mul_add(10u32.pow(power), 0);
        }
    }

    fn bits(&self) -> u32 {
        match self.0.last() {
            Some(&top) => self.0.len() as u32 * 32 - top.leading_zeros(),
            None => 0,
        }
    }

    fn shl(&mut self, bits: u32) {
        let (limbs, bits) = ((bits / 32) as usize, bits % 32);
        if bits > 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, limbs));
    }

    fn shr1(&mut self) {
        let mut carry = 0u32;
        for limb in self.0.iter_mut().rev() {
            let next = *limb << 31;
            *limb = (*limb >> 1) | carry;
            carry = next;
        }
        self.trim();
    }

    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let difference =
                i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            *limb = difference as u32;
            borrow = i64::from(difference < 0);
        }
        debug_assert_eq!(borrow, 0, "subtracted a larger number");
        self.trim();
    }

    fn cmp(&self, other: &Big) -> std::cmp::Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// The 64 bits from the highest set one, the power of two of the lowest of them, and
    /// whether any bit below them is set.
    fn top64(&self) -> (u64, i32, bool) {
        let bits = self.bits();
        let mut value = 0u128;
        // The three highest limbs hold the top 64 bits.
        for limb in self.0.iter().rev().take(3) {
            value = (value << 32) | u128::from(*limb);
        }
        let lower_limbs = self.0.len().saturating_sub(3);
        let value_bits = bits - lower_limbs as u32 * 32;
        let (top, cut_in_value) = if value_bits >= 64 {
            let extra = value_bits - 64;
            ((value >> extra) as u64, value & ((1u128 << extra) - 1) != 0)
        } else {
            ((value << (64 - value_bits)) as u64, false)
        };
        let sticky = cut_in_value || self.0[..lower_limbs].iter().any(|&l| l != 0);
        (top, bits as i32 - 64, sticky)
    }

    /// self / divisor when the quotient has at most 127 bits, and whether a remainder is
    /// left (shift and subtract: the slow path's quotients have 65 or 66 bits).
    fn div_small_quotient(&self, divisor: &Big) -> (u128, bool) {
        let mut remainder = self.clone();
        let steps = (self.bits() + 1).saturating_sub(divisor.bits());
        debug_assert!(steps <= 127);
        let mut shifted = divisor.clone();
        shifted.shl(steps);
        let mut quotient = 0u128;
        for step in (0..=steps).rev() {
            if remainder.cmp(&shifted) != std::cmp::Ordering::Less {
                remainder.sub_assign(&shifted);
                quotient |= 1 << step;
            }
            shifted.shr1();
        }
        (quotient, !remainder.0.is_empty())
    }
}

#[cfg(test)]
mod tests;
