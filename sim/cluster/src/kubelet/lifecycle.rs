//! Pod start and in-place resize, as the kubelet does them (KEP-1287 §Resize Status):
//! a resize that fits the node is admitted (`allocatedResources` updated, `PodResizeInProgress`),
//! then actuated on the next pass (`status.containerStatuses[].resources` updated, condition
//! removed); one that exceeds the node's allocatable is `PodResizePending/Infeasible`; one that
//! only lacks free room is `PodResizePending/Deferred` and retried every pass, so it goes through
//! once room frees. A memory limit below current usage is not actuated: `PodResizeInProgress`
//! stays with reason `Error` (KEP-1287 §Memory Limit Decreases, 1.34 behaviour).

use std::time::Instant;

use serde_json::{Value, json};

use super::usage::{self, Profile};
use super::{
    ContainerRt, KubeletState, NodeCap, Res, allocated_requests, is_active, remove_condition,
    running_requests, set_condition,
};
use crate::quantity;
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// The cpu/memory part of a container's resources, as stored in status.
pub(super) fn cpu_mem(resources: Option<&Value>) -> Value {
    let mut out = json!({});
    for kind in ["requests", "limits"] {
        let mut m = serde_json::Map::new();
        for r in ["cpu", "memory"] {
            if let Some(v) = resources.and_then(|x| x.pointer(&format!("/{kind}/{r}"))) {
                m.insert(r.into(), v.clone());
            }
        }
        if !m.is_empty() {
            out[kind] = Value::Object(m);
        }
    }
    out
}

/// Numeric equality of two cpu/memory resource blocks.
fn same_resources(a: &Value, b: &Value) -> bool {
    ["requests", "limits"].iter().all(|kind| {
        ["cpu", "memory"].iter().all(|r| {
            let path = format!("/{kind}/{r}");
            quantity::at(a, &path) == quantity::at(b, &path)
        })
    })
}

pub(super) fn profile_for(
    c: &Cluster,
    k: &KubeletState,
    pod: &Value,
    container: &Value,
) -> Profile {
    let ann = |k: &str| {
        pod.pointer("/metadata/annotations")
            .and_then(|a| a.get(k))
            .and_then(Value::as_str)
            .map(String::from)
    };
    let cname = util::str_at(container, "name");
    let spec = ann(&format!("{}.{cname}", usage::MEMORY_PROFILE_ANNOTATION))
        .or_else(|| ann(usage::MEMORY_PROFILE_ANNOTATION))
        .or_else(|| c.config.default_memory_profile.clone());
    if let Some(spec) = spec {
        match Profile::parse(&spec, &k.traces) {
            Ok(p) => return p,
            Err(e) => c.record_event(
                pod,
                "Warning",
                "InvalidMemoryProfile",
                &format!("container {cname}: {e}; using half the memory request"),
                "kubelet",
            ),
        }
    }
    // Default: a steady half of the memory request (or a small constant without one).
    let req = quantity::at(container, "/resources/requests/memory").map(|q| q.value());
    Profile::Constant(req.map_or(usage::FALLBACK_MEMORY, |r| r as f64 / 2.0))
}

pub(super) fn cpu_for(pod: &Value, container: &Value) -> f64 {
    let ann = pod
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(usage::CPU_USAGE_ANNOTATION))
        .and_then(Value::as_str);
    if let Some(q) = ann.and_then(|a| quantity::parse(a.trim())) {
        return q.milli_value() as f64;
    }
    let req = quantity::at(container, "/resources/requests/cpu").map(|q| q.milli_value());
    req.map_or(1.0, |r| (r as f64 / 2.0).max(1.0))
}

