//! The one place that builds and wires the simulated cluster: the public handle (`SimCluster`)
//! creates the shared state (`state::Cluster`), seeds namespaces and nodes, starts the HTTP
//! server (`api`), the controllers (`controllers`) and the kubelet (`kubelet`, which owns its
//! runtime state), hands out a `kube::Client` or a kubeconfig, exposes fault injection, and stops
//! everything when dropped.
//!
//! This module owns the start-up wiring and the lifecycle (start, stop, drop); `seed` holds the
//! objects every cluster starts with, `access` how clients reach it (URLs, kubeconfigs, kube-rs
//! clients, ServiceAccount tokens).

mod access;
mod seed;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::error::Error;
use crate::faults::Faults;
use crate::resources;
use crate::state::Cluster;

pub use access::SERVICE_ACCOUNT_TOKEN_LIFETIME;

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
        seed::seed(&cluster);
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

    /// Requests served so far by `"<verb> <resource>"` (`"list pods"`, `"patch pods/resize"`,
    /// `"list metrics-server:pods.metrics.k8s.io"`, `"get kube-state-metrics:/metrics"`).
    pub fn request_counts(&self) -> std::collections::BTreeMap<String, u64> {
        self.cluster.requests.snapshot()
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
