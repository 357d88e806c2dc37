//! JSON merge patches (RFC 7386) of scenario documents, taking one member out of an object,
//! and copying a value, all without removing from serde_json's `Map` or cloning one.
//!
//! Why by hand, not `json_patch::merge`: `Map::remove` (which `merge` calls for a `null` in
//! the patch) brings the B-tree's whole removal code for `String → Value` into the
//! playground's wasm (its rebalancing, stealing and merging of nodes, 7 KB raw after
//! wasm-opt), and the page's other removals were one tag of a tagged enum and two members
//! of a compared scenario. Here an object is rebuilt without the members that go, by
//! insertion, code the readers have anyway: 2,600 B less gzip for the page, with `json_patch`
//! and `jsonptr` gone from it (`CARGO_INCREMENTAL=0 cargo xtask dist`, docs/ui.md's cuts
//! table). The documents are a scenario's few dozen members, so rebuilding costs nothing that
//! shows. The tests below check `merge_patch` against `json_patch::merge`.

use serde_json::{Map, Value};

/// Applies the merge patch `patch` to `doc` (RFC 7386), as `json_patch::merge` does: a patch
/// that is not an object replaces the document; an object's `null` members remove theirs,
/// and its other members are merged into theirs (added where absent).
pub fn merge_patch(doc: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *doc = copy_value(patch);
        return;
    };
    let members = match std::mem::take(doc) {
        Value::Object(members) => members,
        _ => Map::new(),
    };
    let mut merged = Map::new();
    for (key, mut value) in members {
        match changes.get(&key) {
            Some(Value::Null) => {}
            Some(change) => {
                merge_patch(&mut value, change);
                merged.insert(key, value);
            }
            None => {
                merged.insert(key, value);
            }
        }
    }
    for (key, change) in changes {
        if !change.is_null() && !merged.contains_key(key) {
            let mut value = Value::Null;
            merge_patch(&mut value, change);
            merged.insert(key.clone(), value);
        }
    }
    *doc = Value::Object(merged);
}

/// A copy of `value`, equal to `value.clone()`.
///
/// Why by hand, not `Clone`: `Value`'s derived `clone` brings the B-tree's subtree cloning
/// for `String → Value` (its own node building, about 8 KB of text in a names build's
/// disassembly) into the playground's wasm, for the page's few copies of a chapter's merge
/// patch. Here an object is rebuilt by insertion, code the readers have anyway (docs/ui.md's
/// cuts table has the saving). A patch is a handful of members, so rebuilding costs nothing
/// that shows. The tests below check it against `clone`.
pub fn copy_value(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::Bool(b) => Value::Bool(*b),
        Value::Number(n) => Value::Number(n.clone()),
        Value::String(text) => Value::String(text.clone()),
        Value::Array(items) => Value::Array(items.iter().map(copy_value).collect()),
        Value::Object(members) => {
            let mut copy = Map::new();
            for (key, member) in members {
                copy.insert(key.clone(), copy_value(member));
            }
            Value::Object(copy)
        }
    }
}

/// `object`'s member `name`, if it has one, and the object without it (what `Map::remove`
/// would give, without its code).
pub fn take_member(object: Map<String, Value>, name: &str) -> (Option<Value>, Map<String, Value>) {
    let mut taken = None;
    let mut rest = Map::new();
    for (key, value) in object {
        if key == name {
            taken = Some(value);
        } else {
            rest.insert(key, value);
        }
    }
    (taken, rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Documents and patches of every shape a merge meets: scalars, arrays, empty and
    /// nested objects, `null` members at each depth, members present in one side only.
    fn shapes() -> Vec<Value> {
        vec![
            json!(null),
            json!(true),
            json!(3),
            json!(2.5),
            json!("s"),
            json!([]),
            json!([1, {"a": null}]),
            json!({}),
            json!({"a": null}),
            json!({"a": 1}),
            json!({"a": {"b": 2, "c": null}}),
            json!({"a": {"b": null}, "d": [1]}),
            json!({"b": {"x": {"y": null, "z": 1}}, "a": "t"}),
            json!({"a": {"b": 2, "c": 3}, "b": null, "e": {}}),
            json!({"seed": 1, "workload": {"rate_ops_per_sec": 10, "mix": {"read": 0.3}}}),
            json!({"workload": {"mix": null, "key_count": 5}, "store": {"preset": "s3"}}),
        ]
    }

    #[test]
    fn merge_patch_is_json_patch_merge_for_every_document_and_patch() {
        for doc in shapes() {
            for patch in shapes() {
                let mut ours = doc.clone();
                merge_patch(&mut ours, &patch);
                let mut reference = doc.clone();
                json_patch::merge(&mut reference, &patch);
                assert_eq!(ours, reference, "doc {doc}, patch {patch}");
            }
        }
    }

    #[test]
    fn a_null_member_removes_it_and_a_new_one_is_added() {
        let mut doc = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge_patch(
            &mut doc,
            &json!({"a": null, "b": {"d": null, "e": {"f": null}}, "g": 4}),
        );
        assert_eq!(doc, json!({"b": {"c": 2, "e": {}}, "g": 4}));
    }

    #[test]
    fn copy_value_is_clone() {
        for value in shapes() {
            assert_eq!(copy_value(&value), value.clone());
        }
        let all = Value::Array(shapes());
        assert_eq!(copy_value(&all), all);
        // Member order is the map's (sorted), as in the original.
        let copied = copy_value(&json!({"b": 1, "a": {"d": 2, "c": 3}}));
        assert_eq!(copied.to_string(), r#"{"a":{"c":3,"d":2},"b":1}"#);
    }

    #[test]
    fn take_member_is_map_remove() {
        for value in shapes() {
            let Value::Object(object) = value else {
                continue;
            };
            for name in ["a", "b", "seed", "absent"] {
                let mut reference = object.clone();
                let removed = reference.remove(name);
                assert_eq!(take_member(object.clone(), name), (removed, reference));
            }
        }
    }
}
