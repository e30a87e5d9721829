//! What a review needs besides its body, shared by every request: the profile source, the
//! cached cluster state, the settings and the metrics. [`App::mutate`] takes the snapshot (a
//! pointer clone per cache, a clock read) and calls the pure [`admission::mutate`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::{LimitRange, Node};
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse};
use kube::runtime::reflector::Store;
use kube::{Api, Client, ResourceExt};
use rightsize_history::WorkloadHistory;
use rightsize_policy::workload::WorkloadRef;

use crate::admission::{
    self, AdmissionConfig, AdmissionContext, LimitRangeSnapshot, NodeAllocatable, ProfileSource,
};
use crate::caches::{Derived, watch_derived};
use crate::metrics::WebhookMetrics;

/// Seconds since the Unix epoch; admission never reads a clock itself.
pub type Clock = Arc<dyn Fn() -> f64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    })
}

/// Merged LimitRanges by namespace.
pub type LimitRangesByNamespace = HashMap<String, LimitRangeSnapshot>;

/// The watched cluster state admission reads: LimitRanges and the largest node.
pub struct ClusterState {
    pub limit_ranges: Derived<LimitRangesByNamespace>,
    pub largest_node: Derived<Option<NodeAllocatable>>,
}

impl ClusterState {
    /// Nothing known: no LimitRange, no node cap (tests, benchmarks).
    pub fn empty() -> Self {
        Self::fixed(HashMap::new(), None)
    }

    /// A state that never changes.
    pub fn fixed(limit_ranges: LimitRangesByNamespace, node: Option<NodeAllocatable>) -> Self {
        Self {
            limit_ranges: Derived::fixed(limit_ranges),
            largest_node: Derived::fixed(node),
        }
    }

    /// Watches LimitRanges in every namespace and every Node.
    pub fn watch(client: &Client) -> Self {
        Self {
            limit_ranges: watch_derived(
                Api::<LimitRange>::all(client.clone()),
                "LimitRange",
                HashMap::new(),
                by_namespace,
            ),
            largest_node: watch_derived(
                Api::<Node>::all(client.clone()),
                "Node",
                None,
                |nodes: &Store<Node>| NodeAllocatable::largest(nodes.state().iter().map(|n| &**n)),
            ),
        }
    }
}

fn by_namespace(store: &Store<LimitRange>) -> LimitRangesByNamespace {
    let mut grouped: HashMap<String, Vec<Arc<LimitRange>>> = HashMap::new();
    for lr in store.state() {
        grouped
            .entry(lr.namespace().unwrap_or_default())
            .or_default()
            .push(lr);
    }
    grouped
        .into_iter()
        .map(|(ns, ranges)| {
            let snapshot = LimitRangeSnapshot::from_limit_ranges(ranges.iter().map(|r| &**r));
            (ns, snapshot)
        })
        .collect()
}

/// Shared state of the `/mutate` handler.
pub struct App {
    profiles: Arc<dyn ProfileSource>,
    config: AdmissionConfig,
    cluster: ClusterState,
    pub metrics: WebhookMetrics,
    clock: Clock,
}

impl App {
    pub fn new(
        profiles: Arc<dyn ProfileSource>,
        config: AdmissionConfig,
        cluster: ClusterState,
        metrics: WebhookMetrics,
    ) -> Self {
        Self {
            profiles,
            config,
            cluster,
            metrics,
            clock: system_clock(),
        }
    }

    /// Replaces the clock (tests and fixtures with a fixed time).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The admission decision for `req`, with lookups counted as history hits and misses.
    pub fn mutate(&self, req: &AdmissionRequest<DynamicObject>) -> AdmissionResponse {
        let profiles = Counted {
            inner: &*self.profiles,
            metrics: &self.metrics,
        };
        let namespace = req
            .namespace
            .as_deref()
            .or_else(|| {
                req.object
                    .as_ref()
                    .and_then(|o| o.metadata.namespace.as_deref())
            })
            .unwrap_or_default();
        let limit_range = self
            .cluster
            .limit_ranges
            .get()
            .get(namespace)
            .copied()
            .unwrap_or_default();
        let ctx = AdmissionContext::new(&profiles, &self.config, (self.clock)())
            .with_limit_range(limit_range)
            .with_largest_node(*self.cluster.largest_node.get());
        admission::mutate(req, &ctx)
    }
}

/// A profile source that counts its answers.
struct Counted<'a> {
    inner: &'a dyn ProfileSource,
    metrics: &'a WebhookMetrics,
}

impl ProfileSource for Counted<'_> {
    fn workload(&self, workload: &WorkloadRef) -> Option<Arc<WorkloadHistory>> {
        let found = self.inner.workload(workload);
        self.metrics.history_lookup(found.is_some());
        found
    }
}
