//! JSON text written by hand for the exports: strings escaped, numbers in Rust's shortest
//! round-trip form, and [`Arg`], the few kinds of value an exported event carries.
//!
//! Hand-written rather than serde_json's `Value` and its serialiser, which the playground
//! would download for the trace export alone (tens of kilobytes); the output is the same
//! natively and in wasm32, and `serde_json` reads it back in the tests.

use std::fmt::Write;

/// A value in an event's `args`.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Text(String),
    Unsigned(u64),
    Number(f64),
    Flag(bool),
}

impl From<&str> for Arg {
    fn from(text: &str) -> Arg {
        Arg::Text(text.to_string())
    }
}
impl From<&String> for Arg {
    fn from(text: &String) -> Arg {
        Arg::Text(text.clone())
    }
}
impl From<u64> for Arg {
    fn from(value: u64) -> Arg {
        Arg::Unsigned(value)
    }
}
impl From<&u64> for Arg {
    fn from(value: &u64) -> Arg {
        Arg::Unsigned(*value)
    }
}
impl From<&u32> for Arg {
    fn from(value: &u32) -> Arg {
        Arg::Unsigned(u64::from(*value))
    }
}
impl From<f64> for Arg {
    fn from(value: f64) -> Arg {
        Arg::Number(value)
    }
}
impl From<bool> for Arg {
    fn from(value: bool) -> Arg {
        Arg::Flag(value)
    }
}
impl From<&bool> for Arg {
    fn from(value: &bool) -> Arg {
        Arg::Flag(*value)
    }
}

/// Named values of an event, in the order written.
pub type Args = Vec<(&'static str, Arg)>;

/// Writes `text` as a JSON string: quoted, with `"`, `\\` and control characters escaped as
/// serde_json escapes them (`strata_sim::json`, the scenario's and the recommender's writers'
/// escaping too).
pub fn write_string(out: &mut String, text: &str) {
    strata_sim::json::push_string(out, text);
}

/// Writes a number as JSON: finite values by Rust's shortest round-trip formatting (`{}`,
/// through `strata_sim::fmt`, the same natively and in wasm32); JSON has no NaN or
/// infinity, so those become `null`.
pub fn write_number(out: &mut String, value: f64) {
    if value.is_finite() {
        strata_sim::fmt::push_shortest(out, value);
    } else {
        out.push_str("null");
    }
}

pub fn write_arg(out: &mut String, arg: &Arg) {
    match arg {
        Arg::Text(text) => write_string(out, text),
        Arg::Unsigned(value) => {
            let _infallible = write!(out, "{value}");
        }
        Arg::Number(value) => write_number(out, *value),
        Arg::Flag(value) => out.push_str(if *value { "true" } else { "false" }),
    }
}

/// Writes `"key":` (with a comma before it unless it is the object's first).
pub fn write_key(out: &mut String, first: &mut bool, key: &str) {
    if !std::mem::take(first) {
        out.push(',');
    }
    write_string(out, key);
    out.push(':');
}
