//! Property test of `admit` over arbitrary pods, annotations, histories, LimitRanges and nodes:
//! it never panics and never denies, its patch always applies and yields a valid Pod, the QoS
//! class rule always holds (checked with the independent `common::qos`), nothing set is removed,
//! requests stay within limits and the LimitRange, the pod still fits the largest node, and a
//! reinvocation on the patched pod changes nothing more.

mod common;

use std::collections::BTreeMap;

use common::qos::qos_class;
use common::*;
use k8s_openapi::api::core::v1::{Container, Pod};
use kube::core::DynamicObject;
use kube::core::admission::AdmissionRequest;
use proptest::prelude::*;
use rightsize_policy::controls::Bounds;
use rightsize_policy::quantity::Quantity;
use rightsize_policy::rightsize::RightsizeParams;
use rightsize_webhook::admission::{
    AdmissionConfig, AdmissionContext, Constraints, LimitRangeSnapshot, NodeAllocatable, Outcome,
    PolicyConfig,
};
use serde_json::{Value, json};

const NAMES: [&str; 4] = ["app", "proxy", "worker", "injected"];

/// Memory spelled the many ways the API accepts, in MiB-ish steps.
fn memory() -> impl Strategy<Value = String> {
    (1u64..4096, 0usize..4).prop_map(|(mib, spelling)| match spelling {
        0 => format!("{mib}Mi"),
        1 => format!("{}Ki", mib * 1024),
        2 => format!("{}", mib * 1024 * 1024),
        _ => format!("{}M", mib),
    })
}

fn cpu() -> impl Strategy<Value = String> {
    (1u64..4000, any::<bool>()).prop_map(|(m, milli)| {
        if milli || m % 1000 != 0 {
            format!("{m}m")
        } else {
            format!("{}", m / 1000)
        }
    })
}

/// One resource of one container: none, request only, limit with defaulted request, or a
/// request with a limit at a ratio of 1 to 4 (requests never above limits, as validation wants),
/// or a zero request under a limit.
fn resource(
    value: BoxedStrategy<String>,
) -> impl Strategy<Value = (Option<String>, Option<String>)> {
    (0usize..5, value, 1u32..=4).prop_map(|(shape, v, ratio)| {
        let q = Quantity::parse(&v).unwrap();
        let scaled = Quantity::from_nanos(q.nanos() * i128::from(ratio), q.format()).to_string();
        match shape {
            0 => (None, None),
            1 => (Some(v), None),
            2 => (Some(v.clone()), Some(v)),
            3 => (Some(v), Some(scaled)),
            // An explicit zero request under a limit: no ratio to keep.
            _ => (Some("0".to_owned()), Some(v)),
        }
    })
}

fn container(name: &'static str, sidecar: bool) -> impl Strategy<Value = Value> {
    (resource(memory().boxed()), resource(cpu().boxed())).prop_map(move |(mem, cpu)| {
        let mut requests = serde_json::Map::new();
        let mut limits = serde_json::Map::new();
        for (key, (r, l)) in [("memory", mem), ("cpu", cpu)] {
            if let Some(r) = r {
                requests.insert(key.into(), json!(r));
            }
            if let Some(l) = l {
                limits.insert(key.into(), json!(l));
            }
        }
        let mut c = json!({"name": name, "image": "example/app:1"});
        if !requests.is_empty() || !limits.is_empty() {
            c["resources"] = json!({});
            if !requests.is_empty() {
                c["resources"]["requests"] = Value::Object(requests);
            }
            if !limits.is_empty() {
                c["resources"]["limits"] = Value::Object(limits);
            }
        }
        if sidecar {
            c["restartPolicy"] = json!("Always");
        }
        c
    })
}

fn annotation_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(None),
        4 => memory().prop_map(Some),
        1 => cpu().prop_map(Some),
        1 => prop::sample::select(vec!["lots", "-1Gi", "", "1.5.5"]).prop_map(|s| Some(s.to_owned())),
        1 => Just(None),
    ]
}

fn annotations() -> impl Strategy<Value = BTreeMap<String, String>> {
    (
        prop::option::of(prop::sample::select(vec![
            "auto",
            "auto",
            "auto",
            "initial",
            "initial",
            "initial",
            "recommend",
            "off",
            "Auto",
        ])),
        annotation_value(),
        annotation_value(),
        prop::option::of(cpu()),
        prop::option::of(cpu()),
    )
        .prop_map(|(mode, min_mem, max_mem, min_cpu, max_cpu)| {
            let mut a = BTreeMap::new();
            let mut put = |k: &str, v: Option<String>| {
                if let Some(v) = v {
                    a.insert(k.to_owned(), v);
                }
            };
            // Crossed bounds are an invalid-annotation case of their own (unit-tested in the
            // policy crate); here they are ordered so most pods carry usable bounds.
            let (min_mem, max_mem) = ordered(min_mem, max_mem);
            let (min_cpu, max_cpu) = ordered(min_cpu, max_cpu);
            put("rightsize.dev/mode", mode.map(str::to_owned));
            put("rightsize.dev/min-memory", min_mem);
            put("rightsize.dev/max-memory", max_mem);
            put("rightsize.dev/min-cpu", min_cpu);
            put("rightsize.dev/max-cpu", max_cpu);
            a
        })
}

