//! Number formatting for people: speeds, bytes, dollars, durations and counts, written the
//! same way in every panel so that figures read alike from the back of a room.
//!
//! Floats become text through `strata_sim::fmt` (`fixed` writes what `{:.N}` writes), never
//! through `format!("{x:.1}")` or `{}` of an `f64`: those bring core's float formatting, Grisu
//! and Dragon, into the page's wasm (docs/ui.md, the cuts table).

use strata_sim::fmt::fixed;
use strata_sim::SimTime;

/// "`before``number``after`", the number as it is: "SST #12", "+3 more". One function for the
/// views' many labels of that form, rather than a `format!` at each.
pub fn counted(before: &str, number: u64, after: &str) -> String {
    format!("{before}{number}{after}")
}

/// `name` with each `_` as `with`: a fault's kind as words (`bit flip`) or as an id's part
/// (`bit-flip`). What `name.replace('_', …)` gives, without `str::replace`'s code (its ASCII
/// path's byte map and collect), which the page had for these three calls only (docs/ui.md's
/// cuts table has the saving).
pub fn underscores_as(name: &str, with: char) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        out.push(if c == '_' { with } else { c });
    }
    out
}

/// Groups the digits of a whole number with commas: 10000 → "10,000".
pub fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats a speed multiplier: 0.1×, 3.2×, 150×, 10,000×.
pub fn speed(multiplier: f64) -> String {
    if !multiplier.is_finite() || multiplier < 0.0 {
        return "–".to_string();
    }
    if multiplier < 10.0 {
        format!("{}×", fixed(multiplier, 1))
    } else {
        format!("{}×", grouped(multiplier.round() as u64))
    }
}

/// Formats a byte count with binary units: 512 B, 4.0 KiB, 1.5 MiB, 2.00 GiB.
pub fn bytes(value: u64) -> String {
    const KIB: f64 = 1024.0;
    let v = value as f64;
    if v < KIB {
        format!("{value} B")
    } else if v < KIB * KIB {
        format!("{} KiB", fixed(v / KIB, 1))
    } else if v < KIB * KIB * KIB {
        format!("{} MiB", fixed(v / (KIB * KIB), 1))
    } else {
        format!("{} GiB", fixed(v / (KIB * KIB * KIB), 2))
    }
}

/// Formats dollars with enough digits to see small amounts: $0.000004, $0.0123, $12.34,
/// $1,234.
pub fn usd(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    let magnitude = value.abs();
    if magnitude == 0.0 {
        "$0".to_string()
    } else if magnitude < 0.01 {
        // Two significant digits below a cent.
        let digits = (-log10(magnitude)).ceil() as usize + 1;
        format!("${}", fixed(value, digits))
    } else if magnitude < 1000.0 {
        format!("${}", fixed(value, 2))
    } else {
        format!("${}", grouped(value.round() as u64))
    }
}

/// Picodollars (1e-12 USD) to dollars.
pub fn picousd_to_usd(picousd: u64) -> f64 {
    picousd as f64 * 1e-12
}

/// Formats milliseconds: 0.42 ms, 12.3 ms, 1.25 s.
pub fn millis(value_ms: f64) -> String {
    if !value_ms.is_finite() {
        return "–".to_string();
    }
    if value_ms < 10.0 {
        format!("{} ms", fixed(value_ms, 2))
    } else if value_ms < 1000.0 {
        format!("{} ms", fixed(value_ms, 1))
    } else {
        format!("{} s", fixed(value_ms / 1000.0, 2))
    }
}

/// Formats a simulated instant as seconds with millisecond precision: "12.345 s".
pub fn sim_time(at: SimTime) -> String {
    format!("{} s", fixed(at.as_secs_f64(), 3))
}

/// A ratio as a percentage with one decimal: 0.1234 → "12.3%".
pub fn percent(ratio: f64) -> String {
    if !ratio.is_finite() {
        return "–".to_string();
    }
    format!("{}%", fixed(ratio * 100.0, 1))
}

/// A number with a sensible number of decimals for display (3 significant digits or so).
pub fn decimal(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    let magnitude = value.abs();
    if magnitude >= 1000.0 {
        grouped_signed(value.round() as i64)
    } else {
        let fraction_digits = if magnitude >= 100.0 {
            0
        } else if magnitude >= 10.0 {
            1
        } else if magnitude >= 1.0 {
            2
        } else {
            3
        };
        fixed(value, fraction_digits).to_string()
    }
}

fn grouped_signed(value: i64) -> String {
    if value < 0 {
        format!("-{}", grouped(value.unsigned_abs()))
    } else {
        grouped(value as u64)
    }
}

/// 10^x through the shared math module (one rounding rule natively and in wasm32).
pub fn pow10(exponent: f64) -> f64 {
    strata_sim::math::powf(10.0, exponent)
}

/// log10(x) through the shared math module.
pub fn log10(value: f64) -> f64 {
    strata_sim::math::log10(value)
}

