//! The [`Context`] every part of the controller shares (controller-rs shape): the client, the
//! settings, the metrics, the event publisher, the caches and the mutable [`State`].
//!
//! `State` sits behind a plain mutex that is never held across an `.await`: decisions are made
//! under the lock, API calls after it is released.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kube::Client;
use kube::runtime::reflector::Store;
use rightsize_history::HistoryWriter;
use rightsize_policy::quantity::Quantity;
use tokio::sync::watch;

use crate::config::Settings;
use crate::error::{Error, chain};
use crate::events::EventPublisher;
use crate::metrics::Metrics;
use crate::pods::Selection;
use crate::samples::Source;
use crate::sizers::Sizers;

/// Mutable state of the controller.
pub struct State {
    pub sizers: Sizers,
    /// OOM markers acted on, by pod UID then container.
    pub oom_handled: HashMap<String, BTreeMap<String, String>>,
    /// Time of the last sample used, by pod UID (a sample not newer is no fresh sample).
    pub last_sample: HashMap<String, f64>,
    /// Last working set seen, by (pod UID, container): the best peak an OOM kill can report.
    pub last_usage: HashMap<(String, String), f64>,
    /// Resizes the API server refused (403, 422), by (pod UID, container, target): recorded
    /// once, never re-sent unchanged.
    pub refused: HashSet<(String, String, String)>,
    /// Memory requests the kubelet called Infeasible, by (pod UID, container): no resize up to
    /// this again until the pod's node grows.
    pub infeasible: HashMap<(String, String), (f64, f64)>,
    /// Pending-resize conditions already reported, by pod UID: (type, reason, generation).
    pub reported: HashMap<String, (String, String, i64)>,
    /// When a Deferred resize was last lowered, by pod UID.
    pub deferred_lowered: HashMap<String, f64>,
}

impl State {
    pub fn new(sizers: Sizers) -> Self {
        Self {
            sizers,
            oom_handled: HashMap::new(),
            last_sample: HashMap::new(),
            last_usage: HashMap::new(),
            refused: HashSet::new(),
            infeasible: HashMap::new(),
            reported: HashMap::new(),
            deferred_lowered: HashMap::new(),
        }
    }

    /// Drop everything kept for a deleted pod.
    pub fn forget(&mut self, uid: &str, id: rightsize_policy::PodId) {
        self.sizers.pod_gone(id);
        self.oom_handled.remove(uid);
        self.last_sample.remove(uid);
        self.last_usage.retain(|(u, _), _| u != uid);
        self.refused.retain(|(u, _, _)| u != uid);
        self.infeasible.retain(|(u, _), _| u != uid);
        self.reported.remove(uid);
        self.deferred_lowered.remove(uid);
    }
}

/// Shared by the watch tasks, the cycle and the admin server.
pub struct Context {
    pub client: Client,
    pub settings: Settings,
    pub metrics: Metrics,
    pub events: EventPublisher,
    pub source: Source,
    /// kube-state-metrics, when `KUBE_STATE_METRICS_URL` is set.
    pub kube_state_metrics: Option<crate::kube_state_metrics::Endpoint>,
    pub pods: Store<Pod>,
    pub namespaces: Store<Namespace>,
    pub nodes: Store<Node>,
    pub history: Arc<HistoryWriter>,
    /// True while this replica holds the Lease (always, without leader election).
    pub leader: watch::Receiver<bool>,
    /// The API server's minor version (`/version`).
    pub minor: u32,
    /// Set when the API server refused a memory-limit decrease as 1.33 validation does although
    /// `/version` said otherwise (a control plane mid-upgrade: the version skew policy lets HA
    /// kube-apiservers differ by a minor version). From then on resizes follow the 1.33 rules.
    limit_decrease_refused: AtomicBool,
    pub ready: Arc<AtomicBool>,
    state: Mutex<State>,
}

impl Context {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: Client,
        settings: Settings,
        metrics: Metrics,
        source: Source,
        stores: (Store<Pod>, Store<Namespace>, Store<Node>),
        history: Arc<HistoryWriter>,
        leader: watch::Receiver<bool>,
        minor: u32,
        instance: String,
    ) -> Self {
        let sizers = Sizers::new(settings.policy);
        Self {
            events: EventPublisher::new(client.clone(), instance),
            client,
            settings,
            metrics,
            source,
            kube_state_metrics: None,
            pods: stores.0,
            namespaces: stores.1,
            nodes: stores.2,
            history,
            leader,
            minor,
            limit_decrease_refused: AtomicBool::new(false),
            ready: Arc::new(AtomicBool::new(false)),
            state: Mutex::new(State::new(sizers)),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The minor version whose resize rules plans follow: the reported one, or 33 once the
    /// API server has refused a memory-limit decrease.
    pub fn resize_minor(&self) -> u32 {
        if self.limit_decrease_refused.load(Ordering::Relaxed) {
            self.minor.min(33)
        } else {
            self.minor
        }
    }

    /// Follow the 1.33 resize rules from now on (see [`Self::resize_minor`]); `true` the first
    /// time.
    pub fn learn_limit_decreases_are_refused(&self) -> bool {
        !self.limit_decrease_refused.swap(true, Ordering::Relaxed) && self.minor > 33
    }

    pub fn is_leader(&self) -> bool {
        *self.leader.borrow()
    }

    /// Which pods are managed right now.
    pub fn selection(&self) -> Selection {
        let (k, v) = &self.settings.controller.namespace_label;
        let enabled = self
            .namespaces
            .state()
            .iter()
            .filter(|n| {
                n.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(k))
                    .is_some_and(|x| x == v)
            })
            .filter_map(|n| n.metadata.name.clone())
            .collect();
        Selection {
            enabled,
            excluded: self.settings.controller.excluded_namespaces.clone(),
        }
    }

    /// Allocatable memory of `node` (bytes), and the largest of every node.
    pub fn node_memory(&self, node: Option<&str>) -> (Option<f64>, Option<f64>) {
        let mem = |n: &Node| {
            n.status
                .as_ref()?
                .allocatable
                .as_ref()?
                .get("memory")
                .and_then(|q| Quantity::try_from(q).ok())
                .map(|q| q.as_f64())
        };
        let nodes = self.nodes.state();
        let largest = nodes.iter().filter_map(|n| mem(n)).reduce(f64::max);
        let own = node.and_then(|name| {
            nodes
                .iter()
                .find(|n| n.metadata.name.as_deref() == Some(name))
                .and_then(|n| mem(n))
        });
        (own, largest)
    }

    /// Count and log a failed action, with its context, once.
    pub fn report(&self, e: &Error) {
        self.metrics.api_error(e);
        tracing::warn!(error = %chain(e), kind = %e.metric_label(), "action failed");
    }
}

/// Current time in Unix seconds.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