/// Run a bound pod: container statuses, Ready conditions, IPs, usage generators.
pub(crate) fn start(c: &Cluster, k: &KubeletState, pod: &Value, nodes: &[NodeCap]) {
    let uid = util::str_at(pod, "metadata.uid").to_string();
    let now = util::now_rfc3339();
    let n = k.next_ip.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let ip = format!("10.244.{}.{}", (n / 250) % 250, n % 250 + 2);
    let node_idx = nodes
        .iter()
        .position(|x| x.name == util::str_at(pod, "spec.nodeName"))
        .unwrap_or(0);
    let host_ip = super::node_ip(node_idx);
    let mut rts = std::collections::HashMap::new();
    let statuses: Vec<Value> = super::containers(pod)
        .map(|ct| {
            let name = util::str_at(ct, "name").to_string();
            rts.insert(name.clone(), ContainerRt { started: Instant::now(), profile: profile_for(c, k, pod, ct), usage: 0.0, cpu_milli: cpu_for(pod, ct), waiting_until: None });
            let res = cpu_mem(ct.get("resources"));
            json!({
                "name": name, "image": ct["image"], "imageID": format!("sim://{}", util::str_at(ct, "image")),
                "containerID": format!("sim://{}", util::new_uid()), "ready": true, "started": true, "restartCount": 0,
                "state": {"running": {"startedAt": now}}, "lastState": {},
                "allocatedResources": res.get("requests").cloned().unwrap_or(json!({})),
                "resources": res,
            })
        })
        .collect();
    // Sidecars started by `init` keep running alongside (KEP-753).
    k.pods().entry(uid).or_default().extend(rts);
    let r = c.internal_update(
        "pods",
        util::str_at(pod, "metadata.namespace"),
        util::str_at(pod, "metadata.name"),
        |p| {
            p["status"]["phase"] = json!("Running");
            p["status"]["startTime"] = json!(now);
            p["status"]["podIP"] = json!(ip);
            p["status"]["podIPs"] = json!([{"ip": ip}]);
            p["status"]["hostIP"] = json!(host_ip);
            p["status"]["containerStatuses"] = json!(statuses);
            p["status"]["observedGeneration"] = p["metadata"]["generation"].clone();
            for t in ["Initialized", "ContainersReady", "Ready", "PodScheduled"] {
                set_condition(p, t, "True", "", "");
            }
        },
    );
    if let Ok(p) = r {
        c.record_event(&p, "Normal", "Started", "Started all containers", "kubelet");
    }
}

fn has_condition<'a>(pod: &'a Value, t: &str) -> Option<&'a Value> {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c["type"] == t)
}

/// Desired (spec) vs actual (status) resources differ for some container.
fn resize_wanted(pod: &Value) -> bool {
    let statuses: Vec<&Value> = ["/status/containerStatuses", "/status/initContainerStatuses"]
        .iter()
        .filter_map(|ptr| pod.pointer(ptr).and_then(Value::as_array))
        .flatten()
        .collect();
    super::resizable(pod).any(|ct| {
        let st = statuses.iter().find(|s| s["name"] == ct["name"]);
        st.is_some_and(|s| {
            !same_resources(
                &cpu_mem(ct.get("resources")),
                s.get("resources").unwrap_or(&json!({})),
            )
        })
    })
}

/// Admit, defer, reject or actuate pending resizes on every running pod.
pub(crate) fn resize_all(c: &Cluster, k: &KubeletState, nodes: &[NodeCap]) {
    let pods = c.store.list(resources::by_storage("pods"), None).0;
    for node in nodes {
        let on_node: Vec<_> = pods
            .iter()
            .filter(|p| util::str_at(p, "spec.nodeName") == node.name && is_active(p))
            .collect();
        let mut allocated: Res = on_node
            .iter()
            .fold(Res::default(), |a, p| a.add(allocated_requests(p)));
        // Resizes that do not grow requests go first (KEP-1287 §Priority of Resize Requests).
        let mut candidates: Vec<_> = on_node
            .iter()
            .filter(|p| util::str_at(p, "status.phase") == "Running")
            .collect();
        candidates.sort_by_key(|p| {
            let (d, a) = (running_requests(p), allocated_requests(p));
            (
                d.cpu > a.cpu || d.mem > a.mem,
                util::str_at(p, "metadata.creationTimestamp").to_string(),
            )
        });
        for pod in candidates {
            let ns = util::str_at(pod, "metadata.namespace");
            let name = util::str_at(pod, "metadata.name");
            if !resize_wanted(pod) {
                if has_condition(pod, "PodResizePending").is_some()
                    || has_condition(pod, "PodResizeInProgress").is_some()
                {
                    let _ = c.internal_update("pods", ns, name, |p| {
                        remove_condition(p, "PodResizePending");
                        remove_condition(p, "PodResizeInProgress");
                    });
                }
                continue;
            }
            let want = running_requests(pod);
            let have = allocated_requests(pod);
            let admitted = want == have && has_condition(pod, "PodResizeInProgress").is_some();
            if admitted {
                actuate(c, k, pod);
                continue;
            }
            let others = Res {
                cpu: allocated.cpu - have.cpu,
                mem: allocated.mem - have.mem,
            };
            let verdict = if want.mem > node.alloc.mem {
                Some((
                    "Infeasible",
                    format!(
                        "Node didn't have enough capacity: memory, requested: {}, capacity: {}",
                        want.mem, node.alloc.mem
                    ),
                ))
            } else if want.cpu > node.alloc.cpu {
                Some((
                    "Infeasible",
                    format!(
                        "Node didn't have enough capacity: cpu, requested: {}, capacity: {}",
                        want.cpu, node.alloc.cpu
                    ),
                ))
            } else if others.mem + want.mem > node.alloc.mem {
                Some((
                    "Deferred",
                    format!(
                        "Node didn't have enough resources: memory, requested: {}, used: {}, capacity: {}",
                        want.mem, others.mem, node.alloc.mem
                    ),
                ))
            } else if others.cpu + want.cpu > node.alloc.cpu {
                Some((
                    "Deferred",
                    format!(
                        "Node didn't have enough resources: cpu, requested: {}, used: {}, capacity: {}",
                        want.cpu, others.cpu, node.alloc.cpu
                    ),
                ))
            } else {
                None
            };
            let generation = pod["metadata"]["generation"].clone();
            let _ = c.internal_update("pods", ns, name, |p| match &verdict {
                Some((reason, msg)) => {
                    set_condition(p, "PodResizePending", "True", reason, msg);
                    observe_condition(p, "PodResizePending", &generation);
                }
                None => {
                    remove_condition(p, "PodResizePending");
                    set_status_from_spec(p, "allocatedResources", |r| {
                        cpu_mem(r).get("requests").cloned().unwrap_or(json!({}))
                    });
                    set_condition(p, "PodResizeInProgress", "True", "", "");
                    observe_condition(p, "PodResizeInProgress", &generation);
                }
            });
            if verdict.is_none() {
                allocated = Res {
                    cpu: others.cpu + want.cpu,
                    mem: others.mem + want.mem,
                };
            }
        }
    }
}

