//! Patch tests: apimachinery's own strategic-merge examples (`testdata/apimachinery_cases.json`,
//! transcribed from `pkg/util/strategicpatch/patch_test.go`) run against the same test type,
//! then the served kinds' merge keys, JSON merge patch and JSON patch.

use serde_json::{Value, json};

use super::merge_keys::{Row, Schema};
use super::*;

/// apimachinery's test type `MergeItem` (and `RetainKeysMergeItem`) as patch-metadata rows.
static MERGE_ITEM: &[Row] = &[
    ("mergeItem", "mergingList", "mergeItem", "merge", "name"),
    ("mergeItem", "nonMergingList", "mergeItem", "", ""),
    ("mergeItem", "mergingIntList", "", "merge", ""),
    ("mergeItem", "mergeItemPtr", "mergeItem", "merge", "name"),
    ("mergeItem", "replacingItem", "", "replace", ""),
    (
        "mergeItem",
        "retainKeysMap",
        "retainKeysMergeItem",
        "retainKeys",
        "",
    ),
    (
        "mergeItem",
        "retainKeysMergingList",
        "mergeItem",
        "merge,retainKeys",
        "name",
    ),
    ("retainKeysMergeItem", "mergingIntList", "", "merge", ""),
    (
        "retainKeysMergeItem",
        "mergingList",
        "mergeItem",
        "merge",
        "name",
    ),
    ("retainKeysMergeItem", "nonMergingList", "mergeItem", "", ""),
];

fn cases() -> Value {
    serde_json::from_str(include_str!("testdata/apimachinery_cases.json")).expect("valid JSON")
}

fn apply_to_merge_item(original: &Value, patch: &Value) -> Result<Value, strategic::SmpError> {
    let (Value::Object(o), Value::Object(p)) = (original.clone(), patch.clone()) else {
        panic!("test cases are objects");
    };
    let mut out = Value::Object(strategic::merge_map(
        o,
        p,
        Schema::within(MERGE_ITEM, "mergeItem"),
    )?);
    strategic::strip_directive_keys(&mut out);
    Ok(out)
}

fn or_empty(v: &Value) -> Value {
    if v.is_null() { json!({}) } else { v.clone() }
}

