//! The one place that builds and wires the simulated cluster: the public handle (`SimCluster`)
//! creates the shared state (`state::Cluster`), seeds namespaces and nodes, starts the HTTP
//! server (`api`), the controllers (`controllers`) and the kubelet (`kubelet`, which owns its
//! runtime state), hands out a `kube::Client` or a kubeconfig, exposes fault injection, and stops
//! everything when dropped.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::error::Error;
use crate::faults::Faults;
use crate::resources;
use crate::state::Cluster;

/// Namespaces every cluster starts with.
const INITIAL_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// Create the initial namespaces and the configured nodes.
fn seed(cluster: &Cluster) {
    let ns_def = resources::by_storage("namespaces");
    for ns in INITIAL_NAMESPACES {
        let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns,
            "labels": {"kubernetes.io/metadata.name": ns}}, "status": {"phase": "Active"}});
        let _ = cluster.store.create(ns_def, obj);
    }
    for n in &cluster.config.nodes {
        let _ = cluster.store.create(
            resources::by_storage("nodes"),
            crate::kubelet::node_object(n),
        );
    }
}

/// A running simulated cluster. Dropping it stops the server and all simulated components.
pub struct SimCluster {
    cluster: Arc<Cluster>,
    addr: SocketAddr,
    /// The metrics-server HTTPS endpoint's address and certificate (PEM), when served.
    metrics_server: Option<(SocketAddr, String)>,
    /// The kube-state-metrics endpoint's address, when served.
    kube_state_metrics: Option<SocketAddr>,
    shutdown: Option<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimCluster {
    /// Bind, seed namespaces and nodes, and start the API server and (unless disabled) the
    /// scheduler, kubelet and controllers.
    pub async fn start(config: SimConfig) -> Result<Self, Error> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| Error::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.listen,
            source,
        })?;
        let cluster = Arc::new(Cluster::new(config));
        cluster.set_addr(addr);
        tracing::info!(%addr, fault_seed = cluster.faults.seed(), "simulated cluster starting");
        seed(&cluster);
        let (tx, rx) = oneshot::channel::<()>();
        let app = crate::api::router(cluster.clone());
        let mut tasks = vec![tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "simulated API server stopped");
            }
        })];
        let metrics_server = match cluster.config.metrics_server_listen {
            Some(at) => {
                let cert = crate::metrics_server_tls::SelfSigned::generate()?;
                let (bound, task) = crate::metrics_server_tls::spawn(cluster.clone(), at, &cert)?;
                tracing::info!(addr = %bound, "simulated metrics-server (HTTPS) listening");
                tasks.push(task);
                Some((bound, cert.cert_pem))
            }
            None => None,
        };
        let kube_state_metrics = match cluster.config.kube_state_metrics_listen {
            Some(at) => {
                let bind = |source| Error::Bind { addr: at, source };
                let l = TcpListener::bind(at).await.map_err(bind)?;
                let bound = l.local_addr().map_err(bind)?;
                let app = crate::kube_state_metrics::router(cluster.clone());
                tasks.push(tokio::spawn(async move {
                    if let Err(e) = axum::serve(l, app).await {
                        tracing::error!(error = %e, "simulated kube-state-metrics stopped");
                    }
                }));
                tracing::info!(addr = %bound, "simulated kube-state-metrics listening");
                Some(bound)
            }
            None => None,
        };
        if cluster.config.run_controllers {
            tasks.extend(crate::controllers::spawn(cluster.clone()));
            tasks.push(crate::kubelet::spawn(cluster.clone()));
        }
        Ok(Self {
            cluster,
            addr,
            metrics_server,
            kube_state_metrics,
            shutdown: Some(tx),
            tasks,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The metrics-server endpoint's base URL (`https://localhost:PORT`), when served.
    pub fn metrics_server_url(&self) -> Option<String> {
        self.metrics_server
            .as_ref()
            .map(|(a, _)| format!("https://localhost:{}", a.port()))
    }

    /// The metrics-server endpoint's self-signed certificate (PEM): the CA a client trusts.
    pub fn metrics_server_ca_pem(&self) -> Option<&str> {
        self.metrics_server.as_ref().map(|(_, pem)| pem.as_str())
    }

    /// The bearer token the metrics-server endpoint accepts.
    pub fn metrics_token(&self) -> &str {
        &self.cluster.config.metrics_token
    }

    /// The kube-state-metrics endpoint (`http://127.0.0.1:PORT`, text at `/metrics`), when
    /// served.
    pub fn kube_state_metrics_url(&self) -> Option<String> {
        self.kube_state_metrics.map(|a| format!("http://{a}"))
    }

    /// Requests served so far by `"<verb> <resource>"` (`"list pods"`, `"patch pods/resize"`,
    /// `"list metrics-server:pods.metrics.k8s.io"`, `"get kube-state-metrics:/metrics"`).
    pub fn request_counts(&self) -> std::collections::BTreeMap<String, u64> {
        self.cluster.requests.snapshot()
    }

    /// A kube-rs client for this cluster (default namespace `default`).
    pub fn client(&self) -> Result<kube::Client, Error> {
        let url = self.url();
        let uri: axum::http::Uri = url
            .parse()
            .map_err(|_| Error::InvalidUrl { url: url.clone() })?;
        let config = kube::Config::new(uri);
        kube::Client::try_from(config).map_err(|source| Error::Client { url, source })
    }

    /// A kubeconfig (YAML) pointing at this cluster, context `rightsize-sim`.
    pub fn kubeconfig_yaml(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: rightsize-sim\n  cluster:\n    server: {url}\nusers:\n- name: rightsize-sim\n  user: {{}}\ncontexts:\n- name: rightsize-sim\n  context:\n    cluster: rightsize-sim\n    user: rightsize-sim\n    namespace: default\ncurrent-context: rightsize-sim\npreferences: {{}}\n",
            url = self.url()
        )
    }

    /// Write [`Self::kubeconfig_yaml`] to `path`, atomically (a sibling temporary file renamed
    /// into place), so whoever waits for the file to appear never reads half of it.
    pub fn write_kubeconfig(&self, path: &Path) -> Result<(), Error> {
        let err = |source| Error::WriteKubeconfig {
            path: path.to_path_buf(),
            source,
        };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".{}.tmp", std::process::id()));
        std::fs::write(&tmp, self.kubeconfig_yaml()).map_err(err)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err(e)
        })
    }

    /// Fault injection knobs.
    pub fn faults(&self) -> &Faults {
        &self.cluster.faults
    }

    /// Forget the watch history (as after an etcd compaction): any watch resuming from a version
    /// before now gets `410 Expired`. Combine with [`Faults::drop_watches`] to force clients to
    /// re-list.
    pub fn expire_watch_history(&self) {
        // A version bump first, so even a watcher that saw the latest event is now too old.
        self.cluster.store.compact_all();
    }

    /// Latest resourceVersion of the store.
    pub fn resource_version(&self) -> u64 {
        self.cluster.store.current_rv()
    }

    /// Number of stored objects of a resource (e.g. `("", "pods")`), for benchmarks and tests.
    pub fn object_count(&self, group: &str, plural: &str) -> usize {
        resources::RESOURCES
            .iter()
            .find(|r| r.group == group && r.plural == plural && !r.is_virtual())
            .map_or(0, |d| self.cluster.store.count(d))
    }

    /// Run until `signal` completes, then stop.
    pub async fn serve_until<F: std::future::Future<Output = ()>>(mut self, signal: F) {
        signal.await;
        self.stop().await;
    }

    /// Stop the server and every simulated component.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.cluster.faults.drop_watches();
        for t in self.tasks.drain(..) {
            t.abort();
            let _ = t.await;
        }
    }
}

impl Drop for SimCluster {
    fn drop(&mut self) {
        // A test failing with faults on says how to replay the draws.
        if std::thread::panicking() && self.cluster.faults.any_active() {
            eprintln!(
                "simulated cluster fault seed: {} (replay with SimConfig::fault_seed or --fault-seed)",
                self.cluster.faults.seed()
            );
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.cluster.faults.drop_watches();
        for t in &self.tasks {
            t.abort();
        }
    }
}
