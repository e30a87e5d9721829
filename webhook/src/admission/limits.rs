//! Snapshots of what the API server and the scheduler will hold a sized pod to: the namespace's
//! LimitRanges and the largest node's allocatable. Built by the server from its cached watches
//! (never read on the request path) and checked by [`bounds`](super::bounds).
//!
//! LimitRange rules (kubernetes `plugin/pkg/admission/limitranger/admission.go`,
//! `PodValidateLimitFunc`): for `type: Container`, each of `min` ≤ request, limit ≤ `max` and
//! limit / request ≤ `maxLimitRequestRatio`; for `type: Pod` the same on the sums over the pod's
//! containers. Every LimitRange of the namespace applies, so several merge into the tightest
//! bound of each kind. LimitRanger's defaulting runs before webhooks, so the pod we see already
//! carries the defaults; its validation runs after them, on our patched pod.

use k8s_openapi::api::core::v1::{LimitRange, Node};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use rightsize_policy::quantity::Quantity;
use rightsize_policy::resources::Resource;
use std::collections::BTreeMap;

/// LimitRange item type for per-container limits.
const TYPE_CONTAINER: &str = "Container";
/// LimitRange item type for limits on the pod's sums.
const TYPE_POD: &str = "Pod";

/// Constraints of one resource (cpu or memory) from a namespace's LimitRanges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Constraints {
    /// Every request (and limit) must be at least this.
    pub min: Option<Quantity>,
    /// Every limit (and request) must be at most this.
    pub max: Option<Quantity>,
    /// limit / request must be at most this.
    pub max_limit_request_ratio: Option<Quantity>,
}

impl Constraints {
    /// Tighten with one more LimitRange item.
    fn merge(&mut self, other: Constraints) {
        self.min = self.min.max(other.min);
        self.max = tightest(self.max, other.max);
        self.max_limit_request_ratio =
            tightest(self.max_limit_request_ratio, other.max_limit_request_ratio);
    }

    /// Whether nothing is constrained.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The merged LimitRanges of one namespace: per container and per pod, per resource.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimitRangeSnapshot {
    pub container_memory: Constraints,
    pub container_cpu: Constraints,
    pub pod_memory: Constraints,
    pub pod_cpu: Constraints,
}

impl LimitRangeSnapshot {
    /// Merge the LimitRanges of one namespace (the caller filters by namespace). Quantities the
    /// API server accepted always parse; one that does not is ignored.
    pub fn from_limit_ranges<'l>(ranges: impl IntoIterator<Item = &'l LimitRange>) -> Self {
        let mut snapshot = Self::default();
        let items = ranges
            .into_iter()
            .filter_map(|r| r.spec.as_ref())
            .flat_map(|spec| &spec.limits);
        for item in items {
            for resource in Resource::ALL {
                let read = |list: &Option<BTreeMap<String, K8sQuantity>>| {
                    list.as_ref()
                        .and_then(|l| l.get(resource.name()))
                        .and_then(|q| Quantity::try_from(q).ok())
                };
                let constraints = Constraints {
                    min: read(&item.min),
                    max: read(&item.max),
                    max_limit_request_ratio: read(&item.max_limit_request_ratio),
                };
                if let Some(slot) = snapshot.slot(&item.type_, resource) {
                    slot.merge(constraints);
                }
            }
        }
        snapshot
    }

    /// Per-container constraints of `resource`.
    pub fn container(&self, resource: Resource) -> &Constraints {
        match resource {
            Resource::Memory => &self.container_memory,
            Resource::Cpu => &self.container_cpu,
        }
    }

    /// Constraints of `resource` on the pod's sums.
    pub fn pod(&self, resource: Resource) -> &Constraints {
        match resource {
            Resource::Memory => &self.pod_memory,
            Resource::Cpu => &self.pod_cpu,
        }
    }

    fn slot(&mut self, kind: &str, resource: Resource) -> Option<&mut Constraints> {
        Some(match (kind, resource) {
            (TYPE_CONTAINER, Resource::Memory) => &mut self.container_memory,
            (TYPE_CONTAINER, Resource::Cpu) => &mut self.container_cpu,
            (TYPE_POD, Resource::Memory) => &mut self.pod_memory,
            (TYPE_POD, Resource::Cpu) => &mut self.pod_cpu,
            _ => return None,
        })
    }
}

