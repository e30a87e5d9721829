//! The pod's QoS class computed from the Kubernetes rules directly (`pkg/apis/core/v1/helper/
//! qos/qos.go`, `ComputePodQOS`), independent of the policy crate's implementation, so the
//! tests check admission against Kubernetes rather than against itself:
//! - only cpu and memory count, and a zero quantity counts as unset;
//! - requests and limits are summed over all containers, init containers included;
//! - no request and no limit anywhere → BestEffort;
//! - every container has cpu and memory limits and the summed requests equal the summed
//!   limits → Guaranteed; otherwise Burstable.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use rightsize_policy::quantity::Quantity;

const COMPUTE: [&str; 2] = ["cpu", "memory"];

pub fn qos_class(pod: &Pod) -> &'static str {
    let spec = pod.spec.as_ref().expect("pod has a spec");
    let all = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten());
    let mut requests: BTreeMap<&str, i128> = BTreeMap::new();
    let mut limits: BTreeMap<&str, i128> = BTreeMap::new();
    let mut guaranteed = true;
    for c in all {
        let res = c.resources.as_ref();
        for (list, sums) in [
            (res.and_then(|r| r.requests.as_ref()), &mut requests),
            (res.and_then(|r| r.limits.as_ref()), &mut limits),
        ] {
            for name in COMPUTE {
                let v = list
                    .and_then(|l| l.get(name))
                    .map(|q| Quantity::try_from(q).expect("valid quantity").nanos())
                    .unwrap_or(0);
                if v != 0 {
                    *sums.entry(name).or_default() += v;
                }
            }
        }
        let has_limit = |name| {
            res.and_then(|r| r.limits.as_ref())
                .and_then(|l| l.get(name))
                .is_some_and(|q| !Quantity::try_from(q).unwrap().is_zero())
        };
        if !COMPUTE.iter().all(|n| has_limit(*n)) {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed
        && requests.len() == limits.len()
        && requests.iter().all(|(k, v)| limits.get(k) == Some(v))
    {
        return "Guaranteed";
    }
    "Burstable"
}