/// Swap two bounds that both parse and are crossed.
fn ordered(lo: Option<String>, hi: Option<String>) -> (Option<String>, Option<String>) {
    let parse = |v: &Option<String>| v.as_deref().and_then(|v| Quantity::parse(v).ok());
    match (parse(&lo), parse(&hi)) {
        (Some(a), Some(b)) if a > b => (hi, lo),
        _ => (lo, hi),
    }
}

/// A Deployment pod as the ReplicaSet controller makes it: 1–3 containers, maybe a sidecar and
/// a plain init container, maybe annotations.
fn pod() -> impl Strategy<Value = Value> {
    (
        prop::sample::subsequence(NAMES[..3].to_vec(), 1..=3),
        prop::option::of(container("sidecar", true)),
        prop::option::of(container("init", false)),
        annotations(),
        any::<bool>(),
    )
        .prop_flat_map(|(names, sidecar, init, annotations, with_namespace)| {
            let containers: Vec<_> = names.into_iter().map(|n| container(n, false)).collect();
            (
                containers,
                Just((sidecar, init, annotations, with_namespace)),
            )
        })
        .prop_map(
            |(containers, (sidecar, init, annotations, with_namespace))| {
                let mut meta = json!({
                    "generateName": "web-7d9f8c6b5-",
                    "labels": {"app": "web", "pod-template-hash": "7d9f8c6b5"},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                        "name": "web-7d9f8c6b5", "uid": "u1", "controller": true}],
                });
                if !annotations.is_empty() {
                    meta["annotations"] = json!(annotations);
                }
                if with_namespace {
                    meta["namespace"] = json!("shop");
                }
                let mut spec = json!({"containers": containers});
                let inits: Vec<Value> = init.into_iter().chain(sidecar).collect();
                if !inits.is_empty() {
                    spec["initContainers"] = Value::Array(inits);
                }
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})
            },
        )
}

fn constraints(value: BoxedStrategy<String>) -> impl Strategy<Value = Constraints> {
    (
        prop::option::of(value.clone()),
        prop::option::of(value),
        prop::option::of(1u32..4),
    )
        .prop_map(|(min, max, ratio)| Constraints {
            min: min.map(|q| q.parse().unwrap()),
            max: max.map(|q| q.parse().unwrap()),
            max_limit_request_ratio: ratio.map(|r| Quantity::from_millis(i128::from(r) * 1000)),
        })
}

/// Everything besides the pod: which containers have history and how much they peak, the
/// configuration, the namespace's LimitRange and the largest node.
#[derive(Debug, Clone)]
struct World {
    profiled: Vec<&'static str>,
    peak_mib: f64,
    recommend_only: bool,
    bounds: Bounds,
    limit_range: LimitRangeSnapshot,
    node: Option<NodeAllocatable>,
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::sample::subsequence(vec!["app", "proxy", "worker", "sidecar", "init"], 0..=5),
        1.0f64..8192.0,
        prop::bool::weighted(0.15),
        (prop::option::of(memory()), prop::option::of(memory())),
        prop::option::of(constraints(memory().boxed())),
        prop::option::of(constraints(cpu().boxed())),
        prop::option::of((memory(), cpu())),
    )
        .prop_map(
            |(profiled, peak_mib, recommend_only, (lo, hi), mem_lr, cpu_lr, node)| {
                let (lo, hi) = match (lo, hi) {
                    (Some(a), Some(b)) => {
                        let (a, b): (Quantity, Quantity) = (a.parse().unwrap(), b.parse().unwrap());
                        (Some(a.min(b)), Some(a.max(b)))
                    }
                    (a, b) => (a.map(|q| q.parse().unwrap()), b.map(|q| q.parse().unwrap())),
                };
                World {
                    profiled,
                    peak_mib,
                    recommend_only,
                    bounds: Bounds {
                        min_memory: lo,
                        max_memory: hi,
                        ..Bounds::default()
                    },
                    limit_range: LimitRangeSnapshot {
                        container_memory: mem_lr.unwrap_or_default(),
                        container_cpu: cpu_lr.unwrap_or_default(),
                        ..LimitRangeSnapshot::default()
                    },
                    node: node.map(|(m, c)| NodeAllocatable {
                        memory: Some(m.parse().unwrap()),
                        cpu: Some(c.parse().unwrap()),
                    }),
                }
            },
        )
}

fn request(pod: &Value) -> AdmissionRequest<DynamicObject> {
    let review = json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "prop-1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "name": "", "namespace": "shop", "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": pod, "oldObject": null, "dryRun": false,
        }
    });
    let review: kube::core::admission::AdmissionReview<DynamicObject> =
        serde_json::from_value(review).unwrap();
    review.try_into().unwrap()
}

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
