//! `fieldValidation=Strict` (what kubectl sends by default): an object carrying a field its
//! kind's schema does not declare is refused with the real server's 400, `<Kind> in version
//! "<v>" cannot be handled as a <Kind>: strict decoding error: unknown field "spec.foo"`
//! (apimachinery's strict JSON decoding, sigs.k8s.io/json, reports each unknown field by its
//! path). Checked against the OpenAPI schemas of [`super::openapi`]; `Warn` and `Ignore` (and
//! no parameter) accept the object as before.

use std::collections::HashMap;

use serde_json::Value;

use super::openapi;
use crate::error::{ApiError, ApiResult};
use crate::resources::ResourceDef;

/// A `$ref` or single-`allOf` schema followed to the schema it names.
fn resolve(schema: &Value) -> &Value {
    let target = schema["$ref"]
        .as_str()
        .or_else(|| schema["allOf"][0]["$ref"].as_str());
    match target.and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => openapi::schemas().get(name).unwrap_or(schema),
        None => schema,
    }
}

fn walk(schema: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
    let schema = resolve(schema);
    match v {
        Value::Object(m) => {
            if let Some(props) = schema["properties"].as_object() {
                for (k, child) in m {
                    // Strategic-merge directives (`$patch`, `$setElementOrder/..`) are not fields.
                    if k.starts_with('$') {
                        continue;
                    }
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    match props.get(k) {
                        Some(s) => walk(s, child, &p, out),
                        None => out.push(p),
                    }
                }
            } else if let Some(values) = schema.get("additionalProperties") {
                for (k, child) in m {
                    walk(values, child, &format!("{path}[{k}]"), out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, child) in items.iter().enumerate() {
                    walk(item, child, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

/// The paths of the fields of `obj` that the kind's schema does not declare.
pub fn unknown_fields(def: &ResourceDef, obj: &Value) -> Vec<String> {
    let Some(schema) = openapi::schema_of_kind(def.group, def.kind) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(schema, obj, "", &mut out);
    out
}

/// Refuse `obj` if the request asks for strict field validation and it has unknown fields.
pub fn check(def: &ResourceDef, q: &HashMap<String, String>, obj: &Value) -> ApiResult<()> {
    if q.get("fieldValidation").map(String::as_str) != Some("Strict") {
        return Ok(());
    }
    let unknown = unknown_fields(def, obj);
    if unknown.is_empty() {
        return Ok(());
    }
    let fields: Vec<String> = unknown
        .iter()
        .map(|f| format!("unknown field {f:?}"))
        .collect();
    Err(ApiError::bad_request(format!(
        "{kind} in version {version:?} cannot be handled as a {kind}: strict decoding error: {}",
        fields.join(", "),
        kind = def.kind,
        version = def.version,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_reported_by_path_and_known_ones_pass() {
        let pods = resources::find("", "v1", "pods").unwrap();
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "labels": {"a": "b"}, "annotations": {"x": "y"}},
            "spec": {"containers": [{"name": "c", "image": "i", "imagePolicy": "x",
                "resources": {"limits": {"memory": "1Gi"}}, "env": [{"name": "A", "value": "1"}]}],
                "foo": 1},
            "status": {}});
        assert_eq!(
            unknown_fields(pods, &pod),
            vec![
                "spec.containers[0].imagePolicy".to_string(),
                "spec.foo".to_string()
            ]
        );
        let q: HashMap<String, String> =
            [("fieldValidation".to_string(), "Strict".to_string())].into();
        let err = check(pods, &q, &pod).unwrap_err();
        assert_eq!(err.code, 400);
        assert_eq!(
            err.message,
            r#"Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagePolicy", unknown field "spec.foo""#
        );
        assert!(
            check(pods, &HashMap::new(), &pod).is_ok(),
            "no parameter: accepted"
        );
        let deploys = resources::find("apps", "v1", "deployments").unwrap();
        let d = json!({"spec": {"replicas": 1, "strategy": {"type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 1}}, "template": {"metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c"}]}}}});
        assert!(unknown_fields(deploys, &d).is_empty());
    }
}
