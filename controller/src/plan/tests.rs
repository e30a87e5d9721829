//! Decision → bounded resize, scenario by scenario.
use super::*;
use serde_json::json;

use rightsize_policy::seed::MIB as MI;

fn pod(request: &str, limit: &str, extra: serde_json::Value) -> Pod {
    let mut c = json!({"name": "app", "image": "x",
        "resources": {"requests": {"memory": request, "cpu": "100m"}, "limits": {"memory": limit}}});
    if let Some(obj) = extra.as_object() {
        for (k, v) in obj {
            c[k] = v.clone();
        }
    }
    serde_json::from_value(
        json!({"metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [c]}}),
    )
    .unwrap()
}

fn decide(request_mi: f64, limit_mi: f64) -> Decision {
    Decision {
        allocation: Allocation {
            request: request_mi * MI,
            limit: limit_mi * MI,
        },
        reason: "test".into(),
    }
}

fn bounds(minor: u32) -> Bounds {
    Bounds {
        largest_node: Some(8192.0 * MI),
        pod_node: Some(4096.0 * MI),
        minor,
        allow_restart: false,
    }
}

fn mem(plan: &Plan) -> (String, String) {
    (
        plan.after.memory.request.unwrap().to_string(),
        plan.after.memory.limit.unwrap().to_string(),
    )
}

fn container(p: &Pod) -> &Container {
    &p.spec.as_ref().unwrap().containers[0]
}

#[test]
fn on_1_34_a_shrink_lowers_request_and_limit() {
    let p = pod("1Gi", "1Gi", json!({}));
    let plan = plan(&p, container(&p), false, &decide(400.0, 400.0), bounds(34)).unwrap();
    assert_eq!(mem(&plan), ("400Mi".into(), "400Mi".into()));
    assert!(!plan.is_up());
}

#[test]
fn on_1_33_a_shrink_keeps_the_memory_limit() {
    let p = pod("1Gi", "1Gi", json!({}));
    let plan = plan(&p, container(&p), false, &decide(400.0, 400.0), bounds(33)).unwrap();
    assert_eq!(mem(&plan), ("400Mi".into(), "1Gi".into()));
}

#[test]
fn on_1_33_a_limit_grows_only_as_far_as_the_pods_node_holds() {
    let p = pod("1Gi", "1Gi", json!({}));
    let plan = plan(
        &p,
        container(&p),
        false,
        &decide(6000.0, 6000.0),
        bounds(33),
    )
    .unwrap();
    assert_eq!(mem(&plan), ("4Gi".into(), "4Gi".into()));
    // 1.34 can take it back later: only the largest node bounds it.
    let plan = super::plan(
        &p,
        container(&p),
        false,
        &decide(6000.0, 6000.0),
        bounds(34),
    )
    .unwrap();
    assert_eq!(mem(&plan), ("6000Mi".into(), "6000Mi".into()));
}

#[test]
fn never_above_the_largest_node() {
    let p = pod("1Gi", "1Gi", json!({}));
    let plan = plan(
        &p,
        container(&p),
        false,
        &decide(20000.0, 20000.0),
        bounds(34),
    )
    .unwrap();
    assert_eq!(mem(&plan), ("8Gi".into(), "8Gi".into()));
}

#[test]
fn restart_container_resize_policy_is_only_recommended_unless_allowed() {
    let p = pod(
        "1Gi",
        "1Gi",
        json!({"resizePolicy": [{"resourceName": "memory", "restartPolicy": "RestartContainer"}]}),
    );
    let plan = super::plan(
        &p,
        container(&p),
        false,
        &decide(2048.0, 2048.0),
        bounds(34),
    )
    .unwrap();
    assert!(matches!(plan.action, Action::Recommend(_)));
    let mut allowed = bounds(34);
    allowed.allow_restart = true;
    let plan = super::plan(&p, container(&p), false, &decide(2048.0, 2048.0), allowed).unwrap();
    assert_eq!(plan.action, Action::Resize);
    // RestartContainer also lifts the 1.33 limit rule (API validation allows it then).
    let plan = super::plan(&p, container(&p), false, &decide(512.0, 512.0), bounds(33)).unwrap();
    assert_eq!(mem(&plan), ("512Mi".into(), "512Mi".into()));
}

#[test]
fn pod_annotations_bound_the_target() {
    let mut p = pod("1Gi", "1Gi", json!({}));
    p.metadata.annotations = Some(
        [
            ("rightsize.dev/min-memory".to_owned(), "600Mi".to_owned()),
            ("rightsize.dev/max-memory".to_owned(), "2Gi".to_owned()),
        ]
        .into(),
    );
    let down = plan(&p, container(&p), false, &decide(100.0, 100.0), bounds(34)).unwrap();
    assert_eq!(mem(&down), ("600Mi".into(), "600Mi".into()));
    let up = plan(
        &p,
        container(&p),
        false,
        &decide(5000.0, 5000.0),
        bounds(34),
    )
    .unwrap();
    assert_eq!(mem(&up), ("2Gi".into(), "2Gi".into()));
}

#[test]
fn a_decision_equal_after_rounding_is_no_plan() {
    let p = pod("1Gi", "1Gi", json!({}));
    let same = plan(
        &p,
        container(&p),
        false,
        &decide(1023.5, 1023.5),
        bounds(34),
    );
    assert_eq!(same.unwrap_err(), NoPlan::Unchanged);
}

#[test]
fn patch_touches_only_this_containers_memory_in_the_right_list() {
    let p = pod("1Gi", "2Gi", json!({}));
    let plan = plan(
        &p,
        container(&p),
        false,
        &decide(1536.0, 3072.0),
        bounds(34),
    )
    .unwrap();
    assert_eq!(
        plan.patch_body(),
        json!({"spec": {"containers": [{"name": "app", "resources": {"requests": {"memory": "1536Mi"}, "limits": {"memory": "3Gi"}}}]}})
    );
    let mut sidecar = plan.clone();
    sidecar.init = true;
    assert!(sidecar.patch_body()["spec"]["initContainers"].is_array());
    assert_eq!(
        plan.describe(),
        "container app memory: request 1Gi, limit 2Gi -> request 1536Mi, limit 3Gi (test)"
    );
}

#[test]
fn deferred_targets_are_lowered_halfway_then_given_up() {
    let actual = Allocation::equal(1024.0 * MI);
    let desired = Allocation::equal(2048.0 * MI);
    assert_eq!(halfway(actual, desired), Allocation::equal(1536.0 * MI));
    assert_eq!(halfway(actual, Allocation::equal(1025.0 * MI)), actual);
}
