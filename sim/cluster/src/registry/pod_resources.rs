//! The oracle's own reading of a pod's resources: its QoS class (`qos.ComputePodQOS`,
//! kubernetes `pkg/apis/core/helper/qos/qos.go`) and the stored form of its quantities. Written
//! from the Kubernetes source, not taken from `rightsize_policy`, so a QoS or quantity bug in the
//! code under test cannot hide behind the same bug in the simulator.

use std::collections::BTreeMap;

use serde_json::Value;

use super::pods::CONTAINER_LISTS;
use crate::quantity::{self, Quantity};

/// Resources that decide the QoS class (`supportedQoSComputeResources`).
const QOS_RESOURCES: [&str; 2] = ["cpu", "memory"];

/// Positive cpu/memory quantities of one resource list (`requests` or `limits`).
fn positive(c: &Value, kind: &str) -> BTreeMap<&'static str, i128> {
    QOS_RESOURCES
        .iter()
        .filter_map(|r| {
            let q = quantity::at(c, &format!("/resources/{kind}/{r}"))?;
            (q.nanos() > 0).then_some((*r, q.nanos()))
        })
        .collect()
}

/// `ComputePodQOS` over containers and init containers: requests and limits are summed per
/// resource over all containers (zero and absent ones ignored); BestEffort when nothing is set;
/// Guaranteed when every container has positive cpu and memory limits and the summed requests
/// equal the summed limits for every resource; Burstable otherwise. A request left out beside a
/// limit counts as the limit, as the API server's defaulting has made it by then. Pod-level
/// `spec.resources` is not consulted: the sim serves 1.33/1.34 without the `PodLevelResources`
/// gate's effect on QoS.
pub fn compute_qos(spec: &Value) -> &'static str {
    let mut requests: BTreeMap<&str, i128> = BTreeMap::new();
    let mut limits: BTreeMap<&str, i128> = BTreeMap::new();
    let mut guaranteed = true;
    for c in CONTAINER_LISTS
        .iter()
        .filter_map(|l| spec.get(*l).and_then(Value::as_array))
        .flatten()
    {
        let lim = positive(c, "limits");
        let mut req = positive(c, "requests");
        for (r, v) in &lim {
            if quantity::at(c, &format!("/resources/requests/{r}")).is_none() {
                req.insert(r, *v);
            }
        }
        for (r, v) in req {
            *requests.entry(r).or_default() += v;
        }
        guaranteed &= QOS_RESOURCES.iter().all(|r| lim.contains_key(r));
        for (r, v) in lim {
            *limits.entry(r).or_default() += v;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        "BestEffort"
    } else if guaranteed && requests == limits {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// Rewrite every quantity of a pod spec's containers (and pod-level resources) in the form the
/// API server stores, as its decode/encode round trip does. Invalid quantities are left for
/// validation to report.
pub fn canonicalize_quantities(spec: &mut Value) {
    let mut blocks: Vec<&mut Value> = Vec::new();
    if let Some(m) = spec.as_object_mut() {
        for (k, v) in m.iter_mut() {
            match k.as_str() {
                "containers" | "initContainers" => blocks.extend(
                    v.as_array_mut()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c.get_mut("resources")),
                ),
                "resources" => blocks.push(v),
                _ => {}
            }
        }
    }
    for block in blocks {
        for kind in ["requests", "limits"] {
            for v in block
                .get_mut(kind)
                .and_then(Value::as_object_mut)
                .into_iter()
                .flat_map(|m| m.values_mut())
            {
                if let Some(q) = Quantity::from_json(v) {
                    *v = Value::String(q.canonical());
                }
            }
        }
    }
}
