//! Mutations of JSON documents: the structure-aware mutations of the manifest, scenario,
//! share-token and checkpoint targets. A mutation replaces one node with a value on a
//! boundary (zero, −1, the top of u32 and u64, 2^53, ±1e308, an empty or long string, null),
//! or removes, duplicates or empties an array element or an object member. The result is
//! still well-formed JSON, so it reaches the decoder's validation rather than its parser.

use crate::mutate::{interesting, mutate_bytes};
use serde_json::{json, Value};
use strata_sim::SimRng;

/// Applies one to four mutations to `document`.
pub fn mutate_json(rng: &mut SimRng, document: &mut Value) {
    let rounds = 1 + rng.index(4);
    for _ in 0..rounds {
        let mut paths = Vec::new();
        collect_paths(document, &mut Vec::new(), &mut paths, 0);
        if paths.is_empty() {
            *document = boundary_value(rng);
            continue;
        }
        let path = &paths[rng.index(paths.len())];
        if let Some(node) = node_at(document, path) {
            mutate_node(rng, node);
        }
    }
}

/// A JSON text mutated with [`mutate_json`] and written out again when it parses; byte-mutated
/// when it does not.
pub fn mutate_json_text(rng: &mut SimRng, text: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(text) {
        Ok(mut document) => {
            mutate_json(rng, &mut document);
            document.to_string().into_bytes()
        }
        Err(_) => {
            let mut bytes = text.to_vec();
            mutate_bytes(rng, &mut bytes);
            bytes
        }
    }
}

/// One step of a path: an object key or an array index.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every node's path, depth first, at most 16 levels deep.
fn collect_paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>, depth: usize) {
    out.push(prefix.clone());
    if depth >= 16 {
        return;
    }
    match value {
        Value::Object(members) => {
            for (key, child) in members {
                prefix.push(Step::Key(key.clone()));
                collect_paths(child, prefix, out, depth + 1);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                prefix.push(Step::Index(index));
                collect_paths(child, prefix, out, depth + 1);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn node_at<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut node = value;
    for step in path {
        node = match step {
            Step::Key(key) => node.get_mut(key.as_str())?,
            Step::Index(index) => node.get_mut(*index)?,
        };
    }
    Some(node)
}

/// A value on a boundary of some type.
pub fn boundary_value(rng: &mut SimRng) -> Value {
    match rng.index(12) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(interesting(rng)),
        3 => json!(i64::MIN),
        4 => json!(1e308),
        5 => json!(-1e308),
        6 => json!(0.5),
        7 => json!(""),
        8 => json!("x".repeat(1 + rng.index(2048))),
        9 => Value::Null,
        10 => json!([]),
        _ => json!({}),
    }
}

fn mutate_node(rng: &mut SimRng, node: &mut Value) {
    match node {
        Value::Array(items) if !items.is_empty() && rng.bernoulli(0.6) => {
            let at = rng.index(items.len());
            match rng.index(4) {
                0 => {
                    items.remove(at);
                }
                1 => {
                    let copy = items[at].clone();
                    items.insert(at, copy);
                }
                2 => items.truncate(at),
                _ => {
                    let other = rng.index(items.len());
                    items.swap(at, other);
                }
            }
        }
        Value::Object(members) if !members.is_empty() && rng.bernoulli(0.5) => {
            let keys: Vec<String> = members.keys().cloned().collect();
            let key = &keys[rng.index(keys.len())];
            if rng.bernoulli(0.5) {
                members.remove(key);
            } else {
                members.insert(key.clone(), boundary_value(rng));
            }
        }
        Value::Number(number) if rng.bernoulli(0.5) => {
            // Near the current value: off by one either way, doubled, or negated.
            let current = number.as_f64().unwrap_or(0.0);
            *node = match rng.index(4) {
                0 => json!(current + 1.0),
                1 => json!(current - 1.0),
                2 => json!(current * 2.0),
                _ => json!(-current),
            };
        }
        Value::Bool(flag) => *flag = !*flag,
        _ => *node = boundary_value(rng),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn mutations_change_documents_deterministically() {
        let original = json!({"a": [1, 2, {"b": "c"}], "d": true, "e": 3.5});
        let run = |seed| {
            let mut rng = SimRng::seed_from_u64(seed);
            let mut document = original.clone();
            mutate_json(&mut rng, &mut document);
            document
        };
        assert_eq!(run(11), run(11));
        assert!((0..20).any(|seed| run(seed) != original));
    }
}
