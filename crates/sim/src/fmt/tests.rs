//! `fmt` against std's `format!`: the same text for random bit patterns (every exponent,
//! subnormals, whole numbers past 2^53), for numbers of the sizes the page formats, for the
//! ties each side breaks differently and for the special values. The seeded tests run
//! natively and in wasm32; the property tests natively.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn same_as_std(value: f64, fraction_digits: usize) {
    assert_eq!(
        fixed(value, fraction_digits).to_string(),
        format!("{value:.fraction_digits$}"),
        "{{:.{fraction_digits}}} of {:#018x}",
        value.to_bits()
    );
    assert_eq!(
        shortest(value).to_string(),
        format!("{value}"),
        "{{}} of {:#018x}",
        value.to_bits()
    );
}

/// xorshift64: the tests' own stream, so that they need no RNG crate.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn special_values_read_as_std_writes_them() {
    for value in [
        0.0,
        -0.0,
        f64::NAN,
        -f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::from_bits(1),
        f64::from_bits((1 << 52) - 1),
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        1e-300,
        -0.04,
        -0.5,
        0.5,
        1.5,
        2.5,
        0.125,
        0.375,
        9.995,
        99.95,
        999.5,
        1e15,
        1e16,
        1e21,
        1e22,
        1e23,
        123_456_789_012_345_680.0,
    ] {
        for fraction_digits in 0..=30 {
            same_as_std(value, fraction_digits);
        }
    }
    assert_eq!(fixed(-0.0, 1).to_string(), "-0.0");
    assert_eq!(fixed(2.5, 0).to_string(), "2");
    assert_eq!(fixed(3.5, 0).to_string(), "4");
    assert_eq!(fixed(0.125, 2).to_string(), "0.12");
    assert_eq!(shortest(1e21).to_string(), "1000000000000000000000");
    assert_eq!(shortest(1.0).to_string(), "1");
}

#[test]
fn random_bits_read_as_std_writes_them() {
    let mut state = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..20_000 {
        let bits = next(&mut state);
        same_as_std(f64::from_bits(bits), (bits % 24) as usize);
    }
}

#[test]
fn page_sized_numbers_read_as_std_writes_them() {
    // Coordinates, percentages, milliseconds, dollars and rates: a mantissa of a few decimal
    // digits over a few powers of ten, the decimals that are not exact in binary, and their
    // neighbours one unit in the last place away.
    let mut state = 0x2545_F491_4F6C_DD1D;
    for _ in 0..20_000 {
        let draw = next(&mut state);
        let digits = (draw % 1_000_000) as f64;
        let scale =
            [1.0, 0.1, 0.01, 0.001, 1e-4, 1e-6, 1e-9, 1e-12, 10.0, 1e4][(draw >> 20) as usize % 10];
        let base = digits * scale;
        let sign = if draw >> 63 == 1 { -1.0 } else { 1.0 };
        for value in [
            base,
            f64::from_bits(base.to_bits() + 1),
            f64::from_bits(base.to_bits().saturating_sub(1)),
        ] {
            same_as_std(sign * value, (draw >> 40) as usize % 8);
        }
    }
}

#[test]
fn ties_break_as_std_breaks_them() {
    // Few significant bits: exact halves at many decimal places, where `{:.N}` rounds half
    // to even, and floats near 2^50 exactly halfway between two shortest candidates, where
    // `zmij` picks the even one and std the upper one.
    let mut state = 0xD1B5_4A32_D192_ED03;
    for _ in 0..20_000 {
        let draw = next(&mut state);
        let mantissa = (draw >> 44) | 1;
        let exponent = (draw % 80) as i32 - 60;
        let power_of_two = f64::from_bits(((1023 + exponent) as u64) << 52);
        let value = mantissa as f64 * power_of_two;
        same_as_std(value, (draw >> 20) as usize % 20);
        let near_2_50 = f64::from_bits((draw >> 12) | ((1023 + 46 + (draw % 8)) << 52));
        same_as_std(near_2_50, 2);
    }
    assert_eq!(
        shortest(1_759_298_483_148_535.0 + 0.25).to_string(),
        "1759298483148535.3"
    );
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::same_as_std;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4_000, ..ProptestConfig::default() })]

        #[test]
        fn any_bits(bits in any::<u64>(), fraction_digits in 0usize..40) {
            same_as_std(f64::from_bits(bits), fraction_digits);
        }

        #[test]
        fn page_ranges(value in -1e7f64..1e7, fraction_digits in 0usize..8) {
            same_as_std(value, fraction_digits);
        }

        #[test]
        fn small_magnitudes(value in -1e-3f64..1e-3, fraction_digits in 0usize..16) {
            same_as_std(value, fraction_digits);
        }
    }
}

#[test]
fn json_numbers_read_as_serde_json_writes_them() {
    let mut state = 0x9e37_79b9_7f4a_7c15;
    let mut floats = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        2.5e-7,
        1e21,
        1e16,
        f64::MAX,
        f64::MIN_POSITIVE,
    ];
    floats.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 5e-324]);
    for _ in 0..2000 {
        floats.push(f64::from_bits(next(&mut state)));
    }
    for value in floats {
        let mut ours = String::new();
        push_json_f64(&mut ours, value);
        let theirs = match serde_json::Number::from_f64(value) {
            Some(number) => {
                assert_eq!(json_number(&number).to_string(), number.to_string());
                number.to_string()
            }
            None => "null".to_string(),
        };
        assert_eq!(ours, theirs, "{:#018x}", value.to_bits());
    }
    let mut wholes: Vec<i128> = vec![0, 1, -1, i64::MIN.into(), i64::MAX.into(), u64::MAX.into()];
    for _ in 0..2000 {
        let bits = next(&mut state);
        wholes.push(bits.into());
        wholes.push((bits as i64).into());
    }
    for whole in wholes {
        let number = match u64::try_from(whole) {
            Ok(whole) => serde_json::Number::from(whole),
            Err(_) => serde_json::Number::from(i64::try_from(whole).unwrap()),
        };
        assert_eq!(
            json_number(&number).to_string(),
            number.to_string(),
            "{whole}"
        );
    }
}

#[test]
fn join_is_std_s_join() {
    let lists: [&[&str]; 5] = [&[], &[""], &["a"], &["a", "", "b"], &["ünï", "côdé", "x y"]];
    for items in lists {
        for separator in ["", ", ", "&"] {
            assert_eq!(join(items, separator), items.join(separator));
        }
    }
}

#[test]
fn a_name_is_found_at_its_first_place_and_others_are_not() {
    let names = ["put", "get", "", "get", "scan"];
    assert_eq!(index_of_name(&names, "put"), Some(0));
    assert_eq!(index_of_name(&names, "get"), Some(1));
    assert_eq!(index_of_name(&names, ""), Some(2));
    assert_eq!(index_of_name(&names, "scan"), Some(4));
    assert_eq!(index_of_name(&names, "Get"), None);
    assert_eq!(index_of_name(&names, "gets"), None);
    assert_eq!(index_of_name(&[], "put"), None);
}
