//! Reading pods: selection, identity, actual resources, clocks.
use super::*;
use serde_json::json;

fn pod(ns: &str, annotations: serde_json::Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "p", "namespace": ns, "uid": "u-1", "annotations": annotations,
                     "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {
            "containers": [{"name": "app", "image": "x", "resources": {"requests": {"memory": "1Gi"}, "limits": {"memory": "2Gi"}}}],
            "initContainers": [
                {"name": "setup", "image": "x"},
                {"name": "proxy", "image": "x", "restartPolicy": "Always", "resources": {"limits": {"memory": "64Mi"}}}
            ]
        },
        "status": {"phase": "Running", "startTime": "2026-01-01T00:00:10Z",
            "containerStatuses": [{"name": "app", "image": "x", "imageID": "", "ready": true, "restartCount": 0,
                "resources": {"requests": {"memory": "512Mi"}, "limits": {"memory": "1Gi"}}}]}
    }))
    .unwrap()
}

fn selection() -> Selection {
    Selection {
        enabled: ["shop".to_owned(), "kube-system".to_owned()].into(),
        excluded: vec!["kube-system".into(), "rightsize-system".into()],
    }
}

#[test]
fn only_pods_of_opted_in_namespaces_not_excluded_and_not_off_or_initial_are_managed() {
    let s = selection();
    assert_eq!(s.mode(&pod("shop", json!({}))), Some(Mode::Auto));
    assert_eq!(s.mode(&pod("other", json!({}))), None, "not opted in");
    assert_eq!(
        s.mode(&pod("kube-system", json!({}))),
        None,
        "excluded even if labelled"
    );
    for m in ["off", "initial"] {
        assert_eq!(
            s.mode(&pod("shop", json!({MODE_ANNOTATION: m}))),
            None,
            "{m}"
        );
    }
    assert_eq!(
        s.mode(&pod("shop", json!({MODE_ANNOTATION: "recommend"}))),
        Some(Mode::Recommend)
    );
    assert_eq!(
        s.mode(&pod("shop", json!({MODE_ANNOTATION: "typo"}))),
        Some(Mode::Auto)
    );
}

#[test]
fn actual_memory_comes_from_status_not_spec() {
    let p = pod("shop", json!({}));
    let c = &p.spec.as_ref().unwrap().containers[0];
    let a = actual_memory(&p, c).unwrap();
    assert_eq!(
        (a.request, a.limit),
        (512.0 * 1_048_576.0, 1024.0 * 1_048_576.0)
    );
}

#[test]
fn sidecars_are_resizable_plain_init_containers_are_not() {
    let p = pod("shop", json!({}));
    let names: Vec<(&str, bool)> = resizable_containers(&p)
        .map(|(c, init)| (c.name.as_str(), init))
        .collect();
    assert_eq!(names, [("app", false), ("proxy", true)]);
}

#[test]
fn cooldown_clock_starts_at_the_last_resize_else_the_pod_start() {
    assert_eq!(clock_start(&pod("shop", json!({}))), Some(1_767_225_610.0));
    let resized = pod(
        "shop",
        json!({LAST_RESIZE_ANNOTATION: "2026-01-01T01:00:00Z"}),
    );
    assert_eq!(clock_start(&resized), Some(1_767_229_200.0));
    let garbage = pod("shop", json!({LAST_RESIZE_ANNOTATION: "yesterday"}));
    assert_eq!(
        clock_start(&garbage),
        Some(1_767_225_610.0),
        "unreadable: the pod start"
    );
}

#[test]
fn pod_id_is_stable_for_a_uid() {
    let p = pod("shop", json!({}));
    assert_eq!(id(&p), id_of_uid("u-1"));
    assert_ne!(id_of_uid("u-1"), id_of_uid("u-2"));
}

#[test]
fn pairs_annotations_round_trip() {
    let map = parse_pairs(Some(&"app=3, proxy=1".to_owned()));
    assert_eq!(map["app"], "3");
    assert_eq!(format_pairs(&map), "app=3,proxy=1");
    assert!(parse_pairs(Some(&"junk".to_owned())).is_empty());
}
