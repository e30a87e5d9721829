//! Generators of the property test: Deployment pods with arbitrary containers, sidecars, init
//! containers and annotations, and the world around them (histories, bounds, LimitRange, node).

use std::collections::BTreeMap;

use kube::core::DynamicObject;
use kube::core::admission::AdmissionRequest;
use proptest::prelude::*;
use rightsize_policy::controls::Bounds;
use rightsize_policy::quantity::Quantity;
use rightsize_webhook::admission::{Constraints, LimitRangeSnapshot, NodeAllocatable};
use serde_json::{Value, json};

const NAMES: [&str; 4] = ["app", "proxy", "worker", "injected"];

/// Memory spelled the many ways the API accepts, in MiB-ish steps.
pub fn memory() -> impl Strategy<Value = String> {
    (1u64..4096, 0usize..4).prop_map(|(mib, spelling)| match spelling {
        0 => format!("{mib}Mi"),
        1 => format!("{}Ki", mib * 1024),
        2 => format!("{}", mib * 1024 * 1024),
        _ => format!("{}M", mib),
    })
}

pub fn cpu() -> impl Strategy<Value = String> {
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
pub fn resource(
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

pub fn container(name: &'static str, sidecar: bool) -> impl Strategy<Value = Value> {
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

pub fn annotation_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(None),
        4 => memory().prop_map(Some),
        1 => cpu().prop_map(Some),
        1 => prop::sample::select(vec!["lots", "-1Gi", "", "1.5.5"]).prop_map(|s| Some(s.to_owned())),
        1 => Just(None),
    ]
}

pub fn annotations() -> impl Strategy<Value = BTreeMap<String, String>> {
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
pub fn ordered(lo: Option<String>, hi: Option<String>) -> (Option<String>, Option<String>) {
    let parse = |v: &Option<String>| v.as_deref().and_then(|v| Quantity::parse(v).ok());
    match (parse(&lo), parse(&hi)) {
        (Some(a), Some(b)) if a > b => (hi, lo),
        _ => (lo, hi),
    }
}

/// A Deployment pod as the ReplicaSet controller makes it: 1–3 containers, maybe a sidecar and
/// a plain init container, maybe annotations.
pub fn pod() -> impl Strategy<Value = Value> {
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

pub fn constraints(value: BoxedStrategy<String>) -> impl Strategy<Value = Constraints> {
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
pub struct World {
    pub profiled: Vec<&'static str>,
    pub peak_mib: f64,
    pub recommend_only: bool,
    pub bounds: Bounds,
    pub limit_range: LimitRangeSnapshot,
    pub node: Option<NodeAllocatable>,
}

pub fn world() -> impl Strategy<Value = World> {
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

pub fn request(pod: &Value) -> AdmissionRequest<DynamicObject> {
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