/// Parses a decimal number exactly as `str::parse::<f64>` does (same grammar, same correctly
/// rounded value), without core's float parser: its 10 KB table of powers of five is
/// incompressible and cost the playground's download about 10 KB gzip. Every number typed
/// into the page goes through here.
///
/// Short inputs (at most 2^53 in their digits, exponent within ±22: every value a person
/// types) are exact in one f64 multiplication or division. Anything longer goes to the
/// browser's `parseFloat` (also correctly rounded), natively to core.
pub fn parse_f64(text: &str) -> Option<f64> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let sign = |value: f64| if negative { -value } else { value };
    if unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity") {
        return Some(sign(f64::INFINITY));
    }
    if unsigned.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    let bytes = unsigned.as_bytes();
    let mut at = 0;
    // Significant digits (leading zeros skipped) while they fit exactly; `exact` turns false
    // when a digit could not be kept.
    let mut mantissa: u64 = 0;
    let mut exact = true;
    let mut digits = 0usize;
    let mut exponent: i64 = 0;
    let mut in_fraction = false;
    while at < bytes.len() {
        match bytes[at] {
            b'0'..=b'9' => {
                let digit = u64::from(bytes[at] - b'0');
                digits += 1;
                if in_fraction {
                    exponent -= 1;
                }
                match mantissa.checked_mul(10).and_then(|m| m.checked_add(digit)) {
                    Some(m) if m <= MAX_EXACT_MANTISSA => mantissa = m,
                    _ => exact = false,
                }
            }
            b'.' if !in_fraction => in_fraction = true,
            _ => break,
        }
        at += 1;
    }
    if digits == 0 {
        return None;
    }
    if at < bytes.len() {
        if !matches!(bytes[at], b'e' | b'E') {
            return None;
        }
        at += 1;
        let (exponent_negative, start) = match bytes.get(at) {
            Some(b'-') => (true, at + 1),
            Some(b'+') => (false, at + 1),
            _ => (false, at),
        };
        let exponent_digits = &bytes[start..];
        if exponent_digits.is_empty() || !exponent_digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        // Saturating: anything this large is out of the fast path anyway.
        let mut written: i64 = 0;
        for digit in exponent_digits {
            written = written
                .saturating_mul(10)
                .saturating_add(i64::from(digit - b'0'));
        }
        exponent = exponent.saturating_add(if exponent_negative { -written } else { written });
    }
    if mantissa == 0 && exact {
        return Some(sign(0.0));
    }
    if exact && (-22..=22).contains(&exponent) {
        // Both factors are exact f64 values, so one IEEE operation rounds correctly.
        let scale = (0..exponent.unsigned_abs()).fold(1.0f64, |p, _| p * 10.0);
        let magnitude = mantissa as f64;
        let value = if exponent < 0 {
            magnitude / scale
        } else {
            magnitude * scale
        };
        return Some(sign(value));
    }
    parse_f64_slow(text)
}

/// `text` as an index, as `str::parse::<usize>` reads it: read as a `u64`, whose parser the
/// page has anyway, and refused past `usize::MAX`, so the page carries one integer parser,
/// not a second for `usize`.
pub fn parse_index(text: &str) -> Option<usize> {
    text.parse::<u64>()
        .ok()
        .and_then(|value| usize::try_from(value).ok())
}

/// A coordinate or a length for an SVG attribute, to a tenth of a pixel (`12.3`). One
/// function for the views' 140-odd such attributes rather than a `format!` expanded at each:
/// the bundle carries the formatting call once.
#[inline(never)]
pub fn px(value: f64) -> String {
    fixed(value, 1).to_string()
}

/// Appends the point `x,y` (each as [`px`] writes it) to an SVG polyline's `points`, after a
/// space unless it is the first. The charts' lines and the sparklines build their points with
/// it, in place of a `map` and `collect` of each point's text and a `join` for each.
pub fn push_point(points: &mut String, x: f64, y: f64) {
    if !points.is_empty() {
        points.push(' ');
    }
    points.push_str(&px(x));
    points.push(',');
    points.push_str(&px(y));
}

/// The largest mantissa an f64 holds exactly (2^53).
const MAX_EXACT_MANTISSA: u64 = 1 << 53;

/// A syntactically valid decimal that needs full correct rounding.
#[cfg(target_arch = "wasm32")]
fn parse_f64_slow(text: &str) -> Option<f64> {
    let value = js_sys::Number::parse_float(text);
    (!value.is_nan()).then_some(value)
}

