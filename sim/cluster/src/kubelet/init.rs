//! Init containers and sidecars, as the kubelet runs them before a pod's app containers
//! (Kubernetes docs "Init Containers" and "Sidecar Containers"; KEP-753). `spec.initContainers`
//! start one after another, in order: a plain init container runs until it exits `Completed`
//! (exit code 0) and only then does the next one start; a sidecar (an init container with
//! `restartPolicy: Always`) counts as done once it has started and keeps running alongside the
//! app containers. Until every init container is done the pod stays `Pending` with the
//! `Initialized` condition `False` (`ContainersNotInitialized`), which kubectl prints as
//! `Init:N/M`; the app containers wait with reason `PodInitializing`.
//!
//! How long a plain init container runs is set per container with the pod annotation
//! `sim.rightsize.dev/run-for.<container>` (simulated time, as [`super::RUN_FOR_ANNOTATION`]),
//! [`DEFAULT_INIT_RUN_FOR_SECS`] without one. Its memory usage comes from the usual
//! `sim.rightsize.dev/memory-profile[.<container>]` annotations, so it can be OOM-killed
//! (`super::oom`) like an app container.

use std::time::Instant;

use serde_json::{Value, json};

use super::{ContainerRt, KubeletState, lifecycle, set_condition, usage};
use crate::state::Cluster;
use crate::util;

/// Simulated seconds a plain init container runs when its pod gives no `run-for.<name>`.
pub const DEFAULT_INIT_RUN_FOR_SECS: f64 = 1.0;

/// The pod's `spec.initContainers` (empty without any).
pub(crate) fn init_containers(pod: &Value) -> &[Value] {
    pod.pointer("/spec/initContainers")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// An init container with `restartPolicy: Always` is a sidecar (KEP-753).
pub(crate) fn is_sidecar(container: &Value) -> bool {
    container["restartPolicy"] == "Always"
}

/// The names of the pod's sidecars (owned: callers go on to change the pod's statuses).
pub(crate) fn sidecar_names(pod: &Value) -> Vec<String> {
    init_containers(pod)
        .iter()
        .filter(|c| is_sidecar(c))
        .map(|c| util::str_at(c, "name").to_string())
        .collect()
}

/// The pod's sidecar of that name, if `name` is one.
pub(crate) fn sidecar_named<'a>(pod: &'a Value, name: &str) -> Option<&'a Value> {
    init_containers(pod)
        .iter()
        .find(|c| c["name"] == name && is_sidecar(c))
}

/// An init container needs no more waiting for: a plain one exited 0, a sidecar has started
/// (once; later restarts run alongside the app containers).
fn is_done(container: &Value, status: Option<&Value>) -> bool {
    let Some(st) = status else { return false };
    if is_sidecar(container) {
        st["started"] == true || st["restartCount"].as_i64().unwrap_or(0) > 0
    } else {
        st.pointer("/state/terminated/exitCode")
            .and_then(Value::as_i64)
            == Some(0)
    }
}

fn run_for(pod: &Value, name: &str) -> f64 {
    pod.pointer("/metadata/annotations")
        .and_then(|a| a.get(format!("{}.{name}", super::RUN_FOR_ANNOTATION)))
        .and_then(Value::as_str)
        .and_then(|s| usage::duration_secs(s).ok())
        .unwrap_or(DEFAULT_INIT_RUN_FOR_SECS)
}

fn waiting_status(ct: &Value) -> Value {
    let res = lifecycle::cpu_mem(ct.get("resources"));
    json!({
        "name": ct["name"], "image": ct["image"], "imageID": "", "ready": false, "started": false,
        "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}, "lastState": {},
        "allocatedResources": res.get("requests").cloned().unwrap_or(json!({})), "resources": res,
    })
}

