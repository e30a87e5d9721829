//! Containers the kubelet does not restart after an OOM kill: pod `restartPolicy: Never`, as
//! Jobs use (core/v1 `PodSpec.restartPolicy`; kubelet `ShouldContainerBeRestarted`). The kill
//! leaves the container in `state.terminated` (reason `OOMKilled`, exit code 137) with its
//! `restartCount` unchanged, and once no container runs the pod phase becomes `Failed`: a
//! container exited non-zero (Pod Lifecycle, "Pod phase"), and its sidecars are stopped.

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
    stop_sidecars(p);
}

/// Stops the sidecars of a pod whose app containers have all finished: KEP-753 ("Sidecar
/// containers", termination) has the kubelet terminate them once every regular container has
/// exited, and the pod phase is computed from the regular containers alone (as
/// [`settle_phase`] does). The sim's sidecars handle SIGTERM cleanly: exit code 0, `Completed`.
pub(crate) fn stop_sidecars(p: &mut Value) {
    let sidecars = super::init::sidecar_names(p);
    let stamp = util::now_rfc3339();
    for st in p
        .pointer_mut("/status/initContainerStatuses")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter(|st| sidecars.iter().any(|n| st["name"] == n.as_str()))
        .filter(|st| st.pointer("/state/terminated").is_none())
    {
        let started = st
            .pointer("/state/running/startedAt")
            .cloned()
            .unwrap_or(json!(stamp));
        st["state"] = json!({"terminated": {"exitCode": 0, "reason": "Completed",
            "startedAt": started, "finishedAt": stamp, "containerID": st["containerID"]}});
        st["ready"] = json!(false);
        st["started"] = json!(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job_pod(app_state: Value) -> Value {
        json!({"spec": {"restartPolicy": "Never",
                "initContainers": [{"name": "setup"}, {"name": "proxy", "restartPolicy": "Always"}],
                "containers": [{"name": "app"}]},
            "status": {"phase": "Running",
                "initContainerStatuses": [
                    {"name": "setup", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                    {"name": "proxy", "ready": true, "started": true, "restartCount": 2,
                        "state": {"running": {"startedAt": "2026-12-01T00:00:00Z"}}}],
                "containerStatuses": [{"name": "app", "state": app_state}]}})
    }

    #[test]
    fn a_finished_job_pod_stops_its_sidecar_and_ignores_it_for_the_phase() {
        let mut p = job_pod(json!({"terminated": {"exitCode": 0, "reason": "Completed"}}));
        settle_phase(&mut p);
        assert_eq!(p["status"]["phase"], "Succeeded");
        let proxy = &p["status"]["initContainerStatuses"][1];
        assert_eq!(proxy["state"]["terminated"]["exitCode"], 0);
        assert_eq!(
            proxy["state"]["terminated"]["startedAt"],
            "2026-12-01T00:00:00Z"
        );
        assert_eq!(proxy["ready"], false);
        // The plain init container's status is left as it was.
        assert_eq!(
            p["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"],
            "Completed"
        );

        let mut oom = job_pod(json!({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}));
        settle_phase(&mut oom);
        assert_eq!(oom["status"]["phase"], "Failed");
        assert!(oom["status"]["initContainerStatuses"][1]["state"]["terminated"].is_object());
    }

    #[test]
    fn a_running_app_container_keeps_the_pod_and_its_sidecar_running() {
        let mut p = job_pod(json!({"running": {}}));
        settle_phase(&mut p);
        assert_eq!(p["status"]["phase"], "Running");
        assert!(p["status"]["initContainerStatuses"][1]["state"]["running"].is_object());
    }
}