/// Allocatable memory and cpu of one node (`status.allocatable`): a pod whose requests exceed
/// it cannot be scheduled there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeAllocatable {
    pub memory: Option<Quantity>,
    pub cpu: Option<Quantity>,
}

impl NodeAllocatable {
    /// The allocatable of one node.
    pub fn of_node(node: &Node) -> Self {
        let list = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
        let read = |r: Resource| {
            list.and_then(|l| l.get(r.name()))
                .and_then(|q| Quantity::try_from(q).ok())
        };
        Self {
            memory: read(Resource::Memory),
            cpu: read(Resource::Cpu),
        }
    }

    /// The node with the most allocatable memory (then cpu): no pod rightsize sizes may ask for
    /// more than it, or the pod would stay Pending forever. `None` without nodes.
    pub fn largest<'n>(nodes: impl IntoIterator<Item = &'n Node>) -> Option<Self> {
        nodes
            .into_iter()
            .map(Self::of_node)
            .max_by_key(|n| (n.memory, n.cpu))
    }

    /// The allocatable of `resource`, if known.
    pub fn get(&self, resource: Resource) -> Option<Quantity> {
        match resource {
            Resource::Memory => self.memory,
            Resource::Cpu => self.cpu,
        }
    }
}

/// The smaller of two optional upper bounds (absent = unbounded).
fn tightest(a: Option<Quantity>, b: Option<Quantity>) -> Option<Quantity> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limit_range(items: serde_json::Value) -> LimitRange {
        serde_json::from_value(json!({"metadata": {"name": "lr"}, "spec": {"limits": items}}))
            .unwrap()
    }

    fn node(memory: &str, cpu: &str) -> Node {
        serde_json::from_value(json!({"metadata": {"name": "n"},
            "status": {"allocatable": {"memory": memory, "cpu": cpu}}}))
        .unwrap()
    }

    #[test]
    fn several_limit_ranges_merge_into_the_tightest_bounds() {
        let a = limit_range(json!([
            {"type": "Container", "min": {"memory": "16Mi"}, "max": {"memory": "2Gi", "cpu": "2"}},
            {"type": "Pod", "max": {"memory": "4Gi"}},
            {"type": "PersistentVolumeClaim", "max": {"storage": "10Gi"}},
        ]));
        let b = limit_range(json!([
            {"type": "Container", "min": {"memory": "32Mi"}, "max": {"memory": "1536Mi"},
             "maxLimitRequestRatio": {"memory": "3"}},
        ]));
        let s = LimitRangeSnapshot::from_limit_ranges([&a, &b]);
        let q = |v: &str| Some(Quantity::parse(v).unwrap());
        assert_eq!(
            s.container_memory,
            Constraints {
                min: q("32Mi"),
                max: q("1.5Gi"),
                max_limit_request_ratio: q("3"),
            }
        );
        assert_eq!(s.container_cpu.max, q("2000m"));
        assert_eq!(s.pod_memory.max, q("4Gi"));
        assert!(s.pod_cpu.is_empty());
    }

    #[test]
    fn largest_node_is_the_one_with_most_memory() {
        let nodes = [node("8Gi", "4"), node("16Gi", "2"), node("12Gi", "16")];
        let largest = NodeAllocatable::largest(&nodes).unwrap();
        assert_eq!(largest.memory, Some(Quantity::parse("16Gi").unwrap()));
        assert_eq!(largest.cpu, Some(Quantity::parse("2").unwrap()));
        assert_eq!(NodeAllocatable::largest(&[]), None);
    }
}
