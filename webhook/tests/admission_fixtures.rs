//! Recorded AdmissionReviews (`tests/data/`) through `admit`: each test asserts the exact patch
//! and annotations, that the patch applies and yields a valid Pod, and the pod's QoS class,
//! computed independently from the Kubernetes rules (`common::qos`).
//!
//! Sizes follow from the policy floor (300Mi, see `common::TINY_PEAK`): the rightsize policy
//! sets the memory LIMIT to its recommendation and the request at the declared ratio, so a
//! 256Mi/512Mi container becomes 150Mi/300Mi.

mod common;

use common::qos::qos_class;
use common::*;
use rightsize_policy::annotations::{ADMITTED, ADMITTED_CONTAINERS, RECOMMENDATION};
use rightsize_policy::workload::{WorkloadKind, WorkloadRef};
use rightsize_webhook::admission::{
    AdmissionContext, Constraints, LimitRangeSnapshot, NodeAllocatable, Outcome,
};
use serde_json::json;

const FLOOR: &str = "300Mi";

/// Histories of every workload of the fixtures, each container with a profile.
fn histories() -> Histories {
    Histories::default()
        .with(
            deployment("web"),
            &["app", "proxy", "init-db", "injected"],
            TINY_PEAK,
        )
        .with(
            WorkloadRef::new("shop", WorkloadKind::StatefulSet, "db"),
            &["postgres"],
            TINY_PEAK,
        )
        .with(
            WorkloadRef::new("shop", WorkloadKind::Job, "migrate"),
            &["migrate"],
            TINY_PEAK,
        )
        .with(
            WorkloadRef::new("shop", WorkloadKind::Pod, "debug"),
            &["shell"],
            TINY_PEAK,
        )
}

/// Run fixture `name` with the default fixture configuration.
fn run_fixture(name: &str) -> Run {
    let config = config_with_floor(FLOOR);
    let h = histories();
    run(&load(name), &AdmissionContext::new(&h, &config, NOW))
}

fn rule_text() -> String {
    rule(&config_with_floor(FLOOR), TINY_PEAK)
}

/// The `add /metadata/annotations` operation of a pod that had no annotations.
fn annotations_added(admitted: &str, containers: &str) -> serde_json::Value {
    json!({"op": "add", "path": "/metadata/annotations", "value": {
        ADMITTED: admitted, ADMITTED_CONTAINERS: containers}})
}

/// A second call with the patched pod (reinvocation) changes nothing more.
fn assert_idempotent(name: &str, first: &Run) {
    let config = config_with_floor(FLOOR);
    let h = histories();
    let again = run(
        &with_object(&load(name), &first.after),
        &AdmissionContext::new(&h, &config, NOW + 7200.0),
    );
    assert_eq!(again.patch, json!([]), "{name}: reinvocation patched again");
}

#[test]
fn deployment_pod_without_namespace_is_sized_from_its_deployment() {
    let r = run_fixture("deployment_pod");
    let admitted = format!(
        "app: memory request 256Mi -> 150Mi, memory limit 512Mi -> 300Mi ({}; declared limit/request ratio kept)",
        rule_text()
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "150Mi"},
            {"op": "replace", "path": "/spec/containers/0/resources/limits/memory", "value": "300Mi"},
            annotations_added(&admitted, "app"),
        ])
    );
    assert_eq!(r.outcome, Outcome::Patched);
    assert!(r.allowed && r.warnings.is_empty());
    assert_eq!(qos_class(&r.pod()), "Burstable");
    assert_idempotent("deployment_pod", &r);
}

#[test]
fn statefulset_pod_named_by_ordinal_uses_the_statefulset_history() {
    let r = run_fixture("statefulset_pod");
    let admitted = format!(
        "postgres: memory request 1Gi -> 300Mi ({}; no memory limit declared: request only)",
        rule_text()
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "300Mi"},
            annotations_added(&admitted, "postgres"),
        ])
    );
    assert_eq!(qos_class(&r.pod()), "Burstable");
    assert_idempotent("statefulset_pod", &r);
}

#[test]
fn job_pod_keeps_its_limit_ratio() {
    let r = run_fixture("job_pod");
    let admitted = format!(
        "migrate: memory request 128Mi -> 150Mi, memory limit 256Mi -> 300Mi ({}; declared limit/request ratio kept)",
        rule_text()
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "150Mi"},
            {"op": "replace", "path": "/spec/containers/0/resources/limits/memory", "value": "300Mi"},
            annotations_added(&admitted, "migrate"),
        ])
    );
    assert_eq!(qos_class(&r.pod()), "Burstable");
}

