//! What the workload controllers share: pods built from a template as
//! `controller.GetPodFromTemplate` does (kubernetes `pkg/controller/controller_utils.go`), the
//! pods an owner controls, pod readiness, and the retry backoff after a failed create.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{controlled_by, controller_ref};
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// Retry delays after failed creates: doubled up to the cap.
const BACKOFF_START: Duration = Duration::from_millis(200);
const BACKOFF_CAP: Duration = Duration::from_secs(5);

/// A pod for `owner` from its pod `template`: the template's labels and annotations (plus
/// `extra_labels`), its spec, a controller ownerReference, and no namespace (the create path
/// fills it). The caller sets `name` or `generateName`.
pub fn pod_from_template(
    owner: &Value,
    template: &Value,
    extra_labels: &[(&str, String)],
) -> Value {
    let mut labels = template
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or(json!({}));
    for (k, v) in extra_labels {
        labels[*k] = json!(v);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "labels": labels,
            "annotations": template.pointer("/metadata/annotations").cloned().unwrap_or(json!({})),
            "ownerReferences": [controller_ref(owner)],
        },
        "spec": template.get("spec").cloned().unwrap_or(json!({})),
    })
}

/// Objects of `storage` in `ns` controlled by the owner with `uid`.
pub fn owned(c: &Cluster, storage: &str, ns: &str, uid: &str) -> Vec<Arc<Value>> {
    c.store
        .list(resources::by_storage(storage), Some(ns))
        .0
        .into_iter()
        .filter(|o| controlled_by(o, uid))
        .collect()
}

/// Not yet `Succeeded` or `Failed`.
pub fn is_active(pod: &Value) -> bool {
    !matches!(util::str_at(pod, "status.phase"), "Succeeded" | "Failed")
}

/// The pod's `Ready` condition is `True`.
pub fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// The value of label `key` on `obj` ("" when absent).
pub fn label<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.pointer("/metadata/labels")
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Delete `obj` (of `storage`) for `owner` and record a `SuccessfulDelete` Event with `message`
/// from `component`, as the controllers do; whether the delete went through.
pub fn delete_recorded(
    c: &Cluster,
    owner: &Value,
    storage: &str,
    obj: &Value,
    message: &str,
    component: &str,
) -> bool {
    let ns = util::str_at(obj, "metadata.namespace");
    let name = util::str_at(obj, "metadata.name");
    let ok = c
        .delete(resources::by_storage(storage), ns, name, None)
        .is_ok();
    if ok {
        c.record_event(owner, "Normal", "SuccessfulDelete", message, component);
    }
    ok
}

/// Per-owner retry delays after failed creates (the real controllers' rate-limited queues).
#[derive(Default)]
pub struct Backoff(HashMap<String, (Instant, Duration)>);

impl Backoff {
    /// Whether the owner with `uid` may try again now.
    pub fn ready(&self, uid: &str) -> bool {
        self.0.get(uid).is_none_or(|(at, _)| Instant::now() >= *at)
    }

    /// A create failed: wait twice as long as last time (capped).
    pub fn failed(&mut self, uid: &str) {
        let delay = self
            .0
            .get(uid)
            .map_or(BACKOFF_START, |(_, d)| (*d * 2).min(BACKOFF_CAP));
        self.0
            .insert(uid.to_string(), (Instant::now() + delay, delay));
    }

    /// A create succeeded: no more waiting.
    pub fn succeeded(&mut self, uid: &str) {
        self.0.remove(uid);
    }

    /// Forget owners that no longer exist.
    pub fn retain(&mut self, live: &[Arc<Value>]) {
        self.0
            .retain(|uid, _| live.iter().any(|o| util::str_at(o, "metadata.uid") == uid));
    }
}
