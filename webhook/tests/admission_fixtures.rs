//! Recorded AdmissionReviews (`tests/data/`) of each workload kind and QoS class through
//! `admit`: each test asserts the exact patch and annotations, that the patch applies and yields
//! a valid Pod, and the pod's QoS class, computed independently from the Kubernetes rules
//! (`common::qos`).
//!
//! Sizes follow from the policy floor (300Mi, see `common::TINY_PEAK`): the rightsize policy
//! sets the memory LIMIT to its recommendation and the request at the declared ratio, so a
//! 256Mi/512Mi container becomes 150Mi/300Mi.

mod common;

use common::fixtures::*;
use common::qos::qos_class;
use common::*;
use rightsize_webhook::admission::{AdmissionContext, Outcome};
use serde_json::json;

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

/// Recorded from the simulated API server (`sim/cluster`) calling a webhook for a Deployment's
/// pod: the shape the real webhook sees end to end (empty `annotations` object, status filled).
#[test]
fn review_recorded_from_the_simulated_api_server_is_sized() {
    let config = config_with_floor(FLOOR);
    let h = Histories::default().with(deployment("cart"), &["app"], TINY_PEAK);
    let r = run(
        &load("sim_recorded_deployment_pod"),
        &AdmissionContext::new(&h, &config, NOW),
    );
    let admitted = format!(
        "app: memory request 256Mi -> 150Mi, memory limit 512Mi -> 300Mi ({}; declared limit/request ratio kept)",
        rule_text()
    );
    assert_eq!(
        r.patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/resources/requests/memory", "value": "150Mi"},
            {"op": "replace", "path": "/spec/containers/0/resources/limits/memory", "value": "300Mi"},
            {"op": "add", "path": "/metadata/annotations/rightsize.dev~1admitted", "value": admitted},
            {"op": "add", "path": "/metadata/annotations/rightsize.dev~1admitted-containers", "value": "app"},
        ])
    );
    assert_eq!(qos_class(&r.pod()), "Burstable");
}