#[test]
fn bare_pod_with_equal_memory_request_and_limit_stays_burstable() {
    let r = run_fixture("bare_pod");
    let admitted = format!(
        "shell: memory request 100Mi -> 300Mi, memory limit 100Mi -> 300Mi ({})",
        rule_text()
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "300Mi"},
            {"op": "replace", "path": "/spec/containers/0/resources/limits/memory", "value": "300Mi"},
            annotations_added(&admitted, "shell"),
        ])
    );
    assert_eq!(qos_class(&r.pod_before()), "Burstable");
    assert_eq!(qos_class(&r.pod()), "Burstable");
    assert_idempotent("bare_pod", &r);
}

#[test]
fn sidecar_is_sized_and_plain_init_container_is_not() {
    let r = run_fixture("sidecar_pod");
    let rule = rule_text();
    let admitted = format!(
        "app: memory request 256Mi -> 150Mi, memory limit 512Mi -> 300Mi ({rule}; declared limit/request ratio kept); \
         proxy: memory request 64Mi -> 150Mi, memory limit 128Mi -> 300Mi ({rule}; declared limit/request ratio kept)"
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "150Mi"},
            {"op": "replace", "path": "/spec/containers/0/resources/limits/memory", "value": "300Mi"},
            {"op": "replace", "path": "/spec/initContainers/1/resources/requests/memory", "value": "150Mi"},
            {"op": "replace", "path": "/spec/initContainers/1/resources/limits/memory", "value": "300Mi"},
            annotations_added(&admitted, "app,proxy"),
        ])
    );
    let pod = r.pod();
    let init = &pod.spec.as_ref().unwrap().init_containers.as_ref().unwrap()[0];
    assert_eq!(init.name, "init-db");
    assert_eq!(
        r.after["spec"]["initContainers"][0], r.before["spec"]["initContainers"][0],
        "plain init container untouched"
    );
    assert_eq!(qos_class(&pod), "Burstable");
    assert_idempotent("sidecar_pod", &r);
}

#[test]
fn besteffort_pod_gets_a_memory_request_only_and_becomes_burstable() {
    let r = run_fixture("besteffort_pod");
    let admitted = format!(
        "app: memory request none -> 300Mi ({}; BestEffort pod: memory request only, the pod becomes Burstable)",
        rule_text()
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "add", "path": "/spec/containers/0/resources", "value": {"requests": {"memory": "300Mi"}}},
            annotations_added(&admitted, "app"),
        ])
    );
    assert_eq!(qos_class(&r.pod_before()), "BestEffort");
    assert_eq!(qos_class(&r.pod()), "Burstable");
    assert!(
        r.pod().spec.unwrap().containers[0]
            .resources
            .as_ref()
            .unwrap()
            .limits
            .is_none()
    );
    assert_idempotent("besteffort_pod", &r);
}

#[test]
fn limits_only_container_arrives_defaulted_and_stays_guaranteed() {
    let r = run_fixture("limits_only_defaulted_pod");
    let admitted = format!(
        "app: memory request 1Gi -> 300Mi, memory limit 1Gi -> 300Mi ({})",
        rule_text()
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "300Mi"},
            {"op": "replace", "path": "/spec/containers/0/resources/limits/memory", "value": "300Mi"},
            annotations_added(&admitted, "app"),
        ])
    );
    assert_eq!(qos_class(&r.pod_before()), "Guaranteed");
    assert_eq!(qos_class(&r.pod()), "Guaranteed");
}

#[test]
fn guaranteed_pod_stays_guaranteed_and_unknown_container_is_untouched() {
    let r = run_fixture("guaranteed_pod");
    let admitted = format!(
        "app: memory request 512Mi -> 300Mi, memory limit 512Mi -> 300Mi ({})",
        rule_text()
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "300Mi"},
            {"op": "replace", "path": "/spec/containers/0/resources/limits/memory", "value": "300Mi"},
            annotations_added(&admitted, "app,metrics"),
        ])
    );
    assert_eq!(qos_class(&r.pod()), "Guaranteed");
    assert_idempotent("guaranteed_pod", &r);
}

/// The per-key annotation operations of a pod that already had annotations.
fn annotation_ops(key: &str, text: &str, containers: &str) -> [serde_json::Value; 2] {
    let escaped = |k: &str| format!("/metadata/annotations/{}", k.replace('/', "~1"));
    [
        json!({"op": "add", "path": escaped(key), "value": text}),
        json!({"op": "add", "path": escaped(ADMITTED_CONTAINERS), "value": containers}),
    ]
}

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
