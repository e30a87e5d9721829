//! The minimal RFC 6902 JSONPatch for a plan: one operation per changed value, objects created
//! only where missing (with their content in the same operation), annotations added or replaced
//! one by one. Paths are built from tokens, so `/` and `~` in keys are escaped as `~1` and `~0`
//! (RFC 6901 §3): `rightsize.dev/admitted` is `/metadata/annotations/rightsize.dev~1admitted`.
//!
//! Presence is read from the pod's JSON as sent, not from the typed view: a request defaulted
//! from a limit in our reading may be absent in the JSON, and a present `null` is not an object.

use std::collections::BTreeMap;

use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, PatchOperation, ReplaceOperation};
use rightsize_policy::resources::Resource;
use serde_json::{Map, Value};

use super::plan::{Sized, Slot};

/// The operations that give each sized container its new resources.
pub(crate) fn resources(pod: &Value, sized: &[Sized]) -> Vec<PatchOperation> {
    let mut ops = Vec::new();
    for s in sized {
        let (list, index) = match s.slot {
            Slot::Container(i) => ("containers", i),
            Slot::Sidecar(i) => ("initContainers", i),
        };
        let base = ["spec", list, &index.to_string(), "resources"];
        // Requests first, then limits, as people write them.
        let mut wanted: Vec<(&str, Map<String, Value>)> =
            vec![("requests", Map::new()), ("limits", Map::new())];
        for resource in Resource::ALL {
            let (old, new) = (s.old.get(resource), s.new.get(resource));
            for (slot, old, new) in [(0, old.request, new.request), (1, old.limit, new.limit)] {
                if let Some(new) = new.filter(|n| Some(*n) != old) {
                    wanted[slot]
                        .1
                        .insert(resource.name().to_owned(), Value::String(new.to_string()));
                }
            }
        }
        wanted.retain(|(_, values)| !values.is_empty());
        if wanted.is_empty() {
            continue;
        }
        let resources = pointer(&base).resolve(pod).ok().and_then(Value::as_object);
        let Some(resources) = resources else {
            let value = wanted
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::Object(v)))
                .collect();
            ops.push(add(pointer(&base), Value::Object(value)));
            continue;
        };
        for (key, values) in wanted {
            let path = |extra: &[&str]| pointer(&[&base[..], &[key], extra].concat());
            match resources.get(key).and_then(Value::as_object) {
                None => ops.push(add(path(&[]), Value::Object(values))),
                Some(present) => {
                    for (name, value) in values {
                        ops.push(set(path(&[&name]), value, present.contains_key(&name)));
                    }
                }
            }
        }
    }
    ops
}

/// The operations that set `annotations` on the pod, skipping values already there.
pub(crate) fn annotations(
    pod: &Value,
    annotations: &BTreeMap<String, String>,
) -> Vec<PatchOperation> {
    let base = ["metadata", "annotations"];
    let Some(present) = pointer(&base).resolve(pod).ok().and_then(Value::as_object) else {
        let value = annotations
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        return vec![add(pointer(&base), Value::Object(value))];
    };
    annotations
        .iter()
        .filter(|(k, v)| present.get(*k).and_then(Value::as_str) != Some(v.as_str()))
        .map(|(k, v)| {
            set(
                pointer(&[base[0], base[1], k]),
                Value::String(v.clone()),
                present.contains_key(k),
            )
        })
        .collect()
}

fn pointer(tokens: &[&str]) -> PointerBuf {
    PointerBuf::from_tokens(tokens.iter().copied())
}

fn add(path: PointerBuf, value: Value) -> PatchOperation {
    PatchOperation::Add(AddOperation { path, value })
}

/// `replace` for a member that exists, `add` for one that does not.
fn set(path: PointerBuf, value: Value, exists: bool) -> PatchOperation {
    if exists {
        PatchOperation::Replace(ReplaceOperation { path, value })
    } else {
        add(path, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn annotation_key_slash_is_escaped_in_the_pointer() {
        let pod = json!({"metadata": {"annotations": {"a": "b"}}});
        let ops = annotations(
            &pod,
            &BTreeMap::from([("rightsize.dev/admitted".to_owned(), "x".to_owned())]),
        );
        let text = serde_json::to_value(&ops).unwrap();
        assert_eq!(
            text,
            json!([{"op": "add", "path": "/metadata/annotations/rightsize.dev~1admitted", "value": "x"}])
        );
    }

    #[test]
    fn tilde_in_a_key_is_escaped_before_slash() {
        assert_eq!(pointer(&["a~/b"]).as_str(), "/a~0~1b");
    }

    #[test]
    fn missing_or_null_annotations_are_created_whole() {
        for pod in [
            json!({"metadata": {}}),
            json!({"metadata": {"annotations": null}}),
        ] {
            let ops = annotations(&pod, &BTreeMap::from([("k".to_owned(), "v".to_owned())]));
            let text = serde_json::to_value(&ops).unwrap();
            assert_eq!(
                text,
                json!([{"op": "add", "path": "/metadata/annotations", "value": {"k": "v"}}])
            );
        }
    }
}
