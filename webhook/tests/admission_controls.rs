//! Recorded AdmissionReviews (`tests/data/`) through `admit` under each per-pod control and each
//! constraint: modes, `RECOMMEND_ONLY`, annotation bounds, an invalid annotation, a LimitRange
//! max below the profile, the largest node, reinvocation, no history, and reviews admission
//! does not act on. Each asserts the exact patch (or its absence) and the warnings.

mod common;

use common::fixtures::*;
use common::qos::qos_class;
use common::*;
use rightsize_policy::annotations::{ADMITTED, ADMITTED_CONTAINERS, RECOMMENDATION};
use rightsize_webhook::admission::{
    AdmissionContext, Constraints, LimitRangeSnapshot, NodeAllocatable, Outcome,
};
use serde_json::json;

#[test]
fn modes_auto_and_initial_size_the_pod() {
    for name in ["mode_auto_pod", "mode_initial_pod"] {
        let r = run_fixture(name);
        let admitted = format!(
            "app: memory request 256Mi -> 150Mi, memory limit 512Mi -> 300Mi ({}; declared limit/request ratio kept)",
            rule_text()
        );
        let [a, b] = annotation_ops(ADMITTED, &admitted, "app");
        assert_eq!(
            r.patch,
            json!([
                {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "150Mi"},
                {"op": "replace", "path": "/spec/containers/0/resources/limits/memory", "value": "300Mi"},
                a, b,
            ]),
            "{name}"
        );
        assert_eq!(r.outcome, Outcome::Patched);
        assert_idempotent(name, &r);
    }
}

#[test]
fn mode_recommend_writes_the_recommendation_only() {
    let r = run_fixture("mode_recommend_pod");
    let text = format!(
        "app: memory request 256Mi -> 150Mi, memory limit 512Mi -> 300Mi ({}; declared limit/request ratio kept)",
        rule_text()
    );
    let [a, b] = annotation_ops(RECOMMENDATION, &text, "app");
    assert_eq!(r.patch, json!([b, a]));
    assert_eq!(r.outcome, Outcome::Recommended);
    assert_eq!(r.after["spec"], r.before["spec"], "resources untouched");
    assert_eq!(r.annotation(RECOMMENDATION).as_deref(), Some(text.as_str()));
    assert_eq!(r.annotation(ADMITTED), None);
    assert_idempotent("mode_recommend_pod", &r);
}

#[test]
fn mode_off_leaves_the_pod_alone() {
    let r = run_fixture("mode_off_pod");
    assert_eq!(r.patch, json!([]));
    assert_eq!(r.outcome, Outcome::Off);
    assert!(r.allowed && r.warnings.is_empty());
}

#[test]
fn recommend_only_turns_every_pod_into_a_dry_run() {
    let mut config = config_with_floor(FLOOR);
    config.recommend_only = true;
    let h = histories();
    let r = run(
        &load("deployment_pod"),
        &AdmissionContext::new(&h, &config, NOW),
    );
    let text = format!(
        "app: memory request 256Mi -> 150Mi, memory limit 512Mi -> 300Mi ({}; declared limit/request ratio kept)",
        rule_text()
    );
    assert_eq!(
        r.patch,
        json!([{"op": "add", "path": "/metadata/annotations", "value": {
            ADMITTED_CONTAINERS: "app", RECOMMENDATION: text}}])
    );
    assert_eq!(r.outcome, Outcome::Recommended);
    assert_eq!(r.after["spec"], r.before["spec"]);
    // mode: off still wins over a dry run.
    let off = run(
        &load("mode_off_pod"),
        &AdmissionContext::new(&h, &config, NOW),
    );
    assert_eq!(off.patch, json!([]));
}

#[test]
fn invalid_annotation_admits_unchanged_with_a_warning() {
    let r = run_fixture("invalid_annotation_pod");
    assert_eq!(r.patch, json!([]));
    assert!(r.allowed);
    assert_eq!(r.outcome, Outcome::InvalidAnnotation);
    assert_eq!(r.warnings.len(), 1);
    let w = &r.warnings[0];
    assert!(
        w.starts_with("rightsize: rightsize.dev/max-memory=\"lots\": ")
            && w.ends_with("pod admitted unchanged"),
        "{w}"
    );
}

#[test]
fn annotation_bounds_raise_memory_and_cap_cpu() {
    let r = run_fixture("bounded_pod");
    let admitted = format!(
        "app: memory request 256Mi -> 400Mi, memory limit 512Mi -> 800Mi, cpu request 250m -> 200m \
         ({}; raised to rightsize.dev/min-memory 400Mi; capped at rightsize.dev/max-cpu 200m; declared limit/request ratio kept)",
        rule_text()
    );
    let [a, b] = annotation_ops(ADMITTED, &admitted, "app");
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/resources/requests/cpu", "value": "200m"},
            {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "400Mi"},
            {"op": "replace", "path": "/spec/containers/0/resources/limits/memory", "value": "800Mi"},
            a, b,
        ])
    );
    assert_eq!(qos_class(&r.pod()), "Burstable");
}

