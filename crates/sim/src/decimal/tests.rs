//! The reader against core's `str::parse::<f64>`: random bit patterns printed every way,
//! random digit strings, exact ties between two floats, the edges of the range.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// What core reads, as this reader answers: a float, or out of range for an infinity.
fn core(text: &str) -> Result<f64, DecimalError> {
    let value: f64 = text.parse().expect("a JSON number core reads");
    if value.is_infinite() {
        Err(DecimalError::OutOfRange)
    } else {
        Ok(value)
    }
}

fn agrees(text: &str) {
    let ours = parse(text).map(f64::to_bits);
    let theirs = core(text).map(f64::to_bits);
    assert_eq!(ours, theirs, "{text}");
}

/// The exact decimal expansion of (2m + 1) × 2^(e - 1): the tie between m × 2^e and
/// (m + 1) × 2^e.
fn tie_text(m: u64, e: i32) -> String {
    let mut n = Big::from_u64(2 * m + 1);
    let e = e - 1;
    let mut digits_exponent = 0i32;
    if e >= 0 {
        n.shl(e.unsigned_abs());
    } else {
        // × 5^k / 10^k.
        for _ in 0..e.unsigned_abs() {
            n.mul_add(5, 0);
        }
        digits_exponent = e;
    }
    format!("{}e{digits_exponent}", n.to_decimal())
}

impl Big {
    fn to_decimal(&self) -> String {
        let mut limbs = self.0.clone();
        let mut chunks = Vec::new();
        while !limbs.is_empty() {
            let mut remainder = 0u64;
            for limb in limbs.iter_mut().rev() {
                let current = (remainder << 32) | u64::from(*limb);
                *limb = (current / 1_000_000_000) as u32;
                remainder = current % 1_000_000_000;
            }
            while limbs.last() == Some(&0) {
                limbs.pop();
            }
            chunks.push(remainder);
        }
        let mut text = chunks.pop().map_or("0".to_string(), |c| c.to_string());
        for chunk in chunks.iter().rev() {
            text.push_str(&format!("{chunk:09}"));
        }
        text
    }
}

#[test]
fn reads_what_core_reads_at_the_edges() {
    for text in [
        "0",
        "-0",
        "0.0",
        "1",
        "-1.5",
        "0.1",
        "0.3",
        "1e23",
        "9007199254740992",
        "9007199254740993",
        "9007199254740995",
        "123456789012345678901234567890",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "1.8e308",
        "1e309",
        "2.2250738585072014e-308",
        "2.2250738585072011e-308",
        "4.9406564584124654e-324",
        "5e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1e-400",
        "0.000000000000000000000000000000000000000000001",
        "1E5",
        "1e+5",
        "1.000000000000000000000000000000000000000000000000000000000000000001",
    ] {
        agrees(text);
    }
}

#[test]
fn refuses_what_json_refuses() {
    for text in [
        "", "-", "+1", ".5", "5.", "01", "1e", "1e+", "0x10", "1 ", " 1", "inf", "NaN", "1.2.3",
        "--1",
    ] {
        assert_eq!(parse(text), Err(DecimalError::Syntax), "{text:?}");
    }
}

#[test]
fn exact_ties_round_to_even_and_a_digit_past_them_rounds_up() {
    let cases: &[(u64, i32)] = &[
        ((1 << 53) - 1, 0),
        (1 << 52, 1),
        (4_503_599_627_370_497, -60),
        (1, -1074),
        (2, -1074),
        ((1 << 52) - 1, -1074),
        ((1 << 53) - 2, 970),
        (6_755_399_441_055_745, -1000),
    ];
    for &(m, e) in cases {
        let tie = tie_text(m, e);
        agrees(&tie);
        // Past MAX_DIGITS digits, the tail breaks the tie.
        let (digits, exponent) = tie.split_once('e').unwrap();
        let exponent: i32 = exponent.parse().unwrap();
        let longer = format!(
            "{digits}{}1e{}",
            "0".repeat(MAX_DIGITS),
            exponent - MAX_DIGITS as i32 - 1
        );
        agrees(&longer);
    }
}

#[test]
fn seeded_random_floats_digits_and_ties_read_as_core_reads_them() {
    // xorshift64*, so the same draws run natively and in wasm32 (proptest is native only).
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut draw = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    for _ in 0..2_000 {
        let value = f64::from_bits(draw());
        if value.is_finite() {
            let precision = (draw() % 40) as usize;
            agrees(&format!("{value:e}"));
            agrees(&format!("{value:.precision$e}"));
            agrees(&format!("{value}"));
        }
        let digits = draw() % 1_000_000_000_000_000_000;
        let exponent = (draw() % 800) as i32 - 400;
        if digits != 0 {
            agrees(&format!("{digits}e{exponent}"));
        }
        let m = (1u64 << 52) | (draw() >> 12);
        let e = (draw() % 2097) as i32 - 1126;
        agrees(&tie_text(m, e));
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn any_float_printed_any_way_reads_back_as_core_reads_it(bits in any::<u64>(), precision in 0usize..40) {
            let value = f64::from_bits(bits);
            prop_assume!(value.is_finite());
            agrees(&format!("{value:e}"));
            agrees(&format!("{value:.precision$e}"));
            agrees(&format!("{value}"));
            prop_assert_eq!(parse(&format!("{value:e}")).map(f64::to_bits), Ok(value.to_bits()));
        }

        #[test]
        fn any_digits_at_any_power_read_as_core_reads_them(
            digits in "[1-9][0-9]{0,40}",
            fraction in proptest::option::of("[0-9]{1,30}"),
            exponent in -400i32..400,
        ) {
            let text = match fraction {
                Some(fraction) => format!("{digits}.{fraction}e{exponent}"),
                None => format!("{digits}e{exponent}"),
            };
            agrees(&text);
        }

        #[test]
        fn ties_between_any_two_floats_read_as_core_reads_them(m in (1u64 << 52)..(1u64 << 53), e in -1126i32..971) {
            agrees(&tie_text(m, e));
        }
    }
}