/// Apply an admitted resize to the "running containers".
fn actuate(c: &Cluster, k: &KubeletState, pod: &Value) {
    let uid = util::str_at(pod, "metadata.uid");
    let usage_of = |cname: &str| {
        k.pods()
            .get(uid)
            .and_then(|m| m.get(cname))
            .map_or(0.0, |r| r.usage)
    };
    let mut errors = Vec::new();
    for ct in super::resizable(pod) {
        let lim = quantity::at(ct, "/resources/limits/memory").map(|q| q.value());
        let cname = util::str_at(ct, "name");
        let used = usage_of(cname);
        if let Some(l) = lim
            && (l as f64) < used
        {
            errors.push(format!("container {cname:?}: attempting to set memory limit ({l}) below current usage ({})", used as i128));
        }
    }
    let ns = util::str_at(pod, "metadata.namespace");
    let name = util::str_at(pod, "metadata.name");
    if !errors.is_empty() {
        let msg = errors.join("; ");
        let _ = c.internal_update("pods", ns, name, |p| {
            set_condition(p, "PodResizeInProgress", "True", "Error", &msg)
        });
        return;
    }
    let r = c.internal_update("pods", ns, name, |p| {
        set_status_from_spec(p, "resources", cpu_mem);
        remove_condition(p, "PodResizeInProgress");
        p["status"]["observedGeneration"] = p["metadata"]["generation"].clone();
    });
    if let Ok(p) = r {
        c.record_event(
            &p,
            "Normal",
            "ResizeCompleted",
            "Pod resize completed",
            "kubelet",
        );
    }
}

/// Set `field` of every container status to `f` of the `resources` of the spec container of the
/// same name.
fn set_status_from_spec(p: &mut Value, field: &str, f: impl Fn(Option<&Value>) -> Value) {
    let spec_cs: Vec<Value> = super::resizable(p).cloned().collect();
    let lists = p["status"]
        .as_object_mut()
        .into_iter()
        .flat_map(|m| m.iter_mut());
    let statuses = lists
        .filter(|(k, _)| *k == "containerStatuses" || *k == "initContainerStatuses")
        .filter_map(|(_, v)| v.as_array_mut())
        .flatten();
    for st in statuses {
        if let Some(ct) = spec_cs.iter().find(|ct| ct["name"] == st["name"]) {
            st[field] = f(ct.get("resources"));
        }
    }
}

/// Stamp the pod generation a condition was computed for.
fn observe_condition(p: &mut Value, type_: &str, generation: &Value) {
    if let Some(cond) = p
        .pointer_mut("/status/conditions")
        .and_then(Value::as_array_mut)
        .and_then(|cs| cs.iter_mut().find(|c| c["type"] == type_))
    {
        cond["observedGeneration"] = generation.clone();
    }
}
