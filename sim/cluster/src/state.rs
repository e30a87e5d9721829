//! The shared state of one simulated cluster, and nothing else: the object store (etcd's part),
//! the configuration, the fault knobs, the latest container usage the kubelet reports (what the
//! metrics-server serves), and the bound address.
//!
//! This module is a leaf: it imports none of the components that use it. The API server
//! (`api`), the registry (`registry`, what a request does), the controllers (`controllers`) and
//! the kubelet (`kubelet`) each get an `Arc<Cluster>` and never import one another; the
//! registry's operations (`registry::{read, write, delete}`), admission on pod create
//! (`admission`) and Event recording (`recorder`) are methods added in the modules that own
//! those jobs. The kubelet's runtime state (usage generators, back-offs) is the kubelet's own;
//! the one place that builds and wires everything is `cluster` (`SimCluster::start`).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::config::SimConfig;
use crate::faults::Faults;
use crate::store::Store;

/// Shared state of one simulated cluster.
pub struct Cluster {
    pub(crate) store: Store,
    pub(crate) config: SimConfig,
    pub(crate) faults: Faults,
    /// Latest usage per running container, published by the kubelet each pass.
    pub(crate) usage: UsageBoard,
    /// Requests served, by verb and resource (benchmarks and tests count a client's calls).
    pub(crate) requests: RequestCounts,
    /// Bearer tokens issued through TokenRequest (`auth::tokens`).
    pub(crate) tokens: crate::auth::tokens::TokenBook,
    addr: OnceLock<SocketAddr>,
}

impl Cluster {
    pub(crate) fn new(config: SimConfig) -> Self {
        Self {
            store: Store::new(config.watch_history),
            faults: Faults::new(config.fault_seed.unwrap_or_else(crate::util::clock_seed)),
            usage: UsageBoard::default(),
            requests: RequestCounts::default(),
            tokens: Default::default(),
            config,
            addr: OnceLock::new(),
        }
    }

    /// Record the address the API server bound (once, at start).
    pub(crate) fn set_addr(&self, addr: SocketAddr) {
        let _ = self.addr.set(addr);
    }

    /// `host:port` clients reach the server at.
    pub(crate) fn server_address(&self) -> String {
        self.addr.get().map(ToString::to_string).unwrap_or_default()
    }
}

/// What a container uses now, as the kubelet's summary API reports it to metrics-server.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ContainerUsage {
    /// Cpu, millicores (0 while the container waits in back-off).
    pub cpu_milli: f64,
    /// Memory working set, bytes.
    pub memory_bytes: f64,
}

/// Container usage by pod uid, then container name.
pub(crate) type PodUsage = HashMap<String, HashMap<String, ContainerUsage>>;

/// The usage the kubelet last published. Replaced wholesale each pass, so a deleted pod's
/// usage disappears with the next pass, as with metrics-server's scrape.
#[derive(Default)]
pub(crate) struct UsageBoard(Mutex<PodUsage>);

impl UsageBoard {
    /// The latest usage, locked for reading.
    pub(crate) fn read(&self) -> MutexGuard<'_, PodUsage> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replace the published usage.
    pub(crate) fn publish(&self, usage: PodUsage) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = usage;
    }
}

/// Requests served, by `"<verb> <resource>[/<subresource>]"` (`"list pods"`,
/// `"patch pods/resize"`, `"get kube-state-metrics"`), the verbs of the API server's audit log.
#[derive(Default)]
pub(crate) struct RequestCounts(Mutex<HashMap<String, u64>>);

impl RequestCounts {
    /// Count one request.
    pub(crate) fn count(&self, verb: &str, resource: &str) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry(format!("{verb} {resource}")).or_default() += 1;
    }

    /// Every count so far, sorted.
    pub(crate) fn snapshot(&self) -> BTreeMap<String, u64> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}
