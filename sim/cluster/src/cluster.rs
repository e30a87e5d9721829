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

/// The `kubernetes` Service of the `default` namespace: the API server at the first address of
/// the service CIDR, as kube-apiserver's bootstrap controller creates it.
fn kubernetes_service() -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster"},
        "status": {"loadBalancer": {}}})
}

/// Create the initial namespaces (each with its `default` ServiceAccount), the `kubernetes`
/// Service, the bootstrap RBAC policy and the configured nodes.
fn seed(cluster: &Cluster) {
    let ns_def = resources::by_storage("namespaces");
    for ns in INITIAL_NAMESPACES {
        let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns,
            "labels": {"kubernetes.io/metadata.name": ns}}, "status": {"phase": "Active"}});
        let _ = cluster.store.create(ns_def, obj);
        cluster.ensure_default_service_account(ns);
    }
    let _ = cluster
        .store
        .create(resources::by_storage("services"), kubernetes_service());
    for role in crate::auth::bootstrap::cluster_roles() {
        let _ = cluster
            .store
            .create(resources::by_storage("clusterroles"), role);
    }
    for binding in crate::auth::bootstrap::cluster_role_bindings() {
        let _ = cluster
            .store
            .create(resources::by_storage("clusterrolebindings"), binding);
    }
    let version = cluster.config.version.git_version();
    for (i, n) in cluster.config.nodes.iter().enumerate() {
        let _ = cluster.store.create(
            resources::by_storage("nodes"),
            crate::kubelet::node_object(n, i, &version),
        );
    }
}

/// Lifetime of the tokens [`SimCluster::service_account_token`] issues: long enough for any test
/// or demo run (a real kubelet-projected token lives an hour and is refreshed).
pub const SERVICE_ACCOUNT_TOKEN_LIFETIME: std::time::Duration =
    std::time::Duration::from_secs(48 * 3600);

/// A kubeconfig for `url` (trusting `ca_pem` if given) with default namespace `ns` and the
/// `user:` body `user` (`{}` or `token: ...`).
fn kubeconfig(url: &str, ca_pem: Option<&str>, ns: &str, user: &str) -> String {
    use base64::Engine;
    let user = if user == "{}" {
        " {}".to_string()
    } else {
        format!("\n    {user}")
    };
    let ca = ca_pem.map_or(String::new(), |pem| {
        format!(
            "\n    certificate-authority-data: {}",
            base64::engine::general_purpose::STANDARD.encode(pem)
        )
    });
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: rightsize-sim\n  cluster:\n    server: {url}{ca}\nusers:\n- name: rightsize-sim\n  user:{user}\ncontexts:\n- name: rightsize-sim\n  context:\n    cluster: rightsize-sim\n    user: rightsize-sim\n    namespace: {ns}\ncurrent-context: rightsize-sim\npreferences: {{}}\n"
    )
}

