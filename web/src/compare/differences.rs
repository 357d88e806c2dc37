//! What a variant given whole changes: the leaves of the merge patch from the base scenario
//! to it, and the two runs' labels made from them.

use serde_json::Value;
use strata_lab::scenario::{compact_json, take_member};
use strata_lab::Scenario;
use strata_sim::fmt::{json_number, shortest};

/// Settings named in a label at most (the rest are counted).
pub const MAX_LABELLED_SETTINGS: usize = 2;

/// One setting a variant changes: its dotted path in the scenario and its value in each run
/// ("none" where a run has no value there).
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub path: String,
    pub base: String,
    pub variant: String,
}

/// The settings `variant` changes from `base`, in the scenario's order: the leaves of the
/// merge patch that turns one into the other (a list that differs is one setting). The
/// name and description are not settings and are left out.
pub fn differences(base: &Scenario, variant: &Scenario) -> Vec<Difference> {
    let as_value = |scenario: &Scenario| match strata_sim::json::from_str(&scenario.to_json())
        .unwrap_or(Value::Null)
    {
        Value::Object(map) => {
            let (_, map) = take_member(map, "name");
            Value::Object(take_member(map, "description").1)
        }
        other => other,
    };
    let (base, variant) = (as_value(base), as_value(variant));
    let mut out = Vec::new();
    collect_differences("", Some(&base), Some(&variant), &mut out);
    out
}

fn collect_differences(
    path: &str,
    base: Option<&Value>,
    variant: Option<&Value>,
    out: &mut Vec<Difference>,
) {
    if let (Some(Value::Object(b)), Some(Value::Object(v))) = (base, variant) {
        let keys = b.keys().chain(v.keys().filter(|k| !b.contains_key(*k)));
        for key in keys {
            let path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            collect_differences(&path, b.get(key), v.get(key), out);
        }
        return;
    }
    if !same_leaf(base, variant) {
        out.push(Difference {
            path: path.to_string(),
            base: setting_text(base),
            variant: setting_text(variant),
        });
    }
}

/// Whether two leaves are the same setting: the same compact JSON text, as the page compares
/// scenarios (`strata_lab::scenario::same_document`), which is `Value`'s `==` but for `-0.0`
/// beside `0.0` (another document, so another setting here).
///
/// Why not `==`: this was the page's only comparison of serde_json `Value`s, and its
/// `PartialEq` (with `String → Value` maps' and `Value` slices') left the wasm with it
/// (docs/ui.md's cuts table has the saving); the writer is in the page anyway.
fn same_leaf(base: Option<&Value>, variant: Option<&Value>) -> bool {
    match (base, variant) {
        (Some(base), Some(variant)) => compact_json(base) == compact_json(variant),
        (base, variant) => base.is_none() && variant.is_none(),
    }
}

fn setting_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "none".to_string(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => crate::format::counted("", items.len() as u64, " entries"),
        Some(Value::Object(_)) => "set".to_string(),
        // Rust's shortest form: 100 rather than serde_json's 100.0.
        Some(Value::Number(n)) => n
            .as_f64()
            .map_or_else(|| json_number(n).to_string(), |v| shortest(v).to_string()),
        Some(Value::Bool(b)) => if *b { "true" } else { "false" }.to_string(),
    }
}

/// The two runs' labels from what differs: "engine.flush_interval_ms 100" beside
/// "engine.flush_interval_ms 10", at most [`MAX_LABELLED_SETTINGS`] settings and a count of
/// the rest.
pub fn difference_labels(differences: &[Difference]) -> (String, String) {
    if differences.is_empty() {
        return ("this run".to_string(), "the same scenario".to_string());
    }
    let label = |value: &dyn Fn(&Difference) -> &str| {
        // Written into one text by a loop: the `map`, `collect` and `join` were instances of
        // their own. Each setting adds at least its space, so a text not empty has one before.
        let mut text = String::new();
        for d in differences.iter().take(MAX_LABELLED_SETTINGS) {
            if !text.is_empty() {
                text.push_str(", ");
            }
            text.push_str(&d.path);
            text.push(' ');
            text.push_str(value(d));
        }
        let more = differences.len().saturating_sub(MAX_LABELLED_SETTINGS);
        if more > 0 {
            text.push_str(&crate::format::counted(" and ", more as u64, " more"));
        }
        text
    };
    (label(&|d| &d.base), label(&|d| &d.variant))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn same_leaf_is_value_equality() {
        let values = [
            json!(null),
            json!(true),
            json!(false),
            json!(1),
            json!(-1),
            json!(1.0),
            json!(2.5),
            json!("1"),
            json!("s"),
            json!([]),
            json!([1, 2]),
            json!([2, 1]),
            json!([1, {"a": null}]),
            json!({}),
            json!({"a": 1}),
            json!({"a": 1.0}),
            json!({"a": 1, "b": [true]}),
            json!({"b": [true], "a": 1}),
        ];
        for a in &values {
            assert!(same_leaf(None, None));
            assert!(
                !same_leaf(Some(a), None) && !same_leaf(None, Some(a)),
                "{a}"
            );
            for b in &values {
                assert_eq!(same_leaf(Some(a), Some(b)), a == b, "{a} and {b}");
            }
        }
    }
}
