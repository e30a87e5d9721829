//! The scheduler: binds each unscheduled pod to the node with the most free memory that fits its
//! requests (cpu, memory, pod count). A node's used resources count each bound pod at
//! max(spec requests, allocated requests), as the real scheduler does during resizes, and an
//! `Infeasible` resize at its allocated requests only (KEP-1287 §Scheduler and API Server
//! Interaction; `kubelet::scheduled_requests`). A required node affinity on `metadata.name`
//! (DaemonSet pods) restricts the candidates. Pods that fit nowhere get
//! `PodScheduled=False, reason Unschedulable` and a `FailedScheduling` Event.

use serde_json::{Value, json};

use super::{NodeCap, Res, is_active, scheduled_requests, set_condition, spec_requests};
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// Node names a pod's required node affinity allows through `matchFields` on `metadata.name`
/// with operator `In` (what the DaemonSet controller sets to pin a pod to its node); `None` when
/// the pod has no such term. Other affinity terms and `nodeSelector` are not simulated.
fn required_nodes(pod: &Value) -> Option<Vec<&str>> {
    let terms = pod
        .pointer("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")?
        .as_array()?;
    let names: Vec<&str> = terms
        .iter()
        .flat_map(|t| {
            t.get("matchFields")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter(|f| f["key"] == "metadata.name" && f["operator"] == "In")
        .flat_map(|f| {
            f.get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(Value::as_str)
        .collect();
    (!names.is_empty()).then_some(names)
}

pub(crate) fn schedule(c: &Cluster, nodes: &[NodeCap]) {
    let pods = c.store.list(resources::by_storage("pods"), None).0;
    let mut used: Vec<(Res, usize)> = nodes
        .iter()
        .map(|n| {
            pods.iter()
                .filter(|p| util::str_at(p, "spec.nodeName") == n.name && is_active(p))
                .fold((Res::default(), 0), |(r, k), p| {
                    (r.add(scheduled_requests(p)), k + 1)
                })
        })
        .collect();
    let mut pending: Vec<_> = pods
        .iter()
        .filter(|p| util::str_at(p, "spec.nodeName").is_empty() && is_active(p))
        .collect();
    pending.sort_by_key(|p| util::str_at(p, "metadata.creationTimestamp").to_string());
    for pod in pending {
        let want = spec_requests(pod);
        let pinned = required_nodes(pod);
        let best = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                pinned
                    .as_ref()
                    .is_none_or(|names| names.contains(&n.name.as_str()))
            })
            .filter(|(i, n)| {
                let (u, k) = used[*i];
                k < n.max_pods && u.cpu + want.cpu <= n.alloc.cpu && u.mem + want.mem <= n.alloc.mem
            })
            .max_by_key(|(i, n)| n.alloc.mem - used[*i].0.mem);
        let ns = util::str_at(pod, "metadata.namespace");
        let name = util::str_at(pod, "metadata.name");
        match best {
            Some((i, n)) => {
                used[i] = (used[i].0.add(want), used[i].1 + 1);
                let node = n.name.clone();
                let r = c.internal_update("pods", ns, name, |p| {
                    p["spec"]["nodeName"] = json!(node);
                    set_condition(p, "PodScheduled", "True", "", "");
                });
                if let Ok(p) = r {
                    c.record_event(
                        &p,
                        "Normal",
                        "Scheduled",
                        &format!("Successfully assigned {ns}/{name} to {}", n.name),
                        "default-scheduler",
                    );
                }
            }
            None => {
                let already = pod
                    .pointer("/status/conditions")
                    .and_then(|c| c.as_array())
                    .is_some_and(|cs| {
                        cs.iter()
                            .any(|c| c["type"] == "PodScheduled" && c["status"] == "False")
                    });
                if already {
                    continue;
                }
                let msg = format!(
                    "0/{} nodes are available: {} Insufficient cpu or memory.",
                    nodes.len(),
                    nodes.len()
                );
                let r = c.internal_update("pods", ns, name, |p| {
                    set_condition(p, "PodScheduled", "False", "Unschedulable", &msg)
                });
                if let Ok(p) = r {
                    c.record_event(&p, "Warning", "FailedScheduling", &msg, "default-scheduler");
                }
            }
        }
    }
}
