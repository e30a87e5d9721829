//! The simulated node agents: a scheduler that binds pods to nodes by requests, and a kubelet that
//! starts pods, applies or defers in-place resizes, runs each container's memory usage generator,
//! OOM-kills containers above their limit, and publishes the usage for the metrics-server
//! (`state::UsageBoard`, served by `metrics_server`). One loop per cluster ticks every
//! `SimConfig::tick`; every write is a status update through the store, so watchers see the same
//! stream of changes a real cluster produces. The kubelet owns its runtime state
//! ([`KubeletState`]): nothing outside this module reads it.

mod completion;
mod init;
mod lifecycle;
mod no_restart;
mod oom;
mod scheduler;
pub mod usage;

pub use completion::RUN_FOR_ANNOTATION;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::config::NodeConfig;
use crate::quantity;
use crate::resources;
use crate::state::{Cluster, ContainerUsage, PodUsage};
use crate::util;

/// Runtime state of one container (what a real kubelet gets from the container runtime).
pub(crate) struct ContainerRt {
    /// When the current instance started (usage generators count from here).
    started: Instant,
    profile: usage::Profile,
    /// Memory working set at the last tick, bytes.
    usage: f64,
    /// Cpu usage, millicores.
    cpu_milli: f64,
    /// Restart back-off after an OOM kill: the container is waiting until then.
    waiting_until: Option<Instant>,
}

/// Runtime state of all pods, by pod uid: the kubelet's own, created by [`spawn`].
#[derive(Default)]
pub(crate) struct KubeletState {
    pods: Mutex<HashMap<String, HashMap<String, ContainerRt>>>,
    traces: usage::TraceCache,
    next_ip: std::sync::atomic::AtomicU32,
}

impl KubeletState {
    fn pods(&self) -> MutexGuard<'_, HashMap<String, HashMap<String, ContainerRt>>> {
        self.pods.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the metrics-server would scrape now: each container's working set and cpu (none
    /// while it waits in back-off).
    fn usage(&self) -> PodUsage {
        self.pods()
            .iter()
            .map(|(uid, cs)| {
                let cs = cs
                    .iter()
                    .map(|(name, rt)| {
                        let cpu_milli = if rt.waiting_until.is_some() {
                            0.0
                        } else {
                            rt.cpu_milli
                        };
                        let memory_bytes = rt.usage;
                        (
                            name.clone(),
                            ContainerUsage {
                                cpu_milli,
                                memory_bytes,
                            },
                        )
                    })
                    .collect();
                (uid.clone(), cs)
            })
            .collect()
    }
}

/// The address of the `index`-th configured node (also the `hostIP` of its pods).
pub(crate) fn node_ip(index: usize) -> String {
    format!("192.168.0.{}", index + 10)
}

/// Node object for the `index`-th configured node: allocatable = capacity, and the conditions
/// and addresses a healthy kubelet reports (kubelet `nodestatus/setters.go`: Ready and the three
/// pressure conditions with their reasons and messages; InternalIP and Hostname).
pub fn node_object(n: &NodeConfig, index: usize, version: &str) -> Value {
    let res = json!({"cpu": n.cpu, "memory": n.memory, "pods": n.pods.to_string()});
    let now = util::now_rfc3339();
    let cond = |ty: &str, status: &str, reason: &str, message: &str| {
        json!({"type": ty, "status": status, "reason": reason, "message": message,
            "lastHeartbeatTime": now, "lastTransitionTime": now})
    };
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": n.name, "labels": {"kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}},
        "spec": {},
        "status": {
            "capacity": res,
            "allocatable": res,
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [
                {"type": "InternalIP", "address": node_ip(index)},
                {"type": "Hostname", "address": n.name},
            ],
            "nodeInfo": {
                "kubeletVersion": version,
                "kubeProxyVersion": version,
                "operatingSystem": "linux",
                "architecture": "amd64",
                "osImage": "rightsize simulated node",
                "kernelVersion": "simulated",
                "containerRuntimeVersion": "rightsize-sim://simulated",
            },
        },
    })
}

/// Cpu (millicores) and memory (bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Res {
    pub cpu: i128,
    pub mem: i128,
}

impl Res {
    fn add(self, o: Res) -> Res {
        Res {
            cpu: self.cpu + o.cpu,
            mem: self.mem + o.mem,
        }
    }
    fn max(self, o: Res) -> Res {
        Res {
            cpu: self.cpu.max(o.cpu),
            mem: self.mem.max(o.mem),
        }
    }
}

/// Sum of a resource list over containers found at `list_ptr` (e.g. "/resources/requests").
fn sum_containers<'a>(containers: impl Iterator<Item = &'a Value>, ptr: &str) -> Res {
    containers.fold(Res::default(), |acc, c| {
        let cpu = quantity::at(c, &format!("{ptr}/cpu")).map_or(0, |q| q.milli_value());
        let mem = quantity::at(c, &format!("{ptr}/memory")).map_or(0, |q| q.value());
        acc.add(Res { cpu, mem })
    })
}

