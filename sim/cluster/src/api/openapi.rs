//! A minimal OpenAPI v3 discovery, just enough for kubectl's validation step.
//!
//! Before `kubectl create -f` / `apply -f` sends an object it asks whether the server validates
//! fields itself: it looks in `/openapi/v3/<group-version>` for the PATCH operation of the
//! object's kind (`x-kubernetes-group-version-kind`) and checks that it takes the
//! `fieldValidation` query parameter (kubectl `pkg/cmd/util` `Validator` → cli-runtime
//! `resource/query_param_verifier_v3.go`). If it does, kubectl skips its client-side schema check
//! and sends `fieldValidation=Strict`; without any OpenAPI document it fails with "failed to
//! download openapi" unless run with `--validate=false`.
//!
//! The documents below carry only those PATCH operations: no schemas. So `kubectl explain` has
//! nothing to show, and, as the sim does not enforce `fieldValidation=Strict` (it has no schemas
//! to check against), a misspelt field in a manifest is ignored rather than reported.

use serde_json::{Value, json};

use crate::config::KubeVersion;
use crate::resources::{self, RESOURCES};

/// `/openapi/v3/<path>` for a group-version: `api/v1` or `apis/<group>/<version>`.
fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn served_group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out = vec![("", "v1")];
    out.extend(resources::groups());
    out
}

/// `/openapi/v3` (`OpenAPIV3Discovery`): one entry per served group-version.
pub fn root() -> Value {
    let paths: serde_json::Map<String, Value> = served_group_versions()
        .into_iter()
        .map(|(g, v)| {
            let p = gv_path(g, v);
            let url = format!("/openapi/v3/{p}");
            (p, json!({"serverRelativeURL": url}))
        })
        .collect();
    json!({"paths": paths})
}

/// `/openapi/v3/<path>`: the PATCH operation of every writable resource in that group-version,
/// with the `fieldValidation` parameter; `None` for a group-version the sim does not serve.
pub fn group_version(path: &str, version: KubeVersion) -> Option<Value> {
    let (group, ver) = served_group_versions()
        .into_iter()
        .find(|(g, v)| gv_path(g, v) == path.trim_matches('/'))?;
    let mut paths = serde_json::Map::new();
    for r in RESOURCES.iter().filter(|r| {
        r.group == group && r.version == ver && !r.is_virtual() && r.verbs.contains(&"patch")
    }) {
        let scope = if r.namespaced {
            "namespaces/{namespace}/"
        } else {
            ""
        };
        let url = format!("/{}/{scope}{}/{{name}}", gv_path(group, ver), r.plural);
        paths.insert(
            url,
            json!({"patch": {
                "operationId": format!("patch{}", r.kind),
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {"group": group, "version": ver, "kind": r.kind},
                "parameters": [{
                    "name": "fieldValidation",
                    "in": "query",
                    "description": "accepted; the simulated API server does not check fields against a schema",
                    "schema": {"type": "string", "uniqueItems": true},
                }],
                "responses": {"200": {"description": "OK"}},
            }}),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (rightsize simulated API server)", "version": version.git_version()},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_writable_kind_advertises_field_validation() {
        let root = root();
        assert_eq!(
            root["paths"]["apis/apps/v1"]["serverRelativeURL"],
            "/openapi/v3/apis/apps/v1"
        );
        let apps = group_version("apis/apps/v1", KubeVersion::V1_33).unwrap();
        let op = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], "Deployment");
        assert_eq!(op["parameters"][0]["name"], "fieldValidation");
        let core = group_version("api/v1", KubeVersion::V1_33).unwrap();
        assert!(core["paths"]["/api/v1/namespaces/{name}"]["patch"].is_object());
        assert!(
            group_version("apis/metrics.k8s.io/v1beta1", KubeVersion::V1_33).is_some_and(|d| {
                d["paths"]
                    .as_object()
                    .is_some_and(serde_json::Map::is_empty)
            })
        );
        assert!(group_version("apis/batch/v1", KubeVersion::V1_33).is_some());
        assert!(group_version("apis/storage.k8s.io/v1", KubeVersion::V1_33).is_none());
    }
}
