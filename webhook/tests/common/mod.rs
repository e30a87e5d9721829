//! Shared harness of the admission tests: recorded reviews from `tests/data/`, an in-memory
//! history, running `admit`, applying its patch, and an independent QoS check.
#![allow(dead_code)]

pub mod arbitrary;
pub mod fixtures;
pub mod qos;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use json_patch::Patch;
use k8s_openapi::api::core::v1::Pod;
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionReview};
use rightsize_history::WorkloadHistory;
use rightsize_policy::profile::UsageProfile;
use rightsize_policy::quantity::Quantity;
use rightsize_policy::rightsize::{RightsizeParams, RightsizePolicy};
use rightsize_policy::workload::{WorkloadKind, WorkloadRef};
use rightsize_policy::{Admission, Allocation, SizingPolicy};
use rightsize_webhook::admission::{
    AdmissionConfig, AdmissionContext, Outcome, PolicyConfig, ProfileSource, admit,
};
use serde_json::Value;

/// Review time of every test: a fixed instant (2026-06-01T00:00:00Z), on an hour boundary.
pub const NOW: f64 = 1_780_272_000.0;

/// Hours of history the test profiles hold: two days, so the confidence factor is settled.
const PROFILE_HOURS: i64 = 48;

/// History by workload, as the history view would hold it.
#[derive(Default)]
pub struct Histories(HashMap<WorkloadRef, Arc<WorkloadHistory>>);

impl Histories {
    /// Give `containers` of the workload a profile with hourly peaks of `peak` bytes.
    pub fn with(mut self, workload: WorkloadRef, containers: &[&str], peak: f64) -> Self {
        let mut history = self
            .0
            .remove(&workload)
            .map(|h| (*h).clone())
            .unwrap_or_default();
        for name in containers {
            history.merge_container(name, &profile(peak));
        }
        self.0.insert(workload, Arc::new(history));
        self
    }
}

impl ProfileSource for Histories {
    fn workload(&self, workload: &WorkloadRef) -> Option<Arc<WorkloadHistory>> {
        self.0.get(workload).cloned()
    }
}

/// A profile with one replica peaking at `peak` bytes in each of the last two days' hours.
pub fn profile(peak: f64) -> UsageProfile {
    let mut p = UsageProfile::new();
    for h in 1..=PROFILE_HOURS {
        let t = NOW - h as f64 * 3600.0;
        p.record(t, peak);
        p.count_replica(t);
    }
    p
}

/// Tiny peaks, so the `rightsize` policy answers its floor: fixtures then assert sizes that
/// follow from the floor alone, not from the policy's tuning.
pub const TINY_PEAK: f64 = 1024.0 * 1024.0;

/// The configuration of the fixtures: policy `rightsize` with its floor at `floor`.
pub fn config_with_floor(floor: &str) -> AdmissionConfig {
    let floor = Quantity::parse(floor).unwrap();
    AdmissionConfig {
        policy: PolicyConfig::Rightsize(RightsizeParams {
            floor_bytes: floor.as_f64(),
            ..RightsizeParams::default()
        }),
        ..AdmissionConfig::default()
    }
}

/// The rule text the policy gives for a profile (the annotation quotes it).
pub fn rule(config: &AdmissionConfig, peak: f64) -> String {
    let PolicyConfig::Rightsize(params) = &config.policy else {
        panic!("fixtures use the rightsize policy");
    };
    let mut policy = RightsizePolicy::with_profile(*params, profile(peak));
    match policy.admit(0, Allocation::equal(1.0), NOW) {
        Admission::Sized(d) => d.reason,
        Admission::Declared => panic!("the policy sizes a workload with history"),
    }
}

pub fn deployment(name: &str) -> WorkloadRef {
    WorkloadRef::new("shop", WorkloadKind::Deployment, name)
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(format!("{name}.json"))
}

/// The request of recorded review `tests/data/<name>.json`.
pub fn load(name: &str) -> AdmissionRequest<DynamicObject> {
    let text = std::fs::read_to_string(data(name)).expect("fixture exists");
    let review: AdmissionReview<DynamicObject> =
        serde_json::from_str(&text).expect("fixture is an AdmissionReview");
    review.try_into().expect("fixture has a request")
}

/// What one review produced.
pub struct Run {
    pub outcome: Outcome,
    pub allowed: bool,
    pub warnings: Vec<String>,
    /// The patch as JSON (`[]` when there is none).
    pub patch: Value,
    /// The object as sent.
    pub before: Value,
    /// The object with the patch applied.
    pub after: Value,
}

impl Run {
    /// The patched object, read as a Pod (panics if it is not a valid one).
    pub fn pod(&self) -> Pod {
        serde_json::from_value(self.after.clone()).expect("patched object is a valid Pod")
    }

    pub fn pod_before(&self) -> Pod {
        serde_json::from_value(self.before.clone()).expect("object is a valid Pod")
    }

    /// An annotation of the patched pod.
    pub fn annotation(&self, key: &str) -> Option<String> {
        self.after["metadata"]["annotations"][key]
            .as_str()
            .map(str::to_owned)
    }
}

/// Run admission on `req` and apply the patch it returns.
pub fn run(req: &AdmissionRequest<DynamicObject>, ctx: &AdmissionContext<'_>) -> Run {
    let admitted = admit(req, ctx);
    let response = admitted.response;
    assert_eq!(response.uid, req.uid, "the uid is echoed");
    let patch: Value = match &response.patch {
        Some(bytes) => serde_json::from_slice(bytes).expect("patch is JSON"),
        None => Value::Array(vec![]),
    };
    let before = req
        .object
        .as_ref()
        .map(|o| serde_json::to_value(o).unwrap())
        .unwrap_or(Value::Null);
    let mut after = before.clone();
    let ops: Patch = serde_json::from_value(patch.clone()).expect("an RFC 6902 patch");
    json_patch::patch(&mut after, &ops).expect("the patch applies to the object");
    Run {
        outcome: admitted.outcome,
        allowed: response.allowed,
        warnings: response.warnings.unwrap_or_default(),
        patch,
        before,
        after,
    }
}

/// The same review with the object replaced (a reinvocation sees the patched pod).
pub fn with_object(
    req: &AdmissionRequest<DynamicObject>,
    object: &Value,
) -> AdmissionRequest<DynamicObject> {
    let mut again = req.clone();
    again.object = Some(serde_json::from_value(object.clone()).unwrap());
    again
}
