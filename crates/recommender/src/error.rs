//! The recommender's error type: every bad parameter, malformed CSV file or failed engine call
//! ends up here as a typed value with a message a person can act on. Nothing in this crate
//! panics on bad input.

use strata_sim::fmt::shortest;
use thiserror::Error;

/// Everything that can go wrong in the recommender.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum RecommenderError {
    /// A parameter outside its allowed range (α < 0, ε outside [0, 1], K = 0…).
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        name: &'static str,
        value: String,
        reason: String,
    },

    /// A CSV input that does not parse or does not fit the expected shape. `line` is 1-based and
    /// counts every physical line of the file, blank lines and comments included.
    #[error("{file}, line {line}: {message}")]
    Csv {
        file: String,
        line: usize,
        message: String,
    },

    /// A call that does not fit the policy's shape: an arm out of range, a context of the wrong
    /// dimension, no eligible arm.
    #[error("invalid call: {0}")]
    InvalidCall(String),

    /// A checkpoint or log record that could not be encoded or decoded.
    #[error("codec: {0}")]
    Codec(String),

    /// The engine refused or failed a read or write.
    #[error("engine: {0}")]
    Engine(String),
}

/// The small public classification of [`RecommenderError`], for callers that only branch on
/// what kind of failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller's input was wrong (parameters, CSV, calls); retrying will not help.
    Invalid,
    /// Stored bytes could not be decoded.
    Corrupt,
    /// The storage layer failed.
    Unavailable,
}

impl RecommenderError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            RecommenderError::InvalidParameter { .. }
            | RecommenderError::Csv { .. }
            | RecommenderError::InvalidCall(_) => ErrorKind::Invalid,
            RecommenderError::Codec(_) => ErrorKind::Corrupt,
            RecommenderError::Engine(_) => ErrorKind::Unavailable,
        }
    }

    /// Shorthand for an [`RecommenderError::InvalidParameter`]. Give an `f64` value as
    /// `strata_sim::fmt::shortest(value)`: the same text as its `to_string`, without core's
    /// float formatting in the page.
    pub fn param(name: &'static str, value: impl ToString, reason: impl Into<String>) -> Self {
        RecommenderError::InvalidParameter {
            name,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = RecommenderError> = std::result::Result<T, E>;

/// Checks that `value` is finite.
pub(crate) fn require_finite(name: &'static str, value: f64) -> Result<()> {
    if !value.is_finite() {
        return Err(RecommenderError::param(
            name,
            shortest(value),
            "must be finite",
        ));
    }
    Ok(())
}

/// Checks that `value` is finite and at least `min`.
pub(crate) fn require_at_least(name: &'static str, value: f64, min: f64) -> Result<()> {
    if !value.is_finite() || value < min {
        return Err(RecommenderError::param(
            name,
            shortest(value),
            format!("must be a finite number ≥ {}", shortest(min)),
        ));
    }
    Ok(())
}

/// Checks that `value` is finite and strictly above `min`.
pub(crate) fn require_above(name: &'static str, value: f64, min: f64) -> Result<()> {
    if !value.is_finite() || value <= min {
        return Err(RecommenderError::param(
            name,
            shortest(value),
            format!("must be a finite number > {}", shortest(min)),
        ));
    }
    Ok(())
}

/// Checks that `value` lies in [low, high].
pub(crate) fn require_within(name: &'static str, value: f64, low: f64, high: f64) -> Result<()> {
    if !value.is_finite() || value < low || value > high {
        return Err(RecommenderError::param(
            name,
            shortest(value),
            format!("must lie in [{}, {}]", shortest(low), shortest(high)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_value_that_is_not_finite_is_refused_by_name_with_its_text() {
        assert_eq!(require_finite("initial_value", 0.5), Ok(()));
        assert_eq!(require_finite("initial_value", -1e300), Ok(()));
        for (value, text) in [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(
                require_finite("intercept", value),
                Err(RecommenderError::InvalidParameter {
                    name: "intercept",
                    value: text.to_string(),
                    reason: "must be finite".to_string(),
                })
            );
        }
    }
}