fn containers(pod: &Value) -> impl Iterator<Item = &Value> {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// App containers and sidecars: the containers that run together once the pod is initialized
/// and can be resized in place (KEP-1287 §Sidecars).
pub(crate) fn resizable(pod: &Value) -> impl Iterator<Item = &Value> {
    containers(pod).chain(
        init::init_containers(pod)
            .iter()
            .filter(|c| init::is_sidecar(c)),
    )
}

/// Requests the pod asks for (spec), as the docs' "Resource sharing within containers" and
/// KEP-753 compute them: the app containers plus every sidecar, or, when larger, a plain init
/// container plus the sidecars started before it (per resource).
pub(crate) fn spec_requests(pod: &Value) -> Res {
    let req = |c| sum_containers(std::iter::once(c), "/resources/requests");
    let (mut sidecars, mut init_peak) = (Res::default(), Res::default());
    for c in init::init_containers(pod) {
        if init::is_sidecar(c) {
            sidecars = sidecars.add(req(c));
        } else {
            init_peak = init_peak.max(sidecars.add(req(c)));
        }
    }
    running_requests(pod).max(init_peak)
}

/// Requests of the containers that run once the pod is initialized (app containers and
/// sidecars, spec): what an in-place resize changes and the kubelet admits.
pub(crate) fn running_requests(pod: &Value) -> Res {
    sum_containers(resizable(pod), "/resources/requests")
}

/// Requests the kubelet has admitted (`allocatedResources`), falling back to spec.
pub(crate) fn allocated_requests(pod: &Value) -> Res {
    match pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
    {
        Some(cs) if !cs.is_empty() => {
            let sidecars = pod
                .pointer("/status/initContainerStatuses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|s| init::sidecar_named(pod, util::str_at(s, "name")).is_some());
            sum_containers(cs.iter().chain(sidecars), "/allocatedResources")
        }
        _ => spec_requests(pod),
    }
}

/// Requests the scheduler counts for a bound pod (KEP-1287 §Scheduler and API Server
/// Interaction; `resourcehelper.PodRequests` with `UseStatusResources`): the larger of the
/// desired spec and the allocated requests while a resize may still be admitted, but only the
/// allocated ones when the resize is `Infeasible`: the kubelet will not admit it, so the desired
/// spec would hold room the pod never gets and keep other pods Pending.
pub(crate) fn scheduled_requests(pod: &Value) -> Res {
    let infeasible = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "PodResizePending" && c["reason"] == "Infeasible")
        });
    if infeasible {
        allocated_requests(pod)
    } else {
        spec_requests(pod).max(allocated_requests(pod))
    }
}

pub(crate) fn is_active(pod: &Value) -> bool {
    !matches!(util::str_at(pod, "status.phase"), "Succeeded" | "Failed")
}

/// A node's allocatable resources and max pods.
pub(crate) struct NodeCap {
    pub name: String,
    pub alloc: Res,
    pub max_pods: usize,
}

fn node_caps(c: &Cluster) -> Vec<NodeCap> {
    c.store
        .list(resources::by_storage("nodes"), None)
        .0
        .iter()
        .filter(|n| n.pointer("/spec/unschedulable") != Some(&json!(true)))
        .map(|n| NodeCap {
            name: util::str_at(n, "metadata.name").to_string(),
            alloc: sum_containers(std::iter::once(&**n), "/status/allocatable"),
            max_pods: quantity::at(n, "/status/allocatable/pods")
                .and_then(|q| usize::try_from(q.value()).ok())
                .unwrap_or(crate::config::DEFAULT_MAX_PODS as usize),
        })
        .collect()
}

/// Set or refresh a pod condition, keeping `lastTransitionTime` when status and reason are
/// unchanged so repeated identical writes stay no-ops.
pub(crate) fn set_condition(
    pod: &mut Value,
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
) {
    let st = util::obj_entry(pod, "status");
    if !st.get("conditions").is_some_and(Value::is_array) {
        st["conditions"] = json!([]);
    }
    let conds = st["conditions"].as_array_mut().expect("made an array");
    let mut new = json!({"type": type_, "status": status, "lastProbeTime": null, "lastTransitionTime": util::now_rfc3339()});
    if !reason.is_empty() {
        new["reason"] = json!(reason);
    }
    if !message.is_empty() {
        new["message"] = json!(message);
    }
    match conds.iter_mut().find(|c| c["type"] == type_) {
        Some(old) => {
            if old["status"] == new["status"] && old.get("reason") == new.get("reason") {
                new["lastTransitionTime"] = old["lastTransitionTime"].clone();
            }
            *old = new;
        }
        None => conds.push(new),
    }
}

/// Remove a pod condition if present.
pub(crate) fn remove_condition(pod: &mut Value, type_: &str) {
    if let Some(conds) = pod
        .pointer_mut("/status/conditions")
        .and_then(Value::as_array_mut)
    {
        conds.retain(|c| c["type"] != type_);
    }
}

/// Start the scheduler + kubelet loop.
pub fn spawn(cluster: Arc<Cluster>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let kubelet = KubeletState::default();
        let mut ticker = tokio::time::interval(cluster.config.tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            step(&cluster, &kubelet);
        }
    })
}

/// One pass of the scheduler and kubelet over every pod.
fn step(c: &Cluster, k: &KubeletState) {
    let nodes = node_caps(c);
    scheduler::schedule(c, &nodes);
    let pods = c.store.list(resources::by_storage("pods"), None).0;
    {
        let live: std::collections::HashSet<&str> = pods
            .iter()
            .map(|p| util::str_at(p, "metadata.uid"))
            .collect();
        k.pods().retain(|uid, _| live.contains(uid.as_str()));
    }
    for pod in pods
        .iter()
        .filter(|p| !util::str_at(p, "spec.nodeName").is_empty() && is_active(p))
    {
        if util::str_at(pod, "status.phase") == "Pending" && init::advance(c, k, pod) {
            lifecycle::start(c, k, pod, &nodes);
        }
    }
    lifecycle::resize_all(c, k, &nodes);
    oom::run_usage(c, k);
    completion::run_completions(c, k);
    c.usage.publish(k.usage());
}
