//! Helpers of the fixture tests: the histories every recorded review's workload has, the
//! fixture configuration, and the expected-patch building blocks.

use rightsize_policy::annotations::{ADMITTED, ADMITTED_CONTAINERS};
use rightsize_policy::workload::{WorkloadKind, WorkloadRef};
use rightsize_webhook::admission::AdmissionContext;
use serde_json::json;

use super::*;

pub const FLOOR: &str = "300Mi";

/// Histories of every workload of the fixtures, each container with a profile.
pub fn histories() -> Histories {
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
pub fn run_fixture(name: &str) -> Run {
    let config = config_with_floor(FLOOR);
    let h = histories();
    run(&load(name), &AdmissionContext::new(&h, &config, NOW))
}

pub fn rule_text() -> String {
    rule(&config_with_floor(FLOOR), TINY_PEAK)
}

/// The `add /metadata/annotations` operation of a pod that had no annotations.
pub fn annotations_added(admitted: &str, containers: &str) -> serde_json::Value {
    json!({"op": "add", "path": "/metadata/annotations", "value": {
        ADMITTED: admitted, ADMITTED_CONTAINERS: containers}})
}

/// A second call with the patched pod (reinvocation) changes nothing more.
pub fn assert_idempotent(name: &str, first: &Run) {
    let config = config_with_floor(FLOOR);
    let h = histories();
    let again = run(
        &with_object(&load(name), &first.after),
        &AdmissionContext::new(&h, &config, NOW + 7200.0),
    );
    assert_eq!(again.patch, json!([]), "{name}: reinvocation patched again");
}

/// The per-key annotation operations of a pod that already had annotations.
pub fn annotation_ops(key: &str, text: &str, containers: &str) -> [serde_json::Value; 2] {
    let escaped = |k: &str| format!("/metadata/annotations/{}", k.replace('/', "~1"));
    [
        json!({"op": "add", "path": escaped(key), "value": text}),
        json!({"op": "add", "path": escaped(ADMITTED_CONTAINERS), "value": containers}),
    ]
}
