//! Number formatting for people: speeds, bytes, dollars, durations and counts, written the
//! same way in every panel so that figures read alike from the back of a room.

use strata_sim::SimTime;

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
        format!("{multiplier:.1}×")
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
        format!("{:.1} KiB", v / KIB)
    } else if v < KIB * KIB * KIB {
        format!("{:.1} MiB", v / (KIB * KIB))
    } else {
        format!("{:.2} GiB", v / (KIB * KIB * KIB))
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
        format!("${value:.digits$}")
    } else if magnitude < 1000.0 {
        format!("${value:.2}")
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
        format!("{value_ms:.2} ms")
    } else if value_ms < 1000.0 {
        format!("{value_ms:.1} ms")
    } else {
        format!("{:.2} s", value_ms / 1000.0)
    }
}

/// Formats a simulated instant as seconds with millisecond precision: "12.345 s".
pub fn sim_time(at: SimTime) -> String {
    format!("{:.3} s", at.as_secs_f64())
}

/// A ratio as a percentage with one decimal: 0.1234 → "12.3%".
pub fn percent(ratio: f64) -> String {
    if !ratio.is_finite() {
        return "–".to_string();
    }
    format!("{:.1}%", ratio * 100.0)
}

/// A number with a sensible number of decimals for display (3 significant digits or so).
pub fn decimal(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    let magnitude = value.abs();
    if magnitude >= 1000.0 {
        grouped_signed(value.round() as i64)
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

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
}
