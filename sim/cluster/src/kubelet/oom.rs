//! Container memory usage and OOM kills. Each pass evaluates every running container's usage
//! generator at its simulated age; usage above the container's actual memory limit
//! (`status.containerStatuses[].resources.limits.memory`) OOM-kills it: `restartCount + 1`,
//! `lastState.terminated.reason: OOMKilled` (exit code 137), a Warning Event, and the usage
//! generator starts again. Repeated kills back off like the kubelet's crash-loop back-off
//! (10 s doubling to 5 min, scaled by the speed factor), during which the container waits.
//! Init containers and sidecars (`status.initContainerStatuses`) are killed the same way
//! (Kubernetes docs "Init Containers": a failed init container is restarted unless the pod's
//! `restartPolicy` is `Never`, in which case the pod fails; "Sidecar Containers", KEP-753: a
//! sidecar is always restarted, whatever the pod's policy).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::KubeletState;
use crate::quantity;
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// Kubelet `initialBackOff` and `MaxContainerBackOff`.
const BACKOFF_INITIAL: Duration = Duration::from_secs(10);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

fn backoff(restarts: i64, speed: f64) -> Duration {
    // The first restart is immediate; later ones wait, doubling.
    if restarts <= 1 {
        return Duration::ZERO;
    }
    let d = BACKOFF_INITIAL
        .saturating_mul(1 << (restarts - 2).min(5) as u32)
        .min(BACKOFF_MAX);
    d.div_f64(speed.max(1e-6))
}

struct Kill {
    container: String,
    /// Not restarted: the pod's `restartPolicy` is `Never` and this is not a sidecar.
    never: bool,
    /// A plain (non-sidecar) init container.
    plain_init: bool,
    usage: f64,
    limit: i128,
    wait: Duration,
}

