//! Containers the kubelet does not restart after an OOM kill: pod `restartPolicy: Never`, as
//! Jobs use (core/v1 `PodSpec.restartPolicy`; kubelet `ShouldContainerBeRestarted`). The kill
//! leaves the container in `state.terminated` (reason `OOMKilled`, exit code 137) with its
//! `restartCount` unchanged, and once no container runs the pod phase becomes `Failed`: a
//! container exited non-zero (Pod Lifecycle, "Pod phase").

use serde_json::{Value, json};

use crate::util;

/// The pod's containers are never restarted.
pub(crate) fn never_restarts(pod: &Value) -> bool {
    util::str_at(pod, "spec.restartPolicy") == "Never"
}

/// Leave container status `st` terminated by the OOM killer.
pub(crate) fn terminate(st: &mut Value, started: Value, stamp: &str) {
    st["state"] = json!({"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": started,
        "finishedAt": stamp, "containerID": st["containerID"]}});
    st["ready"] = json!(false);
    st["started"] = json!(false);
}

/// Once every container has terminated, the pod is `Failed` if one exited non-zero, else
/// `Succeeded`.
pub(crate) fn settle_phase(p: &mut Value) {
    let Some(cs) = p
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
    else {
        return;
    };
    let terminated: Vec<&Value> = cs
        .iter()
        .filter_map(|s| s.pointer("/state/terminated"))
        .collect();
    if terminated.len() != cs.len() || cs.is_empty() {
        return;
    }
    let failed = terminated
        .iter()
        .any(|t| t["exitCode"].as_i64().unwrap_or(0) != 0);
    p["status"]["phase"] = json!(if failed { "Failed" } else { "Succeeded" });
}