/// Advance a bound `Pending` pod's init sequence by one step; true once every init container
/// is done and the app containers may start.
pub(crate) fn advance(c: &Cluster, k: &KubeletState, pod: &Value) -> bool {
    let inits = init_containers(pod);
    if inits.is_empty() {
        return true;
    }
    let ns = util::str_at(pod, "metadata.namespace");
    let name = util::str_at(pod, "metadata.name");
    let uid = util::str_at(pod, "metadata.uid").to_string();
    let statuses = pod
        .pointer("/status/initContainerStatuses")
        .and_then(Value::as_array);
    let Some(statuses) = statuses else {
        // First sight: every container waits (kubelet `convertToAPIContainerStatuses`).
        k.pods().entry(uid).or_default();
        let _ = c.internal_update("pods", ns, name, |p| {
            p["status"]["initContainerStatuses"] = inits.iter().map(waiting_status).collect();
            p["status"]["containerStatuses"] = super::containers(pod).map(waiting_status).collect();
            set_condition(p, "PodScheduled", "True", "", "");
            set_initialized(p, inits, 0);
            for t in ["ContainersReady", "Ready"] {
                set_condition(p, t, "False", "ContainersNotReady", "");
            }
        });
        return false;
    };
    let status_of = |ct: &Value| statuses.iter().find(|s| s["name"] == ct["name"]);
    let Some(i) = inits.iter().position(|ct| !is_done(ct, status_of(ct))) else {
        return true;
    };
    let ct = &inits[i];
    let cname = util::str_at(ct, "name").to_string();
    let speed = c.config.speed;
    let mut finished = false;
    {
        let mut pods = k.pods();
        let rts = pods.entry(uid.clone()).or_default();
        match rts.get(&cname) {
            Some(rt) if rt.waiting_until.is_some() => return false,
            Some(rt) => {
                if is_sidecar(ct)
                    || rt.started.elapsed().as_secs_f64() * speed < run_for(pod, &cname)
                {
                    return false;
                }
                rts.remove(&cname);
                finished = true;
            }
            None if status_of(ct).is_some_and(|s| s.pointer("/state/terminated").is_some()) => {
                // Terminated non-zero and not restarted (restartPolicy Never): `oom` failed the pod.
                return false;
            }
            None => {
                let rt = ContainerRt {
                    started: Instant::now(),
                    profile: lifecycle::profile_for(c, k, pod, ct),
                    usage: 0.0,
                    cpu_milli: lifecycle::cpu_for(pod, ct),
                    waiting_until: None,
                };
                rts.insert(cname.clone(), rt);
            }
        }
    }
    let now = util::now_rfc3339();
    let sidecar = is_sidecar(ct);
    let r = c.internal_update("pods", ns, name, |p| {
        if let Some(st) = p
            .pointer_mut("/status/initContainerStatuses")
            .and_then(Value::as_array_mut)
            .and_then(|a| a.iter_mut().find(|s| s["name"] == cname.as_str()))
        {
            if finished {
                let started = st.pointer("/state/running/startedAt").cloned();
                st["state"] = json!({"terminated": {"exitCode": 0, "reason": "Completed",
                    "startedAt": started.unwrap_or(json!(now)), "finishedAt": now, "containerID": st["containerID"]}});
                st["ready"] = json!(false);
                st["started"] = json!(false);
            } else {
                st["state"] = json!({"running": {"startedAt": now}});
                st["containerID"] = json!(format!("sim://{}", util::new_uid()));
                st["imageID"] = json!(format!("sim://{}", util::str_at(ct, "image")));
                st["started"] = json!(true);
                // A sidecar without probes is ready once started; a plain init container never is.
                st["ready"] = json!(sidecar);
            }
        }
        set_initialized(p, inits, i + usize::from(finished || sidecar));
    });
    if let Ok(p) = r
        && !finished
    {
        let msg = format!("Started container {cname}");
        c.record_event(&p, "Normal", "Started", &msg, "kubelet");
    }
    false
}

/// The `Initialized` condition with `done` of the init containers done.
fn set_initialized(p: &mut Value, inits: &[Value], done: usize) {
    if done >= inits.len() {
        set_condition(p, "Initialized", "True", "", "");
        return;
    }
    let pending: Vec<&str> = inits[done..]
        .iter()
        .map(|c| util::str_at(c, "name"))
        .collect();
    let msg = format!("containers with incomplete status: [{}]", pending.join(" "));
    set_condition(p, "Initialized", "False", "ContainersNotInitialized", &msg);
}

#[cfg(test)]
mod tests {
    use super::super::{Res, running_requests, spec_requests};
    use serde_json::json;

    fn c(name: &str, mem: &str, sidecar: bool) -> serde_json::Value {
        let mut c =
            json!({"name": name, "resources": {"requests": {"cpu": "100m", "memory": mem}}});
        if sidecar {
            c["restartPolicy"] = json!("Always");
        }
        c
    }

    #[test]
    fn pod_requests_count_sidecars_and_the_largest_init_container_with_the_sidecars_before_it() {
        let mi = 1024 * 1024;
        // Docs "Sidecar Containers", resource sharing: max(app + sidecars, init_i + sidecars before i).
        let pod = json!({"spec": {
            "initContainers": [c("proxy", "100Mi", true), c("migrate", "500Mi", false)],
            "containers": [c("app", "200Mi", false)]}});
        assert_eq!(
            spec_requests(&pod),
            Res {
                cpu: 200,
                mem: 600 * mi
            }
        );
        assert_eq!(
            running_requests(&pod),
            Res {
                cpu: 200,
                mem: 300 * mi
            }
        );
        let small = json!({"spec": {
            "initContainers": [c("migrate", "50Mi", false), c("proxy", "100Mi", true)],
            "containers": [c("app", "200Mi", false)]}});
        assert_eq!(
            spec_requests(&small),
            Res {
                cpu: 200,
                mem: 300 * mi
            }
        );
    }
}