pub(crate) fn run_usage(c: &Cluster, k: &KubeletState) {
    let speed = c.config.speed;
    let now = Instant::now();
    let pods = c.store.list(resources::by_storage("pods"), None).0;
    for pod in pods
        .iter()
        .filter(|p| matches!(util::str_at(p, "status.phase"), "Running" | "Pending"))
    {
        let uid = util::str_at(pod, "metadata.uid");
        let statuses: Vec<&Value> = ["/status/containerStatuses", "/status/initContainerStatuses"]
            .iter()
            .filter_map(|ptr| pod.pointer(ptr).and_then(Value::as_array))
            .flatten()
            .collect();
        let mut kills = Vec::new();
        let mut resumed = Vec::new();
        {
            let mut rts = k.pods();
            let Some(pod_rt) = rts.get_mut(uid) else {
                continue;
            };
            let pod_never = super::no_restart::never_restarts(pod);
            for (name, rt) in pod_rt.iter_mut() {
                if let Some(until) = rt.waiting_until {
                    if now < until {
                        rt.usage = 0.0;
                        continue;
                    }
                    rt.waiting_until = None;
                    rt.started = now;
                    resumed.push(name.clone());
                }
                let age = now.duration_since(rt.started).as_secs_f64() * speed;
                rt.usage = rt.profile.at(age);
                let st = statuses.iter().find(|s| s["name"] == name.as_str());
                let limit = st
                    .and_then(|s| quantity::at(s, "/resources/limits/memory"))
                    .map(|q| q.value());
                if let Some(l) = limit
                    && rt.usage > l as f64
                {
                    let restarts = st.and_then(|s| s["restartCount"].as_i64()).unwrap_or(0) + 1;
                    let wait = backoff(restarts, speed);
                    let sidecar = super::init::sidecar_named(pod, name).is_some();
                    let never = pod_never && !sidecar;
                    let plain_init = !sidecar
                        && super::init::init_containers(pod)
                            .iter()
                            .any(|c| c["name"] == name.as_str());
                    kills.push(Kill {
                        container: name.clone(),
                        never,
                        plain_init,
                        usage: rt.usage,
                        limit: l,
                        wait,
                    });
                    rt.usage = 0.0;
                    rt.started = now;
                    rt.waiting_until = if never {
                        // Not restarted: the container stays down (a year stands for ever).
                        Some(now + Duration::from_secs(365 * 24 * 3600))
                    } else {
                        (!wait.is_zero()).then(|| now + wait)
                    };
                }
            }
        }
        if kills.is_empty() && resumed.is_empty() {
            continue;
        }
        let stamp = util::now_rfc3339();
        let never = kills.iter().any(|k| k.never);
        let init_failed = kills.iter().any(|k| k.never && k.plain_init);
        let r = c.internal_update("pods", util::str_at(pod, "metadata.namespace"), util::str_at(pod, "metadata.name"), |p| {
            let sidecars = super::init::sidecar_names(p);
            let st_lists = p["status"].as_object_mut().into_iter().flat_map(|m| m.iter_mut()).filter(|(k, _)| *k == "containerStatuses" || *k == "initContainerStatuses");
            for st in st_lists.filter_map(|(_, v)| v.as_array_mut()).flatten() {
                let name = st["name"].as_str().unwrap_or("").to_string();
                if let Some(k) = kills.iter().find(|k| k.container == name) {
                    let started = st.pointer("/state/running/startedAt").cloned().unwrap_or(json!(stamp));
                    if k.never {
                        super::no_restart::terminate(st, started, &stamp);
                        continue;
                    }
                    st["restartCount"] = json!(st["restartCount"].as_i64().unwrap_or(0) + 1);
                    st["lastState"] = json!({"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": started, "finishedAt": stamp, "containerID": st["containerID"]}});
                    st["containerID"] = json!(format!("sim://{}", util::new_uid()));
                    if k.wait.is_zero() {
                        st["state"] = json!({"running": {"startedAt": stamp}});
                        st["ready"] = json!(!k.plain_init);
                    } else {
                        st["state"] = json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off {}s restarting failed container={name}", k.wait.as_secs())}});
                        st["ready"] = json!(false);
                        st["started"] = json!(false);
                    }
                } else if resumed.contains(&name) {
                    st["state"] = json!({"running": {"startedAt": stamp}});
                    // A plain init container is never ready; a sidecar or app container is.
                    st["ready"] = json!(sidecars.contains(&name) || !super::init::init_containers(pod).iter().any(|c| c["name"] == name.as_str()));
                    st["started"] = json!(true);
                }
            }
            let sidecar_ready = p.pointer("/status/initContainerStatuses").and_then(Value::as_array).is_none_or(|cs| cs.iter().filter(|s| sidecars.iter().any(|n| s["name"] == n.as_str())).all(|s| s["ready"] == true));
            let all_ready = sidecar_ready && p.pointer("/status/containerStatuses").and_then(Value::as_array).is_some_and(|cs| cs.iter().all(|s| s["ready"] == true));
            let s = if all_ready { "True" } else { "False" };
            super::set_condition(p, "ContainersReady", s, if all_ready { "" } else { "ContainersNotReady" }, "");
            super::set_condition(p, "Ready", s, if all_ready { "" } else { "ContainersNotReady" }, "");
            if init_failed {
                // A failed init container under `restartPolicy: Never` fails the pod ("Init Containers").
                p["status"]["phase"] = json!("Failed");
                super::no_restart::stop_sidecars(p);
            } else if never {
                super::no_restart::settle_phase(p);
            }
        });
        if let Ok(p) = r {
            for k in &kills {
                let msg = format!(
                    "Memory cgroup out of memory: container {:?} was OOM-killed (usage {} > limit {})",
                    k.container,
                    quantity::format_bytes(k.usage as i128),
                    quantity::format_bytes(k.limit)
                );
                c.record_event(&p, "Warning", "OOMKilling", &msg, "kubelet");
            }
        }
    }
}