/// Write `text` to `path` through a sibling temporary file renamed into place.
fn write_atomically(path: &Path, text: &str) -> Result<(), Error> {
    let err = |source| Error::WriteKubeconfig {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

/// A running simulated cluster. Dropping it stops the server and all simulated components.
pub struct SimCluster {
    cluster: Arc<Cluster>,
    addr: SocketAddr,
    /// The metrics-server HTTPS endpoint's address and certificate (PEM), when served.
    metrics_server: Option<(SocketAddr, String)>,
    /// The kube-state-metrics endpoint's address, when served.
    kube_state_metrics: Option<SocketAddr>,
    /// The HTTPS listener's address (same API; `tls`).
    https_addr: SocketAddr,
    /// The CA of the HTTPS listener's certificate, PEM.
    ca_pem: String,
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
        let identity = crate::tls::serving_identity(addr.ip())?;
        let bind_err = |source| Error::Bind {
            addr: SocketAddr::new(addr.ip(), 0),
            source,
        };
        let tls_listener = std::net::TcpListener::bind((addr.ip(), 0)).map_err(bind_err)?;
        tls_listener.set_nonblocking(true).map_err(bind_err)?;
        let https_addr = tls_listener.local_addr().map_err(bind_err)?;
        let https = axum_server::from_tcp_rustls(
            tls_listener,
            axum_server::tls_rustls::RustlsConfig::from_config(identity.server_config),
        )
        .map_err(bind_err)?;
        let https_app = app.clone();
        let mut tasks = vec![
            tokio::spawn(async move {
                let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                    let _ = rx.await;
                });
                if let Err(e) = serve.await {
                    tracing::error!(error = %e, "simulated API server stopped");
                }
            }),
            tokio::spawn(async move {
                if let Err(e) = https.serve(https_app.into_make_service()).await {
                    tracing::error!(error = %e, "simulated API server (HTTPS) stopped");
                }
            }),
        ];
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
        tracing::info!(%https_addr, "simulated cluster serving HTTPS too");
        Ok(Self {
            cluster,
            addr,
            metrics_server,
            kube_state_metrics,
            https_addr,
            ca_pem: identity.ca_pem,
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

    /// Base URL of the HTTPS listener (`https://127.0.0.1:PORT`): the same API, for clients that
    /// send credentials only over TLS (kubectl) or that verify the server.
    pub fn https_url(&self) -> String {
        format!("https://{}", self.https_addr)
    }

    /// The CA certificate (PEM) the HTTPS listener's certificate chains to.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A kubeconfig (YAML) for the HTTPS listener as the unrestricted administrator (the sim's
    /// admin token): the one to use with `kubectl --token`, which kubectl sends only over TLS.
    pub fn tls_kubeconfig_yaml(&self) -> String {
        let admin = format!("token: {}", self.cluster.tokens.admin());
        kubeconfig(&self.https_url(), Some(&self.ca_pem), "default", &admin)
    }

    /// Write [`Self::tls_kubeconfig_yaml`] to `path` (atomically).
    pub fn write_tls_kubeconfig(&self, path: &Path) -> Result<(), Error> {
        write_atomically(path, &self.tls_kubeconfig_yaml())
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

    /// A kubeconfig (YAML) pointing at this cluster, context `rightsize-sim`, as the
    /// unrestricted administrator (no credentials).
    pub fn kubeconfig_yaml(&self) -> String {
        kubeconfig(&self.url(), None, "default", "{}")
    }

    /// Write [`Self::kubeconfig_yaml`] to `path`, atomically (a sibling temporary file renamed
    /// into place), so whoever waits for the file to appear never reads half of it.
    pub fn write_kubeconfig(&self, path: &Path) -> Result<(), Error> {
        write_atomically(path, &self.kubeconfig_yaml())
    }

    /// A bearer token for ServiceAccount `ns/name` (TokenRequest, valid
    /// [`SERVICE_ACCOUNT_TOKEN_LIFETIME`]), as `kubectl create token` gets one: requests with it
    /// are authorised by RBAC. The ServiceAccount must exist.
    pub fn service_account_token(&self, ns: &str, name: &str) -> Result<String, Error> {
        self.cluster
            .issue_token(ns, name, SERVICE_ACCOUNT_TOKEN_LIFETIME.as_secs() as i64)
            .map(|(token, _)| token)
            .map_err(|e| Error::ServiceAccountToken {
                account: format!("{ns}/{name}"),
                reason: e.message,
            })
    }

    /// A kubeconfig (YAML) for this cluster that authenticates as ServiceAccount `ns/name`
    /// with a fresh [`Self::service_account_token`]: what a binary running as that
    /// ServiceAccount in a pod would be allowed to do, it may do, and nothing more.
    pub fn service_account_kubeconfig_yaml(&self, ns: &str, name: &str) -> Result<String, Error> {
        let token = self.service_account_token(ns, name)?;
        Ok(kubeconfig(
            &self.https_url(),
            Some(&self.ca_pem),
            ns,
            &format!("token: {token}"),
        ))
    }

    /// Write [`Self::service_account_kubeconfig_yaml`] to `path` (atomically).
    pub fn write_service_account_kubeconfig(
        &self,
        path: &Path,
        ns: &str,
        name: &str,
    ) -> Result<(), Error> {
        write_atomically(path, &self.service_account_kubeconfig_yaml(ns, name)?)
    }

    /// A kube-rs client authenticated as ServiceAccount `ns/name` (default namespace `ns`),
    /// over HTTPS from [`Self::service_account_kubeconfig_yaml`], as a binary would load it.
    pub async fn service_account_client(
        &self,
        ns: &str,
        name: &str,
    ) -> Result<kube::Client, Error> {
        let url = self.https_url();
        let yaml = self.service_account_kubeconfig_yaml(ns, name)?;
        let kc = kube::config::Kubeconfig::from_yaml(&yaml).map_err(|source| Error::Client {
            url: url.clone(),
            source: source.into(),
        })?;
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .map_err(|source| Error::Client {
                url: url.clone(),
                source: source.into(),
            })?;
        kube::Client::try_from(config).map_err(|source| Error::Client { url, source })
    }

    /// The shared state, for the crate's own extensions of this handle (`manifests`).
    pub(crate) fn state(&self) -> &Cluster {
        &self.cluster
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
        resources::all()
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