#[test]
fn limit_range_max_below_the_profile_caps_limit_and_request() {
    let config = config_with_floor(FLOOR);
    let h = histories();
    let limit_range = LimitRangeSnapshot {
        container_memory: Constraints {
            max: Some("200Mi".parse().unwrap()),
            ..Constraints::default()
        },
        ..LimitRangeSnapshot::default()
    };
    let ctx = AdmissionContext::new(&h, &config, NOW).with_limit_range(limit_range);
    let r = run(&load("deployment_pod"), &ctx);
    let admitted = format!(
        "app: memory request 256Mi -> 100Mi, memory limit 512Mi -> 200Mi ({}; capped at the LimitRange max 200Mi; declared limit/request ratio kept)",
        rule_text()
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "100Mi"},
            {"op": "replace", "path": "/spec/containers/0/resources/limits/memory", "value": "200Mi"},
            annotations_added(&admitted, "app"),
        ])
    );
}

#[test]
fn pod_is_capped_to_fit_the_largest_node() {
    let config = config_with_floor("2Gi");
    let h = histories();
    let node = NodeAllocatable {
        memory: Some("768Mi".parse().unwrap()),
        cpu: Some("2".parse().unwrap()),
    };
    let ctx = AdmissionContext::new(&h, &config, NOW).with_largest_node(Some(node));
    let r = run(&load("deployment_pod"), &ctx);
    let admitted = format!(
        "app: memory request 256Mi -> 768Mi, memory limit 512Mi -> 1536Mi ({}; declared limit/request ratio kept; capped so the pod fits the largest node (768Mi allocatable))",
        rule(&config, TINY_PEAK)
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "768Mi"},
            {"op": "replace", "path": "/spec/containers/0/resources/limits/memory", "value": "1536Mi"},
            annotations_added(&admitted, "app"),
        ])
    );
}

#[test]
fn reinvocation_sizes_only_the_container_injected_since() {
    let r = run_fixture("reinvocation_pod");
    let before = r.pod_before();
    let previous = before.metadata.annotations.as_ref().unwrap()[ADMITTED].clone();
    let admitted = format!(
        "{previous}; injected: memory request 32Mi -> 150Mi, memory limit 64Mi -> 300Mi ({}; declared limit/request ratio kept)",
        rule_text()
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/1/resources/requests/memory", "value": "150Mi"},
            {"op": "replace", "path": "/spec/containers/1/resources/limits/memory", "value": "300Mi"},
            {"op": "replace", "path": "/metadata/annotations/rightsize.dev~1admitted", "value": admitted},
            {"op": "replace", "path": "/metadata/annotations/rightsize.dev~1admitted-containers", "value": "app,injected"},
        ])
    );
    assert_eq!(
        r.after["spec"]["containers"][0],
        r.before["spec"]["containers"][0]
    );
    assert_idempotent("reinvocation_pod", &r);
}

#[test]
fn workload_without_history_is_admitted_unchanged() {
    let config = config_with_floor(FLOOR);
    let empty = Histories::default();
    let r = run(
        &load("deployment_pod"),
        &AdmissionContext::new(&empty, &config, NOW),
    );
    assert_eq!(r.patch, json!([]));
    assert_eq!(r.outcome, Outcome::NoHistory);
    assert!(r.allowed && r.warnings.is_empty());
}

#[test]
fn reviews_admission_does_not_act_on_are_allowed_with_a_warning() {
    for (name, says) in [
        ("update_operation", "operation UPDATE is not handled"),
        ("configmap_object", "kind /v1/ConfigMap is not handled"),
        ("missing_object", "the review has no object"),
        ("unparsable_pod_spec", "the object is not a valid Pod"),
        (
            "unparsable_quantity",
            "container \"app\": memory request: invalid quantity \"lots\"",
        ),
    ] {
        let r = run_fixture(name);
        assert!(r.allowed, "{name}");
        assert_eq!(r.patch, json!([]), "{name}");
        assert_eq!(r.warnings.len(), 1, "{name}");
        assert!(
            r.warnings[0].starts_with(&format!("rightsize: {says}")),
            "{name}: {}",
            r.warnings[0]
        );
    }
}

#[test]
fn seed_policy_keeps_the_declared_size_and_says_so() {
    let config = rightsize_webhook::admission::AdmissionConfig {
        policy: rightsize_webhook::admission::PolicyConfig::Seed(Default::default()),
        ..Default::default()
    };
    let h = histories();
    let r = run(
        &load("deployment_pod"),
        &AdmissionContext::new(&h, &config, NOW),
    );
    assert_eq!(
        r.patch,
        json!([annotations_added(
            "app: unchanged (the policy keeps the declared size)",
            "app"
        )])
    );
    assert_eq!(r.outcome, Outcome::Unchanged);
    assert_eq!(r.after["spec"], r.before["spec"]);
}

#[test]
fn pod_limit_range_on_the_sum_keeps_the_declared_sizes() {
    let config = config_with_floor("2Gi");
    let h = histories();
    let limit_range = LimitRangeSnapshot {
        pod_memory: Constraints {
            max: Some("1Gi".parse().unwrap()),
            ..Constraints::default()
        },
        ..LimitRangeSnapshot::default()
    };
    let ctx = AdmissionContext::new(&h, &config, NOW).with_limit_range(limit_range);
    let r = run(&load("sidecar_pod"), &ctx);
    let note = "the pod's memory would break the LimitRange for pods: declared size kept";
    let rule = rule(&config, TINY_PEAK);
    let admitted = format!(
        "app: unchanged ({rule}; declared limit/request ratio kept; {note}); \
         proxy: unchanged ({rule}; declared limit/request ratio kept; {note})"
    );
    assert_eq!(r.patch, json!([annotations_added(&admitted, "app,proxy")]));
    assert_eq!(r.after["spec"], r.before["spec"]);
}
