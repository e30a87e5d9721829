//! Property test of `admit` over arbitrary pods, annotations, histories, LimitRanges and nodes:
//! it never panics and never denies, its patch always applies and yields a valid Pod, the QoS
//! class rule always holds (checked with the independent `common::qos`), nothing set is removed,
//! requests stay within limits and the LimitRange, the pod still fits the largest node, and a
//! reinvocation on the patched pod changes nothing more.

mod common;

use std::collections::BTreeMap;

use common::arbitrary::*;
use common::qos::qos_class;
use common::*;
use k8s_openapi::api::core::v1::{Container, Pod};
use proptest::prelude::*;
use rightsize_policy::quantity::Quantity;
use rightsize_policy::rightsize::RightsizeParams;
use rightsize_webhook::admission::{
    AdmissionConfig, AdmissionContext, LimitRangeSnapshot, Outcome, PolicyConfig,
};
use serde_json::json;

/// (name, resource, field) → quantity, over containers and init containers.
fn values(pod: &Pod) -> BTreeMap<(String, &'static str, &'static str), Quantity> {
    let spec = pod.spec.as_ref().unwrap();
    let mut out = BTreeMap::new();
    for c in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        for (field, list) in [
            (
                "requests",
                c.resources.as_ref().and_then(|r| r.requests.as_ref()),
            ),
            (
                "limits",
                c.resources.as_ref().and_then(|r| r.limits.as_ref()),
            ),
        ] {
            for name in ["cpu", "memory"] {
                if let Some(q) = list.and_then(|l| l.get(name)) {
                    out.insert(
                        (c.name.clone(), name, field),
                        Quantity::try_from(q).unwrap(),
                    );
                }
            }
        }
    }
    out
}

/// Does a container pass LimitRanger's per-container checks?
fn within(c: &Container, lr: &LimitRangeSnapshot) -> bool {
    let res = c.resources.as_ref();
    [("memory", &lr.container_memory), ("cpu", &lr.container_cpu)]
        .into_iter()
        .all(|(name, k)| {
            let get = |list: Option<&BTreeMap<String, _>>| {
                list.and_then(|l| l.get(name))
                    .map(|q| Quantity::try_from(q).unwrap())
            };
            let r = get(res.and_then(|r| r.requests.as_ref()));
            let l = get(res.and_then(|r| r.limits.as_ref()));
            let present = [r, l].into_iter().flatten();
            present
                .clone()
                .all(|v| k.min.is_none_or(|m| v >= m) && k.max.is_none_or(|m| v <= m))
                && match (r, l) {
                    (Some(r), Some(l)) => {
                        r <= l
                            && (r.is_zero()
                                || k.max_limit_request_ratio.is_none_or(|x| {
                                    l.as_f64() <= r.as_f64() * x.as_f64() * (1.0 + 1e-12)
                                }))
                    }
                    _ => true,
                }
        })
}

/// Sum of memory requests over containers and sidecars (what the scheduler needs on a node).
fn memory_requests(pod: &Pod) -> i128 {
    let spec = pod.spec.as_ref().unwrap();
    spec.containers
        .iter()
        .chain(
            spec.init_containers
                .iter()
                .flatten()
                .filter(|c| c.restart_policy.as_deref() == Some("Always")),
        )
        .filter_map(|c| c.resources.as_ref()?.requests.as_ref()?.get("memory"))
        .map(|q| Quantity::try_from(q).unwrap().nanos())
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn admission_never_denies_and_keeps_kubernetes_rules(pod in pod(), w in world()) {
        let config = AdmissionConfig {
            recommend_only: w.recommend_only,
            bounds: w.bounds,
            policy: PolicyConfig::Rightsize(RightsizeParams::default()),
        };
        let histories = Histories::default().with(deployment("web"), &w.profiled, w.peak_mib * 1024.0 * 1024.0);
        let ctx = AdmissionContext::new(&histories, &config, NOW)
            .with_limit_range(w.limit_range)
            .with_largest_node(w.node);
        let req = request(&pod);
        let r = run(&req, &ctx); // asserts uid echo and that the patch applies
        prop_assert!(r.allowed);
        // A panic inside admission is caught and answered as an internal error: none may happen.
        prop_assert_ne!(&r.outcome, &Outcome::Error, "{:?}", r.warnings);
        let (before, after) = (r.pod_before(), r.pod());

        let (q0, q1) = (qos_class(&before), qos_class(&after));
        match q0 {
            "BestEffort" => {
                prop_assert!(q1 == "BestEffort" || q1 == "Burstable", "{q0} -> {q1}");
                let limits = values(&after).keys().filter(|k| k.2 == "limits").count();
                prop_assert_eq!(limits, 0, "a BestEffort pod got a limit");
            }
            _ => prop_assert_eq!(q0, q1),
        }

        let (v0, v1) = (values(&before), values(&after));
        for key in v0.keys() {
            prop_assert!(v1.contains_key(key), "{key:?} was removed");
        }
        let spec0 = before.spec.as_ref().unwrap();
        let spec1 = after.spec.as_ref().unwrap();
        for (c0, c1) in spec0.containers.iter().chain(spec0.init_containers.iter().flatten())
            .zip(spec1.containers.iter().chain(spec1.init_containers.iter().flatten()))
        {
            if within(c0, &w.limit_range) {
                prop_assert!(within(c1, &w.limit_range), "{} left the LimitRange: {:?}", c1.name, c1.resources);
            }
            if c0.restart_policy.is_none() && spec0.init_containers.iter().flatten().any(|i| i.name == c0.name) {
                prop_assert_eq!(c0, c1, "a plain init container was changed");
            }
        }
        if let Some(cap) = w.node.and_then(|n| n.memory) {
            prop_assert!(memory_requests(&after) <= memory_requests(&before).max(cap.nanos()));
        }
        let untouched = w.recommend_only
            || pod["metadata"]["annotations"]["rightsize.dev/mode"] == json!("recommend")
            || pod["metadata"]["annotations"]["rightsize.dev/mode"] == json!("off");
        if untouched {
            prop_assert_eq!(&r.before["spec"], &r.after["spec"]);
        }

        let again = run(&with_object(&req, &r.after), &ctx);
        prop_assert_eq!(again.patch, json!([]), "reinvocation changed more");
    }
}
