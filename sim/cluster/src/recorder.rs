//! Events written by the simulated components (scheduler, kubelet, controllers), in the core/v1
//! shape so `kubectl describe` and `kubectl get events` show them.

use serde_json::{Value, json};

use crate::resources;
use crate::state::Cluster;
use crate::util;

impl Cluster {
    /// Record an Event about `obj` (any stored object) from `component`.
    pub(crate) fn record_event(
        &self,
        obj: &Value,
        type_: &str,
        reason: &str,
        message: &str,
        component: &str,
    ) {
        let ns = util::str_at(obj, "metadata.namespace");
        let ns = if ns.is_empty() { "default" } else { ns };
        let name = util::str_at(obj, "metadata.name");
        let now = util::now_rfc3339();
        // Client-go names events `<object>.<unix nanos in hex>`; a random suffix is as unique.
        let ev_name = format!("{name}.{:016x}", util::random_u64());
        let event = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": ev_name, "namespace": ns},
            "involvedObject": {
                "apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": name,
                "namespace": obj["metadata"]["namespace"], "uid": obj["metadata"]["uid"],
                "resourceVersion": obj["metadata"]["resourceVersion"],
            },
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": component},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "eventTime": null,
            "count": 1,
            "reportingComponent": component,
            "reportingInstance": format!("{component}-sim"),
        });
        if let Err(e) = self.store.create(resources::by_storage("events"), event) {
            tracing::debug!(error = %e, "recording an event failed");
        }
    }
}
