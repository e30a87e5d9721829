//! Configuration of a simulated cluster. Defaults give a small one-node cluster on an ephemeral
//! loopback port that behaves like Kubernetes 1.33, with timing fast enough for tests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// Kubernetes minor versions whose resize rules the sim can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KubeVersion {
    /// Memory-limit decreases on resize are forbidden unless the container's memory
    /// resizePolicy is RestartContainer (validation.go `validateContainerResize`, release-1.33).
    #[default]
    V1_33,
    /// Memory-limit decreases are allowed (PR #133012, milestone v1.34); the kubelet refuses one
    /// below current usage (KEP-1287 §Memory Limit Decreases).
    V1_34,
}

impl KubeVersion {
    pub fn minor(self) -> u32 {
        match self {
            KubeVersion::V1_33 => 33,
            KubeVersion::V1_34 => 34,
        }
    }

    /// `gitVersion` reported by `/version`.
    pub fn git_version(self) -> String {
        format!("v1.{}.0-rightsize-sim", self.minor())
    }
}

impl std::str::FromStr for KubeVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim_start_matches('v') {
            "1.33" => Ok(Self::V1_33),
            "1.34" => Ok(Self::V1_34),
            other => Err(format!(
                "unsupported Kubernetes version {other:?}: use 1.33 or 1.34"
            )),
        }
    }
}

/// A simulated node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub name: String,
    /// Allocatable cpu as a quantity (`"4"`, `"3500m"`).
    pub cpu: String,
    /// Allocatable memory as a quantity (`"8Gi"`).
    pub memory: String,
    /// Maximum pods (node `status.allocatable.pods`).
    pub pods: u32,
}

impl NodeConfig {
    pub fn new(name: &str, cpu: &str, memory: &str) -> Self {
        Self {
            name: name.into(),
            cpu: cpu.into(),
            memory: memory.into(),
            pods: DEFAULT_MAX_PODS,
        }
    }
}

/// Kubelet default `--max-pods`.
pub const DEFAULT_MAX_PODS: u32 = 110;
/// Period of the kubelet, scheduler and controller loops. 100 ms keeps tests quick while a
/// 10,000-pod cluster still spends most of its time idle.
pub const DEFAULT_TICK: Duration = Duration::from_millis(100);
/// metrics-server's shipped `--metric-resolution` is 15 s; PodMetrics report it as `window`.
pub const DEFAULT_METRICS_WINDOW: Duration = Duration::from_secs(15);

/// Bearer token the metrics-server endpoint accepts unless configured otherwise.
pub const DEFAULT_METRICS_TOKEN: &str = "rightsize-sim-metrics-token";

/// Everything that shapes a simulated cluster.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where the API server listens (plain HTTP). Port 0 picks a free port.
    pub listen: SocketAddr,
    /// Which Kubernetes minor version's resize validation to apply.
    pub version: KubeVersion,
    /// Nodes created at start.
    pub nodes: Vec<NodeConfig>,
    /// Loop period of the simulated control plane and kubelet.
    pub tick: Duration,
    /// Speed factor of memory usage generators: 60.0 plays one simulated minute per second.
    pub speed: f64,
    /// Watch events kept per kind (older resume points get 410 Expired).
    pub watch_history: usize,
    /// Usage profile for containers without a `sim.rightsize.dev/memory-profile` annotation.
    pub default_memory_profile: Option<String>,
    /// The endpoints of Services: `"namespace/name"` → the local address of the process behind
    /// the Service (what kube-proxy would forward its ClusterIP to). A webhook's
    /// `clientConfig.service` needs the Service object itself too (created like any Service);
    /// the TLS server name stays `<name>.<namespace>.svc` as in a real cluster.
    pub service_endpoints: HashMap<String, SocketAddr>,
    /// `window` of PodMetrics.
    pub metrics_window: Duration,
    /// Whether the simulated kubelet, scheduler and controllers run. Off gives a bare API server.
    pub run_controllers: bool,
    /// Seed of fault injection's draws (`None`: from the clock). Logged at start either way.
    pub fault_seed: Option<u64>,
    /// Also serve metrics-server's API at a URL of its own, over HTTPS with a self-signed
    /// certificate, requiring [`Self::metrics_token`] (`None`: not served).
    pub metrics_server_listen: Option<SocketAddr>,
    /// The bearer token that endpoint accepts.
    pub metrics_token: String,
    /// Serve a kube-state-metrics-compatible text endpoint (plain HTTP) here (`None`: not served).
    pub kube_state_metrics_listen: Option<SocketAddr>,
    /// What `/version` answers, when it differs from [`Self::version`] (whose rules every
    /// request follows): a control plane in the middle of an upgrade, where a client read
    /// `/version` from an upgraded kube-apiserver and its later writes land on one not yet
    /// upgraded (the version skew policy lets HA kube-apiservers differ by one minor version).
    pub reported_version: Option<KubeVersion>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            version: KubeVersion::default(),
            nodes: vec![NodeConfig::new("sim-node-1", "4", "8Gi")],
            tick: DEFAULT_TICK,
            speed: 1.0,
            watch_history: crate::store::DEFAULT_HISTORY,
            default_memory_profile: None,
            service_endpoints: HashMap::new(),
            metrics_window: DEFAULT_METRICS_WINDOW,
            run_controllers: true,
            fault_seed: None,
            metrics_server_listen: None,
            metrics_token: DEFAULT_METRICS_TOKEN.to_owned(),
            kube_state_metrics_listen: None,
            reported_version: None,
        }
    }
}
