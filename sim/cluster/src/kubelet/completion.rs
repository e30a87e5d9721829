//! Containers that finish: a pod annotated `sim.rightsize.dev/run-for: <duration>` (`90s`,
//! `5m`, `1h`; simulated time, scaled by the speed factor like the usage generators) has its
//! containers exit with code 0 (`state.terminated`, reason `Completed`) once each has run that
//! long, when the pod's `restartPolicy` is `Never` or `OnFailure` (a Job's pods); the pod then
//! becomes `Succeeded` and not Ready (Pod Lifecycle, "Pod phase"). Under `restartPolicy:
//! Always` the annotation is ignored: such a container would be restarted, which the sim does
//! not model. Without the annotation containers run until deleted or OOM-killed.

use serde_json::{Value, json};

use super::{KubeletState, set_condition, usage};
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// How long a pod's containers run before exiting successfully.
pub const RUN_FOR_ANNOTATION: &str = "sim.rightsize.dev/run-for";

pub(crate) fn run_completions(c: &Cluster, k: &KubeletState) {
    let speed = c.config.speed;
    let pods = c.store.list(resources::by_storage("pods"), None).0;
    for pod in pods
        .iter()
        .filter(|p| util::str_at(p, "status.phase") == "Running")
    {
        let Some(run_for) = pod
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(RUN_FOR_ANNOTATION))
            .and_then(Value::as_str)
        else {
            continue;
        };
        if !matches!(
            util::str_at(pod, "spec.restartPolicy"),
            "Never" | "OnFailure"
        ) {
            continue;
        }
        let Ok(secs) = usage::duration_secs(run_for) else {
            continue;
        };
        let uid = util::str_at(pod, "metadata.uid");
        let done = k.pods().get(uid).is_some_and(|cs| {
            !cs.is_empty()
                && cs
                    .values()
                    .all(|rt| rt.started.elapsed().as_secs_f64() * speed >= secs)
        });
        if !done {
            continue;
        }
        let now = util::now_rfc3339();
        let r = c.internal_update(
            "pods",
            util::str_at(pod, "metadata.namespace"),
            util::str_at(pod, "metadata.name"),
            |p| {
                for st in p
                    .pointer_mut("/status/containerStatuses")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    let started = st.pointer("/state/running/startedAt").cloned().unwrap_or(json!(now));
                    st["state"] = json!({"terminated": {"exitCode": 0, "reason": "Completed",
                        "startedAt": started, "finishedAt": now, "containerID": st["containerID"]}});
                    st["ready"] = json!(false);
                    st["started"] = json!(false);
                }
                for t in ["ContainersReady", "Ready"] {
                    set_condition(p, t, "False", "PodCompleted", "");
                }
                super::no_restart::settle_phase(p);
            },
        );
        if r.is_ok() {
            k.pods().remove(uid);
        }
    }
}