/// apimachinery's `sortMergeListsByName`: the YAML cases compare with merging lists sorted.
fn sorted(v: &Value, schema: Schema) -> Value {
    let Value::Object(m) = v else {
        return v.clone();
    };
    let mut out = serde_json::Map::new();
    for (k, v) in m {
        let (sub, meta) = schema.field(k);
        let v = match v {
            Value::Object(_) => sorted(v, sub),
            Value::Array(a) if meta.strategy == merge_keys::Strategy::Merge => {
                let mut a: Vec<Value> = a.iter().map(|e| sorted(e, sub)).collect();
                let label = |e: &Value| match e {
                    Value::Object(_) => plain(&e[meta.merge_key]),
                    other => plain(other),
                };
                a.dedup_by(|x, y| !x.is_object() && x == y);
                a.sort_by_key(label);
                Value::Array(a)
            }
            other => other.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

fn plain(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

#[test]
fn apimachinery_raw_cases_give_the_same_objects_in_the_same_order() {
    let cases = cases();
    let mut checked = 0;
    for c in cases["raw"].as_array().unwrap() {
        let d = c["description"].as_str().unwrap();
        let two_way_expected = if c["twoWayResult"].is_null() {
            &c["modified"]
        } else {
            &c["twoWayResult"]
        };
        let got = apply_to_merge_item(&or_empty(&c["original"]), &or_empty(&c["twoWay"]));
        assert_eq!(
            got.as_ref(),
            Ok(&or_empty(two_way_expected)),
            "{d} (two-way)"
        );
        // "...with conflict" cases have no three-way patch kubectl would send without --force.
        if !d.contains("conflict") {
            let got = apply_to_merge_item(&or_empty(&c["current"]), &or_empty(&c["threeWay"]));
            assert_eq!(got.as_ref(), Ok(&or_empty(&c["result"])), "{d} (three-way)");
        }
        checked += 1;
    }
    assert_eq!(checked, 94);
}

#[test]
fn apimachinery_custom_cases_including_refused_patches() {
    let cases = cases();
    for c in cases["custom_raw"].as_array().unwrap() {
        let d = c["description"].as_str().unwrap();
        let got = apply_to_merge_item(&or_empty(&c["original"]), &or_empty(&c["twoWay"]));
        match c["expectedError"].as_str() {
            Some(want) => {
                let err = got.expect_err(d);
                assert!(err.to_string().contains(want), "{d}: {err}");
            }
            None => assert_eq!(got, Ok(or_empty(&c["modified"])), "{d}"),
        }
    }
    for c in cases["custom"].as_array().unwrap() {
        let d = c["description"].as_str().unwrap();
        let got = apply_to_merge_item(&c["original"], &c["twoWay"]).expect(d);
        assert_eq!(got, c["modified"], "{d}");
    }
}

#[test]
fn apimachinery_yaml_cases_match_with_merging_lists_sorted() {
    let cases = cases();
    let schema = Schema::within(MERGE_ITEM, "mergeItem");
    for c in cases["sorted"].as_array().unwrap() {
        let d = c["description"].as_str().unwrap();
        let expected = if c["twoWayResult"].is_null() {
            &c["modified"]
        } else {
            &c["twoWayResult"]
        };
        let original = sorted(&or_empty(&c["original"]), schema);
        let patch = sorted(&or_empty(&c["twoWay"]), schema);
        let got = apply_to_merge_item(&original, &patch).expect(d);
        assert_eq!(
            sorted(&got, schema),
            sorted(&or_empty(expected), schema),
            "{d} (two-way)"
        );
        if !d.contains("conflict") && !c["threeWay"].is_null() {
            let current = sorted(&or_empty(&c["current"]), schema);
            let patch = sorted(&c["threeWay"], schema);
            let got = apply_to_merge_item(&current, &patch).expect(d);
            assert_eq!(
                sorted(&got, schema),
                sorted(&c["result"], schema),
                "{d} (three-way)"
            );
        }
    }
}

#[test]
fn served_kinds_merge_the_lists_kubernetes_tags_say() {
    let meta = |kind: &str, path: &[&str]| {
        let mut s = Schema::for_kind(kind);
        let mut m = None;
        for f in path {
            let (sub, fm) = s.field(f);
            s = sub;
            m = Some(fm);
        }
        let m = m.unwrap();
        (m.strategy, m.merge_key)
    };
    use merge_keys::Strategy::{Default, Merge, Replace};
    let pod = ["spec", "template", "spec"];
    let c =
        |rest: &[&'static str]| -> Vec<&'static str> { pod.iter().chain(rest).copied().collect() };
    assert_eq!(meta("Deployment", &c(&["containers"])), (Merge, "name"));
    assert_eq!(
        meta("StatefulSet", &c(&["initContainers"])),
        (Merge, "name")
    );
    assert_eq!(
        meta("DaemonSet", &c(&["containers", "env"])),
        (Merge, "name")
    );
    assert_eq!(
        meta("ReplicaSet", &c(&["containers", "ports"])),
        (Merge, "containerPort")
    );
    assert_eq!(meta("Deployment", &c(&["volumes"])), (Merge, "name"));
    assert_eq!(
        meta("Deployment", &c(&["containers", "volumeMounts"])),
        (Merge, "mountPath")
    );
    assert_eq!(meta("Deployment", &c(&["tolerations"])), (Default, ""));
    assert_eq!(
        meta(
            "CronJob",
            &[
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "spec",
                "containers"
            ]
        ),
        (Merge, "name")
    );
    assert_eq!(
        meta("Pod", &["spec", "ephemeralContainers"]),
        (Merge, "name")
    );
    assert_eq!(
        meta("Pod", &["metadata", "ownerReferences"]),
        (Merge, "uid")
    );
    assert_eq!(meta("ConfigMap", &["metadata", "finalizers"]), (Merge, ""));
    assert_eq!(meta("Service", &["spec", "ports"]), (Merge, "port"));
    assert_eq!(
        meta("MutatingWebhookConfiguration", &["webhooks"]),
        (Merge, "name")
    );
    assert_eq!(
        meta(
            "MutatingWebhookConfiguration",
            &["webhooks", "matchConditions"]
        ),
        (Merge, "name")
    );
    assert_eq!(meta("ClusterRole", &["rules"]), (Default, ""));
    assert_eq!(meta("Role", &["rules"]), (Default, ""));
    assert_eq!(meta("RoleBinding", &["subjects"]), (Default, ""));
    assert_eq!(
        meta("PodDisruptionBudget", &["spec", "selector"]),
        (Replace, "")
    );
    assert_eq!(meta("Node", &["status", "conditions"]), (Merge, "type"));
    assert!(merge_keys::rows().len() > 70);
}

#[test]
fn strategic_patch_of_a_deployment_merges_containers_env_and_keeps_the_rest() {
    let live = json!({"kind": "Deployment", "metadata": {"name": "d", "finalizers": ["a"]},
        "spec": {"replicas": 1, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
        "template": {"spec": {"tolerations": [{"key": "x"}], "containers": [
            {"name": "a", "image": "x", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            {"name": "b", "image": "y"}]}}}});
    let patch = br#"{"metadata": {"finalizers": ["b"]},
        "spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"},
        "template": {"spec": {"tolerations": [{"key": "z"}],
        "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
        "containers": [{"name": "a", "env": [{"name": "B", "value": "3"}, {"name": "A", "$patch": "delete"}]}]}}}}"#;
    let out = apply(PatchKind::Strategic, "Deployment", &live, patch).unwrap();
    // New items of a merging list go before the server-only ones (apimachinery `mergeSortedSlice`).
    assert_eq!(out["metadata"]["finalizers"], json!(["b", "a"]));
    assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
    let spec = &out["spec"]["template"]["spec"];
    assert_eq!(
        spec["tolerations"],
        json!([{"key": "z"}]),
        "tolerations are atomic"
    );
    assert_eq!(spec["containers"][0], json!({"name": "b", "image": "y"}));
    assert_eq!(
        spec["containers"][1],
        json!({"name": "a", "image": "x", "env": [{"name": "B", "value": "3"}]})
    );
    assert_eq!(out["spec"]["replicas"], 1);
}

#[test]
fn strategic_patch_replaces_rbac_rules_and_reports_bad_patches_as_the_server_does() {
    let role = json!({"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]});
    let out = apply(
        PatchKind::Strategic,
        "Role",
        &role,
        br#"{"rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}]}"#,
    )
    .unwrap();
    assert_eq!(out["rules"].as_array().unwrap().len(), 1);
    assert_eq!(out["rules"][0]["resources"], json!(["configmaps"]));

    let pod = json!({"spec": {"containers": [{"name": "a"}]}});
    let err = apply(
        PatchKind::Strategic,
        "Pod",
        &pod,
        br#"{"spec": {"containers": [{"image": "x"}]}}"#,
    )
    .unwrap_err();
    assert_eq!(err.code, 500);
    assert!(
        err.message
            .contains("does not contain declared merge key: name"),
        "{}",
        err.message
    );
    let err = apply(
        PatchKind::Strategic,
        "Pod",
        &pod,
        br#"{"$setElementOrder": []}"#,
    )
    .unwrap_err();
    assert_eq!(err.code, 400);
    let err = apply(PatchKind::Strategic, "Pod", &pod, b"[1]").unwrap_err();
    assert_eq!(err.code, 400);
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
        "ConfigMap",
        &json!({}),
        br#"[{"op":"replace","path":"/x/y","value":1}]"#,
    )
    .unwrap_err();
    assert_eq!(err.code, 422);
}
