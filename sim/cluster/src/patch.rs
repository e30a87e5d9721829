//! PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch for the list fields clients of
//! this project touch, JSON patch (RFC 6902, via `json-patch` 4) and server-side apply as far as
//! kube-rs uses it (apply is merged like a strategic patch; field ownership is not tracked).

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// The four patch content types of apimachinery `pkg/types/patch.go`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Json,
    Merge,
    Strategic,
    Apply,
}

impl PatchKind {
    /// From the request's Content-Type; anything else is 415 UnsupportedMediaType.
    pub fn from_content_type(ct: &str) -> ApiResult<Self> {
        let base = ct.split(';').next().unwrap_or("").trim();
        match base {
            "application/json-patch+json" => Ok(Self::Json),
            "application/merge-patch+json" => Ok(Self::Merge),
            "application/strategic-merge-patch+json" => Ok(Self::Strategic),
            "application/apply-patch+yaml" => Ok(Self::Apply),
            _ => Err(ApiError::unsupported_media_type(ct)),
        }
    }
}

/// Merge key of a list field for strategic merge (`patchMergeKey` tags in k8s.io/api).
/// Lists not named here are replaced wholesale, which is also what SMP does for atomic lists.
fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "containerStatuses"
        | "initContainerStatuses"
        | "webhooks"
        | "readinessGates" => "name",
        "ports" => "containerPort",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" => "type",
        "resizePolicy" => "resourceName",
        "ownerReferences" => "uid",
        "hostAliases" => "ip",
        _ => return None,
    })
}

/// Lists of scalars that strategic merge unions instead of replacing (`patchStrategy:"merge"`).
fn merges_scalars(field: &str) -> bool {
    field == "finalizers"
}

/// JSON merge patch (RFC 7396), by the json-patch crate.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    json_patch::merge(target, patch);
}

/// Strategic merge patch (apimachinery `strategicpatch`), limited to the directives clients send
/// in practice: merge keys on known lists, `$patch: delete|replace`, and `$setElementOrder` /
/// `$retainKeys` / `$deleteFromPrimitiveList` directives, which are accepted and ignored.
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut clean = p.clone();
        clean.remove("$patch");
        *target = Value::Object(clean);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("made an object");
    for (k, v) in p {
        if k.starts_with('$') {
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match (t.get_mut(k), v) {
            (Some(Value::Array(cur)), Value::Array(items)) => {
                if let Some(key) = merge_key(k) {
                    merge_list(cur, items, key);
                } else if merges_scalars(k) {
                    for it in items {
                        if !cur.contains(it) {
                            cur.push(it.clone());
                        }
                    }
                } else {
                    *cur = items.iter().map(strip_directives).collect();
                }
            }
            (Some(cur @ Value::Object(_)), Value::Object(_)) => strategic_merge(cur, v),
            _ => {
                t.insert(k.clone(), strip_directives(v));
            }
        }
    }
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

fn merge_list(cur: &mut Vec<Value>, items: &[Value], key: &str) {
    for it in items {
        let id = it.get(key).cloned();
        let pos = id
            .as_ref()
            .and_then(|id| cur.iter().position(|c| c.get(key) == Some(id)));
        let delete = it.get("$patch").and_then(Value::as_str) == Some("delete");
        match (pos, delete) {
            (Some(i), true) => {
                cur.remove(i);
            }
            (Some(i), false) => strategic_merge(&mut cur[i], it),
            (None, true) => {}
            (None, false) => cur.push(strip_directives(it)),
        }
    }
}

/// Apply a patch body of the given kind to `target`.
pub fn apply(kind: PatchKind, target: &Value, body: &[u8]) -> ApiResult<Value> {
    let parse = || -> ApiResult<Value> {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))
    };
    let mut out = target.clone();
    match kind {
        PatchKind::Json => {
            let ops: json_patch::Patch = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            json_patch::patch(&mut out, &ops).map_err(|e| {
                // The real server reports JSON-patch failures as 422 with the operation's error.
                ApiError::custom(
                    422,
                    "Invalid",
                    format!("the server rejected our request due to an error in our request: {e}"),
                )
            })?;
        }
        PatchKind::Merge => merge_patch(&mut out, &parse()?),
        PatchKind::Strategic | PatchKind::Apply => {
            let p = parse()?;
            if !p.is_object() {
                return Err(ApiError::bad_request(
                    "error decoding patch: the patch is not a JSON object",
                ));
            }
            strategic_merge(&mut out, &p);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategic_merge_merges_containers_by_name() {
        let mut pod = json!({"spec": {"containers": [
            {"name": "a", "image": "x", "resources": {"requests": {"cpu": "1"}}},
            {"name": "b", "image": "y"}]}});
        let p = json!({"spec": {"containers": [{"name": "b", "resources": {"limits": {"memory": "1Gi"}}}],
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}]}});
        strategic_merge(&mut pod, &p);
        assert_eq!(pod["spec"]["containers"][0]["image"], "x");
        assert_eq!(
            pod["spec"]["containers"][1]["resources"]["limits"]["memory"],
            "1Gi"
        );
        assert_eq!(pod["spec"]["containers"][1]["image"], "y");
    }

    #[test]
    fn merge_patch_replaces_lists_and_null_deletes() {
        let mut o = json!({"a": [1, 2], "b": {"c": 1, "d": 2}});
        merge_patch(&mut o, &json!({"a": [3], "b": {"c": null}}));
        assert_eq!(o, json!({"a": [3], "b": {"d": 2}}));
    }

    #[test]
    fn json_patch_failure_is_422() {
        let err = apply(
            PatchKind::Json,
            &json!({}),
            br#"[{"op":"replace","path":"/x/y","value":1}]"#,
        )
        .unwrap_err();
        assert_eq!(err.code, 422);
    }
}