/// A syntactically valid decimal that needs full correct rounding.
#[cfg(not(target_arch = "wasm32"))]
fn parse_f64_slow(text: &str) -> Option<f64> {
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_polyline_s_points_are_each_x_comma_y_joined_by_spaces() {
        let points = [(0.0, 1.25), (12.345, -3.0), (1e6, 0.05)];
        let mut pushed = String::new();
        for (x, y) in points {
            push_point(&mut pushed, x, y);
        }
        let joined: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", px(*x), px(*y)))
            .collect();
        assert_eq!(pushed, joined.join(" "));
        assert_eq!(pushed, "0.0,1.2 12.3,-3.0 1000000.0,0.1");
    }

    #[test]
    fn parse_index_reads_as_parse_usize() {
        let past = format!("{}0", usize::MAX);
        for text in [
            "0",
            "7",
            "+7",
            "-7",
            "",
            " 7",
            "7 ",
            "1e3",
            "00012",
            "4294967296",
            &past,
        ] {
            assert_eq!(parse_index(text), text.parse::<usize>().ok(), "{text:?}");
        }
    }

    #[test]
    fn underscores_as_is_replace() {
        for name in ["", "_", "bit_flip", "slow_put_", "__a__b", "plain", "é_ü"] {
            for with in [' ', '-', 'é'] {
                assert_eq!(
                    underscores_as(name, with),
                    name.replace('_', &with.to_string())
                );
            }
        }
        assert_eq!(underscores_as("bit_flip", ' '), "bit flip");
    }

    #[test]
    fn speeds_format_for_people() {
        assert_eq!(speed(0.1), "0.1×");
        assert_eq!(speed(3.16), "3.2×");
        assert_eq!(speed(150.0), "150×");
        assert_eq!(speed(10_000.0), "10,000×");
    }

    #[test]
    fn bytes_use_binary_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(4096), "4.0 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 / 2), "1.5 MiB");
        assert_eq!(bytes(2 * 1024 * 1024 * 1024), "2.00 GiB");
    }

    #[test]
    fn counted_labels_write_the_number_between_their_words() {
        assert_eq!(counted("SST #", 12, ""), "SST #12");
        assert_eq!(counted("+", 3, " more"), "+3 more");
        assert_eq!(
            counted("", 1_234_567, " live WAL objects"),
            "1234567 live WAL objects"
        );
    }

    #[test]
    fn dollars_keep_small_amounts_visible() {
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(0.0000042), "$0.0000042");
        assert_eq!(usd(0.0123), "$0.01");
        assert_eq!(usd(12.345), "$12.35");
        assert_eq!(usd(1234.4), "$1,234");
    }

    #[test]
    fn durations_pick_their_unit() {
        assert_eq!(millis(0.421), "0.42 ms");
        assert_eq!(millis(12.34), "12.3 ms");
        assert_eq!(millis(1250.0), "1.25 s");
        assert_eq!(sim_time(SimTime::from_millis(12_345)), "12.345 s");
    }

    #[test]
    fn logarithms_round_trip() {
        for x in [0.1, 1.0, 3.0, 150.0, 10_000.0] {
            assert!((pow10(log10(x)) - x).abs() / x < 1e-9, "{x}");
        }
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(decimal(-1234.0), "-1,234");
        assert_eq!(percent(0.1234), "12.3%");
    }

    /// Same bits (or both NaN, or both rejected) as core's parser.
    fn same_as_core(text: &str) {
        let ours = parse_f64(text);
        let core = text.parse::<f64>().ok();
        match (ours, core) {
            (Some(a), Some(b)) if a.is_nan() && b.is_nan() => {}
            (Some(a), Some(b)) => assert_eq!(a.to_bits(), b.to_bits(), "{text:?}"),
            (a, b) => assert_eq!(a, b, "{text:?}"),
        }
    }

    #[test]
    fn parse_f64_agrees_with_core() {
        for text in [
            "0",
            "-0",
            "+0",
            "0.0",
            "1",
            "-1",
            "1.5",
            ".5",
            "5.",
            "-.5",
            "007",
            "0.1",
            "0.3",
            "1e3",
            "1E3",
            "1e-3",
            "2.5e+2",
            "123456789012345678",
            "9007199254740993",
            "1e22",
            "1e23",
            "1e-22",
            "1e-23",
            "1e308",
            "1e309",
            "1e-400",
            "4.9e-324",
            "0.000000000000000000000000001",
            "3.141592653589793238462643383279",
            "inf",
            "-inf",
            "Infinity",
            "+INF",
            "nan",
            "NaN",
            "-nan",
            "",
            "-",
            "+",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "1,5",
            " 1",
            "1 ",
            "0x10",
            "1_000",
            "--1",
            "1e5.5",
            "١",
            "100000000000000000000000",
            "0.00000000000000000000000000000000000001",
        ] {
            same_as_core(text);
        }
        // Numbers as the page writes them into SVG attributes and input fields.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let value = (state >> 11) as f64 / (1u64 << 40) as f64;
            for text in [
                format!("{value}"),
                format!("{value:.1}"),
                format!("{value:.3}"),
                format!("-{value:.6}"),
                format!("{}", state >> 40),
                format!("{value:e}"),
            ] {
                same_as_core(&text);
            }
        }
    }
}
